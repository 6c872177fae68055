/**
 * NetFlow v9 / IPFIX templates: what an exporter announced, compiled into a
 * list of field operations, and the cache that remembers them per exporter.
 *
 * Field numbers are IPFIX information element IDs; NetFlow v9 field types
 * 1..127 are the same numbers (IPFIX adopted them), so one table serves both.
 * Field types v9 calls FIRST_SWITCHED/LAST_SWITCHED (22/21) are IPFIX's
 * flowStartSysUpTime/flowEndSysUpTime: milliseconds since the exporter booted.
 */
import { C, type FlowRow, formatMac, STRONG, WEAK } from './fields.js';

/** A field length of 65535 in an IPFIX template: the length comes with each record (RFC 7011 §7). */
const VARIABLE = 65535;

// Operations on one field of a data record.
const OP_SKIP = 0;
const OP_UINT = 1;
const OP_IP4 = 2;
const OP_IP6 = 3;
const OP_MAC = 4;
const OP_ICMP = 5; // icmpTypeCode: type << 8 | code
const OP_UPTIME_START = 6; // ms since boot (v9 FIRST_SWITCHED, IPFIX flowStartSysUpTime)
const OP_UPTIME_END = 7;
const OP_SECONDS = 8; // flowStart/EndSeconds
const OP_MILLIS = 9; // flowStart/EndMilliseconds
const OP_NTP = 10; // flowStart/EndMicro/Nanoseconds: NTP 32.32 fixed point since 1900
const OP_DELTA_US = 11; // flowStart/EndDeltaMicroseconds: before the export time
const OP_SYSINIT = 12; // systemInitTimeMilliseconds

interface Mapping {
  readonly op: number;
  readonly col: number;
  readonly strength: number;
  /** Accepted lengths (IPFIX allows reduced-size encoding of integers). */
  readonly min: number;
  readonly max: number;
}

const m = (op: number, col: number, min: number, max: number, strength = STRONG): Mapping => ({
  op,
  col,
  strength,
  min,
  max,
});
const uint = (col: number, strength = STRONG) => m(OP_UINT, col, 1, 8, strength);

/** Information element ID → how it is decoded. */
const ELEMENTS = new Map<number, Mapping>([
  [1, uint(C.octets)],
  [2, uint(C.packets)],
  [4, uint(C.protocol)],
  [5, uint(C.tos)],
  [6, uint(C.tcpFlags)],
  [7, uint(C.srcPort)],
  [8, m(OP_IP4, C.srcAddr, 4, 4)],
  [9, uint(C.srcMask)],
  [10, uint(C.inputIf)],
  [11, uint(C.dstPort)],
  [12, m(OP_IP4, C.dstAddr, 4, 4)],
  [13, uint(C.dstMask)],
  [14, uint(C.outputIf)],
  [15, m(OP_IP4, C.nextHop, 4, 4)],
  [16, uint(C.srcAs)],
  [17, uint(C.dstAs)],
  [18, m(OP_IP4, C.nextHop, 4, 4, WEAK)],
  [21, m(OP_UPTIME_END, C.flowEnd, 1, 8, WEAK)],
  [22, m(OP_UPTIME_START, C.flowStart, 1, 8, WEAK)],
  [27, m(OP_IP6, C.srcAddr, 16, 16)],
  [28, m(OP_IP6, C.dstAddr, 16, 16)],
  [29, uint(C.srcMask)],
  [30, uint(C.dstMask)],
  [32, m(OP_ICMP, C.icmpType, 2, 2)],
  [34, uint(C.samplingInterval)],
  [38, uint(C.engineType)],
  [39, uint(C.engineId)],
  [56, m(OP_MAC, C.srcMac, 6, 6)],
  [58, uint(C.vlanId)],
  [60, uint(C.ipVersion)],
  [61, uint(C.direction)],
  [62, m(OP_IP6, C.nextHop, 16, 16)],
  [63, m(OP_IP6, C.nextHop, 16, 16, WEAK)],
  [80, m(OP_MAC, C.dstMac, 6, 6)],
  [85, uint(C.octets, WEAK)],
  [86, uint(C.packets, WEAK)],
  [136, uint(C.flowEndReason)],
  [139, m(OP_ICMP, C.icmpType, 2, 2)],
  [150, m(OP_SECONDS, C.flowStart, 1, 8)],
  [151, m(OP_SECONDS, C.flowEnd, 1, 8)],
  [152, m(OP_MILLIS, C.flowStart, 1, 8)],
  [153, m(OP_MILLIS, C.flowEnd, 1, 8)],
  [154, m(OP_NTP, C.flowStart, 8, 8)],
  [155, m(OP_NTP, C.flowEnd, 8, 8)],
  [156, m(OP_NTP, C.flowStart, 8, 8)],
  [157, m(OP_NTP, C.flowEnd, 8, 8)],
  [158, m(OP_DELTA_US, C.flowStart, 1, 4, WEAK)],
  [159, m(OP_DELTA_US, C.flowEnd, 1, 4, WEAK)],
  [160, m(OP_SYSINIT, -1, 1, 8)],
  [176, uint(C.icmpType)],
  [177, uint(C.icmpCode)],
  [178, uint(C.icmpType)],
  [179, uint(C.icmpCode)],
]);

