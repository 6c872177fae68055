/**
 * Ordering of VAST values, for `sort`, `min`/`max`, `distinct` and `top`.
 *
 * - numbers (int64, uint64, double, port) compare by value, exactly, also
 *   across those types; time and duration compare by their nanoseconds;
 * - strings and enums by Unicode code point (UTF-8 byte order), not by locale;
 *   this equals JS code-unit order except for U+E000..U+FFFF against
 *   characters beyond U+FFFF;
 * - ips by their 16 bytes (all IPv4 before IPv6 but `::`-prefixed ones),
 *   subnets by address, then prefix length; false before true;
 * - lists and records element by element;
 * - NaN after all other doubles; nulls are the caller's business (`sort`
 *   puts them last in either direction).
 *
 * Values of unrelated types order by type: bool, numbers, strings, ips,
 * subnets, lists, records.
 */
import type * as A from 'apache-arrow';
import { dictionaryBytes } from '../types/dictionary.js';
import { compareIP } from '../types/ip.js';
import type { VastType } from '../types/type.js';
import { isValid, type Value, valueAt } from '../types/values.js';

type Family = 'int' | 'uint' | 'float' | 'bool' | 'bytes' | 'ip' | 'subnet' | 'value';

const RANK: Record<Family, number> = {
  bool: 0,
  int: 1,
  uint: 1,
  float: 1,
  bytes: 2,
  ip: 3,
  subnet: 4,
  value: 5,
};

/**
 * A column prepared for row comparisons: typed views made once per batch so
 * that comparing two rows allocates nothing (except for lists and records).
 * The data must be offset-free (`normalize`).
 */
export interface OrderColumn {
  readonly family: Family;
  readonly data: A.Data;
  readonly type: VastType;
  /** int/uint: the 64-bit values as (lo, hi) 32-bit word pairs. */
  readonly words?: Int32Array;
  readonly nums?: ArrayLike<number>;
  readonly offsets?: Int32Array;
  readonly bytes?: Uint8Array;
  /** enum: the UTF-8 bytes of each dictionary entry, and the keys. */
  readonly dict?: readonly Uint8Array[];
  readonly keys?: ArrayLike<number>;
}

export function orderColumn(data: A.Data, type: VastType): OrderColumn {
  switch (type.kind) {
    case 'int64':
    case 'time':
    case 'duration':
    case 'uint64': {
      const v = data.values as BigInt64Array;
      const words = new Int32Array(v.buffer, v.byteOffset, v.length * 2);
      return { family: type.kind === 'uint64' ? 'uint' : 'int', data, type, words };
    }
    case 'double':
    case 'port':
      return { family: 'float', data, type, nums: data.values as Float64Array };
    case 'bool':
      return { family: 'bool', data, type };
    case 'string':
      return {
        family: 'bytes',
        data,
        type,
        offsets: data.valueOffsets as Int32Array,
        bytes: data.values as Uint8Array,
      };
    case 'enum':
      return {
        family: 'bytes',
        data,
        type,
        dict: dictionaryBytes(data.dictionary!),
        keys: data.values as Int16Array,
      };
    case 'ip':
      return { family: 'ip', data, type, bytes: data.values as Uint8Array };
    case 'subnet':
      return {
        family: 'subnet',
        data,
        type,
        bytes: data.children[0].values as Uint8Array,
        nums: data.children[1].values as Uint8Array,
      };
    default:
      return { family: 'value', data, type };
  }
}

/** Whether row `i` of the column is null. */
export function isNullAt(c: OrderColumn, i: number): boolean {
  return !isValid(c.data, i);
}

function compareBytes(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): number {
  const n = Math.min(ae - as, be - bs);
  for (let k = 0; k < n; k++) {
    const d = a[as + k] - b[bs + k];
    if (d !== 0) return d;
  }
  return ae - as - (be - bs);
}

function compareBytesAt(a: OrderColumn, i: number, b: OrderColumn, j: number): number {
  // No tuples here: this runs once per comparison of a sort.
  if (a.dict) {
    const x = a.dict[a.keys![i]];
    if (b.dict) {
      const y = b.dict[b.keys![j]];
      return compareBytes(x, 0, x.length, y, 0, y.length);
    }
    return compareBytes(x, 0, x.length, b.bytes!, b.offsets![j], b.offsets![j + 1]);
  }
  if (b.dict) {
    const y = b.dict[b.keys![j]];
    return compareBytes(a.bytes!, a.offsets![i], a.offsets![i + 1], y, 0, y.length);
  }
  return compareBytes(a.bytes!, a.offsets![i], a.offsets![i + 1], b.bytes!, b.offsets![j], b.offsets![j + 1]);
}

function numberOrBigint(c: OrderColumn, i: number): number | bigint {
  if (c.family === 'float') return c.nums![i];
  const v = c.data.values as BigInt64Array | BigUint64Array;
  return v[i];
}

