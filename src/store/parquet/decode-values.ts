/**
 * Decoders of Parquet's value encodings (PLAIN, the dictionary indices,
 * RLE booleans, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY,
 * DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT), each appending the non-null values
 * of one page to a column chunk's accumulator in the physical type's own
 * byte layout, so that the assembly can hand the bytes to Arrow as they are.
 *
 * Spec: https://github.com/apache/parquet-format/blob/master/Encodings.md
 *
 * Malformed input throws a plain `Error` saying what is wrong; the chunk
 * decoder turns it into a CorruptionError naming the file, column and row group.
 */
import { decodeHybrid } from './rle.js';

/**
 * Fixed-width values (INT32, INT64, FLOAT, DOUBLE, FIXED_LEN_BYTE_ARRAY, and
 * BOOLEAN as one byte 0/1 per value), packed little-endian as Parquet stores
 * them. `bytes` starts at offset 0 of its own ArrayBuffer, so typed views of
 * it are aligned.
 */
export class FixedValues {
  readonly kind = 'fixed';
  count = 0;
  readonly bytes: Uint8Array;
  constructor(
    readonly width: number,
    capacity: number,
  ) {
    this.bytes = new Uint8Array(capacity * width);
  }

  /** Room for `n` more values, or an error (the page holds more values than the chunk said). */
  reserve(n: number): number {
    if ((this.count + n) * this.width > this.bytes.length)
      throw new Error('more values than the column chunk metadata says');
    return this.count * this.width;
  }
}

/** BYTE_ARRAY values: `count` strings as Arrow's offsets (count + 1 entries) and bytes. */
export class ByteValues {
  readonly kind = 'bytes';
  count = 0;
  readonly offsets: Int32Array;
  data: Uint8Array;
  constructor(capacity: number, bytesHint: number) {
    this.offsets = new Int32Array(capacity + 1);
    this.data = new Uint8Array(Math.max(64, bytesHint));
  }

  get length(): number {
    return this.offsets[this.count];
  }

  reserveValues(n: number): void {
    if (this.count + n >= this.offsets.length)
      throw new Error('more values than the column chunk metadata says');
  }

  /** Room for `bytes` more bytes of data. */
  reserveBytes(bytes: number): void {
    const need = this.length + bytes;
    if (need <= this.data.length) return;
    if (need > 0x7fffffff) throw new Error('string data of a column chunk exceeds 2 GiB');
    const grown = new Uint8Array(Math.min(0x7fffffff, Math.max(need, this.data.length * 2)));
    grown.set(this.data.subarray(0, this.length));
    this.data = grown;
  }
}

const u32 = (buf: Uint8Array, pos: number): number =>
  (buf[pos] | (buf[pos + 1] << 8) | (buf[pos + 2] << 16) | (buf[pos + 3] << 24)) >>> 0;

function need(pos: number, bytes: number, end: number, what: string): void {
  if (bytes < 0 || pos + bytes > end) throw new Error(`${what} runs past the end of the page`);
}

/** PLAIN fixed-width values (INT32, INT64, FLOAT, DOUBLE, FIXED_LEN_BYTE_ARRAY): a copy. */
export function plainFixed(buf: Uint8Array, pos: number, end: number, n: number, out: FixedValues): number {
  const bytes = n * out.width;
  need(pos, bytes, end, 'plain values');
  out.bytes.set(buf.subarray(pos, pos + bytes), out.reserve(n));
  out.count += n;
  return pos + bytes;
}

/** PLAIN BOOLEAN: bit-packed, least significant bit first. */
export function plainBoolean(buf: Uint8Array, pos: number, end: number, n: number, out: FixedValues): number {
  need(pos, (n + 7) >> 3, end, 'plain booleans');
  const at = out.reserve(n);
  const dst = out.bytes;
  for (let i = 0; i < n; i++) dst[at + i] = (buf[pos + (i >> 3)] >> (i & 7)) & 1;
  out.count += n;
  return pos + ((n + 7) >> 3);
}

/** RLE BOOLEAN (DATA_PAGE_V2): a 4-byte length, then the hybrid of 1-bit values. */
export function rleBoolean(buf: Uint8Array, pos: number, end: number, n: number, out: FixedValues): number {
  need(pos, 4, end, 'boolean run length');
  const len = u32(buf, pos);
  need(pos + 4, len, end, 'boolean runs');
  const at = out.reserve(n);
  decodeHybrid(buf, pos + 4, pos + 4 + len, 1, n, out.bytes.subarray(at, at + n));
  out.count += n;
  return pos + 4 + len;
}

