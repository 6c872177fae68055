/**
 * Column builders: one per VAST type, each appending straight into growable
 * typed arrays and finishing into an Arrow `Data`. Hand-written rather than
 * arrow-js's `makeBuilder` because readers are the hottest path in vast: these
 * take bytes from the input buffer (no intermediate strings, no BigInt per
 * value) and can roll back a half-appended row when a later field is bad.
 *
 * Contract: every `append*` method either appends exactly one value and
 * returns true, or appends nothing and returns false (the input was not a
 * value of this type). `truncate(n)` drops everything past row n.
 */
import * as A from 'apache-arrow';
import { arrowType } from './arrow.js';
import { decimalTimes, parseDuration, secondsToNs } from './duration.js';
import { parseIPInto, parseIPv4Bytes } from './ip.js';
import { parseSubnet } from './subnet.js';
import { parseTime } from './time.js';
import { unreachable, type VastType } from './type.js';

const TWO32 = 4294967296;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

type GrowableArray = Float64Array | Uint16Array | Int16Array | Int32Array | Uint32Array;

/** `arr` if it holds `needed` elements, else a copy with at least double the capacity (amortised O(1) appends). */
function grown<T extends GrowableArray>(arr: T, needed: number): T {
  if (needed <= arr.length) return arr;
  let cap = arr.length * 2;
  while (cap < needed) cap *= 2;
  const next = new (arr.constructor as new (n: number) => T)(cap);
  next.set(arr);
  return next;
}

/** A byte array that doubles when full. */
class Bytes {
  buf: Uint8Array;
  length = 0;
  constructor(capacity = 1024) {
    this.buf = new Uint8Array(capacity);
  }
  reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  take(): Uint8Array {
    const out = this.buf.slice(0, this.length);
    this.length = 0;
    return out;
  }
}

/** Validity bits; allocated lazily on the first null so all-valid columns cost nothing. */
class Validity {
  bits: Uint8Array | undefined;
  nulls = 0;
  setNull(i: number): void {
    if (!this.bits) {
      this.bits = new Uint8Array(Math.max(64, (i >> 3) * 2 + 8)).fill(0xff);
    } else if (i >> 3 >= this.bits.length) this.grow(i);
    this.bits[i >> 3] &= ~(1 << (i & 7));
    this.nulls++;
  }
  private grow(i: number): void {
    const next = new Uint8Array(Math.max(this.bits!.length * 2, (i >> 3) + 8)).fill(0xff);
    next.set(this.bits!);
    this.bits = next;
  }
  /** Clears bits past `n` back to valid and recounts nulls (rare: only on row rollback). */
  truncate(n: number, oldLength: number): void {
    if (!this.bits || this.nulls === 0) return;
    for (let i = n; i < oldLength; i++) {
      if (i >> 3 < this.bits.length && !(this.bits[i >> 3] & (1 << (i & 7)))) {
        this.bits[i >> 3] |= 1 << (i & 7);
        this.nulls--;
      }
    }
  }
  take(length: number): { nullBitmap: Uint8Array | undefined; nullCount: number } {
    // Valid rows after the last null may lie past the allocated bits: pad them (as valid) first.
    if (this.nulls > 0 && this.bits!.length < (length + 7) >> 3) this.grow(length);
    const out = this.nulls === 0 ? undefined : this.bits!.slice(0, (length + 7) >> 3);
    const nullCount = this.nulls;
    this.bits = undefined;
    this.nulls = 0;
    return { nullBitmap: out, nullCount };
  }
}

export abstract class ColumnBuilder {
  length = 0;
  protected validity = new Validity();
  constructor(readonly type: VastType) {}

