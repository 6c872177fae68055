/**
 * Partition synopses: what the catalog knows about a partition without opening
 * it (DESIGN principle 3, "prune before you scan"). Per leaf field:
 * - numbers, times, durations, ports: min and max;
 * - strings and ips: a Bloom filter over the distinct values (kept in a sidecar
 *   file, loaded only by queries that need it);
 * - enums: the exact set of values.
 * Built incrementally while a partition is written. Every record batch of
 * the partition gets the same kinds of synopses too (kept in the sidecar), so a
 * query that opens a partition reads only the batches that may match.
 */
import { crc32 } from 'node:zlib';
import type * as A from 'apache-arrow';
import { compareIP, isV4Mapped } from '../types/ip.js';
import { indexPath, type Leaf, leaves, type RecordType } from '../types/type.js';
import { Bloom, HashSet32, hashBytes } from './bloom.js';
import type { FileChecksums } from './checksum.js';
import { CorruptionError } from './errors.js';

/** What the catalog stores for one field; bigints travel as decimal strings. */
export interface FieldSynopsis {
  /** Rows where the field is null. */
  nulls: number;
  min?: string | number;
  max?: string | number;
  /** Byte range of this field's Bloom filter in the partition's sketch file. */
  bloom?: { offset: number; length: number; probes: number };
  /** All distinct values (enums only). */
  values?: string[];
  /**
   * ip fields: the range of the IPv4 addresses (v4-mapped, 32 hex digits each),
   * and whether any IPv6 address occurs. Kept apart because one range over
   * both families would span nearly everything.
   */
  ip4?: [string, string];
  ip6?: boolean;
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
function validAt(data: A.Data, j: number): boolean {
  const bm = data.nullBitmap;
  return data.nullCount === 0 || !bm || bm.length === 0 || (bm[j >> 3] & (1 << (j & 7))) !== 0;
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
    const v = data.values as BigInt64Array;
    const u32 = new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
    const i32 = new Int32Array(v.buffer, v.byteOffset, v.length * 2);
    const hiOf = this.signed ? i32 : u32;
    for (let r = 0; r < rows; r++) {
      const j = data.offset + r;
      if (!validAt(data, j)) {
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
    const v = data.values as Float64Array | Uint16Array;
    for (let r = 0; r < rows; r++) {
      const j = data.offset + r;
      if (!validAt(data, j)) {
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
 * Distinct-value hashes of strings or ips, turned into a Bloom filter at the
 * end. For ips also the smallest and largest IPv4 address (as 32 hex digits):
 * the byte order makes a subnet a range, so `ip in 10.0.0.0/8` prunes by them.
 */
class HashAcc implements Accumulator {
  private nulls = 0;
  private readonly set = new HashSet32();
  private min: Uint8Array | undefined;
  private max: Uint8Array | undefined;
  constructor(private readonly kind: 'string' | 'ip') {}
  add(data: A.Data, rows: number): void {
    const bytes = data.values as Uint8Array;
    const offsets = data.valueOffsets as Int32Array;
    for (let r = 0; r < rows; r++) {
      const j = data.offset + r;
      if (!validAt(data, j)) {
        this.nulls++;
        continue;
      }
      if (this.kind === 'ip') {
        this.set.add(hashBytes(bytes, r * 16, r * 16 + 16));
        this.range(bytes, r * 16);
      } else this.set.add(hashBytes(bytes, offsets[r], offsets[r + 1]));
    }
  }
  private ip6 = false;
  private range(bytes: Uint8Array, off: number): void {
    if (!isV4Mapped(bytes, off)) {
      this.ip6 = true;
      return;
    }
    if (!this.min || compareIP(bytes, off, this.min, 0) < 0) this.min = bytes.slice(off, off + 16);
    if (!this.max || compareIP(bytes, off, this.max, 0) > 0) this.max = bytes.slice(off, off + 16);
  }
  merge(o: HashAcc): void {
    this.nulls += o.nulls;
    o.set.forEach((h) => {
      this.set.add(h);
    });
    if (o.min) this.range(o.min, 0);
    if (o.max) this.range(o.max, 0);
    this.ip6 ||= o.ip6;
  }
  finish(sketches: Uint8Array[], offset: { value: number }): FieldSynopsis {
    if (this.set.size === 0) return { nulls: this.nulls };
    const bloom = Bloom.forCount(this.set.size);
    this.set.forEach((h) => {
      bloom.add(h);
    });
    sketches.push(bloom.bits);
    const out: FieldSynopsis = {
      nulls: this.nulls,
      bloom: { offset: offset.value, length: bloom.bits.length, probes: bloom.probes },
    };
    if (this.kind === 'ip') {
      if (this.min && this.max)
        out.ip4 = [Buffer.from(this.min).toString('hex'), Buffer.from(this.max).toString('hex')];
      out.ip6 = this.ip6;
    }
    offset.value += bloom.bits.length;
    return out;
  }
}

class EnumAcc implements Accumulator {
  private nulls = 0;
  private readonly values = new Set<string>();
  add(data: A.Data, rows: number): void {
    const keys = data.values as Int16Array;
    const dict = data.dictionary!;
    const seen = new Uint8Array(dict.length);
    for (let r = 0; r < rows; r++) {
      const j = data.offset + r;
      if (!validAt(data, j)) this.nulls++;
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
    for (let r = 0; r < rows; r++) if (!validAt(data, data.offset + r)) this.nulls++;
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
      return new HashAcc('string');
    case 'ip':
      return new HashAcc('ip');
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
  return bloom.mayContain(hashBytes(value, 0, value.length));
}
