/**
 * The columns of the `netflow.flow` schema (schemas/netflow.yaml) and the
 * row scratch that decoders fill field by field before a row is committed to
 * the column builders.
 *
 * One schema serves NetFlow v5, v9 and IPFIX (`version` tells them apart), so
 * that `src_addr == 10.0.0.1` or `octets > 1000000` needs no knowledge of the
 * exporter's protocol. Names are readable snake_case versions of the IANA IPFIX
 * information elements (https://www.iana.org/assignments/ipfix/ipfix.xhtml);
 * IPv4 and IPv6 addresses share one `ip` column each. Elements outside this
 * list are skipped.
 */

import type { SchemaRegistry } from '../../schemas/registry.js';
import type {
  ColumnBuilder,
  Int64ColumnBuilder,
  IpColumnBuilder,
  PortColumnBuilder,
} from '../../types/builder.js';
import type { Schema } from '../../types/type.js';
import { fixedSchema } from '../fixed-schema.js';

// Column kinds: how a scratch slot turns into a value.
const U64 = 0;
const TIME = 1;
const IP = 2;
const PORT = 3;
const TEXT = 4;

/** The columns decoders fill, in order, with how each is filled; the schema is schemas/netflow.yaml (descriptions there). */
const COLUMNS: readonly [string, number][] = [
  ['version', U64],
  ['exporter', IP],
  ['observation_domain', U64],
  ['sequence', U64],
  ['template_id', U64],
  ['flow_start', TIME],
  ['flow_end', TIME],
  ['src_addr', IP],
  ['dst_addr', IP],
  ['src_port', PORT],
  ['dst_port', PORT],
  ['protocol', U64],
  ['tcp_flags', U64],
  ['tos', U64],
  ['packets', U64],
  ['octets', U64],
  ['input_if', U64],
  ['output_if', U64],
  ['next_hop', IP],
  ['src_as', U64],
  ['dst_as', U64],
  ['src_mask', U64],
  ['dst_mask', U64],
  ['ip_version', U64],
  ['icmp_type', U64],
  ['icmp_code', U64],
  ['vlan_id', U64],
  ['src_mac', TEXT],
  ['dst_mac', TEXT],
  ['direction', U64],
  ['flow_end_reason', U64],
  ['engine_type', U64],
  ['engine_id', U64],
  ['sampling_interval', U64],
];

const NCOLS = COLUMNS.length;
const KINDS = Uint8Array.from(COLUMNS.map((c) => c[1]));
const col = (name: string): number => COLUMNS.findIndex((c) => c[0] === name);

/** Column indices. */
export const C = {
  version: col('version'),
  exporter: col('exporter'),
  observationDomain: col('observation_domain'),
  sequence: col('sequence'),
  templateId: col('template_id'),
  flowStart: col('flow_start'),
  flowEnd: col('flow_end'),
  srcAddr: col('src_addr'),
  dstAddr: col('dst_addr'),
  srcPort: col('src_port'),
  dstPort: col('dst_port'),
  protocol: col('protocol'),
  tcpFlags: col('tcp_flags'),
  tos: col('tos'),
  packets: col('packets'),
  octets: col('octets'),
  inputIf: col('input_if'),
  outputIf: col('output_if'),
  nextHop: col('next_hop'),
  srcAs: col('src_as'),
  dstAs: col('dst_as'),
  srcMask: col('src_mask'),
  dstMask: col('dst_mask'),
  ipVersion: col('ip_version'),
  icmpType: col('icmp_type'),
  icmpCode: col('icmp_code'),
  vlanId: col('vlan_id'),
  srcMac: col('src_mac'),
  dstMac: col('dst_mac'),
  direction: col('direction'),
  flowEndReason: col('flow_end_reason'),
  engineType: col('engine_type'),
  engineId: col('engine_id'),
  samplingInterval: col('sampling_interval'),
} as const;

/** The type name of each column kind, as the schema must spell it. */
const TYPE_NAMES: Record<number, string> = {
  [U64]: 'uint64',
  [TIME]: 'time',
  [IP]: 'ip',
  [PORT]: 'port',
  [TEXT]: 'string',
};