/** One field of a template as announced. */
export interface TemplateField {
  /** Information element ID (without the enterprise bit). */
  readonly id: number;
  readonly length: number;
  /** Private Enterprise Number; 0 for IANA elements. */
  readonly enterprise: number;
}

/** A template compiled for decoding. */
export interface Template {
  readonly id: number;
  readonly options: boolean;
  readonly fields: readonly TemplateField[];
  readonly ops: Uint8Array;
  readonly cols: Int16Array;
  readonly strengths: Uint8Array;
  readonly lengths: Uint16Array;
  /** Bytes of the shortest record (variable-length fields count one byte). Always > 0. */
  readonly minLength: number;
  /** Whether the decoded record carries sysUpTime-relative times that need a base. */
  readonly usesUptime: boolean;
}

/**
 * Compiles announced fields. Elements we do not map, enterprise-specific
 * ones (e.g. RFC 5103 reverse elements) and lengths that do not fit an
 * element are skipped. Options templates only keep systemInitTimeMilliseconds.
 * Returns a problem description when the template cannot be used at all.
 */
export function compileTemplate(
  id: number,
  fields: readonly TemplateField[],
  options: boolean,
): Template | string {
  if (fields.length === 0) return `template ${id} has no fields`;
  const n = fields.length;
  const ops = new Uint8Array(n);
  const cols = new Int16Array(n);
  const strengths = new Uint8Array(n);
  const lengths = new Uint16Array(n);
  let minLength = 0;
  let usesUptime = false;
  for (let i = 0; i < n; i++) {
    const f = fields[i];
    if (f.length === 0) return `template ${id}: field ${i + 1} (element ${f.id}) has length 0`;
    lengths[i] = f.length;
    minLength += f.length === VARIABLE ? 1 : f.length;
    const map = f.enterprise === 0 ? ELEMENTS.get(f.id) : undefined;
    if (!map || f.length === VARIABLE || f.length < map.min || f.length > map.max) continue;
    if (options && map.op !== OP_SYSINIT) continue;
    ops[i] = map.op;
    cols[i] = map.col;
    strengths[i] = map.strength;
    if (map.op === OP_UPTIME_START || map.op === OP_UPTIME_END) usesUptime = true;
  }
  return { id, options, fields, ops, cols, strengths, lengths, minLength, usesUptime };
}

/** Times of one record that need the packet's context: sysUpTime-relative and delta. */
export interface RecordTimes {
  upStart: number;
  upEnd: number;
  deltaStart: number;
  deltaEnd: number;
  sysInit: number;
}

export const noTimes = (t: RecordTimes): void => {
  t.upStart = -1;
  t.upEnd = -1;
  t.deltaStart = -1;
  t.deltaEnd = -1;
  t.sysInit = -1;
};

const NTP_EPOCH_OFFSET = 2208988800; // seconds from 1900 to 1970
const TWO32 = 4294967296;

function readUint(b: Uint8Array, off: number, len: number): number {
  let v = 0;
  for (let i = 0; i < len; i++) v = v * 256 + b[off + i];
  return v;
}

