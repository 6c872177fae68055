/**
 * Partition synopses: what the catalog knows about a partition without opening
 * it (DESIGN principle 3, "prune before you scan"). Per leaf field:
 * - numbers, times, durations, ports: min and max;
 * - strings and ips: a Bloom filter over the distinct values (kept in a sidecar
 *   file, loaded only by queries that need it); ips also the IPv4 range and
 *   the prefix sketches of subnet-sketch.ts;
 * - enums: the exact set of values.
 * Built incrementally while a partition is written. Every record batch of
 * the partition gets the same kinds of synopses too (kept in the sidecar), so a
 * query that opens a partition reads only the batches that may match.
 */
import { crc32 } from 'node:zlib';
import type * as A from 'apache-arrow';
import { isV4Mapped } from '../types/ip.js';
import { indexPath, type Leaf, leaves, type RecordType } from '../types/type.js';
import { Bloom, type BloomHash, bloomHash, HashSet32, HashUnion, hashIpWords, hashWords } from './bloom.js';
import type { FileChecksums } from './checksum.js';
import { CorruptionError } from './errors.js';
import { type Net4Ref, type Net6Ref, PrefixAcc } from './subnet-sketch.js';

/** What the catalog stores for one field; bigints travel as decimal strings. */
export interface FieldSynopsis {
  /** Rows where the field is null. */
  nulls: number;
  min?: string | number;
  max?: string | number;
  /** Byte range of this field's Bloom filter in the partition's sketch file, and the hash it holds. */
  bloom?: { offset: number; length: number; probes: number; hash?: BloomHash };
  /** All distinct values (enums only). */
  values?: string[];
  /**
   * ip fields: the range of the IPv4 addresses (v4-mapped, 32 hex digits each),
   * and whether any IPv6 address occurs. Kept apart because one range over
   * both families would span nearly everything.
   */
  ip4?: [string, string];
  ip6?: boolean;
  /** ip fields: the IPv4 prefixes present, in the sketch file (absent in sidecars written before it). */
  net4?: Net4Ref;
  /** ip fields: a Bloom filter of the IPv6 /32 and /48 prefixes present, in the sketch file. */
  net6?: Net6Ref;
}

/** Most enums have a handful of values; beyond this we stop listing them. */
const MAX_ENUM_VALUES = 1024;

interface Accumulator {
  add(data: A.Data, rows: number): void;
  /** Folds another accumulator of the same kind (a finished batch) into this one. */
  merge(other: this): void;
  finish(sketches: Uint8Array[], offset: { value: number }): FieldSynopsis;
}

/** Walks from a batch's root struct to a leaf's Data along child indices. */
function leafData(root: A.Data, indices: readonly number[]): A.Data {
  let data = root;
  for (const i of indices) data = data.children[i];
  return data;
}

/**
 * arrow-js convention: value buffers of a sliced Data start at its first row
 * (index `r`); validity bitmaps do not (index `offset + r`).
 */
function validity(data: A.Data): Uint8Array | undefined {
  // Read once per batch: `nullCount` is a getter that may count bits.
  const bm = data.nullBitmap;
  return data.nullCount === 0 || !bm || bm.length === 0 ? undefined : bm;
}

/**
 * Whether all `rows` rows of `data` are null (the columns of fields a batch
 * never had, common in wide schemas such as Suricata's): nothing to add but
 * their count, without a look at every row.
 */
function allNull(data: A.Data, rows: number): boolean {
  return data.length === rows && rows > 0 && data.nullCount === rows;
}

/** Whether row `j` (offset included) is valid, given `validity(data)`. */
function valid(bm: Uint8Array | undefined, j: number): boolean {
  return bm === undefined || (bm[j >> 3] & (1 << (j & 7))) !== 0;
}