  appendNull(): void {
    this.validity.setNull(this.length);
    this.appendDefault();
    this.length++;
  }
  /** Appends a placeholder slot for a null. */
  protected abstract appendDefault(): void;
  /** Parses VAST text syntax for this type (`10s`, `10.0.0.0/8`, `T`). */
  abstract appendText(text: string): boolean;
  /** Appends a decoded JSON value (numbers, strings, booleans, arrays, objects). */
  abstract appendJson(value: unknown): boolean;
  /** Parses the value from raw UTF-8 bytes; the default decodes and calls appendText. */
  appendBytes(src: Uint8Array, start: number, end: number): boolean {
    return this.appendText(utf8.decode(src.subarray(start, end)));
  }
  truncate(n: number): void {
    if (n >= this.length) return;
    this.validity.truncate(n, this.length);
    this.truncateValues(n);
    this.length = n;
  }
  protected abstract truncateValues(n: number): void;
  /** Returns the built column and resets the builder for the next batch. */
  abstract finish(): A.Data;
  protected takeValidity(): { nullBitmap: Uint8Array | undefined; nullCount: number } {
    return this.validity.take(this.length);
  }
}

class BoolBuilder extends ColumnBuilder {
  private values = new Bytes(64);
  protected appendDefault(): void {
    this.set(false);
  }
  private set(v: boolean): void {
    const i = this.length;
    if (i >> 3 >= this.values.length) {
      this.values.reserve(1);
      this.values.buf[this.values.length++] = 0;
    }
    if (v) this.values.buf[i >> 3] |= 1 << (i & 7);
    else this.values.buf[i >> 3] &= ~(1 << (i & 7));
  }
  append(v: boolean): true {
    this.set(v);
    this.length++;
    return true;
  }
  appendText(text: string): boolean {
    if (text === 'T' || text === 'true') return this.append(true);
    if (text === 'F' || text === 'false') return this.append(false);
    return false;
  }
  appendJson(v: unknown): boolean {
    return typeof v === 'boolean' ? this.append(v) : typeof v === 'string' && this.appendText(v);
  }
  override appendBytes(src: Uint8Array, s: number, e: number): boolean {
    if (e - s === 1) {
      if (src[s] === 84) return this.append(true); // T
      if (src[s] === 70) return this.append(false); // F
    }
    return super.appendBytes(src, s, e);
  }
  protected truncateValues(n: number): void {
    this.values.length = (n + 7) >> 3;
  }
  finish(): A.Data {
    const { nullBitmap, nullCount } = this.takeValidity();
    const length = this.length;
    this.length = 0;
    const data = this.values.take();
    return A.makeData({ type: new A.Bool(), length, nullCount, nullBitmap, data });
  }
}

/**
 * 64-bit integers of every flavour (int64, uint64, time, duration) share one
 * layout: pairs of 32-bit words, written without BigInt on the fast paths.
 */
class Int64Builder extends ColumnBuilder {
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
    return typeof v === 'string' && this.appendText(v);
  }
  protected truncateValues(_n: number): void {}
  finish(): A.Data {
    const { nullBitmap, nullCount } = this.takeValidity();
    const length = this.length;
    this.length = 0;
    const words = this.words.slice(0, length * 2);
    const type = arrowType(this.type);
    const data =
      this.type.kind === 'uint64' ? new BigUint64Array(words.buffer) : new BigInt64Array(words.buffer);
    return A.makeData({ type: type as A.Int64, length, nullCount, nullBitmap, data: data as BigInt64Array });
  }
}

class DoubleBuilder extends ColumnBuilder {
  private values = new Float64Array(1024);
  protected appendDefault(): void {
    this.push(0);
  }
  private push(v: number): void {
    this.values = grown(this.values, this.length + 1);
    this.values[this.length] = v;
  }
  append(v: number): true {
    this.push(v);
    this.length++;
    return true;
  }
  appendText(text: string): boolean {
    const t = text.trim();
    if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|nan|Infinity|NaN)$/.test(t))
      return false;
    const v = t.endsWith('inf') ? (t[0] === '-' ? -Infinity : Infinity) : Number(t);
    return this.append(v);
  }
  override appendBytes(src: Uint8Array, s: number, e: number): boolean {
    return this.appendText(Buffer.from(src.buffer, src.byteOffset + s, e - s).toString('latin1'));
  }
  appendJson(v: unknown): boolean {
    if (typeof v === 'number') return this.append(v);
    return typeof v === 'string' && this.appendText(v);
  }
  protected truncateValues(_n: number): void {}
  finish(): A.Data {
    const { nullBitmap, nullCount } = this.takeValidity();
    const length = this.length;
    this.length = 0;
    return A.makeData({
      type: new A.Float64(),
      length,
      nullCount,
      nullBitmap,
      data: this.values.slice(0, length),
    });
  }
}

