/**
 * Printing values the way Zeek's ASCII writer does, straight into a byte
 * buffer: times and intervals as seconds with exactly six decimals, doubles
 * through Zeek's `modp_dtoa3` rules, integers from the two 32-bit words of an
 * Arrow 64-bit value (no BigInt on the common path).
 */
import { formatIP, isV4Mapped } from '../../types/ip.js';

/** A growable output buffer for ASCII text; `take()` hands the bytes over and starts again. */
export class ByteSink {
  buf: Uint8Array;
  pos = 0;
  constructor(capacity = 1 << 16) {
    this.buf = new Uint8Array(capacity);
  }
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
  byte(c: number): void {
    if (this.pos >= this.buf.length) this.reserve(1);
    this.buf[this.pos++] = c;
  }
  /** Appends a string of ASCII characters (callers escape anything else first). */
  ascii(s: string): void {
    this.reserve(s.length);
    const buf = this.buf;
    let o = this.pos;
    for (let i = 0; i < s.length; i++) buf[o++] = s.charCodeAt(i);
    this.pos = o;
  }
  /** Appends the decimal digits of a non-negative safe integer. */
  uint(n: number): void {
    this.reserve(16);
    const buf = this.buf;
    const start = this.pos;
    let o = start;
    do {
      const q = Math.floor(n / 10);
      buf[o++] = 48 + (n - q * 10);
      n = q;
    } while (n > 0);
    for (let a = start, b = o - 1; a < b; a++, b--) {
      const t = buf[a];
      buf[a] = buf[b];
      buf[b] = t;
    }
    this.pos = o;
  }
  /** Appends `n` (0 <= n < 10^width) zero-padded to `width` digits. */
  padded(n: number, width: number): void {
    this.reserve(width);
    const buf = this.buf;
    for (let k = this.pos + width - 1; k >= this.pos; k--) {
      const q = Math.floor(n / 10);
      buf[k] = 48 + (n - q * 10);
      n = q;
    }
    this.pos += width;
  }
  take(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    this.pos = 0;
    return out;
  }
}

const TWO32 = 4294967296;
/** Above this high word, `hi * 4294967` (used to divide by 1000) is no longer exact in a double. */
const FAST_HI_LIMIT = 2_000_000_000;

/** Prints an unsigned 64-bit value given as two 32-bit words. */
export function printUint64(sink: ByteSink, lo: number, hi: number): void {
  if (hi === 0) {
    sink.uint(lo);
    return;
  }
  if (hi < 0x200000) {
    sink.uint(hi * TWO32 + lo);
    return;
  }
  sink.ascii(((BigInt(hi) << 32n) | BigInt(lo)).toString());
}

/** Prints a signed 64-bit value given as two 32-bit words (`hi` as unsigned). */
export function printInt64(sink: ByteSink, lo: number, hi: number): void {
  if (hi < 0x80000000) {
    printUint64(sink, lo, hi);
    return;
  }
  sink.byte(45);
  const nlo = (~lo + 1) >>> 0;
  const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
  printUint64(sink, nlo, nhi);
}

/** Zeek's `modp_dtoa` switches to exponent notation from INT_MAX seconds on; in nanoseconds. */
const EXPONENT_FROM_NS = 2147483647_000000000n;
/** The high word below which a magnitude is certainly under EXPONENT_FROM_NS. */
const EXPONENT_HI = 499_999_999;

/**
 * Prints signed 64-bit nanoseconds as seconds the way Zeek writes `time` and
 * `interval` (`modp_dtoa(v, 6)`): exactly six decimals, rounding half away
 * from zero (`1258531221.486539`, `-0.147369`), but from 2^31-1 seconds on
 * (dates after 2038, huge intervals) as `%.16e` with the trailing zeros of
 * the mantissa trimmed: `4.294967296e+09`.
 */