/** Min/max over 64-bit integers, comparing 32-bit word pairs (no BigInt per value). */
class Int64Acc implements Accumulator {
  private nulls = 0;
  private seen = false;
  private minHi = 0;
  private minLo = 0;
  private maxHi = 0;
  private maxLo = 0;
  constructor(private readonly signed: boolean) {}
  add(data: A.Data, rows: number): void {
    if (allNull(data, rows)) {
      this.nulls += rows;
      return;
    }
    const bm = validity(data);
    const v = data.values as BigInt64Array;
    const u32 = new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
    const i32 = new Int32Array(v.buffer, v.byteOffset, v.length * 2);
    const hiOf = this.signed ? i32 : u32;
    for (let r = 0; r < rows; r++) {
      const j = data.offset + r;
      if (!valid(bm, j)) {
        this.nulls++;
        continue;
      }
      const hi = hiOf[2 * r + 1];
      const lo = u32[2 * r];
      if (!this.seen) {
        this.seen = true;
        this.minHi = this.maxHi = hi;
        this.minLo = this.maxLo = lo;
        continue;
      }
      if (hi < this.minHi || (hi === this.minHi && lo < this.minLo)) {
        this.minHi = hi;
        this.minLo = lo;
      }
      if (hi > this.maxHi || (hi === this.maxHi && lo > this.maxLo)) {
        this.maxHi = hi;
        this.maxLo = lo;
      }
    }
  }
  merge(o: Int64Acc): void {
    this.nulls += o.nulls;
    if (!o.seen) return;
    if (!this.seen || o.minHi < this.minHi || (o.minHi === this.minHi && o.minLo < this.minLo)) {
      this.minHi = o.minHi;
      this.minLo = o.minLo;
    }
    if (!this.seen || o.maxHi > this.maxHi || (o.maxHi === this.maxHi && o.maxLo > this.maxLo)) {
      this.maxHi = o.maxHi;
      this.maxLo = o.maxLo;
    }
    this.seen = true;
  }
  private toBig(hi: number, lo: number): string {
    return ((BigInt(hi) << 32n) | BigInt(lo >>> 0)).toString();
  }
  finish(): FieldSynopsis {
    if (!this.seen) return { nulls: this.nulls };
    return {
      nulls: this.nulls,
      min: this.toBig(this.minHi, this.minLo),
      max: this.toBig(this.maxHi, this.maxLo),
    };
  }
}

/** Min/max over doubles and ports. */
class NumberAcc implements Accumulator {
  private nulls = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  add(data: A.Data, rows: number): void {
    if (allNull(data, rows)) {
      this.nulls += rows;
      return;
    }
    const bm = validity(data);
    const v = data.values as Float64Array | Uint16Array;
    for (let r = 0; r < rows; r++) {
      const j = data.offset + r;
      if (!valid(bm, j)) {
        this.nulls++;
        continue;
      }
      const x = v[r];
      if (x < this.min) this.min = x;
      if (x > this.max) this.max = x;
    }
  }
  merge(o: NumberAcc): void {
    this.nulls += o.nulls;
    if (o.min < this.min) this.min = o.min;
    if (o.max > this.max) this.max = o.max;
  }
  finish(): FieldSynopsis {
    if (this.min > this.max) return { nulls: this.nulls };
    return { nulls: this.nulls, min: this.min, max: this.max };
  }
}

/**
 * The distinct value hashes of a field: a batch's accumulator fills `set`;
 * the partition's receives its batches' distinct hashes by `merge` (see
 * HashUnion). Either way, `finish` makes the Bloom filter.
 */
class Distinct {
  readonly set = new HashSet32();
  private readonly union = new HashUnion();
  private values: Uint32Array | undefined;
  /** This batch's distinct hashes (computed once). */
  private distinct(): Uint32Array {
    this.values ??= this.set.toArray();
    return this.values;
  }
  merge(o: Distinct): void {
    this.union.add(o.distinct());
  }
  get empty(): boolean {
    return this.set.size === 0 && this.union.size === 0;
  }
  /** Appends the Bloom filter to the sidecar's blob, and says where it is. */
  finish(blobs: Uint8Array[], offset: { value: number }): FieldSynopsis['bloom'] {
    const bloom = this.union.size > 0 ? this.union.bloom() : Bloom.of(this.distinct());
    blobs.push(bloom.bits);
    const ref = { offset: offset.value, length: bloom.bits.length, probes: bloom.probes, hash: 'w' as const };
    offset.value += bloom.bits.length;
    return ref;
  }
}