class PortBuilder extends ColumnBuilder {
  private values = new Uint16Array(1024);
  protected appendDefault(): void {
    this.push(0);
  }
  private push(v: number): void {
    this.values = grown(this.values, this.length + 1);
    this.values[this.length] = v;
  }
  append(v: number): boolean {
    if (!Number.isInteger(v) || v < 0 || v > 65535) return false;
    this.push(v);
    this.length++;
    return true;
  }
  override appendBytes(src: Uint8Array, s: number, e: number): boolean {
    if (e === s || e - s > 5) return super.appendBytes(src, s, e);
    let v = 0;
    for (let i = s; i < e; i++) {
      const c = src[i] - 48;
      if (c < 0 || c > 9) return super.appendBytes(src, s, e);
      v = v * 10 + c;
    }
    return this.append(v);
  }
  appendText(text: string): boolean {
    // `443/tcp`: the protocol is dropped here; schemas carry it in their own field.
    const m = /^(\d{1,5})(?:\/(?:tcp|udp|icmp|icmp6|sctp|\?|unknown))?$/.exec(text);
    return m !== null && this.append(Number(m[1]));
  }
  appendJson(v: unknown): boolean {
    if (typeof v === 'number') return this.append(v);
    return typeof v === 'string' && this.appendText(v);
  }
  protected truncateValues(_n: number): void {}
  finish(): A.Data {
    const { nullBitmap, nullCount } = this.takeValidity();
    const length = this.length;
    this.length = 0;
    return A.makeData({
      type: new A.Uint16(),
      length,
      nullCount,
      nullBitmap,
      data: this.values.slice(0, length),
    });
  }
}

class StringBuilder extends ColumnBuilder {
  private offsets = new Int32Array(1025);
  private data = new Bytes(16 * 1024);
  protected appendDefault(): void {
    this.pushOffset();
  }
  private pushOffset(): void {
    this.offsets = grown(this.offsets, this.length + 2);
    this.offsets[this.length + 1] = this.data.length;
  }
  /** Appends raw UTF-8 bytes; the caller guarantees they are valid UTF-8. */
  override appendBytes(src: Uint8Array, s: number, e: number): boolean {
    const n = e - s;
    this.data.reserve(n);
    if (n < 48) {
      // inline the following for performance: short strings dominate, and set() on a subarray costs more
      // (it allocates a view; the byte loop wins up to ~60 bytes).
      const buf = this.data.buf;
      let o = this.data.length;
      for (let i = s; i < e; i++) buf[o++] = src[i];
    } else this.data.buf.set(src.subarray(s, e), this.data.length);
    this.data.length += n;
    this.pushOffset();
    this.length++;
    return true;
  }
  appendText(text: string): boolean {
    this.data.reserve(text.length * 3);
    const { written } = utf8Encoder.encodeInto(text, this.data.buf.subarray(this.data.length));
    this.data.length += written;
    this.pushOffset();
    this.length++;
    return true;
  }
  appendJson(v: unknown): boolean {
    if (typeof v === 'string') return this.appendText(v);
    // Schemas are a promise, not a cage: a number or object where a string is expected keeps its JSON text.
    if (v !== null && v !== undefined) return this.appendText(JSON.stringify(v));
    return false;
  }
  protected truncateValues(n: number): void {
    this.data.length = this.offsets[n];
  }
  finish(): A.Data {
    const { nullBitmap, nullCount } = this.takeValidity();
    const length = this.length;
    this.length = 0;
    const valueOffsets = this.offsets.slice(0, length + 1);
    this.offsets[0] = 0;
    const data = this.data.take();
    return A.makeData({ type: new A.Utf8(), length, nullCount, nullBitmap, valueOffsets, data });
  }
}

