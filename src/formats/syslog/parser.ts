/**
 * The syslog parser shared by the `syslog` reader and the `syslog` source:
 * one message (a line or a network frame) at a time, straight into column
 * builders of the `syslog.*` schemas from schemas/syslog.yaml.
 */
import { isUtf8 } from 'node:buffer';
import type * as A from 'apache-arrow';
import type { SchemaRegistry } from '../../schemas/registry.js';
import { BatchBuilder } from '../../types/batch-builder.js';
import type { ColumnBuilder, Int64ColumnBuilder } from '../../types/builder.js';
import { parseIsoTime } from '../../types/time.js';
import { fixedSchema } from '../fixed-schema.js';
import * as B from './bytes.js';
import { structuredData } from './structured-data.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY_MS = 86_400_000;
const utf8Lossy = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/** The columns the parser writes, in order: the layout schemas/syslog.yaml must have. */
const RFC5424_COLUMNS = [
  'facility: uint64',
  'severity: uint64',
  'version: uint64',
  'timestamp: time',
  'hostname: string',
  'app_name: string',
  'process_id: string',
  'message_id: string',
  'structured_data: map<string, map<string, string>>',
  'message: string',
];
const RFC3164_COLUMNS = [
  'facility: uint64',
  'severity: uint64',
  'timestamp: time',
  'hostname: string',
  'app_name: string',
  'process_id: string',
  'message: string',
];
const UNKNOWN_COLUMNS = ['syslog_message: string'];

/** What one line became. */
export type SyslogKind = 'rfc5424' | 'rfc3164' | 'unknown';

export interface SyslogParserOptions {
  /** Rows per batch; `takeFull()` returns the builders that reached it. */
  readonly batchSize: number;
  /** The clock for the year of RFC 3164 timestamps, in ms since the epoch (tests pin it). */
  readonly now?: () => number;
  /** Where the `syslog.*` schemas come from (default: the shipped schemas/syslog.yaml). */
  readonly schemas?: SchemaRegistry;
}

/**
 * Parses syslog messages (one line or one network frame each) straight into
 * column builders; the reader and the `syslog` source share it. Never throws
 * for bad input: what is not syslog becomes `syslog.unknown`.
 */
export class SyslogParser {
  private readonly b5424: BatchBuilder;
  private readonly b3164: BatchBuilder;
  private readonly bUnknown: BatchBuilder;
  private readonly c5424: ColumnBuilder[];
  private readonly c3164: ColumnBuilder[];
  private readonly now: () => number;
  /** Lines that became `syslog.unknown` so far, and the number (as given to `parse`) of the first. */
  unknown = 0;
  firstUnknown = 0;

  constructor(private readonly opts: SyslogParserOptions) {
    this.b5424 = new BatchBuilder(fixedSchema('syslog.rfc5424', RFC5424_COLUMNS, opts.schemas));
    this.b3164 = new BatchBuilder(fixedSchema('syslog.rfc3164', RFC3164_COLUMNS, opts.schemas));
    this.bUnknown = new BatchBuilder(fixedSchema('syslog.unknown', UNKNOWN_COLUMNS, opts.schemas));
    this.c5424 = this.b5424.leaves;
    this.c3164 = this.b3164.leaves;
    this.now = opts.now ?? Date.now;
  }

  /** Rows parsed and not yet taken. */
  get rows(): number {
    return this.b5424.rows + this.b3164.rows + this.bUnknown.rows;
  }

  /**
   * Parses the message in `b[s, e)` (no line terminator). `validUtf8` may be
   * passed as true when the caller already checked the bytes; otherwise they
   * are checked here. `line` only labels the first unknown line in the warning.
   */
  parse(b: Uint8Array, s: number, e: number, validUtf8 = false, line = 0): SyslogKind {
    if (!validUtf8 && !isUtf8(b.subarray(s, e))) {
      b = utf8Encoder.encode(utf8Lossy.decode(b.subarray(s, e)));
      s = 0;
      e = b.length;
    }
    let p = s;
    let pri = -1;
    if (b[p] === B.LT) {
      let v = 0;
      let q = p + 1;
      while (q < e && q - p <= 3 && B.isDigit(b[q])) v = v * 10 + b[q++] - 48;
      if (q > p + 1 && q < e && b[q] === B.GT && v <= 191) {
        pri = v;
        p = q + 1;
      }
    }
    if (pri >= 0 && p < e && b[p] >= 49 && b[p] <= 57) {
      // `<PRI>VERSION SP`: RFC 5424 or nothing (no 3164 timestamp starts with a digit and a space).
      let q = p;
      let version = 0;
      while (q < e && q - p < 3 && B.isDigit(b[q])) version = version * 10 + b[q++] - 48;
      if (q < e && b[q] === B.SP) {
        if (this.rfc5424(b, q + 1, e, pri, version)) return 'rfc5424';
        return this.unknownLine(b, s, e, line);
      }
    }
    if (this.rfc3164(b, p, e, pri)) return 'rfc3164';
    return this.unknownLine(b, s, e, line);
  }

