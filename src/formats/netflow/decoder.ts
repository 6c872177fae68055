/**
 * The NetFlow decoder: export packets (one datagram = one export message) in,
 * `netflow.flow` record batches out. Shared by the `netflow` format (packets
 * from a pcap or an IPFIX file) and the `netflow` source (packets from a UDP
 * socket).
 *
 * Templates (v9 and IPFIX) are cached per (exporter `ip:port`, observation
 * domain / source ID, template ID), bounded in number. Data records whose
 * template has not arrived yet are dropped, not buffered: exporters repeat
 * their templates (softflowd every few packets, routers every minute or so),
 * and a buffer would only delay the same loss. The first such set per
 * template gets a warning; `stats.missingTemplate` counts them all.
 *
 * A broken packet (truncated, a set length under 4 or past the message, a
 * template without fields, an unknown version) gets one error diagnostic
 * naming the exporter, the packet number and the byte offset, and all of its
 * flows are dropped; the decoder goes on with the next packet. Templates the
 * packet defined before the problem stay. Nothing here loops on input that
 * does not advance: every set and record consumes at least one byte.
 */
import type * as A from 'apache-arrow';
import { type Diagnostic, errorDiagnostic, warningDiagnostic } from '../../diagnostics.js';
import type { SchemaRegistry } from '../../schemas/registry.js';
import { BatchBuilder } from '../../types/batch-builder.js';
import { formatIP, parseIPInto } from '../../types/ip.js';
import { formatHostPort, parseHostPort } from '../../util/host-port.js';
import { C, FlowRow, netflowSchema } from './fields.js';
import { decodeIpfix } from './ipfix.js';
import { type RecordTimes, type Session, TemplateCache } from './templates.js';
import { decodeV5 } from './v5.js';
import { decodeV9 } from './v9.js';

export interface NetflowDecoderOptions {
  /** Rows per batch (default 65,536); `takeFull()` returns batches that reached it. */
  readonly batchSize?: number;
  /** Receives diagnostics (errors for broken packets, warnings for missing templates). */
  readonly report?: (d: Diagnostic) => void;
  /** The input's name (a file) for messages; sources leave it out. */
  readonly file?: string;
  /** Most templates kept across all exporters (default 65,536). */
  readonly maxTemplates?: number;
  /** Where `netflow.flow` comes from (default: the shipped schemas/netflow.yaml). */
  readonly schemas?: SchemaRegistry;
}

/** Counters of what the decoder saw. */
export interface NetflowStats {
  /** Packets given to `decode`. */
  packets: number;
  /** Flows decoded (rows appended). */
  flows: number;
  /** Packets dropped as broken. */
  errors: number;
  /** Data sets dropped for want of their template. */
  missingTemplate: number;
  /** Options data records seen (they set exporter state, they are not flows). */
  optionsRecords: number;
}

const MAX_REMEMBERED = 65_536;

export class NetflowDecoder implements Session {
  readonly row = new FlowRow();
  readonly times: RecordTimes = { upStart: -1, upEnd: -1, deltaStart: -1, deltaEnd: -1, sysInit: -1 };
  readonly templates: TemplateCache;
  readonly stats: NetflowStats = { packets: 0, flows: 0, errors: 0, missingTemplate: 0, optionsRecords: 0 };
  exporter = '';
  private exporterIp = new Uint8Array(16);
  private exporterValid = false;
  private readonly builder: BatchBuilder;
  private readonly full: A.RecordBatch[] = [];
  private readonly batchSize: number;
  private readonly sysInits = new Map<string, number>();
  private readonly warned = new Set<string>();

  constructor(private readonly opts: NetflowDecoderOptions = {}) {
    this.builder = new BatchBuilder(netflowSchema(opts.schemas));
    this.batchSize = opts.batchSize ?? 65_536;
    this.templates = new TemplateCache(opts.maxTemplates);
    this.row.bind(this.builder.leaves);
  }