/** `netflow.flow` from schemas/netflow.yaml (or a registry refining it), checked against the columns decoders fill. */
export function netflowSchema(schemas?: SchemaRegistry): Schema {
  return fixedSchema(
    'netflow.flow',
    COLUMNS.map(([name, kind]) => `${name}: ${TYPE_NAMES[kind]}`),
    schemas,
  );
}

const TWO32 = 4294967296;

/** Strength of a value in the scratch: a weak one (a fallback element) never replaces another. */
export const WEAK = 1;
export const STRONG = 2;

/**
 * One flow record being decoded. `lo`/`hi` hold 64-bit unsigned values as two
 * 32-bit words (no BigInt on the hot path), ports in `lo`, and times as whole
 * seconds in `lo` plus nanoseconds in `hi` (any sign; normalized on commit).
 */
export class FlowRow {
  readonly set = new Uint8Array(NCOLS);
  readonly lo = new Float64Array(NCOLS);
  readonly hi = new Float64Array(NCOLS);
  readonly ip = new Uint8Array(NCOLS * 16);
  readonly text: string[] = new Array(NCOLS).fill('');

  clear(): void {
    this.set.fill(0);
  }

  /** Whether the slot may be written with this strength. */
  can(c: number, strength: number): boolean {
    return strength === STRONG || this.set[c] === 0;
  }

  setNumber(c: number, v: number, strength = STRONG): void {
    if (!this.can(c, strength)) return;
    this.lo[c] = v % TWO32;
    this.hi[c] = Math.floor(v / TWO32);
    this.set[c] = strength;
  }

  /** An unsigned big-endian integer of 1..8 bytes. */
  setUint(c: number, b: Uint8Array, off: number, len: number, strength = STRONG): void {
    if (!this.can(c, strength)) return;
    let hi = 0;
    let lo = 0;
    const split = len > 4 ? len - 4 : 0;
    for (let i = 0; i < split; i++) hi = hi * 256 + b[off + i];
    for (let i = split; i < len; i++) lo = lo * 256 + b[off + i];
    this.lo[c] = lo;
    this.hi[c] = hi;
    this.set[c] = strength;
  }

  /** An IPv4 address (4 bytes), stored v4-mapped. */
  setIp4(c: number, b: Uint8Array, off: number, strength = STRONG): void {
    if (!this.can(c, strength)) return;
    const o = c * 16;
    const ip = this.ip;
    for (let i = 0; i < 10; i++) ip[o + i] = 0;
    ip[o + 10] = 0xff;
    ip[o + 11] = 0xff;
    ip[o + 12] = b[off];
    ip[o + 13] = b[off + 1];
    ip[o + 14] = b[off + 2];
    ip[o + 15] = b[off + 3];
    this.set[c] = strength;
  }

  setIp6(c: number, b: Uint8Array, off: number, strength = STRONG): void {
    if (!this.can(c, strength)) return;
    // inline the following for performance: `ip.set(b.subarray(...))` allocates a view per address.
    const o = c * 16;
    for (let i = 0; i < 16; i++) this.ip[o + i] = b[off + i];
    this.set[c] = strength;
  }

  /** A time as seconds plus nanoseconds since the epoch (nanoseconds may be negative or exceed 1e9). */
  setTime(c: number, secs: number, nanos: number, strength = STRONG): void {
    if (!this.can(c, strength)) return;
    this.lo[c] = secs;
    this.hi[c] = nanos;
    this.set[c] = strength;
  }

  setTimeMs(c: number, ms: number, strength = STRONG): void {
    const secs = Math.floor(ms / 1000);
    this.setTime(c, secs, (ms - secs * 1000) * 1e6, strength);
  }

  setText(c: number, s: string, strength = STRONG): void {
    if (!this.can(c, strength)) return;
    this.text[c] = s;
    this.set[c] = strength;
  }