/** PLAIN BYTE_ARRAY: each value a 4-byte length and its bytes. */
export function plainBytes(buf: Uint8Array, pos: number, end: number, n: number, out: ByteValues): number {
  out.reserveValues(n);
  // The page's size bounds the data: one allocation per page, one pass over the values.
  out.reserveBytes(end - pos);
  const offsets = out.offsets;
  const data = out.data;
  let at = out.length;
  let k = out.count;
  let p = pos;
  for (let i = 0; i < n; i++) {
    if (p + 4 > end) throw new Error('plain byte array length runs past the end of the page');
    const len = (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24)) >>> 0;
    p += 4;
    if (p + len > end) throw new Error('plain byte array runs past the end of the page');
    // Short strings (most of them) copy faster byte by byte than through subarray + set.
    if (len < 24) for (let j = 0; j < len; j++) data[at + j] = buf[p + j];
    else data.set(buf.subarray(p, p + len), at);
    at += len;
    p += len;
    offsets[++k] = at;
  }
  out.count = k;
  return p;
}

/**
 * Dictionary indices: a bit-width byte, then the hybrid, up to the end of the
 * page. Each index is checked against the dictionary's size.
 */
export function dictionaryIndices(
  buf: Uint8Array,
  pos: number,
  end: number,
  n: number,
  dictSize: number,
  out: Int32Array,
): void {
  if (n === 0) return;
  need(pos, 1, end, 'dictionary index bit width');
  const width = buf[pos];
  if (width > 32) throw new Error(`dictionary index bit width ${width} is over 32`);
  decodeHybrid(buf, pos + 1, end, width, n, out);
  for (let i = 0; i < n; i++) {
    const c = out[i];
    if (c < 0 || c >= dictSize)
      throw new Error(`dictionary index ${c >>> 0} is not below the dictionary size ${dictSize}`);
  }
}

/** Appends the dictionary entries `codes` name to fixed-width values (a gather). */
export function gatherFixed(dict: FixedValues, codes: Int32Array, n: number, out: FixedValues): void {
  const at = out.reserve(n);
  const w = dict.width;
  if (w % 4 === 0) {
    // Whole words, never through Float64Array: a float copy may rewrite NaN payloads.
    const words = w >> 2;
    const src = new Int32Array(dict.bytes.buffer, 0, dict.count * words);
    const dst = new Int32Array(out.bytes.buffer, at, n * words);
    if (words === 1) for (let i = 0; i < n; i++) dst[i] = src[codes[i]];
    else if (words === 2)
      for (let i = 0; i < n; i++) {
        const c = codes[i] << 1;
        dst[2 * i] = src[c];
        dst[2 * i + 1] = src[c + 1];
      }
    else if (words === 4)
      // ip addresses: unrolled, this runs about three times as fast as the generic loop.
      for (let i = 0; i < n; i++) {
        const c = codes[i] << 2;
        const d = i << 2;
        dst[d] = src[c];
        dst[d + 1] = src[c + 1];
        dst[d + 2] = src[c + 2];
        dst[d + 3] = src[c + 3];
      }
    else
      for (let i = 0; i < n; i++) {
        const c = codes[i] * words;
        for (let j = 0; j < words; j++) dst[i * words + j] = src[c + j];
      }
  } else {
    const src = dict.bytes;
    const dst = out.bytes;
    for (let i = 0; i < n; i++) {
      const from = codes[i] * w;
      for (let j = 0; j < w; j++) dst[at + i * w + j] = src[from + j];
    }
  }
  out.count += n;
}

/** Appends the dictionary entries `codes` name to byte arrays. */
export function gatherBytes(dict: ByteValues, codes: ArrayLike<number>, n: number, out: ByteValues): void {
  out.reserveValues(n);
  const so = dict.offsets;
  let total = 0;
  for (let i = 0; i < n; i++) total += so[codes[i] + 1] - so[codes[i]];
  out.reserveBytes(total);
  const src = dict.data;
  const data = out.data;
  const offsets = out.offsets;
  let at = out.length;
  let k = out.count;
  for (let i = 0; i < n; i++) {
    const from = so[codes[i]];
    const len = so[codes[i] + 1] - from;
    if (len < 24) for (let j = 0; j < len; j++) data[at + j] = src[from + j];
    else data.set(src.subarray(from, from + len), at);
    at += len;
    offsets[++k] = at;
  }
  out.count = k;
}

