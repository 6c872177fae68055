/**
 * The values of one column chunk: gathered from Arrow into contiguous typed
 * arrays, then encoded PLAIN, DELTA_BINARY_PACKED (INT64) or as a dictionary
 * (a PLAIN dictionary page plus RLE/bit-packed codes), with the chunk's
 * min/max statistics.
 *
 * The choice per chunk: build the dictionary (open addressing over the
 * values' bytes, no JS value per row), giving up once the distinct values
 * exceed half the values. A dictionary of at most 1/16 of the values is kept
 * outright (protocols, states, services, most addresses and ports); between
 * that and PLAIN (or DELTA), zstd decides: each candidate is compressed and
 * the smallest wins. Measured on Zeek conn and Suricata EVE (issue 11): a
 * size estimate before compression picks dictionaries for counters and times
 * that zstd compresses better PLAIN, and DELTA beats PLAIN on Zeek's `ts`
 * in nanoseconds but loses on durations.
 */
import type * as A from 'apache-arrow';
import { dictionaryEntries } from '../../types/dictionary-strings.js';
import { ByteSink } from './bytes.js';
import { encodeDelta64 } from './delta.js';
import { Encoding, PhysicalType } from './format.js';
import { bitWidth, encodeHybrid } from './rle.js';
import type { ParquetNode } from './schema.js';

/**
 * A chunk's values, encoded: the choice made for the whole chunk, and a
 * writer of any range of them, so that the chunk can be cut into pages.
 */
export interface EncodedValues {
  /** The data pages' value encoding (PLAIN, DELTA_BINARY_PACKED or RLE_DICTIONARY). */
  encoding: number;
  /** The dictionary page's body (PLAIN entries), when dictionary-encoded. */
  dictionary: Uint8Array | undefined;
  dictionaryCount: number;
  /** Statistics' min_value/max_value as PLAIN bytes; undefined when unknown or too long. */
  min: Uint8Array | undefined;
  max: Uint8Array | undefined;
  /** About how many bytes all values take encoded (to size pages). */
  size: number;
  /** Appends values [from, to) (counting present values only) encoded to `out`. */
  write(out: ByteSink, from: number, to: number): void;
}

/** Strings longer than this get no min/max (a truncated max would need rounding up). */
const MAX_STAT_BYTES = 64;
/** Dictionaries bigger than this (bytes) are not worth a page of their own. */
const MAX_DICTIONARY_BYTES = 1 << 20;
/** Below this many values, encodings are not worth comparing by compressing each. */
const MIN_TRIAL = 256;
/** A dictionary whose entries take at most 1/this of the values' bytes is kept without trying the others. */
const DICTIONARY_CLEAR_WIN = 16;

/**
 * Encodes the values at `idx[0..n)` of `data` for leaf `node`; `compressedSize`
 * tells what zstd makes of a candidate encoding. Positions are rows of `data`:
 * arrow-js slices value and offset buffers along with the data, so only
 * bit-addressed buffers (bool values) add `data.offset` (see types/values.ts).
 * The result shares working arrays with the next call: use it up before.
 */
export function encodeValues(
  node: ParquetNode,
  data: A.Data,
  idx: Int32Array,
  n: number,
  compressedSize: (bytes: Uint8Array) => number,
): EncodedValues {
  switch (node.physical) {
    case PhysicalType.BOOLEAN:
      return encodeBool(data, idx, n);
    case PhysicalType.INT32:
      return encodeFixed(gather32(data, idx, n), 1, n, 'int', compressedSize);
    case PhysicalType.INT64:
      return encodeFixed(
        gather64(data, idx, n),
        2,
        n,
        node.vast?.kind === 'uint64' ? 'uint' : 'int',
        compressedSize,
      );
    case PhysicalType.FIXED_LEN_BYTE_ARRAY:
      return encodeFixed(gatherWords(data, idx, n, 4), 4, n, 'bytes', compressedSize);
    case PhysicalType.DOUBLE:
      return encodeDouble(data, idx, n);
    case PhysicalType.BYTE_ARRAY:
      return data.dictionary
        ? encodeDictionaryStrings(data, idx, n, compressedSize)
        : encodeStrings(data, idx, n, compressedSize);
    default:
      throw new Error(`no Parquet encoder for physical type ${node.physical}`);
  }
}