/** Distinct-value hashes of a string column (its UTF-8 bytes, never decoded), turned into a Bloom filter. */
class StringAcc implements Accumulator {
  private nulls = 0;
  private readonly hashes = new Distinct();
  add(data: A.Data, rows: number): void {
    if (allNull(data, rows)) {
      this.nulls += rows;
      return;
    }
    const bm = validity(data);
    const bytes = data.values as Uint8Array;
    const offsets = data.valueOffsets as Int32Array;
    const set = this.hashes.set;
    // Runs of one value are common (service, conn_state); one hash per run.
    let prevStart = -1;
    let prevEnd = -1;
    for (let r = 0; r < rows; r++) {
      if (!valid(bm, data.offset + r)) {
        this.nulls++;
        continue;
      }
      const start = offsets[r];
      const end = offsets[r + 1];
      if (end - start === prevEnd - prevStart && sameBytes(bytes, start, prevStart, end - start)) continue;
      prevStart = start;
      prevEnd = end;
      set.add(hashWords(bytes, start, end));
    }
  }
  merge(o: StringAcc): void {
    this.nulls += o.nulls;
    this.hashes.merge(o.hashes);
  }
  finish(blobs: Uint8Array[], offset: { value: number }): FieldSynopsis {
    if (this.hashes.empty) return { nulls: this.nulls };
    return { nulls: this.nulls, bloom: this.hashes.finish(blobs, offset) };
  }
}

function sameBytes(b: Uint8Array, i: number, j: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (b[i + k] !== b[j + k]) return false;
  return true;
}

/** Whether this host is little-endian: ip columns are then hashed as aligned 32-bit words. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
/** Word 2 of a v4-mapped address (bytes 00 00 ff ff) read little-endian. */
const V4_WORD2 = 0xffff0000;
const V4_HEX_PREFIX = '00000000000000000000ffff';

/**
 * An ip column: a Bloom filter of the distinct addresses, the range of the
 * IPv4 addresses (the byte order makes a subnet a range), whether any IPv6
 * address occurs, and the prefix sketches that let `in SUBNET` prune even
 * when outliers widen that range (subnet-sketch.ts).
 */
