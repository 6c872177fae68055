/**
 * Zeek TSV string escaping, both ways.
 *
 * Zeek's ASCII writer (`ODesc::AddBytes` with escaping on) prints a backslash
 * as `\\` and every byte that is not printable ASCII as `\xHH`, which covers
 * tabs (`\x09`), newlines and all non-ASCII bytes: Zeek strings are bytes, not
 * text. Inside containers the set separator is escaped too (`,` → `\x2c`), and
 * a string that equals the unset placeholder `-` is written `\x2d`. Those are
 * the only escapes; there is no `\t` or `\n`.
 *
 * VAST strings must be valid UTF-8, so on import a `\xHH` escape whose byte
 * would make the string invalid UTF-8 (a lone `\xae`) stays in the string as
 * the four characters `\xae`. On export such a kept escape (`\x` followed by
 * two hex digits of a byte >= 0x80) is written back as it is, so the data
 * line round-trips byte for byte. The price is a tiny ambiguity: a string that
 * really contains the text `\xae` is exported as `\xae` rather than `\\xae`;
 * it still reads back as the same text unless the escapes that follow it
 * happen to form valid UTF-8 together with it.
 */

import { equalsAt, hexValue } from './header.js';
import type { ByteSink } from './print.js';

const HEX = new TextEncoder().encode('0123456789abcdef');

/**
 * Undoes Zeek escaping into a reused scratch buffer (`out[0, length)`), so
 * that unescaping costs no allocation per value. Only called for fields that
 * contain a backslash.
 */
export class Unescaper {
  out = new Uint8Array(1024);
  length = 0;
  /** For each output byte, where its `\xHH` escape starts in the source, or -1. */
  private escapeAt = new Int32Array(1024);
  private repaired = new Uint8Array(1024);

  /**
   * Unescapes `src[s, e)`: `\\` → `\`, `\xHH` → the byte, anything else as is.
   * Given valid UTF-8 input, the result is valid UTF-8: escapes that would
   * break that are kept as text (see the file comment). Returns the length.
   */
  run(src: Uint8Array, s: number, e: number): number {
    if (this.out.length < e - s || this.escapeAt.length < e - s) this.grow(e - s);
    const out = this.out;
    const at = this.escapeAt;
    let n = 0;
    let high = false;
    for (let i = s; i < e; i++) {
      const c = src[i];
      if (c === 92 && i + 1 < e) {
        const d = src[i + 1];
        if (d === 92) {
          at[n] = -1;
          out[n++] = 92;
          i++;
          continue;
        }
        if (d === 120 && i + 3 < e) {
          const hi = hexValue(src[i + 2]);
          const lo = hexValue(src[i + 3]);
          if (hi >= 0 && lo >= 0) {
            const v = (hi << 4) | lo;
            if (v >= 0x80) high = true;
            at[n] = i;
            out[n++] = v;
            i += 3;
            continue;
          }
        }
      }
      at[n] = -1;
      out[n++] = c;
    }
    this.length = high ? this.repair(src, n) : n;
    return this.length;
  }

  /** Re-escapes the escaped bytes that do not form valid UTF-8 with their neighbours. */
  private repair(src: Uint8Array, n: number): number {
    if (this.repaired.length < n * 4) this.repaired = new Uint8Array(n * 4);
    const out = this.out;
    const fixed = this.repaired;
    let m = 0;
    let j = 0;
    while (j < n) {
      const len = utf8SequenceLength(out, j, n);
      if (len > 0) {
        for (let k = 0; k < len; k++) fixed[m++] = out[j + k];
        j += len;
        continue;
      }
      const p = this.escapeAt[j];
      if (p >= 0) for (let k = 0; k < 4; k++) fixed[m++] = src[p + k];
      else fixed[m++] = out[j];
      j++;
    }
    this.repaired = out;
    this.out = fixed;
    return m;
  }

  private grow(n: number): void {
    let cap = 1024;
    while (cap < n) cap *= 2;
    if (this.out.length < cap) this.out = new Uint8Array(cap);
    if (this.escapeAt.length < cap) this.escapeAt = new Int32Array(cap);
  }
}

/** The length of the valid UTF-8 sequence starting at `b[i]`, or 0 when there is none (RFC 3629 table). */
function utf8SequenceLength(b: Uint8Array, i: number, end: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  let n: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c === 0xe0) lo = 0xa0;
    else if (c === 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c === 0xf0) lo = 0x90;
    else if (c === 0xf4) hi = 0x8f;
  } else return 0;
  if (i + n > end) return 0;
  const c1 = b[i + 1];
  if (c1 < lo || c1 > hi) return 0;
  for (let k = 2; k < n; k++) {
    const ck = b[i + k];
    if (ck < 0x80 || ck > 0xbf) return 0;
  }
  return n;
}

/** Whether `b[i, i+4)` is a kept invalid-byte escape: `\x` and two hex digits of a byte >= 0x80. */
function keptEscapeAt(b: Uint8Array, i: number, e: number): boolean {
  if (i + 3 >= e || b[i + 1] !== 120) return false;
  const hi = hexValue(b[i + 2]);
  return hi >= 8 && hexValue(b[i + 3]) >= 0;
}

/** `(empty)`, which Zeek writes for an empty string or container. */
export const EMPTY_FIELD = '(empty)';
const EMPTY_BYTES = new TextEncoder().encode(EMPTY_FIELD);

/**
 * Writes the bytes of a string value with Zeek's escaping. `inContainer`
 * also escapes the set separator `,`. The empty string is `(empty)`; the
 * strings `-` and `(empty)` are escaped (`\x2d`, `\x28empty)`) so that they
 * do not read back as unset or empty (Zeek itself only escapes `-`).
 */
export function writeEscaped(
  sink: ByteSink,
  b: Uint8Array,
  s: number,
  e: number,
  inContainer: boolean,
): void {
  const n = e - s;
  if (n === 0) {
    sink.ascii(EMPTY_FIELD);
    return;
  }
  if (n === 1 && b[s] === 45) {
    sink.ascii('\\x2d');
    return;
  }
  if (n === 7 && equalsAt(b, s, EMPTY_BYTES)) {
    sink.ascii('\\x28empty)');
    return;
  }
  sink.reserve(n * 4);
  const buf = sink.buf;
  let o = sink.pos;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (c >= 0x20 && c < 0x7f && c !== 92 && (c !== 44 || !inContainer)) buf[o++] = c;
    else if (c === 92) {
      buf[o++] = 92;
      if (!keptEscapeAt(b, i, e)) buf[o++] = 92;
    } else {
      buf[o++] = 92;
      buf[o++] = 120;
      buf[o++] = HEX[c >> 4];
      buf[o++] = HEX[c & 15];
    }
  }
  sink.pos = o;
}