  /**
   * Decodes one export packet from `exporter` (`ip:port`, `[v6]:port`).
   * Never throws for bad input (unless `report` throws).
   */
  decode(packet: Uint8Array, exporter: string): void {
    this.stats.packets++;
    if (exporter !== this.exporter) this.setExporter(exporter);
    const start = this.builder.rows;
    let ok: boolean;
    if (packet.length < 2)
      ok = this.fail(`packet of ${packet.length} bytes is too short for a NetFlow header`, 0);
    else {
      const version = (packet[0] << 8) | packet[1];
      if (version === 5) ok = decodeV5(this, packet);
      else if (version === 9) ok = decodeV9(this, packet);
      else if (version === 10) ok = decodeIpfix(this, packet);
      else ok = this.fail(`unsupported NetFlow version ${version} (vast reads 5, 9 and 10, IPFIX)`, 0);
    }
    if (ok) this.stats.flows += this.builder.rows - start;
    else {
      this.row.clear();
      this.builder.root.truncate(start);
      this.builder.rollback();
    }
    if (this.builder.rows >= this.batchSize) this.full.push(this.builder.finish());
  }

  /** Flows decoded and not yet taken. */
  get rows(): number {
    let n = this.builder.rows;
    for (const b of this.full) n += b.numRows;
    return n;
  }

  /** The batches that reached the batch size. */
  takeFull(): A.RecordBatch[] {
    return this.full.splice(0);
  }

  /** Everything decoded so far, as batches. */
  flush(): A.RecordBatch[] {
    if (this.builder.rows > 0) this.full.push(this.builder.finish());
    return this.full.splice(0);
  }

  // Session

  commitFlow(): void {
    if (this.exporterValid) this.row.setIp6(C.exporter, this.exporterIp, 0);
    this.row.commit();
    this.builder.commitRow();
  }

  fail(message: string, offset: number): false {
    this.stats.errors++;
    this.opts.report?.(
      errorDiagnostic(message, {
        notes: [`${this.where()}, byte offset ${offset}`, 'the packet was skipped'],
        recoverable: true,
      }),
    );
    return false;
  }

  missingTemplate(key: string, id: number, domain: number, offset: number): void {
    this.stats.missingTemplate++;
    if (this.warned.has(key)) return;
    if (this.warned.size >= MAX_REMEMBERED) this.warned.clear();
    this.warned.add(key);
    this.opts.report?.(
      warningDiagnostic(
        `data for unknown template ${id} (observation domain ${domain}): dropped until the exporter sends the template`,
        { notes: [`${this.where()}, byte offset ${offset}`] },
      ),
    );
  }

  optionsRecord(): void {
    this.stats.optionsRecords++;
  }

  sysInit(domain: number): number | undefined {
    return this.sysInits.get(`${this.exporter}|${domain}`);
  }

  setSysInit(domain: number, ms: number): void {
    const key = `${this.exporter}|${domain}`;
    this.sysInits.delete(key);
    this.sysInits.set(key, ms);
    if (this.sysInits.size > MAX_REMEMBERED) this.sysInits.delete(this.sysInits.keys().next().value!);
  }

  private where(): string {
    const file = this.opts.file ? `${this.opts.file}: ` : '';
    return `${file}packet ${this.stats.packets} from exporter ${this.exporter}`;
  }

  private setExporter(exporter: string): void {
    this.exporter = exporter;
    // A bare address (no port) names an exporter too: a file of packets from one known sender.
    let host = exporter;
    try {
      host = parseHostPort(exporter).host;
    } catch {}
    this.exporterValid = parseIPInto(host, this.exporterIp, 0);
  }
}

/** `ip:port` as exporters are named: `10.0.0.1:2055`, `[2001:db8::1]:2055`. */
export function exporterName(ip: Uint8Array, off: number, port: number): string {
  return formatHostPort(formatIP(ip, off), port);
}
