/**
 * Value conversions on the JSON readers' hot path: ISO 8601 times to exact
 * nanoseconds without BigInt, and Zeek's escapes.
 */
import { isUtf8 } from 'node:buffer';

const utf8 = new TextDecoder();

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Output of `nsWords`/`isoToWords`: the low and high 32-bit words of a nanosecond count. */
export const words = new Float64Array(2);

/**
 * Fast path for the ISO 8601 times of EVE and Zeek JSON
 * (`2009-11-18T08:00:21.123456+0100`, `...Z`, no zone = UTC): puts the time
 * in nanoseconds into `words` (exact, no BigInt) and returns true, or false for
 * anything else (the caller then uses the general parser, which gives the
 * same answer on this subset).
 */
export function isoToWords(s: string): boolean {
  const n = s.length;
  if (n < 19 || n > 40) return false;
  for (let i = 0; i < n; i++) isoScratch[i] = s.charCodeAt(i);
  return isoBytesToWords(isoScratch, 0, n);
}

const isoScratch = new Uint8Array(64);

/** `isoToWords` on the bytes `b[start, end)` (no string needed: the direct decoder's path). */
export function isoBytesToWords(b: Uint8Array, start: number, end: number): boolean {
  const n = end - start;
  if (n < 19) return false;
  const o = start;
  // Digits as 0..9; anything else makes the sums negative (see `digit`).
  const y = digit(b[o]) * 1000 + digit(b[o + 1]) * 100 + digit(b[o + 2]) * 10 + digit(b[o + 3]);
  const mo = digit(b[o + 5]) * 10 + digit(b[o + 6]);
  const d = digit(b[o + 8]) * 10 + digit(b[o + 9]);
  const h = digit(b[o + 11]) * 10 + digit(b[o + 12]);
  const mi = digit(b[o + 14]) * 10 + digit(b[o + 15]);
  const sec = digit(b[o + 17]) * 10 + digit(b[o + 18]);
  const sep = b[o + 10];
  if (
    (y | mo | d | h | mi | sec) < 0 ||
    b[o + 4] !== 45 ||
    b[o + 7] !== 45 ||
    (sep !== 84 && sep !== 32) ||
    b[o + 13] !== 58 ||
    b[o + 16] !== 58 ||
    mo < 1 ||
    mo > 12 ||
    d < 1 ||
    d > 31 ||
    h > 23 ||
    mi > 59 ||
    sec > 60
  )
    return false;
  let i = o + 19;
  let frac = 0;
  let digits = 0;
  if (i < end && b[i] === 46) {
    i++;
    for (; i < end; i++) {
      const c = b[i] - 48;
      if (c < 0 || c > 9) break;
      if (++digits > 9) return false;
      frac = frac * 10 + c;
    }
    if (digits === 0) return false;
    frac *= POW10[9 - digits];
  }
  let offset = 0;
  if (i < end) {
    const z = b[i];
    if (z === 90) i++;
    else if (z === 43 || z === 45) {
      if (i + 3 > end) return false;
      const oh = digit(b[i + 1]) * 10 + digit(b[i + 2]);
      if (oh < 0) return false;
      i += 3;
      let om = 0;
      if (i < end) {
        if (b[i] === 58) i++;
        if (i + 2 > end) return false;
        om = digit(b[i]) * 10 + digit(b[i + 1]);
        if (om < 0) return false;
        i += 2;
      }
      offset = (oh * 60 + om) * 60 * (z === 45 ? -1 : 1);
    } else return false;
  }
  if (i !== end) return false;
  const day = y === lastYear && mo === lastMonth && d === lastDay ? lastDays : civilDays(y, mo, d);
  nsWords(day * 86400 + h * 3600 + mi * 60 + sec - offset, frac);
  return true;
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/** A decimal digit's value from its code, or a large negative number for anything else (so sums stay negative). */
function digit(code: number): number {
  const c = code - 48;
  return c >= 0 && c <= 9 ? c : -100000;
}

// The last date converted: logs are ordered, so most times share it.
let lastYear = -1;
let lastMonth = -1;
let lastDay = -1;
let lastDays = 0;
function civilDays(y: number, m: number, d: number): number {
  lastYear = y;
  lastMonth = m;
  lastDay = d;
  lastDays = daysFromCivil(y, m, d);
  return lastDays;
}

/** Rounds ties to even, as Zeek's `%.6f` (printf) does, so that JSON and TSV values agree. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const TWO15 = 32768;
const TWO17 = 131072;
const TWO32 = 4294967296;

/**
 * Puts `whole * 1e9 + nanos` (whole seconds, possibly negative; nanos in
 * [0, 1e9)) into `words` as a two's complement 64-bit integer, using only
 * exact double arithmetic: every partial product stays below 2^53.
 */
export function nsWords(whole: number, nanos: number): void {
  let neg = false;
  if (whole < 0) {
    neg = true;
    if (nanos > 0) {
      whole = -whole - 1;
      nanos = 1e9 - nanos;
    } else whole = -whole;
  }
  // m = whole * 1e9 + nanos, with whole = wh * 2^17 + wl.
  const wh = Math.floor(whole / TWO17);
  const wl = whole - wh * TWO17;
  const p = wh * 1e9; // < 2^47
  const q = wl * 1e9 + nanos; // < 2^48
  // m = p * 2^17 + q, with p = ph * 2^15 + pl: m = ph * 2^32 + (pl * 2^17 + q).
  const ph = Math.floor(p / TWO15);
  const r = (p - ph * TWO15) * TWO17 + q;
  const carry = Math.floor(r / TWO32);
  let lo = r - carry * TWO32;
  let hi = ph + carry;
  if (neg) {
    lo = (~lo + 1) >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  }
  words[0] = lo;
  words[1] = hi >>> 0;
}

const hexDigit = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
const encoder = new TextEncoder();

/**
 * Zeek's JSON writer renders bytes that are not printable as the text `\xHH`
 * (in JSON: `"\\x00"`), where its TSV writer writes the escape `\x00` that
 * TSV readers decode. Decoding them here keeps zeek-json and zeek TSV
 * values equal (e.g. NTP `ref_id`). Escapes of bytes >= 0x80 stay text: Zeek
 * only escapes those when they are not valid UTF-8, and vast strings are UTF-8.
 */
export function decodeZeekEscapes(s: string): string {
  const src = encoder.encode(s);
  const out = new Uint8Array(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    if (src[i] === 92 && src[i + 1] === 120 && i + 3 < src.length) {
      const hi = hexDigit(src[i + 2]);
      const lo = hexDigit(src[i + 3]);
      if (hi >= 0 && hi < 8 && lo >= 0) {
        out[n++] = (hi << 4) | lo;
        i += 3;
        continue;
      }
    }
    out[n++] = src[i];
  }
  const bytes = out.subarray(0, n);
  return isUtf8(bytes) ? utf8.decode(bytes) : s;
}
