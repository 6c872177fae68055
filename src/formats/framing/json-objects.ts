/**
 * JSON object framing: cuts a byte stream into top-level JSON values, for
 * NDJSON and for concatenated pretty-printed objects alike (Suricata's EVE
 * written with `pretty: yes`, `jq .` output), and keeps line numbers.
 *
 * Two speeds. A line that starts with `{` and ends with `}` is taken as one
 * frame without looking inside (`exact === false`): NDJSON costs one native
 * newline search per event. If such a frame does not parse, the decoder calls
 * `retryExact()` and the framer scans it again structurally (strings and
 * escapes aware), which splits `{..} {..}` lines and joins objects spread
 * over lines. Everything else is scanned structurally from the start.
 *
 * Resynchronisation after broken input, so that one bad object does not
 * swallow the rest of the file:
 * - a raw newline inside a string ends the frame (JSON strings cannot hold
 *   one), and the lines that follow are skipped while they look like the rest
 *   of that object (they start with whitespace, `}`, `]` or `,`);
 * - inside an unfinished value, a line that starts with `{` in column 1 starts
 *   a new frame (pretty printers indent nested objects).
 * The cost: a multi-line object whose nested `{` sits in column 1 is not read.
 *
 * Frames point into `buf` and stay valid until the next `push`.
 */

/** A `{...}` value (the decoder finds out whether it parses). */
const FRAME_OBJECT = 0;
/** A top-level value that is not an object (`[1,2]`, `42`, stray text). */
export const FRAME_OTHER = 1;

export interface JsonFramingOptions {
  /** Longest accepted frame in bytes; longer ones are dropped and reported. */
  readonly maxObjectBytes: number;
  /** Called with where a dropped over-long object (or line) started and its size. */
  readonly onTooLong: (line: number, column: number, bytes: number) => void;
}

import { isUtf8 } from 'node:buffer';

const NL = 10;
const isSpace = (c: number) => c === 32 || c === 9 || c === 13;

export class JsonObjectFramer {
  /** The bytes frames point into. */
  buf: Buffer = Buffer.allocUnsafe(1 << 16);
  /** `buf[0, len)`: searches must not run into the unused tail of `buf`. */
  private data: Buffer = this.buf.subarray(0, 0);
  /** The current frame: `buf[start, end)`, starting at `line:column`. */
  start = 0;
  end = 0;
  line = 1;
  column = 1;
  kind = FRAME_OBJECT;
  /** False for the one-line fast path: the frame may need `retryExact()`. */
  exact = true;

  private len = 0;
  private pos = 0;
  /** Line number of the line that starts at `lineStart` (may be negative after compaction). */
  private curLine = 1;
  private lineStart = 0;
  private atLineStart = true;
  private eof = false;
  private first = true;
  private forceExact = false;
  /** Where the fast path's newline search stopped, so that long lines are not searched twice. */
  private searchFrom = -1;
  // Skipping to the end of a line: 1 = over-long line, 2 = rest of a broken object.
  private skipping = 0;
  private skipped = 0;
  private skipLine = 0;
  private recovering = false;
  // A value being scanned structurally.
  private scanning = false;
  private scanPos = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private scalar = false;
  private tooLong = false;
  // UTF-8 is checked per push over whole lines; bytes in [suspectFrom, suspectTo) failed the
  // check (or are not checked yet), so frames there are checked one by one.
  private checkedTo = 0;
  private suspectFrom = 0;
  private suspectTo = 0;
  /** Stream offset of `buf[0]`, for sizes of frames whose start was dropped. */
  private base = 0;
  private startAbs = 0;

  constructor(private readonly opts: JsonFramingOptions) {}

  /** Appends input. Frames returned before are invalid afterwards. */
  push(chunk: Uint8Array): void {
    const keep = this.scanning && !this.tooLong ? this.start : this.scanning ? this.scanPos : this.pos;
    if (keep > 0) this.shift(keep);
    if (this.len + chunk.length > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < this.len + chunk.length) cap *= 2;
      const next = Buffer.allocUnsafe(cap);
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
    this.data = this.buf.subarray(0, this.len);
    this.checkUtf8();
    if (this.first && this.len >= 3) {
      this.first = false;
      // A UTF-8 byte order mark is whitespace to us (it still counts in columns).
      if (this.buf[0] === 0xef && this.buf[1] === 0xbb && this.buf[2] === 0xbf) this.pos = 3;
    }
  }