const encoded = (
  encoding: number,
  size: number,
  write: (out: ByteSink, from: number, to: number) => void,
  min?: Uint8Array,
  max?: Uint8Array,
): EncodedValues => ({ encoding, dictionary: undefined, dictionaryCount: 0, min, max, size, write });

/** Dictionary codes as data pages hold them: the bit width, then the hybrid runs. */
function writeCodes(codes: Int32Array, count: number): (out: ByteSink, from: number, to: number) => void {
  const bw = Math.max(1, bitWidth(count - 1));
  return (out, from, to) => {
    out.u8(bw);
    encodeHybrid(out, codes.subarray(from, to), to - from, bw);
  };
}

const asBytes = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * Working arrays reused from chunk to chunk, by role: a row group's chunks
 * used to allocate (and the kernel to zero, and the GC to track) a few MiB of
 * fresh typed arrays each. Hence the contract of `encodeValues`: what it
 * returns is valid until its next call (the writer encodes a chunk and writes
 * its pages before it encodes the next one). Contents are left over from the
 * last use unless said otherwise.
 */
const S_VALUES = 0;
const S_TABLE = 1;
const S_HASHES = 2;
const S_FIRSTS = 3;
const S_CODES = 4;
const S_POSITIONS = 5;
const S_REMAP = 6;
const S_LENGTHS = 7;
const scratch32: Uint32Array[] = [];
const scratchSinks: ByteSink[] = [];
const K_DELTA = 0;
const K_CODES = 1;
const K_PLAIN = 2;
const K_DICT = 3;
const K_PAGE = 4;
const K_LENGTHS = 5;

function u32(role: number, n: number): Uint32Array {
  let a = scratch32[role];
  if (!a || a.length < n) {
    a = new Uint32Array(Math.max(n, 2 * (a?.length ?? 0), 1024));
    scratch32[role] = a;
  }
  return a.subarray(0, n);
}

function i32(role: number, n: number): Int32Array {
  const a = u32(role, n);
  return new Int32Array(a.buffer, a.byteOffset, n);
}

/** An empty byte sink of at least `capacity` bytes, for `role`. */
function sink(role: number, capacity: number): ByteSink {
  let s = scratchSinks[role];
  if (!s) {
    s = new ByteSink(capacity);
    scratchSinks[role] = s;
  }
  s.length = 0;
  s.reserve(capacity);
  return s;
}

// --- booleans: PLAIN is one bit per value, LSB first.

function encodeBool(data: A.Data, idx: Int32Array, n: number): EncodedValues {
  const bits = data.values as Uint8Array;
  const base = data.offset;
  const vals = new Uint8Array(n);
  let trues = 0;
  for (let i = 0; i < n; i++) {
    const p = base + idx[i]; // bool values are bit-addressed, never sliced
    vals[i] = (bits[p >> 3] >> (p & 7)) & 1;
    trues += vals[i];
  }
  const write = (out: ByteSink, from: number, to: number) => {
    const bytes = (to - from + 7) >> 3;
    out.reserve(bytes);
    const buf = out.buf;
    const at = out.length;
    buf.fill(0, at, at + bytes);
    for (let i = from; i < to; i++) buf[at + ((i - from) >> 3)] |= vals[i] << ((i - from) & 7);
    out.length += bytes;
  };
  if (n === 0) return encoded(Encoding.PLAIN, 0, write);
  return encoded(
    Encoding.PLAIN,
    (n + 7) >> 3,
    write,
    Uint8Array.of(trues < n ? 0 : 1),
    Uint8Array.of(trues > 0 ? 1 : 0),
  );
}

// --- fixed-width values as 32-bit words (INT32: 1, INT64: 2, FLBA(16): 4 per value).

/** The values of `data` as 32-bit words (a view when aligned, else a copy). */
function words(data: A.Data): Uint32Array {
  const v = data.values as ArrayBufferView;
  const start = v.byteOffset;
  const len = v.byteLength >> 2;
  if (start % 4 === 0) return new Uint32Array(v.buffer, start, len);
  return new Uint32Array(new Uint8Array(v.buffer, start, len * 4).slice().buffer);
}