  // The columns by kind, with their builders: one loop per kind keeps each call site monomorphic.
  private u64: number[] = [];
  private u64Out: Int64ColumnBuilder[] = [];
  private times: number[] = [];
  private timesOut: Int64ColumnBuilder[] = [];
  private ips: number[] = [];
  private ipsOut: IpColumnBuilder[] = [];
  private ports: number[] = [];
  private portsOut: PortColumnBuilder[] = [];
  private texts: number[] = [];
  private textsOut: ColumnBuilder[] = [];

  /** Sets the builders `commit` appends to: the schema's columns, in order. */
  bind(leaves: readonly ColumnBuilder[]): void {
    for (let c = 0; c < NCOLS; c++) {
      const out = leaves[c];
      switch (KINDS[c]) {
        case U64:
          this.u64.push(c);
          this.u64Out.push(out as Int64ColumnBuilder);
          break;
        case TIME:
          this.times.push(c);
          this.timesOut.push(out as Int64ColumnBuilder);
          break;
        case IP:
          this.ips.push(c);
          this.ipsOut.push(out as IpColumnBuilder);
          break;
        case PORT:
          this.ports.push(c);
          this.portsOut.push(out as PortColumnBuilder);
          break;
        default:
          this.texts.push(c);
          this.textsOut.push(out);
      }
    }
  }

  /** Appends the row to the bound builders and clears it. */
  commit(): void {
    const set = this.set;
    for (let i = 0; i < this.u64.length; i++) {
      const c = this.u64[i];
      if (set[c] === 0) this.u64Out[i].appendNull();
      else this.u64Out[i].appendWords(this.lo[c], this.hi[c]);
    }
    for (let i = 0; i < this.times.length; i++) {
      const c = this.times[i];
      if (set[c] === 0) this.timesOut[i].appendNull();
      else appendTime(this.timesOut[i], this.lo[c], this.hi[c]);
    }
    for (let i = 0; i < this.ips.length; i++) {
      const c = this.ips[i];
      if (set[c] === 0) this.ipsOut[i].appendNull();
      else this.ipsOut[i].appendRaw(this.ip, c * 16);
    }
    for (let i = 0; i < this.ports.length; i++) {
      const c = this.ports[i];
      if (set[c] === 0 || !this.portsOut[i].append(this.lo[c] + this.hi[c] * TWO32))
        this.portsOut[i].appendNull();
    }
    for (let i = 0; i < this.texts.length; i++) {
      const c = this.texts[i];
      if (set[c] === 0) this.textsOut[i].appendNull();
      else this.textsOut[i].appendText(this.text[c]);
    }
    set.fill(0);
  }
}

/**
 * Appends `secs * 1e9 + nanos` nanoseconds without BigInt: the product needs
 * up to 63 bits, so it is assembled from 16-bit halves of `secs`, each of
 * whose partial products is exact in a double.
 */
function appendTime(out: Int64ColumnBuilder, secs: number, nanos: number): void {
  const carry = Math.floor(nanos / 1e9);
  secs += carry;
  nanos -= carry * 1e9;
  if (secs < 0 || secs >= 2 ** 33) {
    out.appendBigInt(BigInt(secs) * 1_000_000_000n + BigInt(Math.round(nanos)));
    return;
  }
  const upper = Math.floor(secs / 65536);
  const x = upper * 1e9; // < 2^47
  const low = (secs - upper * 65536) * 1e9 + Math.round(nanos); // < 2^47
  let lo = (x % 65536) * 65536 + (low % TWO32);
  let hi = Math.floor(x / 65536) + Math.floor(low / TWO32);
  if (lo >= TWO32) {
    lo -= TWO32;
    hi += 1;
  }
  out.appendWords(lo, hi);
}

/** `aa:bb:cc:dd:ee:ff`. */
export function formatMac(b: Uint8Array, off: number): string {
  let s = '';
  for (let i = 0; i < 6; i++) {
    const x = b[off + i];
    s += (i > 0 ? ':' : '') + (x < 16 ? '0' : '') + x.toString(16);
  }
  return s;
}
