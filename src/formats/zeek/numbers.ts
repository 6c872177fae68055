/**
 * Number parsing fast paths of the Zeek reader: decimal seconds and counts
 * straight from the input bytes into the 64-bit builders, without BigInt or
 * strings on the common path.
 */
import type { Int64ColumnBuilder } from '../../types/builder.js';

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/**
 * Appends decimal seconds `[-]digits[.digits]` (at most 9 fraction digits) as
 * nanoseconds without BigInt: as a double while that is exact (intervals),
 * else as two 32-bit words (timestamps, ~1.3e18 ns). False when the text has
 * another shape or size; appendDecimalBytes then has the last word.
 */
export function appendSeconds(col: Int64ColumnBuilder, b: Uint8Array, s: number, e: number): boolean {
  let i = s;
  const neg = b[i] === 45;
  if (neg) i++;
  const ws = i;
  let whole = 0;
  for (; i < e; i++) {
    const c = b[i] - 48;
    if (c < 0 || c > 9) break;
    whole = whole * 10 + c;
  }
  if (i === ws || i - ws > 10) return false;
  let frac = 0;
  if (i < e) {
    if (b[i] !== 46) return false;
    const fs = ++i;
    for (; i < e; i++) {
      const c = b[i] - 48;
      if (c < 0 || c > 9 || i - fs >= 9) return false;
      frac = frac * 10 + c;
    }
    frac *= POW10[9 - (i - fs)];
  }
  if (whole < 9_000_000) {
    const ns = whole * 1e9 + frac;
    return col.appendNumber(neg ? -ns : ns);
  }
  if (neg || whole >= 4_000_000_000) return false;
  // ns = whole * 10^9 + frac = (whole * 5^9) * 2^9 + frac; whole * 5^9 < 2^53 is exact, and so is
  // splitting it at 2^23 (2^23 * 2^9 = 2^32): hi = its upper part, lo = the rest * 2^9 + frac.
  const p = whole * 1953125;
  let hi = Math.floor(p / 8388608);
  let lo = (p - hi * 8388608) * 512 + frac;
  if (lo >= 4294967296) {
    lo -= 4294967296;
    hi++;
  }
  return col.appendWords(lo, hi);
}

/** A `count` of up to 15 digits as a number; -1 for anything else (which appendDecimalBytes then judges). */
export function smallCount(b: Uint8Array, s: number, e: number): number {
  if (e === s || e - s > 15) return -1;
  let v = 0;
  for (let i = s; i < e; i++) {
    const c = b[i] - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

const EXPONENT_RE = /^([+-]?)(\d+)(?:\.(\d*))?[eE]([+-]?\d{1,3})$/;

/**
 * Seconds in exponent notation, exactly, as nanoseconds. Zeek prints times and
 * intervals of 2^31-1 seconds or more that way (`4.294967296e+09`).
 */
export function appendExponentSeconds(col: Int64ColumnBuilder, b: Uint8Array, s: number, e: number): boolean {
  if (e - s > 64) return false;
  const m = EXPONENT_RE.exec(Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('latin1'));
  if (!m) return false;
  const fraction = m[3] ?? '';
  const shift = Number(m[4]) - fraction.length + 9;
  if (shift > 40) return false;
  let ns = BigInt(m[2] + fraction);
  if (shift >= 0) ns *= 10n ** BigInt(shift);
  else {
    const d = 10n ** BigInt(-shift);
    ns = (ns + d / 2n) / d;
  }
  return col.appendBigInt(m[1] === '-' ? -ns : ns);
}