function gatherWords(data: A.Data, idx: Int32Array, n: number, width: number): Uint32Array {
  const src = words(data);
  const dst = u32(S_VALUES, n * width);
  for (let i = 0; i < n; i++) {
    const s = idx[i] * width;
    for (let w = 0; w < width; w++) dst[i * width + w] = src[s + w];
  }
  return dst;
}

function gather64(data: A.Data, idx: Int32Array, n: number): Uint32Array {
  const src = words(data);
  const dst = u32(S_VALUES, n * 2);
  for (let i = 0; i < n; i++) {
    const s = idx[i] * 2;
    dst[2 * i] = src[s];
    dst[2 * i + 1] = src[s + 1];
  }
  return dst;
}

/** Ports (Uint16) and prefix lengths (Uint8) widened to INT32. */
function gather32(data: A.Data, idx: Int32Array, n: number): Uint32Array {
  const src = data.values as Uint8Array | Uint16Array | Int32Array | Uint32Array;
  const dst = u32(S_VALUES, n);
  for (let i = 0; i < n; i++) dst[i] = src[idx[i]];
  return dst;
}

/** murmur3's finalizer: spreads the hash's bits for power-of-two tables. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

interface Dict {
  /** Per value, its entry. */
  codes: Int32Array;
  /** Per entry, the first value that has it. */
  firsts: Int32Array;
  count: number;
}

const tableSize = (entries: number): number => {
  let cap = 16;
  while (cap < entries * 2) cap *= 2;
  return cap;
};

/** Dictionary of fixed-width values; undefined once there are more than `limit` distinct. */
function fixedDict(vals: Uint32Array, width: number, n: number, limit: number): Dict | undefined {
  const cap = tableSize(Math.min(n, limit + 1));
  const mask = cap - 1;
  const table = i32(S_TABLE, cap).fill(0);
  const firsts = i32(S_FIRSTS, Math.min(n, limit + 1));
  const codes = i32(S_CODES, n);
  let count = 0;
  if (width === 2) {
    // inline the following for performance: INT64 columns (counters, times) are most chunks; the
    // general loop below costs half again as much on them. Same hash, same table, same result.
    for (let i = 0; i < n; i++) {
      const lo = vals[2 * i];
      const hi = vals[2 * i + 1];
      let slot = fmix(Math.imul(Math.imul(0x9747b28c ^ lo, 0x01000193) ^ hi, 0x01000193)) & mask;
      for (;;) {
        const e = table[slot];
        if (e === 0) {
          if (count >= limit) return undefined;
          firsts[count] = i;
          table[slot] = ++count;
          codes[i] = count - 1;
          break;
        }
        const f = firsts[e - 1] * 2;
        if (vals[f] === lo && vals[f + 1] === hi) {
          codes[i] = e - 1;
          break;
        }
        slot = (slot + 1) & mask;
      }
    }
    return { codes, firsts, count };
  }
  for (let i = 0; i < n; i++) {
    const b = i * width;
    let h = 0x9747b28c;
    for (let w = 0; w < width; w++) h = Math.imul(h ^ vals[b + w], 0x01000193);
    let slot = fmix(h) & mask;
    for (;;) {
      const e = table[slot];
      if (e === 0) {
        if (count >= limit) return undefined;
        firsts[count] = i;
        table[slot] = ++count;
        codes[i] = count - 1;
        break;
      }
      const f = firsts[e - 1] * width;
      let same = true;
      for (let w = 0; w < width && same; w++) same = vals[f + w] === vals[b + w];
      if (same) {
        codes[i] = e - 1;
        break;
      }
      slot = (slot + 1) & mask;
    }
  }
  return { codes, firsts, count };
}

type Order = 'int' | 'uint' | 'bytes';