  /** Batches of the builders that reached the batch size. */
  takeFull(): A.RecordBatch[] {
    const out: A.RecordBatch[] = [];
    for (const bb of [this.b5424, this.b3164, this.bUnknown])
      if (bb.rows >= this.opts.batchSize) out.push(bb.finish());
    return out;
  }

  /** Batches of everything parsed so far. */
  flush(): A.RecordBatch[] {
    const out: A.RecordBatch[] = [];
    for (const bb of [this.b5424, this.b3164, this.bUnknown]) if (bb.rows > 0) out.push(bb.finish());
    return out;
  }

  private unknownLine(b: Uint8Array, s: number, e: number, line: number): 'unknown' {
    if (this.unknown++ === 0) this.firstUnknown = line;
    this.bUnknown.leaves[0].appendBytes(b, s, e);
    this.bUnknown.commitRow();
    return 'unknown';
  }

  /** The RFC 5424 part after `VERSION B.SP`; appends a row and returns true, or appends nothing. */
  private rfc5424(b: Uint8Array, p: number, e: number, pri: number, version: number): boolean {
    const tsEnd = B.token(b, p, e, 64);
    if (tsEnd < 0) return false;
    let ts: bigint | undefined;
    if (!B.isNil(b, p, tsEnd)) {
      ts = parseIsoTime(B.latin1(b, p, tsEnd));
      if (ts === undefined) return false;
    }
    const hostStart = tsEnd + 1;
    const hostEnd = B.token(b, hostStart, e, 255);
    if (hostEnd < 0) return false;
    const appStart = hostEnd + 1;
    const appEnd = B.token(b, appStart, e, 48);
    if (appEnd < 0) return false;
    const pidStart = appEnd + 1;
    const pidEnd = B.token(b, pidStart, e, 128);
    if (pidEnd < 0) return false;
    const midStart = pidEnd + 1;
    const midEnd = B.token(b, midStart, e, 32);
    if (midEnd < 0) return false;
    let q = midEnd + 1;
    let sd: Record<string, Record<string, string>> | undefined;
    if (q < e && b[q] === B.DASH) q++;
    else if (q < e && b[q] === B.LBRACKET) {
      sd = Object.create(null) as Record<string, Record<string, string>>;
      q = structuredData(b, q, e, sd);
      if (q < 0) return false;
    } else return false;
    let msgStart = -1;
    if (q < e) {
      if (b[q] !== B.SP) return false;
      msgStart = q + 1;
      if (b[msgStart] === 0xef && b[msgStart + 1] === 0xbb && b[msgStart + 2] === 0xbf && msgStart + 3 <= e)
        msgStart += 3;
    }
    const c = this.c5424;
    (c[0] as Int64ColumnBuilder).appendNumber(pri >> 3);
    (c[1] as Int64ColumnBuilder).appendNumber(pri & 7);
    (c[2] as Int64ColumnBuilder).appendNumber(version);
    if (ts === undefined) c[3].appendNull();
    else (c[3] as Int64ColumnBuilder).appendBigInt(ts);
    B.appendField(c[4], b, hostStart, hostEnd);
    B.appendField(c[5], b, appStart, appEnd);
    B.appendField(c[6], b, pidStart, pidEnd);
    B.appendField(c[7], b, midStart, midEnd);
    if (sd) c[8].appendJson(sd);
    else c[8].appendNull();
    if (msgStart < 0) c[9].appendNull();
    else c[9].appendBytes(b, msgStart, e);
    this.b5424.commitRow();
    return true;
  }