class IpBuilder extends ColumnBuilder {
  private data = new Bytes(16 * 1024);
  protected appendDefault(): void {
    this.data.reserve(16);
    this.data.buf.fill(0, this.data.length, this.data.length + 16);
    this.data.length += 16;
  }
  override appendBytes(src: Uint8Array, s: number, e: number): boolean {
    this.data.reserve(16);
    if (parseIPv4Bytes(src, s, e, this.data.buf, this.data.length)) {
      this.data.length += 16;
      this.length++;
      return true;
    }
    return super.appendBytes(src, s, e);
  }
  appendText(text: string): boolean {
    this.data.reserve(16);
    if (!parseIPInto(text, this.data.buf, this.data.length)) return false;
    this.data.length += 16;
    this.length++;
    return true;
  }
  /** Appends 16 address bytes as they are. */
  appendRaw(src: Uint8Array, off: number): true {
    this.data.reserve(16);
    this.data.buf.set(src.subarray(off, off + 16), this.data.length);
    this.data.length += 16;
    this.length++;
    return true;
  }
  appendJson(v: unknown): boolean {
    return typeof v === 'string' && this.appendText(v);
  }
  protected truncateValues(n: number): void {
    this.data.length = n * 16;
  }
  finish(): A.Data {
    const { nullBitmap, nullCount } = this.takeValidity();
    const length = this.length;
    this.length = 0;
    return A.makeData({
      type: new A.FixedSizeBinary(16),
      length,
      nullCount,
      nullBitmap,
      data: this.data.take(),
    });
  }
}

class SubnetBuilder extends ColumnBuilder {
  private address = new IpBuilder({ kind: 'ip' });
  private lengths = new Bytes(1024);
  protected appendDefault(): void {
    this.address.appendRaw(new Uint8Array(16), 0);
    this.lengths.reserve(1);
    this.lengths.buf[this.lengths.length++] = 0;
  }
  appendText(text: string): boolean {
    const net = parseSubnet(text);
    if (!net) return false;
    this.address.appendRaw(net.address, 0);
    this.lengths.reserve(1);
    this.lengths.buf[this.lengths.length++] = net.length;
    this.length++;
    return true;
  }
  appendJson(v: unknown): boolean {
    return typeof v === 'string' && this.appendText(v);
  }
  protected truncateValues(n: number): void {
    this.address.truncate(n);
    this.lengths.length = n;
  }
  finish(): A.Data {
    const { nullBitmap, nullCount } = this.takeValidity();
    const length = this.length;
    this.length = 0;
    const address = this.address.finish();
    const lengths = A.makeData({ type: new A.Uint8(), length, data: this.lengths.take() });
    const type = arrowType(this.type) as A.Struct;
    return A.makeData({ type, length, nullCount, nullBitmap, children: [address, lengths] });
  }
}

/**
 * Enums are dictionary-encoded. The dictionary only grows while a builder
 * lives, so all batches of one reader share key meanings and Arrow IPC can
 * write them as dictionary deltas.
 */