const bswap = (w: number): number =>
  (((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24)) >>> 0;

/** Compares value a and b (word offsets) of `width` words in the column's sort order. */
function compareFixed(vals: Uint32Array, a: number, b: number, width: number, order: Order): number {
  if (order === 'bytes') {
    // Byte order is the order of the words with their bytes swapped (they hold bytes little-endian).
    for (let k = 0; k < width; k++) {
      const x = bswap(vals[a + k]);
      const y = bswap(vals[b + k]);
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  }
  // Words are little-endian: the high word decides, signed for signed INT64/INT32.
  const hi = width - 1;
  const ha = order === 'int' ? vals[a + hi] | 0 : vals[a + hi];
  const hb = order === 'int' ? vals[b + hi] | 0 : vals[b + hi];
  if (ha !== hb) return ha < hb ? -1 : 1;
  return width === 2 ? vals[a] - vals[b] : 0;
}

/** Min and max among the first `m` values. */
function minMaxFixed(
  vals: Uint32Array,
  width: number,
  order: Order,
  m: number,
): { min: Uint8Array | undefined; max: Uint8Array | undefined } {
  if (m === 0) return { min: undefined, max: undefined };
  let lo = 0;
  let hi = 0;
  for (let k = 1; k < m; k++) {
    const p = k * width;
    if (compareFixed(vals, p, lo, width, order) < 0) lo = p;
    else if (compareFixed(vals, p, hi, width, order) > 0) hi = p;
  }
  return {
    min: asBytes(vals.subarray(lo, lo + width)).slice(),
    max: asBytes(vals.subarray(hi, hi + width)).slice(),
  };
}

function encodeFixed(
  vals: Uint32Array,
  width: number,
  n: number,
  order: Order,
  compressedSize: (bytes: Uint8Array) => number,
): EncodedValues {
  const writePlain = (out: ByteSink, from: number, to: number) =>
    out.bytes(asBytes(vals.subarray(from * width, to * width)));
  // All null: no values, and no dictionary page for none.
  if (n === 0) return encoded(Encoding.PLAIN, 0, writePlain);
  const dict = fixedDict(vals, width, n, n >> 1);
  const entries = dict ? new Uint32Array(dict.count * width) : undefined;
  if (dict && entries)
    for (let e = 0; e < dict.count; e++)
      for (let w = 0; w < width; w++) entries[e * width + w] = vals[dict.firsts[e] * width + w];
  const { min, max } =
    dict && entries ? minMaxFixed(entries, width, order, dict.count) : minMaxFixed(vals, width, order, n);
  // The trial's encoding of all values, reused when the chunk is one page.
  let whole: ByteSink | undefined;
  const writeDelta = (out: ByteSink, from: number, to: number) => {
    if (whole && from === 0 && to === n) out.bytes(whole.view());
    else encodeDelta64(out, vals.subarray(from * 2, to * 2), to - from);
  };
  let choice: number = dict ? Encoding.RLE_DICTIONARY : Encoding.PLAIN;
  let size = n * width * 4;
  // Few distinct values: the dictionary wins by far, no need to try the rest.
  const clear = dict && dict.count * DICTIONARY_CLEAR_WIN <= n;
  // Without an alternative (no dictionary, and no DELTA but for INT64) PLAIN is the choice: no trial.
  if (!clear && n >= MIN_TRIAL && (dict || width === 2)) {
    // Otherwise PLAIN, DELTA_BINARY_PACKED (INT64) or the dictionary: whichever
    // zstd makes smallest. Sorted or slowly changing values favour DELTA,
    // unsorted times and mostly distinct counters PLAIN.
    let best = compressedSize(asBytes(vals));
    choice = Encoding.PLAIN;
    if (width === 2) {
      const delta = sink(K_DELTA, n * 4 + 64);
      writeDelta(delta, 0, n);
      whole = delta;
      const zsize = compressedSize(delta.view());
      if (zsize < best) {
        best = zsize;
        choice = Encoding.DELTA_BINARY_PACKED;
        size = delta.length;
      }
    }
    if (dict && entries) {
      const codes = sink(K_CODES, Math.max(64, n >> 1));
      writeCodes(dict.codes, dict.count)(codes, 0, n);
      if (compressedSize(asBytes(entries)) + compressedSize(codes.view()) < best)
        choice = Encoding.RLE_DICTIONARY;
    }
  }
  if (choice === Encoding.RLE_DICTIONARY && dict && entries) {
    return {
      ...encoded(
        Encoding.RLE_DICTIONARY,
        (n * bitWidth(dict.count)) >> 3,
        writeCodes(dict.codes, dict.count),
        min,
        max,
      ),
      dictionary: asBytes(entries),
      dictionaryCount: dict.count,
    };
  }
  if (choice === Encoding.DELTA_BINARY_PACKED) return encoded(choice, size, writeDelta, min, max);
  return encoded(Encoding.PLAIN, size, writePlain, min, max);
}

// --- doubles: PLAIN (8 bytes little-endian); min/max skip NaN, zeros signed as the spec asks.

function encodeDouble(data: A.Data, idx: Int32Array, n: number): EncodedValues {
  const src = data.values as Float64Array;
  const dst = new Float64Array(n);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let any = false;
  for (let i = 0; i < n; i++) {
    const v = src[idx[i]];
    dst[i] = v;
    if (Number.isNaN(v)) continue;
    any = true;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const write = (out: ByteSink, from: number, to: number) => out.bytes(asBytes(dst.subarray(from, to)));
  if (!any) return encoded(Encoding.PLAIN, n * 8, write);
  // A zero minimum is written as -0.0 and a zero maximum as +0.0 (parquet.thrift, ColumnOrder).
  return encoded(
    Encoding.PLAIN,
    n * 8,
    write,
    asBytes(Float64Array.of(min === 0 ? -0 : min)),
    asBytes(Float64Array.of(max === 0 ? 0 : max)),
  );
}

// --- strings: PLAIN is a 4-byte length then the bytes; dictionaries hash the bytes.

/** Utf8 values: value j of the column spans bytes[offsets[j] .. offsets[j + 1]). */
interface Utf8Source {
  offsets: Int32Array;
  bytes: Uint8Array;
}

function utf8Source(data: A.Data): Utf8Source {
  return { offsets: data.valueOffsets as Int32Array, bytes: data.values as Uint8Array };
}

/** A dictionary vector's chunks as one Utf8 source (the entries as the kernels see them, concatenated once). */
function dictionarySource(dictionary: A.Vector): Utf8Source {
  return utf8Source(dictionaryEntries(dictionary));
}

function compareBytes(b: Uint8Array, s1: number, e1: number, s2: number, e2: number): number {
  const l1 = e1 - s1;
  const l2 = e2 - s2;
  const l = Math.min(l1, l2);
  for (let k = 0; k < l; k++) {
    const d = b[s1 + k] - b[s2 + k];
    if (d !== 0) return d;
  }
  return l1 - l2;
}

/** Min and max (unsigned byte order) among values `pos(k)`, k < m; undefined if either is too long. */
function minMaxStrings(
  src: Utf8Source,
  positions: Int32Array,
  m: number,
): { min: Uint8Array | undefined; max: Uint8Array | undefined } {
  if (m === 0) return { min: undefined, max: undefined };
  const { offsets, bytes } = src;
  let lo = positions[0];
  let hi = lo;
  for (let k = 1; k < m; k++) {
    const p = positions[k];
    const s = offsets[p];
    const e = offsets[p + 1];
    if (compareBytes(bytes, s, e, offsets[lo], offsets[lo + 1]) < 0) lo = p;
    else if (compareBytes(bytes, s, e, offsets[hi], offsets[hi + 1]) > 0) hi = p;
  }
  const cut = (p: number) => {
    const s = offsets[p];
    const e = offsets[p + 1];
    return e - s > MAX_STAT_BYTES ? undefined : bytes.slice(s, e);
  };
  const min = cut(lo);
  const max = cut(hi);
  return min && max ? { min, max } : { min: undefined, max: undefined };
}

/** Appends PLAIN byte arrays for the values at `positions[0..m)` of `src`. */
function plainStrings(src: Utf8Source, positions: Int32Array, m: number, out: ByteSink): void {
  const { offsets, bytes } = src;
  let total = 0;
  for (let k = 0; k < m; k++) total += offsets[positions[k] + 1] - offsets[positions[k]];
  out.reserve(total + 4 * m);
  const buf = out.buf;
  let at = out.length;
  for (let k = 0; k < m; k++) {
    const s = offsets[positions[k]];
    const e = offsets[positions[k] + 1];
    const len = e - s;
    buf[at] = len;
    buf[at + 1] = len >>> 8;
    buf[at + 2] = len >>> 16;
    buf[at + 3] = len >>> 24;
    at += 4;
    // Short strings (most of them) copy faster by hand than through set()'s call.
    if (len < 32) for (let j = 0; j < len; j++) buf[at + j] = bytes[s + j];
    else buf.set(bytes.subarray(s, e), at);
    at += len;
  }
  out.length = at;
}

/**
 * Appends DELTA_LENGTH_BYTE_ARRAY for the values at `positions[0..m)` of
 * `src`: the lengths DELTA_BINARY_PACKED, then the bytes back to back.
 */
function deltaLengthStrings(src: Utf8Source, positions: Int32Array, m: number, out: ByteSink): void {
  const { offsets, bytes } = src;
  const lengths = u32(S_LENGTHS, 2 * m);
  let total = 0;
  for (let k = 0; k < m; k++) {
    const len = offsets[positions[k] + 1] - offsets[positions[k]];
    lengths[2 * k] = len;
    lengths[2 * k + 1] = 0;
    total += len;
  }
  encodeDelta64(out, lengths, m);
  out.reserve(total);
  const buf = out.buf;
  let at = out.length;
  for (let k = 0; k < m; k++) {
    const s = offsets[positions[k]];
    const e = offsets[positions[k] + 1];
    if (e - s < 32) for (let j = s; j < e; j++) buf[at++] = bytes[j];
    else {
      buf.set(bytes.subarray(s, e), at);
      at += e - s;
    }
  }
  out.length = at;
}

/** Dictionary encoding with entries `firsts[0..count)` of `src` and a code per value. */
function stringDictionary(
  src: Utf8Source,
  firsts: Int32Array,
  count: number,
  codes: Int32Array,
  n: number,
  dictBytes: number,
): EncodedValues {
  const page = sink(K_PAGE, Math.max(64, dictBytes));
  plainStrings(src, firsts, count, page);
  const { min, max } = minMaxStrings(src, firsts, count);
  return {
    ...encoded(Encoding.RLE_DICTIONARY, (n * bitWidth(count)) >> 3, writeCodes(codes, count), min, max),
    dictionary: page.view(),
    dictionaryCount: count,
  };
}

/** PLAIN strings at `positions[0..n)` of `src`. */
function stringPlain(src: Utf8Source, positions: Int32Array, n: number, stats: Int32Array, m: number) {
  const { min, max } = minMaxStrings(src, stats, m);
  let size = 4 * n;
  for (let k = 0; k < n; k++) size += src.offsets[positions[k] + 1] - src.offsets[positions[k]];
  return encoded(
    Encoding.PLAIN,
    size,
    (out, from, to) => plainStrings(src, positions.subarray(from, to), to - from, out),
    min,
    max,
  );
}

/** DELTA_LENGTH_BYTE_ARRAY strings at `positions` of `src`, the same values and statistics as `plain`. */
function stringDeltaLength(src: Utf8Source, positions: Int32Array, plain: EncodedValues) {
  return encoded(
    Encoding.DELTA_LENGTH_BYTE_ARRAY,
    plain.size,
    (out, from, to) => deltaLengthStrings(src, positions.subarray(from, to), to - from, out),
    plain.min,
    plain.max,
  );
}

/**
 * Strings without a dictionary (uids, URLs, hashes): PLAIN interleaves each
 * value with its 4-byte length, DELTA_LENGTH_BYTE_ARRAY keeps the bytes
 * together, which zstd compresses better and the reader copies at once;
 * zstd decides between them.
 */
function distinctStrings(
  src: Utf8Source,
  idx: Int32Array,
  n: number,
  compressedSize: (bytes: Uint8Array) => number,
): EncodedValues {
  const plain = stringPlain(src, idx, n, idx, n);
  if (n < MIN_TRIAL) return plain;
  const delta = stringDeltaLength(src, idx, plain);
  const a = sink(K_PLAIN, plain.size + 64);
  plain.write(a, 0, n);
  const b = sink(K_LENGTHS, plain.size + 64);
  delta.write(b, 0, n);
  return compressedSize(b.view()) <= compressedSize(a.view()) ? delta : plain;
}

function encodeStrings(
  data: A.Data,
  idx: Int32Array,
  n: number,
  compressedSize: (bytes: Uint8Array) => number,
): EncodedValues {
  const src = utf8Source(data);
  const { offsets, bytes } = src;
  const limit = n >> 1;
  const cap = tableSize(Math.min(n, limit + 1));
  const mask = cap - 1;
  const table = i32(S_TABLE, cap).fill(0);
  // Each slot's full hash: most probes that miss are told apart without comparing bytes.
  const hashes = u32(S_HASHES, cap);
  const firsts = i32(S_FIRSTS, Math.min(n, limit + 1));
  const codes = i32(S_CODES, n);
  let count = 0;
  let dictBytes = 0;
  let ok = true;
  for (let i = 0; i < n && ok; i++) {
    const p = idx[i];
    const s = offsets[p];
    const e = offsets[p + 1];
    let h = 0x811c9dc5;
    for (let k = s; k < e; k++) h = Math.imul(h ^ bytes[k], 0x01000193);
    h = fmix(h);
    let slot = h & mask;
    for (;;) {
      const c = table[slot];
      if (c === 0) {
        dictBytes += 4 + e - s;
        if (count >= limit || dictBytes > MAX_DICTIONARY_BYTES) {
          ok = false;
          break;
        }
        firsts[count] = p;
        table[slot] = ++count;
        hashes[slot] = h;
        codes[i] = count - 1;
        break;
      }
      const f = firsts[c - 1];
      if (hashes[slot] === h && compareBytes(bytes, s, e, offsets[f], offsets[f + 1]) === 0) {
        codes[i] = c - 1;
        break;
      }
      slot = (slot + 1) & mask;
    }
  }
  if (!ok || n === 0) return distinctStrings(src, idx, n, compressedSize);
  const dict = stringDictionary(src, firsts, count, codes, n, dictBytes);
  if (count * DICTIONARY_CLEAR_WIN <= n || n < MIN_TRIAL) return dict;
  return smaller(stringPlain(src, idx, n, firsts, count), dict, n, compressedSize);
}

/**
 * Dictionary-encoded Arrow strings (enums, and strings from the store):
 * reuse the Arrow dictionary, keeping only the entries this chunk uses.
 */
/** Of PLAIN and a middling dictionary, whichever zstd makes smaller. */
function smaller(
  plain: EncodedValues,
  dict: EncodedValues,
  n: number,
  compressedSize: (bytes: Uint8Array) => number,
): EncodedValues {
  const a = sink(K_PLAIN, plain.size + 64);
  plain.write(a, 0, n);
  const b = sink(K_DICT, dict.size + 64);
  dict.write(b, 0, n);
  return compressedSize(a.view()) <= compressedSize(dict.dictionary!) + compressedSize(b.view())
    ? plain
    : dict;
}

function encodeDictionaryStrings(
  data: A.Data,
  idx: Int32Array,
  n: number,
  compressedSize: (bytes: Uint8Array) => number,
): EncodedValues {
  const src = dictionarySource(data.dictionary!);
  const keys = data.values as Int16Array | Int32Array | Uint8Array;
  const size = src.offsets.length - 1;
  const remap = i32(S_REMAP, Math.max(0, size)).fill(-1);
  const firsts = i32(S_FIRSTS, Math.min(n, Math.max(0, size)));
  const codes = i32(S_CODES, n);
  let count = 0;
  let dictBytes = 0;
  for (let i = 0; i < n; i++) {
    const key = keys[idx[i]];
    let c = remap[key];
    if (c < 0) {
      c = count++;
      remap[key] = c;
      firsts[c] = key;
      dictBytes += 4 + src.offsets[key + 1] - src.offsets[key];
    }
    codes[i] = c;
  }
  // PLAIN goes value by value through the keys.
  const positions = i32(S_POSITIONS, n);
  for (let i = 0; i < n; i++) positions[i] = keys[idx[i]];
  if (n === 0 || count > n >> 1 || dictBytes > MAX_DICTIONARY_BYTES)
    return stringPlain(src, positions, n, firsts, count);
  const dict = stringDictionary(src, firsts, count, codes, n, dictBytes);
  if (count * DICTIONARY_CLEAR_WIN <= n || n < MIN_TRIAL) return dict;
  return smaller(stringPlain(src, positions, n, firsts, count), dict, n, compressedSize);
}
