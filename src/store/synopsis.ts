/**
 * Partition synopses: what the catalog knows about a partition without opening
 * it (DESIGN principle 3, "prune before you scan"). Per leaf field:
 * - numbers, times, durations, ports: min and max;
 * - strings and ips: a Bloom filter over the distinct values (kept in a sidecar
 *   file, loaded only by queries that need it);
 * - enums: the exact set of values.
 * Built incrementally, batch by batch, while a partition is written.
 */
import type * as A from 'apache-arrow';
import { type Leaf, leaves, type RecordType } from '../types/type.js';
import { Bloom, HashSet32, hashBytes } from './bloom.js';

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
}

/** Most enums have a handful of values; beyond this we stop listing them. */
const MAX_ENUM_VALUES = 1024;

interface Accumulator {
  add(data: A.Data, rows: number): void;
  finish(sketches: Uint8Array[], offset: { value: number }): FieldSynopsis;
}

/** Walks from a batch's root struct to a leaf's Data. */
function leafData(root: A.Data, leaf: Leaf, type: RecordType): A.Data {
  let data = root;
  let t: RecordType = type;
  for (const seg of leaf.segments) {
    const i = t.fields.findIndex((f) => f.name === seg);
    data = data.children[i];
    const next = t.fields[i].type;
    if (next.kind === 'record') t = next;
  }
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
  finish(): FieldSynopsis {
    if (this.min > this.max) return { nulls: this.nulls };
    return { nulls: this.nulls, min: this.min, max: this.max };
  }
}

/** Distinct-value hashes of strings or ips, turned into a Bloom filter at the end. */
class HashAcc implements Accumulator {
  private nulls = 0;
  private readonly set = new HashSet32();
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
      this.set.add(
        this.kind === 'ip'
          ? hashBytes(bytes, r * 16, r * 16 + 16)
          : hashBytes(bytes, offsets[r], offsets[r + 1]),
      );
    }
  }
  finish(sketches: Uint8Array[], offset: { value: number }): FieldSynopsis {
    if (this.set.size === 0) return { nulls: this.nulls };
    const bloom = Bloom.forCount(this.set.size);
    this.set.forEach((h) => {
      bloom.add(h);
    });
    sketches.push(bloom.bits);
    const out = {
      nulls: this.nulls,
      bloom: { offset: offset.value, length: bloom.bits.length, probes: bloom.probes },
    };
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
  finish(): FieldSynopsis {
    return { nulls: this.nulls, values: [...this.values].sort() };
  }
}

class NullCountAcc implements Accumulator {
  private nulls = 0;
  add(data: A.Data, rows: number): void {
    for (let r = 0; r < rows; r++) if (!validAt(data, data.offset + r)) this.nulls++;
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

/** The synopsis of a finished partition: field synopses plus the sketch bytes for the sidecar. */
export interface PartitionSynopsis {
  fields: Record<string, FieldSynopsis>;
  sketch: Uint8Array;
}

export class SynopsisBuilder {
  private readonly leaves: Leaf[];
  private readonly accs: Accumulator[];
  constructor(private readonly type: RecordType) {
    this.leaves = leaves(type);
    this.accs = this.leaves.map(accumulatorFor);
  }
  add(batch: A.RecordBatch): void {
    const root = batch.data;
    this.leaves.forEach((leaf, i) => {
      this.accs[i].add(leafData(root, leaf, this.type), batch.numRows);
    });
  }
  finish(): PartitionSynopsis {
    const sketches: Uint8Array[] = [];
    const offset = { value: 0 };
    const fields: Record<string, FieldSynopsis> = {};
    this.leaves.forEach((leaf, i) => {
      fields[leaf.path] = this.accs[i].finish(sketches, offset);
    });
    return { fields, sketch: Buffer.concat(sketches) };
  }
}

/** Bloom lookup of a string value in a field's sketch (`sketch` is the partition's sidecar bytes). */
export function sketchMayContain(sketch: Uint8Array, f: FieldSynopsis, value: Uint8Array): boolean {
  if (!f.bloom) return true;
  const bloom = new Bloom(sketch.subarray(f.bloom.offset, f.bloom.offset + f.bloom.length), f.bloom.probes);
  return bloom.mayContain(hashBytes(value, 0, value.length));
}