  /** Marks the end of input: the last line or an unfinished value becomes a frame. */
  finish(): void {
    this.eof = true;
    if (this.checkedTo < this.len) this.markSuspect(this.checkedTo, this.len);
  }

  /** Whether `buf[start, end)` may hold invalid UTF-8 (then check it with `isUtf8`). */
  mayBeInvalidUtf8(start: number, end: number): boolean {
    return end > this.checkedTo || (start < this.suspectTo && end > this.suspectFrom);
  }

  /** Checks the new whole lines at once (splitting at a newline never splits a UTF-8 sequence). */
  private checkUtf8(): void {
    const nl = this.data.lastIndexOf(NL);
    if (nl < this.checkedTo) return;
    if (!isUtf8(this.buf.subarray(this.checkedTo, nl + 1))) this.markSuspect(this.checkedTo, nl + 1);
    this.checkedTo = nl + 1;
  }

  private markSuspect(from: number, to: number): void {
    if (this.suspectTo <= this.suspectFrom) this.suspectFrom = from;
    else this.suspectFrom = Math.min(this.suspectFrom, from);
    this.suspectTo = Math.max(this.suspectTo, to);
  }

  /** The current frame could not be decoded as it was cut on the fast path: scan it structurally. */
  retryExact(): void {
    this.pos = this.start;
    this.curLine = this.line;
    this.lineStart = this.start - (this.column - 1);
    this.atLineStart = true;
    this.forceExact = true;
  }

  /** Line and column of a byte offset inside the current frame. */
  locate(offset: number): { line: number; column: number } {
    let line = this.line;
    let ls = this.start - (this.column - 1);
    const b = this.buf;
    for (let i = this.start; i < offset && i < this.len; i++) {
      if (b[i] === NL) {
        line++;
        ls = i + 1;
      }
    }
    return { line, column: offset - ls + 1 };
  }

  /** Advances to the next frame; false when more input is needed (or, after `finish`, at the end). */
  next(): boolean {
    for (;;) {
      if (this.scanning) {
        if (!this.scan()) return false;
        this.scanning = false;
        if (this.tooLong) {
          this.tooLong = false;
          this.opts.onTooLong(this.line, this.column, this.base + this.end - this.startAbs);
          continue;
        }
        return true;
      }
      if (this.skipping !== 0) {
        if (!this.skipLineRest()) return false;
        continue;
      }
      if (!this.skipSpace()) continue;
      if (this.pos >= this.len) return false;
      const c = this.buf[this.pos];
      if (c === 123 && this.atLineStart && !this.forceExact) {
        const r = this.fastLine();
        if (r === 1) return true;
        if (r === 0) return false;
        if (r === 3) continue;
      }
      this.forceExact = false;
      this.beginScan(c);
    }
  }

  /** 1: frame; 0: need more input; 2: not a one-line object, scan it; 3: dropped, go on. */
  private fastLine(): number {
    const b = this.buf;
    const pos = this.pos;
    let nl = this.data.indexOf(NL, Math.max(pos, this.searchFrom));
    if (nl < 0) {
      if (!this.eof) {
        if (this.len - pos > this.opts.maxObjectBytes) {
          this.skipping = 1;
          this.skipLine = this.curLine;
          this.skipped = this.len - pos;
          this.pos = this.len;
          this.searchFrom = -1;
          return 3;
        }
        this.searchFrom = this.len;
        return 0;
      }
      nl = this.len;
    }
    this.searchFrom = -1;
    let e = nl;
    while (e > pos && isSpace(b[e - 1])) e--;
    if (b[e - 1] !== 125) return 2;
    this.start = pos;
    this.end = e;
    this.line = this.curLine;
    this.column = pos - this.lineStart + 1;
    this.kind = FRAME_OBJECT;
    this.exact = false;
    this.pos = e;
    this.atLineStart = false;
    if (e - pos > this.opts.maxObjectBytes) {
      this.opts.onTooLong(this.line, this.column, e - pos);
      return 3;
    }
    return 1;
  }