export function printSecondsFixed6(sink: ByteSink, lo: number, hi: number): void {
  let mlo = lo >>> 0;
  let mhi = hi >>> 0;
  const neg = mhi >= 0x80000000;
  if (neg) {
    mlo = (~lo + 1) >>> 0;
    mhi = (~hi + (mlo === 0 ? 1 : 0)) >>> 0;
  }
  if (mhi >= EXPONENT_HI) {
    const ns = (BigInt(mhi) << 32n) | BigInt(mlo);
    if (ns >= EXPONENT_FROM_NS) {
      if (neg) sink.byte(45);
      sink.ascii(zeekExponent(Number(ns) / 1e9));
      return;
    }
  }
  if (mhi >= FAST_HI_LIMIT) {
    const ns = (BigInt(mhi) << 32n) | BigInt(mlo);
    const us = (ns + 500n) / 1000n;
    if (neg) sink.byte(45);
    sink.ascii((us / 1_000_000n).toString());
    sink.byte(46);
    sink.padded(Number(us % 1_000_000n), 6);
    return;
  }
  // ns = mhi * 2^32 + mlo = 1000 * (mhi * 4294967) + (mhi * 296 + mlo), all exact in doubles.
  const r = mhi * 296 + mlo + 500;
  const rq = Math.floor(r / 1000);
  const us = mhi * 4294967 + rq;
  const secs = Math.floor(us / 1e6);
  const frac = us - secs * 1e6;
  if (neg) sink.byte(45);
  sink.uint(secs);
  sink.byte(46);
  sink.padded(frac, 6);
}

/** C's `%.16e` with the mantissa's trailing zeros (and a bare dot) removed, as Zeek's `sn_strip_trailing_zeros`. */
function zeekExponent(v: number): string {
  const [mantissa, exponent] = v.toExponential(16).split('e');
  const m = mantissa.replace(/0+$/, '').replace(/\.$/, '');
  const sign = exponent[0] === '-' ? '-' : '+';
  const digits = exponent.replace(/^[+-]/, '').padStart(2, '0');
  return `${m}e${sign}${digits}`;
}

/**
 * A double as Zeek's ASCII writer prints it (`ODesc::Add(d, no_exp=true)`):
 * `modp_dtoa3` with six decimals, trailing zeros trimmed, never an exponent,
 * and `.0` appended to integral values: `0.139741`, `3.5`, `42.0`, `nan`, `inf`.
 */
export function zeekDouble(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  const neg = d < 0;
  const v = neg ? -d : d;
  let text: string;
  if (v >= 2147483647) {
    if (v === Number.POSITIVE_INFINITY) text = 'inf';
    else {
      // printf("%.6f") with the trailing zeros and the dot trimmed.
      text = v < 1e21 ? v.toFixed(6) : BigInt(v).toString();
      if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
    }
  } else {
    let whole = Math.trunc(v);
    const tmp = (v - whole) * 1e6;
    let frac = Math.trunc(tmp);
    const diff = tmp - frac;
    if (diff > 0.5) {
      frac++;
      if (frac >= 1e6) {
        frac = 0;
        whole++;
      }
    } else if (diff === 0.5 && (frac === 0 || frac & 1)) frac++;
    text = String(whole);
    if (frac) {
      let digits = 6;
      while (frac % 10 === 0) {
        digits--;
        frac /= 10;
      }
      text += `.${String(frac).padStart(digits, '0')}`;
    }
  }
  if (neg) text = `-${text}`;
  if (Number.isFinite(d) && Math.abs(d - Math.round(d)) < 1e-9) text += '.0';
  return text;
}

/** Prints the 16-byte address at `b[off..]`: dotted quad for IPv4 (the common case, no string built). */
export function printIP(sink: ByteSink, b: Uint8Array, off: number): void {
  if (!isV4Mapped(b, off)) {
    sink.ascii(formatIP(b, off));
    return;
  }
  sink.uint(b[off + 12]);
  sink.byte(46);
  sink.uint(b[off + 13]);
  sink.byte(46);
  sink.uint(b[off + 14]);
  sink.byte(46);
  sink.uint(b[off + 15]);
}
