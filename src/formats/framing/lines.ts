/**
 * Line framing: turns a byte stream into chunks of whole lines and keeps line
 * numbers, so that readers can scan lines inside one buffer without a string
 * or an object per line. Framing is split from decoding as in Vector's codecs.
 */
import { isUtf8 } from 'node:buffer';

export interface LineChunk {
  /** Whole lines, each ending in `\n` except possibly the last line of the input. */
  readonly bytes: Uint8Array;
  /** 1-based number of the first line in `bytes`. */
  readonly firstLine: number;
  /** Whether all of `bytes` is valid UTF-8 (checked once per chunk; readers check lines only when false). */
  readonly validUtf8: boolean;
}

export interface LineFramingOptions {
  /** Longest accepted line; longer ones are dropped and reported through `onTooLong`. */
  readonly maxLineBytes: number;
  /** Called with the line number of a dropped over-long line. */
  readonly onTooLong: (line: number, bytes: number) => void;
}

const NL = 10;

/** Yields chunks of complete lines; bounded memory even for endless lines. */
export async function* lineChunks(
  input: AsyncIterable<Uint8Array>,
  opts: LineFramingOptions,
): AsyncIterable<LineChunk> {
  let carry: Uint8Array[] = [];
  let carryBytes = 0;
  let line = 1;
  // While skipping an over-long line, bytes are dropped until its newline.
  let skipping = false;
  let skippedBytes = 0;
  for await (const raw of input) {
    // An empty chunk is the source saying "nothing more for now": pass it on so readers flush.
    if (raw.length === 0) {
      yield { bytes: raw, firstLine: line, validUtf8: true };
      continue;
    }
    let chunk = raw;
    if (skipping) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        skippedBytes += chunk.length;
        continue;
      }
      skippedBytes += nl;
      opts.onTooLong(line, skippedBytes);
      line++;
      skipping = false;
      chunk = chunk.subarray(nl + 1);
    }
    const lastNl = chunk.lastIndexOf(NL);
    if (lastNl < 0) {
      carry.push(chunk);
      carryBytes += chunk.length;
      if (carryBytes > opts.maxLineBytes) {
        skipping = true;
        skippedBytes = carryBytes;
        carry = [];
        carryBytes = 0;
      }
      continue;
    }
    let from = 0;
    if (carryBytes > 0) {
      // Only the line that spans the chunks is copied together; the chunk's other lines are
      // handed on in place (copying whole chunks cost a tenth of a Zeek import's reading).
      const firstNl = chunk.indexOf(NL);
      carry.push(chunk.subarray(0, firstNl + 1));
      const joined = Buffer.concat(carry);
      carry = [];
      carryBytes = 0;
      line = yield* emit(joined, line, opts);
      from = firstNl + 1;
    }
    const rest = chunk.subarray(lastNl + 1);
    if (lastNl + 1 > from) line = yield* emit(chunk.subarray(from, lastNl + 1), line, opts);
    if (rest.length > 0) {
      carry.push(rest);
      carryBytes = rest.length;
    }
  }
  if (skipping) opts.onTooLong(line, skippedBytes);
  else if (carryBytes > 0) yield* emit(Buffer.concat(carry), line, opts);
}

/** Emits one chunk, first cutting out lines longer than the limit; returns the next line number. */
function* emit(bytes: Uint8Array, line: number, opts: LineFramingOptions): Generator<LineChunk, number> {
  let start = 0;
  let first = line;
  let pos = 0;
  while (pos < bytes.length) {
    let nl = bytes.indexOf(NL, pos);
    if (nl < 0) nl = bytes.length;
    if (nl - pos > opts.maxLineBytes) {
      if (pos > start) yield chunkOf(bytes.subarray(start, pos), first);
      opts.onTooLong(line, nl - pos);
      start = nl + 1;
      first = line + 1;
    }
    pos = nl + 1;
    line++;
  }
  if (start < bytes.length) yield chunkOf(bytes.subarray(start), first);
  return line;
}

function chunkOf(bytes: Uint8Array, firstLine: number): LineChunk {
  return { bytes, firstLine, validUtf8: isUtf8(bytes) };
}

/**
 * The 1-based column of the first byte that is not valid UTF-8 in
 * `bytes[start, end)`, or 0 when the range is valid.
 */
export function invalidUtf8Column(bytes: Uint8Array, start: number, end: number): number {
  if (isUtf8(bytes.subarray(start, end))) return 0;
  let i = start;
  while (i < end) {
    const c = bytes[i];
    const n =
      c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
    if (n === 0 || i + n > end || !isUtf8(bytes.subarray(i, i + n))) return i - start + 1;
    i += n;
  }
  return 1;
}

/** Iterates the lines of a chunk: calls `fn(start, end, lineNumber)` with `end` before any `\r\n`. */
export function forEachLine(chunk: LineChunk, fn: (start: number, end: number, line: number) => void): void {
  const b = chunk.bytes;
  let pos = 0;
  let line = chunk.firstLine;
  while (pos < b.length) {
    let nl = b.indexOf(NL, pos);
    if (nl < 0) nl = b.length;
    const end = nl > pos && b[nl - 1] === 13 ? nl - 1 : nl;
    fn(pos, end, line++);
    pos = nl + 1;
  }
}