  private beginScan(c: number): void {
    this.scanning = true;
    this.start = this.pos;
    this.startAbs = this.base + this.pos;
    this.line = this.curLine;
    this.column = this.pos - this.lineStart + 1;
    this.kind = c === 123 ? FRAME_OBJECT : FRAME_OTHER;
    this.exact = true;
    this.depth = 0;
    this.inString = c === 34;
    this.escaped = false;
    this.scalar = c !== 123 && c !== 91 && c !== 34;
    this.scanPos = this.inString ? this.pos + 1 : this.pos;
    this.atLineStart = false;
  }

  /** Scans the current value; false when it needs more input. Sets `end` and `pos`. */
  private scan(): boolean {
    const b = this.buf;
    const len = this.len;
    let i = this.scanPos;
    if (this.scalar) {
      for (; i < len; i++) {
        const c = b[i];
        if (c === 32 || c === 9 || c === 13 || c === NL || c === 123 || c === 125 || c === 91 || c === 93)
          break;
        if (c === 44 || c === 34 || c === 58) break;
      }
      if (i === len && !this.eof) {
        this.scanPos = i;
        return this.checkLength(i);
      }
      // Stray `}`, `,` ...: a one-byte frame, so that we always make progress.
      return this.done(i === this.start ? i + 1 : i);
    }
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;
    for (; i < len; i++) {
      const c = b[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 92) escaped = true;
        else if (c === 34) {
          inString = false;
          if (depth === 0) return this.done(i + 1);
        } else if (c === NL) {
          // A raw newline cannot be inside a JSON string: the value is broken here.
          this.recovering = true;
          return this.done(i);
        }
        continue;
      }
      if (c === 34) inString = true;
      else if (c === 123 || c === 91) depth++;
      else if (c === 125 || c === 93) {
        if (--depth <= 0) return this.done(i + 1);
      } else if (c === NL) {
        if (i + 1 >= len && !this.eof) break;
        if (i + 1 < len && b[i + 1] === 123) return this.done(i);
        this.curLine++;
        this.lineStart = i + 1;
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    this.scanPos = i;
    if (this.eof && i >= len) return this.done(len);
    return this.checkLength(i);
  }

  private checkLength(i: number): false {
    if (!this.tooLong && this.base + i - this.startAbs > this.opts.maxObjectBytes) this.tooLong = true;
    return false;
  }

  private done(end: number): true {
    this.end = end;
    this.pos = end;
    if (!this.tooLong && this.base + end - this.startAbs > this.opts.maxObjectBytes) this.tooLong = true;
    return true;
  }

  /**
   * Skips whitespace, counting lines. Returns false when it stopped to skip
   * the rest of a line instead (recovering from a broken object).
   */
  private skipSpace(): boolean {
    const b = this.buf;
    while (this.pos < this.len) {
      const c = b[this.pos];
      if (this.recovering && this.pos === this.lineStart) {
        if (isSpace(c) || c === 125 || c === 93 || c === 44) {
          this.skipping = 2;
          return false;
        }
        if (c !== NL) this.recovering = false;
      }
      if (c === NL) {
        this.pos++;
        this.curLine++;
        this.lineStart = this.pos;
        this.atLineStart = true;
      } else if (isSpace(c)) this.pos++;
      else return true;
    }
    return true;
  }

  /** Drops bytes up to the next newline (left for `skipSpace`); false when more input is needed. */
  private skipLineRest(): boolean {
    const nl = this.data.indexOf(NL, this.pos);
    if (nl < 0) {
      this.skipped += this.len - this.pos;
      this.pos = this.len;
      if (!this.eof) return false;
    } else {
      this.skipped += nl - this.pos;
      this.pos = nl;
    }
    if (this.skipping === 1) {
      this.opts.onTooLong(this.skipLine, 1, this.skipped);
      this.recovering = true;
    }
    this.skipping = 0;
    this.skipped = 0;
    return true;
  }

  /** Drops `buf[0, n)`, moving every offset. */
  private shift(n: number): void {
    this.buf.copy(this.buf, 0, n, this.len);
    this.len -= n;
    this.data = this.buf.subarray(0, this.len);
    this.pos -= n;
    this.start -= n;
    this.end -= n;
    this.scanPos -= n;
    this.lineStart -= n;
    this.checkedTo -= n;
    this.suspectFrom -= n;
    this.suspectTo -= n;
    if (this.searchFrom >= 0) this.searchFrom -= n;
    this.base += n;
  }
}
