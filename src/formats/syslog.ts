/**
 * Syslog (`vast import syslog`): one message per line, in either of the two
 * wire formats found in the wild.
 *
 * - RFC 5424 (https://www.rfc-editor.org/rfc/rfc5424):
 *   `<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG]`
 *   → `syslog.rfc5424`. `-` (NILVALUE) is null. Structured data becomes a
 *   `map<string, map<string, string>>` from SD-ID to its parameters, with the
 *   escapes `\"`, `\\` and `\]` undone (a backslash before any other character
 *   stays, as the RFC says). A UTF-8 BOM before MSG is dropped; MSG is kept
 *   byte for byte otherwise (leading spaces included), and is null when absent.
 * - RFC 3164 (https://www.rfc-editor.org/rfc/rfc3164) and what syslog daemons
 *   write to files: `[<PRI>]TIMESTAMP SP [HOSTNAME SP] [TAG[\[PID\]]: ]CONTENT`
 *   → `syslog.rfc3164`, with TAG as `app_name` and CONTENT as `message`; facility
 *   and severity are null without PRI. TIMESTAMP is `Mmm dd hh:mm:ss` (also with
 *   a year after the day, as Cisco writes it) or an RFC 3339 time (rsyslog's
 *   file format). `Mmm dd` has no year and no zone: we read it as UTC, in the
 *   current year, or in the year before when that would put it more than a day
 *   in the future (a December log read in January).
 * - Anything else becomes `syslog.unknown` with the whole line in
 *   `syslog_message` (as VAST did), so nothing is lost; one warning at the end
 *   counts such lines and names the first.
 *
 * The hostname of a 3164 message is the word after the timestamp when a space
 * follows it; `host: msg` and `tag[pid]: msg` are read as a tag, not a host
 * (after Tenzir's `read_syslog`). Lines that are not valid UTF-8 are read with
 * U+FFFD in place of the bad bytes. Batches are per schema; lines of different
 * schemas are not kept in order relative to each other.
 */

import { isUtf8 } from 'node:buffer';
import type * as A from 'apache-arrow';
import { errorDiagnostic, warningDiagnostic } from '../diagnostics.js';
import { BatchBuilder } from '../types/batch-builder.js';
import type { ColumnBuilder, Int64ColumnBuilder } from '../types/builder.js';
import { parseIsoTime } from '../types/time.js';
import { basic, record, type Schema } from '../types/type.js';
import type { FormatDef, ReaderContext } from './format.js';
import { forEachLine, lineChunks } from './framing/lines.js';

const str = basic('string');
const u64 = basic('uint64');
const time = basic('time');

/** `syslog.rfc5424`; keep in step with schemas/syslog.yaml (a unit test compares them). */
export const SYSLOG_RFC5424: Schema = {
  name: 'syslog.rfc5424',
  timestamp: 'timestamp',
  type: record([
    { name: 'facility', type: u64 },
    { name: 'severity', type: u64 },
    { name: 'version', type: u64 },
    { name: 'timestamp', type: time },
    { name: 'hostname', type: str },
    { name: 'app_name', type: str },
    { name: 'process_id', type: str },
    { name: 'message_id', type: str },
    {
      name: 'structured_data',
      type: { kind: 'map', key: str, value: { kind: 'map', key: str, value: str } },
    },
    { name: 'message', type: str },
  ]),
};

/** `syslog.rfc3164`. */
export const SYSLOG_RFC3164: Schema = {
  name: 'syslog.rfc3164',
  timestamp: 'timestamp',
  type: record([
    { name: 'facility', type: u64 },
    { name: 'severity', type: u64 },
    { name: 'timestamp', type: time },
    { name: 'hostname', type: str },
    { name: 'app_name', type: str },
    { name: 'process_id', type: str },
    { name: 'message', type: str },
  ]),
};

/** `syslog.unknown`: a line that is neither format. */
export const SYSLOG_UNKNOWN: Schema = {
  name: 'syslog.unknown',
  type: record([{ name: 'syslog_message', type: str }]),
};

const SP = 32;
const LT = 60;
const GT = 62;
const DASH = 45;
const COLON = 58;
const LBRACKET = 91;
const RBRACKET = 93;
const QUOTE = 34;
const BACKSLASH = 92;
const EQUALS = 61;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY_MS = 86_400_000;
const utf8Lossy = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

const isDigit = (c: number) => c >= 48 && c <= 57;
/** PRINTUSASCII of RFC 5424: %d33-126. */
const isPrint = (c: number) => c >= 33 && c <= 126;