class EnumBuilder extends ColumnBuilder {
  private keys = new Int16Array(1024);
  private index = new Map<string, number>();
  private values: string[] = [];
  /** Chunked: each finish() appends only the new values, so Arrow IPC sees deltas, never a replacement. */
  private dictionary: A.Vector<A.Utf8> | undefined;
  private dictionarySize = 0;
  protected appendDefault(): void {
    this.push(0);
  }
  private push(k: number): void {
    this.keys = grown(this.keys, this.length + 1);
    this.keys[this.length] = k;
  }
  appendText(text: string): boolean {
    let k = this.index.get(text);
    if (k === undefined) {
      if (this.values.length >= 32767) return false;
      k = this.values.length;
      this.values.push(text);
      this.index.set(text, k);
    }
    this.push(k);
    this.length++;
    return true;
  }
  override appendBytes(src: Uint8Array, s: number, e: number): boolean {
    return this.appendText(Buffer.from(src.buffer, src.byteOffset + s, e - s).toString('utf8'));
  }
  appendJson(v: unknown): boolean {
    return typeof v === 'string' && this.appendText(v);
  }
  protected truncateValues(_n: number): void {}
  finish(): A.Data {
    const { nullBitmap, nullCount } = this.takeValidity();
    const length = this.length;
    this.length = 0;
    if (!this.dictionary || this.dictionarySize < this.values.length) {
      const added = A.vectorFromArray(this.values.slice(this.dictionarySize), new A.Utf8());
      this.dictionary = this.dictionary ? this.dictionary.concat(added) : added;
      this.dictionarySize = this.values.length;
    }
    const type = arrowType(this.type) as A.Dictionary<A.Utf8, A.Int16>;
    return A.makeData({
      type,
      length,
      nullCount,
      nullBitmap,
      data: this.keys.slice(0, length),
      dictionary: this.dictionary,
    });
  }
}

/** Appends a JSON value, or a null for JSON null. */
function appendJsonOrNull(b: ColumnBuilder, x: unknown): boolean {
  if (x !== null) return b.appendJson(x);
  b.appendNull();
  return true;
}

/** Lists: append the elements to `child`, then `closeList()` once per list. */
export class ListBuilder extends ColumnBuilder {
  readonly child: ColumnBuilder;
  private offsets = new Int32Array(1025);
  constructor(type: Extract<VastType, { kind: 'list' }>) {
    super(type);
    this.child = makeColumnBuilder(type.element);
  }
  protected appendDefault(): void {
    this.pushOffset();
  }
  private pushOffset(): void {
    this.offsets = grown(this.offsets, this.length + 2);
    this.offsets[this.length + 1] = this.child.length;
  }
  /** Ends the current list; its elements are what was appended to `child` since the last one. */
  closeList(): true {
    this.pushOffset();
    this.length++;
    return true;
  }
  appendText(text: string): boolean {
    // VAST list syntax `[a, b]`; elements must not contain commas (use JSON for those).
    const m = /^\[(.*)\]$/s.exec(text.trim());
    if (!m) return false;
    const items = m[1].trim() === '' ? [] : m[1].split(',').map((x) => x.trim());
    return this.appendItems(items, (b, x) => b.appendText(x));
  }
  appendJson(v: unknown): boolean {
    if (!Array.isArray(v)) return false;
    return this.appendItems(v, appendJsonOrNull);
  }
  private appendItems<T>(items: T[], add: (b: ColumnBuilder, x: T) => boolean): boolean {
    const start = this.child.length;
    for (const x of items) {
      if (!add(this.child, x)) {
        this.child.truncate(start);
        return false;
      }
    }
    return this.closeList();
  }
  protected truncateValues(n: number): void {
    this.child.truncate(this.offsets[n]);
  }
  finish(): A.Data {
    const { nullBitmap, nullCount } = this.takeValidity();
    const length = this.length;
    this.length = 0;
    const valueOffsets = this.offsets.slice(0, length + 1);
    this.offsets[0] = 0;
    const child = this.child.finish();
    const type = arrowType(this.type) as A.List;
    return A.makeData({ type, length, nullCount, nullBitmap, valueOffsets, child });
  }
}