class IpAcc implements Accumulator {
  private nulls = 0;
  private readonly hashes = new Distinct();
  private readonly prefixes = new PrefixAcc();
  /** IPv4 range as unsigned numbers; min > max while there is none. */
  private min4 = 0x100000000;
  private max4 = -1;
  private ip6 = false;
  add(data: A.Data, rows: number): void {
    if (allNull(data, rows)) {
      this.nulls += rows;
      return;
    }
    const bm = validity(data);
    const bytes = data.values as Uint8Array;
    if (!LITTLE_ENDIAN || (bytes.byteOffset & 3) !== 0) {
      this.addBytes(data, bytes, rows);
      return;
    }
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, rows * 4);
    const set = this.hashes.set;
    const prefixes = this.prefixes;
    let min4 = this.min4;
    let max4 = this.max4;
    for (let r = 0; r < rows; r++) {
      if (!valid(bm, data.offset + r)) {
        this.nulls++;
        continue;
      }
      const w = r * 4;
      set.add(hashIpWords(words, w));
      if (words[w] === 0 && words[w + 1] === 0 && words[w + 2] === V4_WORD2) {
        const x = words[w + 3];
        // The address in network order: the word read little-endian, byte-swapped.
        const a = ((x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
        if (a < min4) min4 = a;
        if (a > max4) max4 = a;
        prefixes.addV4(a);
      } else {
        this.ip6 = true;
        prefixes.addV6(bytes, w * 4);
      }
    }
    this.min4 = min4;
    this.max4 = max4;
  }
  /** The same as `add` for unaligned buffers or big-endian hosts. */
  private addBytes(data: A.Data, bytes: Uint8Array, rows: number): void {
    const bm = validity(data);
    for (let r = 0; r < rows; r++) {
      if (!valid(bm, data.offset + r)) {
        this.nulls++;
        continue;
      }
      const o = r * 16;
      this.hashes.set.add(hashWords(bytes, o, o + 16));
      if (isV4Mapped(bytes, o)) {
        const a =
          ((bytes[o + 12] << 24) | (bytes[o + 13] << 16) | (bytes[o + 14] << 8) | bytes[o + 15]) >>> 0;
        if (a < this.min4) this.min4 = a;
        if (a > this.max4) this.max4 = a;
        this.prefixes.addV4(a);
      } else {
        this.ip6 = true;
        this.prefixes.addV6(bytes, o);
      }
    }
  }
  merge(o: IpAcc): void {
    this.nulls += o.nulls;
    this.hashes.merge(o.hashes);
    this.prefixes.merge(o.prefixes);
    if (o.min4 < this.min4) this.min4 = o.min4;
    if (o.max4 > this.max4) this.max4 = o.max4;
    this.ip6 ||= o.ip6;
  }
  finish(blobs: Uint8Array[], offset: { value: number }): FieldSynopsis {
    if (this.hashes.empty) return { nulls: this.nulls };
    const out: FieldSynopsis = { nulls: this.nulls, bloom: this.hashes.finish(blobs, offset) };
    if (this.min4 <= this.max4) out.ip4 = [hex4(this.min4), hex4(this.max4)];
    out.ip6 = this.ip6;
    return { ...out, ...this.prefixes.finish(blobs, offset) };
  }
}

/** An IPv4 address as 32 hex digits of its v4-mapped form. */
const hex4 = (a: number) => V4_HEX_PREFIX + a.toString(16).padStart(8, '0');

class EnumAcc implements Accumulator {
  private nulls = 0;
  private readonly values = new Set<string>();
  add(data: A.Data, rows: number): void {
    if (allNull(data, rows)) {
      this.nulls += rows;
      return;
    }
    const bm = validity(data);
    const keys = data.values as Int16Array;
    const dict = data.dictionary!;
    const seen = new Uint8Array(dict.length);
    for (let r = 0; r < rows; r++) {
      const j = data.offset + r;
      if (!valid(bm, j)) this.nulls++;
      else seen[keys[r]] = 1;
    }
    for (let k = 0; k < seen.length; k++)
      if (seen[k] && this.values.size < MAX_ENUM_VALUES) this.values.add(dict.get(k));
  }
  merge(o: EnumAcc): void {
    this.nulls += o.nulls;
    for (const v of o.values) if (this.values.size < MAX_ENUM_VALUES) this.values.add(v);
  }
  finish(): FieldSynopsis {
    return { nulls: this.nulls, values: [...this.values].sort() };
  }
}

class NullCountAcc implements Accumulator {
  private nulls = 0;
  add(data: A.Data, rows: number): void {
    if (allNull(data, rows)) {
      this.nulls += rows;
      return;
    }
    const bm = validity(data);
    for (let r = 0; r < rows; r++) if (!valid(bm, data.offset + r)) this.nulls++;
  }
  merge(o: NullCountAcc): void {
    this.nulls += o.nulls;
  }
  finish(): FieldSynopsis {
    return { nulls: this.nulls };
  }
}

function accumulatorFor(leaf: Leaf): Accumulator {
  switch (leaf.type.kind) {
    case 'int64':
    case 'time':
    case 'duration':
      return new Int64Acc(true);
    case 'uint64':
      return new Int64Acc(false);
    case 'double':
    case 'port':
      return new NumberAcc();
    case 'string':
      return new StringAcc();
    case 'ip':
      return new IpAcc();
    case 'enum':
      return new EnumAcc();
    default:
      // bool, subnet, list, map: null counts only; queries on them scan.
      return new NullCountAcc();
  }
}

/** The synopsis of one record batch of a partition (in the sidecar, not the catalog). */
export interface BatchSynopsis {
  rows: number;
  fields: Record<string, FieldSynopsis>;
}

/** The synopsis of a finished partition: field synopses plus the sidecar file's bytes. */
export interface PartitionSynopsis {
  fields: Record<string, FieldSynopsis>;
  /** The sidecar file's bytes. */
  sketch: Uint8Array;
}

/**
 * The sidecar (`<id>.sketch`): `VSK2`, a u32 (LE) CRC-32 of everything after
 * it, a u32 header length, the header as JSON (`SketchHeader`), then the
 * Bloom filter bytes that all `bloom.offset`s point into. The header also
 * holds the partition file's chunk checksums (see checksum.ts) and the WAL
 * segment of the commit, so that `vast rebuild` can restore both.
 * `VSK1` (no checksums, no CRC) is still read: partitions written before
 * checksums existed are unverified until `vast rebuild` computes them.
 */
const SKETCH_MAGIC = 'VSK2';
const LEGACY_MAGIC = 'VSK1';

export interface SketchHeader {
  batches: BatchSynopsis[];
  /** Checksums of the partition file (absent in legacy sidecars). */
  file?: FileChecksums;
  walSegment?: number;
}

export interface Sketch extends SketchHeader {
  blob: Uint8Array;
}

function encodeSketch(header: SketchHeader, blob: Uint8Array): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const fixed = Buffer.alloc(12);
  fixed.write(SKETCH_MAGIC, 0, 'latin1');
  fixed.writeUInt32LE(json.length, 8);
  const out = Buffer.concat([fixed, json, blob]);
  out.writeUInt32LE(crc32(out.subarray(8)), 4);
  return out;
}