/** What one line became. */
export type SyslogKind = 'rfc5424' | 'rfc3164' | 'unknown';

export interface SyslogParserOptions {
  /** Rows per batch; `takeFull()` returns the builders that reached it. */
  readonly batchSize: number;
  /** The clock for the year of RFC 3164 timestamps, in ms since the epoch (tests pin it). */
  readonly now?: () => number;
}

/**
 * Parses syslog messages (one line or one network frame each) straight into
 * column builders; the reader and the `syslog` source share it. Never throws
 * for bad input: what is not syslog becomes `syslog.unknown`.
 */
export class SyslogParser {
  private readonly b5424 = new BatchBuilder(SYSLOG_RFC5424);
  private readonly b3164 = new BatchBuilder(SYSLOG_RFC3164);
  private readonly bUnknown = new BatchBuilder(SYSLOG_UNKNOWN);
  private readonly c5424: ColumnBuilder[];
  private readonly c3164: ColumnBuilder[];
  private readonly now: () => number;
  /** Lines that became `syslog.unknown` so far, and the number (as given to `parse`) of the first. */
  unknown = 0;
  firstUnknown = 0;

  constructor(private readonly opts: SyslogParserOptions) {
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
    if (b[p] === LT) {
      let v = 0;
      let q = p + 1;
      while (q < e && q - p <= 3 && isDigit(b[q])) v = v * 10 + b[q++] - 48;
      if (q > p + 1 && q < e && b[q] === GT && v <= 191) {
        pri = v;
        p = q + 1;
      }
    }
    if (pri >= 0 && p < e && b[p] >= 49 && b[p] <= 57) {
      // `<PRI>VERSION SP`: RFC 5424 or nothing (no 3164 timestamp starts with a digit and a space).
      let q = p;
      let version = 0;
      while (q < e && q - p < 3 && isDigit(b[q])) version = version * 10 + b[q++] - 48;
      if (q < e && b[q] === SP) {
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

  /** The RFC 5424 part after `VERSION SP`; appends a row and returns true, or appends nothing. */
  private rfc5424(b: Uint8Array, p: number, e: number, pri: number, version: number): boolean {
    const tsEnd = token(b, p, e, 64);
    if (tsEnd < 0) return false;
    let ts: bigint | undefined;
    if (!isNil(b, p, tsEnd)) {
      ts = parseIsoTime(latin1(b, p, tsEnd));
      if (ts === undefined) return false;
    }
    const hostStart = tsEnd + 1;
    const hostEnd = token(b, hostStart, e, 255);
    if (hostEnd < 0) return false;
    const appStart = hostEnd + 1;
    const appEnd = token(b, appStart, e, 48);
    if (appEnd < 0) return false;
    const pidStart = appEnd + 1;
    const pidEnd = token(b, pidStart, e, 128);
    if (pidEnd < 0) return false;
    const midStart = pidEnd + 1;
    const midEnd = token(b, midStart, e, 32);
    if (midEnd < 0) return false;
    let q = midEnd + 1;
    let sd: Record<string, Record<string, string>> | undefined;
    if (q < e && b[q] === DASH) q++;
    else if (q < e && b[q] === LBRACKET) {
      sd = Object.create(null) as Record<string, Record<string, string>>;
      q = structuredData(b, q, e, sd);
      if (q < 0) return false;
    } else return false;
    let msgStart = -1;
    if (q < e) {
      if (b[q] !== SP) return false;
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
    appendField(c[4], b, hostStart, hostEnd);
    appendField(c[5], b, appStart, appEnd);
    appendField(c[6], b, pidStart, pidEnd);
    appendField(c[7], b, midStart, midEnd);
    if (sd) c[8].appendJson(sd);
    else c[8].appendNull();
    if (msgStart < 0) c[9].appendNull();
    else c[9].appendBytes(b, msgStart, e);
    this.b5424.commitRow();
    return true;
  }

  /** RFC 3164 / file syslog from `p` (after the PRI, if any). */
  private rfc3164(b: Uint8Array, p: number, e: number, pri: number): boolean {
    while (p < e && b[p] === SP) p++;
    const t = this.timestamp3164(b, p, e);
    if (!t) return false;
    let q = t.end;
    while (q < e && b[q] === SP) q++;
    // HOSTNAME: a word without ':' that a space ends; otherwise the message starts here.
    let hostStart = -1;
    let hostEnd = -1;
    let r = q;
    while (r < e && isPrint(b[r]) && b[r] !== COLON) r++;
    if (r > q && r < e && b[r] === SP) {
      hostStart = q;
      hostEnd = r;
      q = r;
      while (q < e && b[q] === SP) q++;
    }
    // TAG[PID]: with a space (or the end) after the colon, so that `CEF:0|...` stays content.
    let tagEnd = q;
    while (tagEnd < e && tagEnd - q < 64 && isTagChar(b[tagEnd])) tagEnd++;
    let pidStart = -1;
    let pidEnd = -1;
    let contentStart = q;
    let hasTag = false;
    if (tagEnd > q) {
      let u = tagEnd;
      if (b[u] === LBRACKET) {
        let v = u + 1;
        while (v < e && b[v] !== RBRACKET && b[v] !== SP) v++;
        if (v < e && b[v] === RBRACKET && v > u + 1) {
          pidStart = u + 1;
          pidEnd = v;
          u = v + 1;
        } else u = -1;
      }
      if (u >= 0 && u < e && b[u] === COLON && (u + 1 === e || b[u + 1] === SP)) {
        hasTag = true;
        contentStart = u + 1;
        while (contentStart < e && b[contentStart] === SP) contentStart++;
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
    if (isDigit(b[p])) {
      let q = p;
      while (q < e && b[q] !== SP) q++;
      if (q - p < 10 || q - p > 40 || b[p + 4] !== DASH) return undefined;
      const ns = parseIsoTime(latin1(b, p, q));
      return ns === undefined ? undefined : { ns, end: q };
    }
    if (e - p < 15) return undefined;
    const month = MONTHS.indexOf(latin1(b, p, p + 3));
    if (month < 0 || b[p + 3] !== SP) return undefined;
    let q = p + 3;
    while (q < e && b[q] === SP) q++;
    const day = digits(b, q, e, 1, 2);
    if (!day) return undefined;
    q = day.end;
    if (b[q] !== SP) return undefined;
    while (q < e && b[q] === SP) q++;
    let year = -1;
    if (b[q + 4] === SP) {
      const y = digits(b, q, e, 4, 4);
      if (!y) return undefined;
      year = y.value;
      q = y.end + 1;
    }
    const hh = digits(b, q, e, 2, 2);
    if (!hh || b[hh.end] !== COLON) return undefined;
    const mm = digits(b, hh.end + 1, e, 2, 2);
    if (!mm || b[mm.end] !== COLON) return undefined;
    const ss = digits(b, mm.end + 1, e, 2, 2);
    if (!ss) return undefined;
    q = ss.end;
    let fracNs = 0;
    if (b[q] === 46 && isDigit(b[q + 1])) {
      let scale = 100_000_000;
      q++;
      while (q < e && isDigit(b[q])) {
        fracNs += (b[q++] - 48) * scale;
        scale /= 10;
      }
      fracNs = Math.floor(fracNs);
    }
    if (q < e && b[q] !== SP) return undefined;
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

/** Reads syslog lines (see the file comment). */
export async function* readSyslog(
  input: AsyncIterable<Uint8Array>,
  ctx: ReaderContext,
): AsyncIterable<A.RecordBatch> {
  const parser = new SyslogParser({ batchSize: ctx.batchSize });
  const chunks = lineChunks(input, {
    maxLineBytes: ctx.maxLineBytes,
    onTooLong: (line, bytes) =>
      ctx.report(
        errorDiagnostic(`syslog line too long (${bytes} bytes; the limit is ${ctx.maxLineBytes})`, {
          location: { source: ctx.file, line, column: 1 },
          recoverable: true,
        }),
      ),
  });
  for await (const chunk of chunks) {
    const b = chunk.bytes;
    forEachLine(chunk, (s, e, line) => {
      if (!isBlank(b, s, e)) parser.parse(b, s, e, chunk.validUtf8, line);
    });
    // An empty chunk: the input is idle (a followed file), so hand out what we have.
    if (b.length === 0) yield* parser.flush();
    else yield* parser.takeFull();
  }
  yield* parser.flush();
  if (parser.unknown > 0) ctx.report(unknownWarning(parser.unknown, ctx.file, parser.firstUnknown));
}

/** The end-of-input warning about lines kept as `syslog.unknown`. */
export function unknownWarning(count: number, file: string, firstLine: number) {
  return warningDiagnostic(
    `${count} line${count === 1 ? ' is' : 's are'} neither RFC 5424 nor RFC 3164 syslog; kept as syslog.unknown`,
    {
      location: firstLine > 0 ? { source: file, line: firstLine, column: 1 } : undefined,
      notes: firstLine > 0 ? [`the first is line ${firstLine}`] : [],
    },
  );
}

export const syslog: FormatDef = {
  name: 'syslog',
  description: 'Syslog messages (RFC 5424 and RFC 3164), one per line',
  extensions: ['.syslog'],
  detect: (head) =>
    /^<\d{1,3}>(?:[1-9]\d{0,2} |[A-Z][a-z]{2} [ \d]\d |\d{4}-\d\d-\d\dT)/.test(
      latin1(head, 0, Math.min(head.length, 64)),
    ),
  read: readSyslog,
};

function latin1(b: Uint8Array, s: number, e: number): string {
  return Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('latin1');
}

function isBlank(b: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i] !== SP && b[i] !== 9) return false;
  return true;
}

const isNil = (b: Uint8Array, s: number, e: number) => e === s + 1 && b[s] === DASH;

function appendField(c: ColumnBuilder, b: Uint8Array, s: number, e: number): void {
  if (isNil(b, s, e)) c.appendNull();
  else c.appendBytes(b, s, e);
}

/** TAG characters: RFC 3164 says alphanumeric; real tags also have `-_./` (`postfix/smtpd`). */
function isTagChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 45 ||
    c === 95 ||
    c === 46 ||
    c === 47
  );
}

/** The end of a header field of 1..max printable characters that a space follows; -1 if there is none. */
function token(b: Uint8Array, p: number, e: number, max: number): number {
  let q = p;
  while (q < e && isPrint(b[q])) q++;
  if (q === p || q - p > max || q >= e || b[q] !== SP) return -1;
  return q;
}

function digits(
  b: Uint8Array,
  p: number,
  e: number,
  min: number,
  max: number,
): { value: number; end: number } | undefined {
  let q = p;
  let v = 0;
  while (q < e && q - p < max && isDigit(b[q])) v = v * 10 + b[q++] - 48;
  return q - p < min ? undefined : { value: v, end: q };
}

const utf8 = new TextDecoder('utf-8');

/** SD-NAME: 1..32 printable characters other than `=`, space, `]` and `"`. */
function sdName(b: Uint8Array, p: number, e: number): number {
  let q = p;
  while (q < e && isPrint(b[q]) && b[q] !== EQUALS && b[q] !== RBRACKET && b[q] !== QUOTE) q++;
  return q === p || q - p > 32 ? -1 : q;
}

/**
 * Parses `[id k="v" ...][id2 ...]` from `b[p]` (a `[`) into `out`; returns the
 * index after the last `]`, or -1. A repeated SD-ID merges into the first and
 * a repeated PARAM-NAME keeps its last value (both are rare, the first
 * forbidden by the RFC).
 */
function structuredData(
  b: Uint8Array,
  p: number,
  e: number,
  out: Record<string, Record<string, string>>,
): number {
  let q = p;
  while (q < e && b[q] === LBRACKET) {
    const idEnd = sdName(b, q + 1, e);
    if (idEnd < 0) return -1;
    const id = utf8.decode(b.subarray(q + 1, idEnd));
    const params = out[id] ?? (Object.create(null) as Record<string, string>);
    out[id] = params;
    q = idEnd;
    for (;;) {
      if (q >= e) return -1;
      if (b[q] === RBRACKET) {
        q++;
        break;
      }
      if (b[q] !== SP) return -1;
      const nameEnd = sdName(b, q + 1, e);
      if (nameEnd < 0 || b[nameEnd] !== EQUALS || b[nameEnd + 1] !== QUOTE) return -1;
      const name = utf8.decode(b.subarray(q + 1, nameEnd));
      // PARAM-VALUE up to the closing quote; `\"`, `\\` and `\]` are escapes.
      const vs = nameEnd + 2;
      let v = vs;
      let escaped = false;
      while (v < e && b[v] !== QUOTE) {
        if (b[v] === BACKSLASH && v + 1 < e) {
          escaped = true;
          v++;
        }
        v++;
      }
      if (v >= e) return -1;
      params[name] = escaped ? unescapeParam(b, vs, v) : utf8.decode(b.subarray(vs, v));
      q = v + 1;
    }
  }
  return q;
}

function unescapeParam(b: Uint8Array, s: number, e: number): string {
  const out = new Uint8Array(e - s);
  let n = 0;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (c === BACKSLASH && i + 1 < e) {
      const d = b[i + 1];
      if (d === QUOTE || d === BACKSLASH || d === RBRACKET) {
        out[n++] = d;
        i++;
        continue;
      }
    }
    out[n++] = c;
  }
  return utf8.decode(out.subarray(0, n));
}