function compareNumbers(x: number | bigint, y: number | bigint): number {
  // NaN sorts after every number; relational operators between bigint and number are exact.
  const xn = typeof x === 'number' && Number.isNaN(x);
  const yn = typeof y === 'number' && Number.isNaN(y);
  if (xn || yn) return (xn ? 1 : 0) - (yn ? 1 : 0);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Compares non-null row `i` of `a` with non-null row `j` of `b` (negative, zero, positive). */
export function compareRows(a: OrderColumn, i: number, b: OrderColumn, j: number): number {
  if (a.family !== b.family) {
    const num = RANK[a.family] === 1 && RANK[b.family] === 1;
    if (!num)
      return (
        RANK[a.family] - RANK[b.family] ||
        compareValues(valueAt(a.data, a.type, i), valueAt(b.data, b.type, j))
      );
    return compareNumbers(numberOrBigint(a, i), numberOrBigint(b, j));
  }
  switch (a.family) {
    case 'int':
    case 'uint': {
      const aw = a.words!;
      const bw = b.words!;
      const ah = a.family === 'int' ? aw[2 * i + 1] : aw[2 * i + 1] >>> 0;
      const bh = b.family === 'int' ? bw[2 * j + 1] : bw[2 * j + 1] >>> 0;
      if (ah !== bh) return ah < bh ? -1 : 1;
      const al = aw[2 * i] >>> 0;
      const bl = bw[2 * j] >>> 0;
      return al < bl ? -1 : al > bl ? 1 : 0;
    }
    case 'float':
      return compareNumbers(a.nums![i], b.nums![j]);
    case 'bool': {
      const x = boolBit(a.data, i);
      const y = boolBit(b.data, j);
      return x - y;
    }
    case 'bytes':
      return compareBytesAt(a, i, b, j);
    case 'ip':
      return compareIP(a.bytes!, i * 16, b.bytes!, j * 16);
    case 'subnet':
      return compareIP(a.bytes!, i * 16, b.bytes!, j * 16) || a.nums![i] - b.nums![j];
    case 'value':
      return compareValues(valueAt(a.data, a.type, i), valueAt(b.data, b.type, j));
  }
}

function boolBit(d: A.Data, i: number): number {
  return (d.values as Uint8Array)[i >> 3] & (1 << (i & 7)) ? 1 : 0;
}

function valueRank(v: Exclude<Value, null>): number {
  if (typeof v === 'boolean') return 0;
  if (typeof v === 'number' || typeof v === 'bigint') return 1;
  if (typeof v === 'string') return 2;
  if (Array.isArray(v)) return 5;
  if ('ip' in v && v.ip instanceof Uint8Array) return 3;
  if ('subnet' in v && v.subnet instanceof Uint8Array) return 4;
  return 6;
}

/** Maps UTF-16 code units so that their order is code point order. */
function unitOrder(u: number): number {
  return u >= 0xd800 && u <= 0xdfff ? u + 0x2000 : u >= 0xe000 ? u - 0x800 : u;
}

/** Compares JS strings by code point (the order of their UTF-8 bytes). */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) {
    const x = a.charCodeAt(k);
    const y = b.charCodeAt(k);
    if (x !== y) return unitOrder(x) - unitOrder(y);
  }
  return a.length - b.length;
}

/** The order above for plain values (`valueAt`'s); nulls last. */
export function compareValues(a: Value, b: Value): number {
  if (a === null || b === null) return (a === null ? 1 : 0) - (b === null ? 1 : 0);
  const ra = valueRank(a);
  const rb = valueRank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 0:
      return Number(a) - Number(b);
    case 1:
      return compareNumbers(a as number | bigint, b as number | bigint);
    case 2:
      return compareStrings(a as string, b as string);
    case 3:
      return compareIP((a as { ip: Uint8Array }).ip, 0, (b as { ip: Uint8Array }).ip, 0);
    case 4: {
      const x = a as { subnet: Uint8Array; length: number };
      const y = b as { subnet: Uint8Array; length: number };
      return compareIP(x.subnet, 0, y.subnet, 0) || x.length - y.length;
    }
    case 5: {
      const x = a as Value[];
      const y = b as Value[];
      for (let k = 0; k < Math.min(x.length, y.length); k++) {
        const c = compareValues(x[k], y[k]);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
    default: {
      const x = a as { [k: string]: Value };
      const y = b as { [k: string]: Value };
      const kx = Object.keys(x);
      const ky = Object.keys(y);
      for (let k = 0; k < Math.min(kx.length, ky.length); k++) {
        const c = compareStrings(kx[k], ky[k]) || compareValues(x[kx[k]], y[ky[k]]);
        if (c !== 0) return c;
      }
      return kx.length - ky.length;
    }
  }
}