/**
 * Parses a sidecar; anything that does not verify or parse is a
 * CorruptionError naming `file` (a wrong sidecar would prune wrongly, and
 * would fail to verify the partition).
 */
export function decodeSketch(bytes: Uint8Array, file = '<sketch>'): Sketch {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = b.length >= 4 ? b.toString('latin1', 0, 4) : '';
  let header: unknown;
  let blob: Uint8Array;
  if (magic === SKETCH_MAGIC) {
    if (b.length < 12) throw new CorruptionError(file, 'sidecar is truncated');
    if (crc32(b.subarray(8)) !== b.readUInt32LE(4))
      throw new CorruptionError(file, 'sidecar checksum mismatch');
    const len = b.readUInt32LE(8);
    if (12 + len > b.length) throw new CorruptionError(file, 'sidecar header is truncated');
    header = parseJson(file, b.toString('utf8', 12, 12 + len));
    blob = b.subarray(12 + len);
  } else if (magic === LEGACY_MAGIC && b.length >= 8) {
    const len = b.readUInt32LE(4);
    if (8 + len > b.length) throw new CorruptionError(file, 'sidecar header is truncated');
    header = parseJson(file, b.toString('utf8', 8, 8 + len));
    blob = b.subarray(8 + len);
  } else throw new CorruptionError(file, 'not a sidecar (bad magic)');
  const h = header as Partial<SketchHeader> | null;
  if (!h || typeof h !== 'object' || !Array.isArray(h.batches))
    throw new CorruptionError(file, 'sidecar header has no batch list');
  return { batches: h.batches, file: h.file, walSegment: h.walSegment, blob };
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CorruptionError(file, `sidecar header is not JSON (${(e as Error).message})`);
  }
}

export class SynopsisBuilder {
  private readonly leaves: Leaf[];
  private readonly indices: number[][];
  private readonly accs: Accumulator[];
  private readonly batches: BatchSynopsis[] = [];
  private readonly blooms: Uint8Array[] = [];
  private readonly offset = { value: 0 };

  constructor(type: RecordType) {
    this.leaves = leaves(type);
    this.indices = this.leaves.map((l) => indexPath(type, l.segments)!);
    this.accs = this.leaves.map(accumulatorFor);
  }

  /** Adds a batch: its own synopsis is kept, and folded into the partition's. */
  add(batch: A.RecordBatch): void {
    const root = batch.data;
    const fields: Record<string, FieldSynopsis> = {};
    this.leaves.forEach((leaf, i) => {
      const acc = accumulatorFor(leaf);
      acc.add(leafData(root, this.indices[i]), batch.numRows);
      fields[leaf.path] = acc.finish(this.blooms, this.offset);
      this.accs[i].merge(acc);
    });
    this.batches.push({ rows: batch.numRows, fields });
  }

  /** The partition's synopsis; `extra` (the file's checksums, the WAL segment) goes into the sidecar. */
  finish(extra: Omit<SketchHeader, 'batches'> = {}): PartitionSynopsis {
    const fields: Record<string, FieldSynopsis> = {};
    this.leaves.forEach((leaf, i) => {
      fields[leaf.path] = this.accs[i].finish(this.blooms, this.offset);
    });
    return { fields, sketch: encodeSketch({ batches: this.batches, ...extra }, Buffer.concat(this.blooms)) };
  }
}

/** Bloom lookup of a value's bytes in a field's sketch (`blob` is the sidecar's Bloom region). */
export function sketchMayContain(blob: Uint8Array, f: FieldSynopsis, value: Uint8Array): boolean {
  if (!f.bloom || blob.length < f.bloom.offset + f.bloom.length) return true;
  const bloom = new Bloom(blob.subarray(f.bloom.offset, f.bloom.offset + f.bloom.length), f.bloom.probes);
  return bloom.mayContain(bloomHash(f.bloom.hash, value));
}