/** BYTE_STREAM_SPLIT: byte j of value i is at j * n + i. */
export function byteStreamSplit(
  buf: Uint8Array,
  pos: number,
  end: number,
  n: number,
  out: FixedValues,
): number {
  const w = out.width;
  need(pos, n * w, end, 'byte stream split values');
  const at = out.reserve(n);
  const dst = out.bytes;
  for (let j = 0; j < w; j++) {
    const from = pos + j * n;
    for (let i = 0; i < n; i++) dst[at + i * w + j] = buf[from + i];
  }
  out.count += n;
  return pos + n * w;
}

/** A ULEB128 varint of up to 64 bits, as two 32-bit halves. */
class Cursor {
  lo = 0;
  hi = 0;
  constructor(
    private readonly buf: Uint8Array,
    public pos: number,
    private readonly end: number,
  ) {}

  varint64(): void {
    let lo = 0;
    let hi = 0;
    for (let shift = 0; ; shift += 7) {
      if (this.pos >= this.end) throw new Error('varint runs past the end of the page');
      if (shift >= 70) throw new Error('varint longer than 10 bytes');
      const b = this.buf[this.pos++];
      const v = b & 0x7f;
      if (shift < 28) lo |= v << shift;
      else if (shift === 28) {
        lo |= v << 28;
        hi |= v >>> 4;
      } else hi |= v << (shift - 32);
      if ((b & 0x80) === 0) break;
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  /** A zigzag-encoded 64-bit integer into lo/hi (two's complement halves). */
  zigzag64(): void {
    this.varint64();
    const neg = this.lo & 1;
    let lo = ((this.lo >>> 1) | (this.hi << 31)) >>> 0;
    let hi = this.hi >>> 1;
    if (neg) {
      lo = ~lo >>> 0;
      hi = ~hi >>> 0;
    }
    this.lo = lo;
    this.hi = hi;
  }

  /** A small unsigned varint (header counts). */
  count(what: string): number {
    this.varint64();
    if (this.hi !== 0 || this.lo > 0x7fffffff) throw new Error(`${what} ${this.lo} is out of range`);
    return this.lo;
  }
}

/** `w` (≤ 32) bits at bit `bit` after byte `base` of buf (LSB first), unsigned. */
function bits(buf: Uint8Array, base: number, bit: number, w: number): number {
  if (w === 0) return 0;
  const at = base + (bit >>> 3);
  const shift = bit & 7;
  let v = (buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16) | (buf[at + 3] << 24)) >>> shift;
  if (shift + w > 32) v |= buf[at + 4] << (32 - shift);
  return w === 32 ? v >>> 0 : (v & ((1 << w) - 1)) >>> 0;
}

/**
 * DELTA_BINARY_PACKED into `out` as 32-bit words: two per value (low, high)
 * when `wide`, else one. The arithmetic is exact modulo 2^64 (or 2^32),
 * carried by hand over 32-bit halves, because the format wraps around and
 * doubles would lose the low bits above 2^53. Returns the position after the
 * last miniblock used (padded miniblocks are whole, as the spec requires).
 */
export function deltaBinaryPacked(
  buf: Uint8Array,
  pos: number,
  end: number,
  n: number,
  out: Uint32Array,
  at: number,
  wide: boolean,
): number {
  const c = new Cursor(buf, pos, end);
  const blockSize = c.count('delta block size');
  const miniblocks = c.count('delta miniblock count');
  const total = c.count('delta value count');
  if (blockSize === 0 || blockSize % 128 !== 0)
    throw new Error(`delta block size ${blockSize} is not a multiple of 128`);
  if (miniblocks === 0 || blockSize % miniblocks !== 0 || (blockSize / miniblocks) % 32 !== 0)
    throw new Error(`delta miniblock count ${miniblocks} does not divide the block size ${blockSize}`);
  if (total !== n) throw new Error(`delta header says ${total} values where the page has ${n}`);
  c.zigzag64();
  let plo = c.lo;
  let phi = c.hi;
  const stride = wide ? 2 : 1;
  if (n > 0) {
    out[at] = plo;
    if (wide) out[at + 1] = phi;
  }
  const perMini = blockSize / miniblocks;
  let k = 1;
  while (k < n) {
    c.zigzag64();
    const mlo = c.lo;
    const mhi = c.hi;
    need(c.pos, miniblocks, end, 'delta bit widths');
    const widths = c.pos;
    c.pos += miniblocks;
    for (let m = 0; m < miniblocks && k < n; m++) {
      const w = buf[widths + m];
      if (w > (wide ? 64 : 32)) throw new Error(`delta bit width ${w} is too wide`);
      const bytes = (perMini * w) >> 3;
      need(c.pos, bytes, end, 'delta miniblock');
      const base = c.pos;
      const stop = Math.min(n, k + perMini);
      for (let bit = 0; k < stop; k++, bit += w) {
        const lo = w <= 32 ? bits(buf, base, bit, w) : bits(buf, base, bit, 32);
        const hi = w <= 32 ? 0 : bits(buf, base, bit + 32, w - 32);
        // prev + minDelta + packed, carrying from the low half into the high one.
        let s = plo + mlo;
        let carry = s > 0xffffffff ? 1 : 0;
        s = (s >>> 0) + lo;
        carry += s > 0xffffffff ? 1 : 0;
        plo = s >>> 0;
        phi = (phi + mhi + hi + carry) >>> 0;
        out[at + k * stride] = plo;
        if (wide) out[at + k * stride + 1] = phi;
      }
      c.pos = base + bytes;
    }
  }
  return c.pos;
}

/** Decodes a DELTA_BINARY_PACKED stream of `n` 32-bit lengths (non-negative). */
function deltaLengths(
  buf: Uint8Array,
  pos: number,
  end: number,
  n: number,
): { lengths: Int32Array; pos: number } {
  const lengths = new Int32Array(n);
  const after = deltaBinaryPacked(buf, pos, end, n, new Uint32Array(lengths.buffer), 0, false);
  for (let i = 0; i < n; i++) if (lengths[i] < 0) throw new Error(`negative byte array length ${lengths[i]}`);
  return { lengths, pos: after };
}

/** DELTA_LENGTH_BYTE_ARRAY: the lengths delta-encoded, then all bytes back to back. */
export function deltaLengthBytes(
  buf: Uint8Array,
  pos: number,
  end: number,
  n: number,
  out: ByteValues,
): number {
  const { lengths, pos: data } = deltaLengths(buf, pos, end, n);
  let total = 0;
  for (let i = 0; i < n; i++) total += lengths[i];
  need(data, total, end, 'delta-length byte arrays');
  out.reserveValues(n);
  out.reserveBytes(total);
  const at = out.length;
  out.data.set(buf.subarray(data, data + total), at);
  let o = at;
  for (let i = 0; i < n; i++) {
    o += lengths[i];
    out.offsets[out.count + i + 1] = o;
  }
  out.count += n;
  return data + total;
}

/**
 * DELTA_BYTE_ARRAY (incremental encoding): prefix lengths, then the suffixes
 * as DELTA_LENGTH_BYTE_ARRAY; each value is the previous value's prefix plus
 * its suffix.
 */
export function deltaBytes(buf: Uint8Array, pos: number, end: number, n: number, out: ByteValues): number {
  const { lengths: prefixes, pos: p1 } = deltaLengths(buf, pos, end, n);
  const { lengths: suffixes, pos: p2 } = deltaLengths(buf, p1, end, n);
  let suffixBytes = 0;
  let total = 0;
  let prev = 0;
  for (let i = 0; i < n; i++) {
    if (prefixes[i] > prev) throw new Error(`prefix length ${prefixes[i]} is longer than the previous value`);
    prev = prefixes[i] + suffixes[i];
    suffixBytes += suffixes[i];
    total += prev;
  }
  need(p2, suffixBytes, end, 'delta byte array suffixes');
  out.reserveValues(n);
  out.reserveBytes(total);
  const data = out.data;
  let at = out.length;
  let prevStart = at;
  let src = p2;
  for (let i = 0; i < n; i++) {
    const start = at;
    data.copyWithin(at, prevStart, prevStart + prefixes[i]);
    at += prefixes[i];
    data.set(buf.subarray(src, src + suffixes[i]), at);
    at += suffixes[i];
    src += suffixes[i];
    out.offsets[out.count + i + 1] = at;
    prevStart = start;
  }
  out.count += n;
  return src;
}