/** Records: children are appended individually; `closeRecord()` counts the row. */
export class RecordBuilder extends ColumnBuilder {
  readonly children: ColumnBuilder[];
  constructor(type: Extract<VastType, { kind: 'record' }>) {
    super(type);
    this.children = type.fields.map((f) => makeColumnBuilder(f.type));
  }
  protected appendDefault(): void {
    for (const c of this.children) c.appendNull();
  }
  closeRecord(): true {
    this.length++;
    return true;
  }
  appendText(_text: string): boolean {
    return false;
  }
  appendJson(v: unknown): boolean {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
    const obj = v as Record<string, unknown>;
    const fields = (this.type as Extract<VastType, { kind: 'record' }>).fields;
    for (let i = 0; i < fields.length; i++) {
      const x = obj[fields[i].name];
      const c = this.children[i];
      if (x === undefined || x === null) c.appendNull();
      else if (!c.appendJson(x)) {
        for (let j = 0; j < i; j++) this.children[j].truncate(this.length);
        return false;
      }
    }
    return this.closeRecord();
  }
  protected truncateValues(n: number): void {
    for (const c of this.children) c.truncate(n);
  }
  finish(): A.Data {
    const { nullBitmap, nullCount } = this.takeValidity();
    const length = this.length;
    this.length = 0;
    const children = this.children.map((c) => c.finish());
    const type = arrowType(this.type) as A.Struct;
    return A.makeData({ type, length, nullCount, nullBitmap, children });
  }
}

/** Maps from JSON objects: keys and values go to an entries record. */
class MapBuilder extends ColumnBuilder {
  private keys: ColumnBuilder;
  private values: ColumnBuilder;
  private offsets = new Int32Array(1025);
  constructor(type: Extract<VastType, { kind: 'map' }>) {
    super(type);
    this.keys = makeColumnBuilder(type.key);
    this.values = makeColumnBuilder(type.value);
  }
  protected appendDefault(): void {
    this.pushOffset();
  }
  private pushOffset(): void {
    this.offsets = grown(this.offsets, this.length + 2);
    this.offsets[this.length + 1] = this.keys.length;
  }
  appendText(_text: string): boolean {
    return false;
  }
  appendJson(v: unknown): boolean {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
    const start = this.keys.length;
    for (const [k, x] of Object.entries(v)) {
      const ok = this.keys.appendText(k) && appendJsonOrNull(this.values, x);
      if (!ok) {
        this.keys.truncate(start);
        this.values.truncate(start);
        return false;
      }
    }
    this.pushOffset();
    this.length++;
    return true;
  }
  protected truncateValues(n: number): void {
    this.keys.truncate(this.offsets[n]);
    this.values.truncate(this.offsets[n]);
  }
  finish(): A.Data {
    const { nullBitmap, nullCount } = this.takeValidity();
    const length = this.length;
    this.length = 0;
    const valueOffsets = this.offsets.slice(0, length + 1);
    this.offsets[0] = 0;
    const type = arrowType(this.type) as A.Map_;
    const entriesType = type.children[0].type as A.Struct;
    const k = this.keys.finish();
    const v = this.values.finish();
    const child = A.makeData({ type: entriesType, length: k.length, children: [k, v] });
    return A.makeData({ type, length, nullCount, nullBitmap, valueOffsets, child });
  }
}

export type Int64ColumnBuilder = Int64Builder;
export type StringColumnBuilder = StringBuilder;
export type IpColumnBuilder = IpBuilder;
export type BoolColumnBuilder = BoolBuilder;
export type PortColumnBuilder = PortBuilder;

/** The builder for a VAST type (arrow-js's `builderctor` visitor, for our types). */
export function makeColumnBuilder(t: VastType): ColumnBuilder {
  switch (t.kind) {
    case 'bool':
      return new BoolBuilder(t);
    case 'int64':
    case 'uint64':
    case 'time':
    case 'duration':
      return new Int64Builder(t);
    case 'double':
      return new DoubleBuilder(t);
    case 'port':
      return new PortBuilder(t);
    case 'string':
      return new StringBuilder(t);
    case 'ip':
      return new IpBuilder(t);
    case 'subnet':
      return new SubnetBuilder(t);
    case 'enum':
      return new EnumBuilder(t);
    case 'list':
      return new ListBuilder(t);
    case 'record':
      return new RecordBuilder(t);
    case 'map':
      return new MapBuilder(t);
    default:
      return unreachable(t);
  }
}

export function isInt64Builder(b: ColumnBuilder): b is Int64Builder {
  return b instanceof Int64Builder;
}
export function isStringBuilder(b: ColumnBuilder): b is StringBuilder {
  return b instanceof StringBuilder;
}