  /** RFC 3164 / file syslog from `p` (after the PRI, if any). */
  private rfc3164(b: Uint8Array, p: number, e: number, pri: number): boolean {
    while (p < e && b[p] === B.SP) p++;
    const t = this.timestamp3164(b, p, e);
    if (!t) return false;
    let q = t.end;
    while (q < e && b[q] === B.SP) q++;
    // HOSTNAME: a word without ':' that a space ends; otherwise the message starts here.
    let hostStart = -1;
    let hostEnd = -1;
    let r = q;
    while (r < e && B.isPrint(b[r]) && b[r] !== B.COLON) r++;
    if (r > q && r < e && b[r] === B.SP) {
      hostStart = q;
      hostEnd = r;
      q = r;
      while (q < e && b[q] === B.SP) q++;
    }
    // TAG[PID]: with a space (or the end) after the colon, so that `CEF:0|...` stays content.
    let tagEnd = q;
    while (tagEnd < e && tagEnd - q < 64 && B.isTagChar(b[tagEnd])) tagEnd++;
    let pidStart = -1;
    let pidEnd = -1;
    let contentStart = q;
    let hasTag = false;
    if (tagEnd > q) {
      let u = tagEnd;
      if (b[u] === B.LBRACKET) {
        let v = u + 1;
        while (v < e && b[v] !== B.RBRACKET && b[v] !== B.SP) v++;
        if (v < e && b[v] === B.RBRACKET && v > u + 1) {
          pidStart = u + 1;
          pidEnd = v;
          u = v + 1;
        } else u = -1;
      }
      if (u >= 0 && u < e && b[u] === B.COLON && (u + 1 === e || b[u + 1] === B.SP)) {
        hasTag = true;
        contentStart = u + 1;
        while (contentStart < e && b[contentStart] === B.SP) contentStart++;
      }
    }
    const c = this.c3164;
    if (pri >= 0) {
      (c[0] as Int64ColumnBuilder).appendNumber(pri >> 3);
      (c[1] as Int64ColumnBuilder).appendNumber(pri & 7);
    } else {
      c[0].appendNull();
      c[1].appendNull();
    }
    (c[2] as Int64ColumnBuilder).appendBigInt(t.ns);
    if (hostStart >= 0) c[3].appendBytes(b, hostStart, hostEnd);
    else c[3].appendNull();
    if (hasTag) {
      c[4].appendBytes(b, q, tagEnd);
      if (pidStart >= 0) c[5].appendBytes(b, pidStart, pidEnd);
      else c[5].appendNull();
    } else {
      c[4].appendNull();
      c[5].appendNull();
    }
    c[6].appendBytes(b, contentStart, e);
    this.b3164.commitRow();
    return true;
  }

  /** `Mmm dd [yyyy] hh:mm:ss[.frac]` or an RFC 3339 time, followed by a space or the end. */
  private timestamp3164(b: Uint8Array, p: number, e: number): { ns: bigint; end: number } | undefined {
    if (B.isDigit(b[p])) {
      let q = p;
      while (q < e && b[q] !== B.SP) q++;
      if (q - p < 10 || q - p > 40 || b[p + 4] !== B.DASH) return undefined;
      const ns = parseIsoTime(B.latin1(b, p, q));
      return ns === undefined ? undefined : { ns, end: q };
    }
    if (e - p < 15) return undefined;
    const month = MONTHS.indexOf(B.latin1(b, p, p + 3));
    if (month < 0 || b[p + 3] !== B.SP) return undefined;
    let q = p + 3;
    while (q < e && b[q] === B.SP) q++;
    const day = B.digits(b, q, e, 1, 2);
    if (!day) return undefined;
    q = day.end;
    if (b[q] !== B.SP) return undefined;
    while (q < e && b[q] === B.SP) q++;
    let year = -1;
    if (b[q + 4] === B.SP) {
      const y = B.digits(b, q, e, 4, 4);
      if (!y) return undefined;
      year = y.value;
      q = y.end + 1;
    }
    const hh = B.digits(b, q, e, 2, 2);
    if (!hh || b[hh.end] !== B.COLON) return undefined;
    const mm = B.digits(b, hh.end + 1, e, 2, 2);
    if (!mm || b[mm.end] !== B.COLON) return undefined;
    const ss = B.digits(b, mm.end + 1, e, 2, 2);
    if (!ss) return undefined;
    q = ss.end;
    let fracNs = 0;
    if (b[q] === 46 && B.isDigit(b[q + 1])) {
      let scale = 100_000_000;
      q++;
      while (q < e && B.isDigit(b[q])) {
        fracNs += (b[q++] - 48) * scale;
        scale /= 10;
      }
      fracNs = Math.floor(fracNs);
    }
    if (q < e && b[q] !== B.SP) return undefined;
    if (day.value < 1 || day.value > 31 || hh.value > 23 || mm.value > 59 || ss.value > 60) return undefined;
    const at = (y: number) => Date.UTC(y, month, day.value, hh.value, mm.value, ss.value);
    let ms: number;
    if (year >= 0) ms = at(year);
    else {
      const now = this.now();
      const thisYear = new Date(now).getUTCFullYear();
      ms = at(thisYear);
      if (ms > now + DAY_MS) ms = at(thisYear - 1);
    }
    // Date.UTC rolls Feb 30 over into March: such a date is not a date.
    if (new Date(ms).getUTCDate() !== day.value) return undefined;
    return { ns: BigInt(ms) * 1_000_000n + BigInt(fracNs), end: q };
  }
}
