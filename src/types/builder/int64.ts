import * as A from 'apache-arrow';
import { arrowType } from '../arrow.js';
import { decimalTimes, parseDuration, secondsToNs } from '../duration.js';
import { parseTime } from '../time.js';
import { grown, HAND_OVER_BYTES } from './buffers.js';
import { ColumnBuilder } from './column.js';

const TWO32 = 4294967296;
const utf8Encoder = new TextEncoder();

/**
 * 64-bit integers of every flavour (int64, uint64, time, duration) share one
 * layout: pairs of 32-bit words, written without BigInt on the fast paths.
 */
export class Int64Builder extends ColumnBuilder {
  private words = new Uint32Array(2048);
  protected appendDefault(): void {
    this.setWords(0, 0);
  }
  private setWords(lo: number, hi: number): void {
    const i = this.length * 2;
    this.words = grown(this.words, i + 2);
    this.words[i] = lo;
    this.words[i + 1] = hi;
  }
  /** Appends a safe integer. */
  appendNumber(n: number): true {
    this.setWords(n >>> 0, Math.floor(n / TWO32) >>> 0);
    this.length++;
    return true;
  }
  /** Appends the 64-bit two's complement value `hi * 2^32 + lo` from two 32-bit words (no BigInt). */
  appendWords(lo: number, hi: number): true {
    this.setWords(lo >>> 0, hi >>> 0);
    this.length++;
    return true;
  }
  appendBigInt(v: bigint): boolean {
    const signed = this.type.kind !== 'uint64';
    if (signed ? v < -(2n ** 63n) || v >= 2n ** 63n : v < 0n || v >= 2n ** 64n) return false;
    const u = BigInt.asUintN(64, v);
    this.setWords(Number(u & 0xffffffffn), Number(u >> 32n));
    this.length++;
    return true;
  }
  /**
   * Parses a decimal number `[-]digits[.digits]` from bytes, scaled by 10^scale
   * (scale 9 turns seconds into nanoseconds; 0 reads integers, which must then
   * have no fraction). Exact for magnitudes up to ~2^62.
   */
  appendDecimalBytes(src: Uint8Array, s: number, e: number, scale: number): boolean {
    let i = s;
    let neg = false;
    if (src[i] === 45) {
      neg = true;
      i++;
    } else if (src[i] === 43) i++;
    let whole = 0;
    let digits = 0;
    for (; i < e; i++) {
      const c = src[i] - 48;
      if (c < 0 || c > 9) break;
      whole = whole * 10 + c;
      digits++;
    }
    let frac = 0;
    let fracDigits = 0;
    if (i < e && src[i] === 46) {
      if (scale === 0) return false;
      i++;
      for (; i < e; i++) {
        const c = src[i] - 48;
        if (c < 0 || c > 9) return false;
        if (fracDigits < scale) {
          frac = frac * 10 + c;
          fracDigits++;
        }
      }
      digits += fracDigits;
    }
    if (i !== e || digits === 0) return false;
    if (neg && this.type.kind === 'uint64' && (whole !== 0 || frac !== 0)) return false;
    if (whole >= 2 ** 53) return this.appendBigIntText(src, s, e, scale);
    for (let k = fracDigits; k < scale; k++) frac *= 10;
    // whole * 10^scale is exact in a double when whole * 5^scale < 2^53 (the 2^scale part only
    // shifts the exponent); past that, fall back to BigInt.
    const scaled = whole * 10 ** scale;
    if (whole * 5 ** scale >= 2 ** 53) return this.appendBigIntText(src, s, e, scale);
    let lo = (scaled >>> 0) + frac;
    let hi = Math.floor(scaled / TWO32);
    if (lo >= TWO32) {
      lo -= TWO32;
      hi += 1;
    }
    if (neg) {
      // Two's complement negation of the 64-bit pair.
      lo = ~lo >>> 0;
      hi = ~hi >>> 0;
      lo = (lo + 1) >>> 0;
      if (lo === 0) hi = (hi + 1) >>> 0;
    }
    this.setWords(lo >>> 0, hi >>> 0);
    this.length++;
    return true;
  }
  private appendBigIntText(src: Uint8Array, s: number, e: number, scale: number): boolean {
    const text = Buffer.from(src.buffer, src.byteOffset + s, e - s).toString('latin1');
    const neg = text.startsWith('-');
    const body = neg || text.startsWith('+') ? text.slice(1) : text;
    const v = decimalTimes(body, 10 ** scale);
    return this.appendBigInt(neg ? -v : v);
  }
  /** Decimal seconds (`1258531221.486539`, `1e-3`) to nanoseconds, exactly. */
  private appendSeconds(text: string): boolean {
    if (/e/i.test(text)) return this.appendBigInt(secondsToNs(Number(text)));
    const b = utf8Encoder.encode(text);
    return this.appendDecimalBytes(b, 0, b.length, 9);
  }
  appendText(text: string): boolean {
    switch (this.type.kind) {
      case 'time': {
        const ns = parseTime(text);
        return ns !== undefined && this.appendBigInt(ns);
      }
      case 'duration': {
        const ns = parseDuration(text);
        if (ns !== undefined) return this.appendBigInt(ns);
        const b = utf8Encoder.encode(text);
        return this.appendDecimalBytes(b, 0, b.length, 9);
      }
      default: {
        if (!/^[+-]?\d+$/.test(text)) return false;
        return this.appendBigInt(BigInt(text));
      }
    }
  }
  appendJson(v: unknown): boolean {
    if (typeof v === 'number') {
      const kind = this.type.kind;
      // JSON numbers for times and durations are seconds (Zeek JSON's convention).
      // Via the number's shortest decimal text, which is exact where `v * 1e9` is not.
      if (kind === 'time' || kind === 'duration') return Number.isFinite(v) && this.appendSeconds(String(v));
      if (!Number.isInteger(v)) return false;
      if (Number.isSafeInteger(v)) {
        if (v < 0 && kind === 'uint64') return false;
        return this.appendNumber(v);
      }
      return this.appendBigInt(BigInt(v));
    }
    if (typeof v === 'bigint') {
      const kind = this.type.kind;
      return this.appendBigInt(kind === 'time' || kind === 'duration' ? v * 1_000_000_000n : v);
    }
    return typeof v === 'string' && this.appendText(v);
  }
  protected truncateValues(_n: number): void {}
  finish(): A.Data {
    const { length, nullBitmap, nullCount } = this.takeRows();
    // As Bytes.take: a buffer at least half full is handed over (no copy), and a fresh one replaces it.
    let words: Uint32Array;
    if (length * 8 >= HAND_OVER_BYTES && length * 4 >= this.words.length) {
      words = this.words;
      this.words = new Uint32Array(words.length);
    } else words = this.words.slice(0, length * 2);
    const type = arrowType(this.type);
    const data =
      this.type.kind === 'uint64'
        ? new BigUint64Array(words.buffer, 0, length)
        : new BigInt64Array(words.buffer, 0, length);
    return A.makeData({ type: type as A.Int64, length, nullCount, nullBitmap, data: data as BigInt64Array });
  }
}