/**
 * Decodes one data record at `b[pos]` into `row` (plain fields) and `times`
 * (fields that need the packet's context). Returns the offset after the
 * record, or -1 when a variable-length field runs past `end`.
 */
export function decodeRecord(
  t: Template,
  b: Uint8Array,
  pos: number,
  end: number,
  row: FlowRow,
  times: RecordTimes,
): number {
  const { ops, cols, strengths, lengths } = t;
  for (let i = 0; i < ops.length; i++) {
    let len = lengths[i];
    if (len === VARIABLE) {
      if (pos >= end) return -1;
      len = b[pos++];
      if (len === 255) {
        if (pos + 2 > end) return -1;
        len = (b[pos] << 8) | b[pos + 1];
        pos += 2;
      }
    }
    if (pos + len > end) return -1;
    const c = cols[i];
    switch (ops[i]) {
      case OP_SKIP:
        break;
      case OP_UINT:
        row.setUint(c, b, pos, len, strengths[i]);
        break;
      case OP_IP4:
        row.setIp4(c, b, pos, strengths[i]);
        break;
      case OP_IP6:
        row.setIp6(c, b, pos, strengths[i]);
        break;
      case OP_MAC:
        row.setText(c, formatMac(b, pos));
        break;
      case OP_ICMP:
        row.setNumber(C.icmpType, b[pos]);
        row.setNumber(C.icmpCode, b[pos + 1]);
        break;
      case OP_UPTIME_START:
        times.upStart = readUint(b, pos, len);
        break;
      case OP_UPTIME_END:
        times.upEnd = readUint(b, pos, len);
        break;
      case OP_SECONDS:
        row.setTime(c, readUint(b, pos, len), 0);
        break;
      case OP_MILLIS:
        row.setTimeMs(c, readUint(b, pos, len));
        break;
      case OP_NTP: {
        const secs = readUint(b, pos, 4) - NTP_EPOCH_OFFSET;
        const frac = readUint(b, pos + 4, 4);
        row.setTime(c, secs, Math.floor((frac * 1e9) / TWO32));
        break;
      }
      case OP_DELTA_US:
        if (c === C.flowStart) times.deltaStart = readUint(b, pos, len);
        else times.deltaEnd = readUint(b, pos, len);
        break;
      case OP_SYSINIT:
        times.sysInit = readUint(b, pos, len);
        break;
    }
    pos += len;
  }
  return pos;
}

/**
 * Templates by (protocol version, exporter, observation domain, template id),
 * bounded: past `max` entries the least recently defined one goes, so that a
 * flood of spoofed exporters cannot grow memory without limit.
 */
export class TemplateCache {
  private readonly map = new Map<string, Template>();
  constructor(private readonly max = 65_536) {}

  static key(version: number, exporter: string, domain: number, id: number): string {
    return `${version}|${exporter}|${domain}|${id}`;
  }

  get size(): number {
    return this.map.size;
  }

  get(key: string): Template | undefined {
    return this.map.get(key);
  }

  set(key: string, t: Template): void {
    this.map.delete(key);
    this.map.set(key, t);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  /** Drops every template of one exporter and domain (IPFIX "withdraw all"), of one kind. */
  deleteAll(version: number, exporter: string, domain: number, options: boolean): void {
    const prefix = `${version}|${exporter}|${domain}|`;
    for (const [k, t] of this.map) if (k.startsWith(prefix) && t.options === options) this.map.delete(k);
  }
}

/** What the per-version decoders need from the decoder that runs them. */
export interface Session {
  readonly row: FlowRow;
  readonly times: RecordTimes;
  readonly templates: TemplateCache;
  /** The exporter of the current packet, `ip:port`. */
  readonly exporter: string;
  /** Appends the row (plus the exporter) as a flow and clears it. */
  commitFlow(): void;
  /** Reports a problem that makes the packet unusable; the decoder drops the packet's flows. */
  fail(message: string, offset: number): false;
  /** Notes a data set whose template we have not seen (reported once per template). */
  missingTemplate(key: string, id: number, domain: number, offset: number): void;
  /** Notes an options record (counted, not emitted). */
  optionsRecord(): void;
  /** systemInitTimeMilliseconds last announced by an exporter's observation domain. */
  sysInit(domain: number): number | undefined;
  setSysInit(domain: number, ms: number): void;
}
