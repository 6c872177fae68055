/**
 * Reading values out of Arrow `Data` by row, straight from the buffers.
 * Writers, synopses and kernels use these instead of arrow-js `Vector.get`,
 * which allocates per call and reads nanosecond timestamps as lossy
 * milliseconds. All functions take a row index relative to `data`.
 *
 * Offsets follow arrow-js's slicing convention (`Data.slice`): the value and
 * value-offset buffers of a sliced `Data` already start at its first row, so
 * they are indexed by the row alone; only bit-addressed buffers (the validity
 * bitmap, bool values) are indexed by `data.offset + row`. Row `i` of a struct
 * is row `i` of each child (arrow-js slices struct children along with the
 * parent: `Data.slice` shifts both offsets, `RecordBatch.slice` only the
 * children's); the rows of a list's elements are the raw value offsets.
 */
import type * as A from 'apache-arrow';
import type { VastType } from './type.js';

const utf8 = new TextDecoder();

/** Whether row `i` holds a value (is not null). */
export function isValid(data: A.Data, i: number): boolean {
  if (data.nullCount === 0) return true;
  const bitmap = data.nullBitmap;
  if (!bitmap || bitmap.length === 0) return true;
  const j = data.offset + i;
  return (bitmap[j >> 3] & (1 << (j & 7))) !== 0;
}

/** int64, uint64, time (ns), duration (ns). */
export function bigintAt(data: A.Data, i: number): bigint {
  return (data.values as BigInt64Array | BigUint64Array)[i];
}

/**
 * The same as a JS number; exact for |v| < 2^53 (counts, ports, most
 * durations), nearest double otherwise (times in ns are > 2^53: use bigintAt).
 */
function numberAt(data: A.Data, i: number): number {
  const v = (data.values as ArrayLike<number | bigint>)[i];
  return typeof v === 'bigint' ? Number(v) : v;
}

export function boolAt(data: A.Data, i: number): boolean {
  const j = data.offset + i;
  return ((data.values as Uint8Array)[j >> 3] & (1 << (j & 7))) !== 0;
}

/** The UTF-8 bytes of a string value (a view, not a copy). */
function stringBytesAt(data: A.Data, i: number): Uint8Array {
  const o = data.valueOffsets as Int32Array;
  return (data.values as Uint8Array).subarray(o[i], o[i + 1]);
}

export function stringAt(data: A.Data, i: number): string {
  return utf8.decode(stringBytesAt(data, i));
}

/** The 16 address bytes of an ip value: `{bytes, off}` so that callers need not copy. */
function ipAt(data: A.Data, i: number): { bytes: Uint8Array; off: number } {
  return { bytes: data.values as Uint8Array, off: i * 16 };
}

/** A subnet value's address bytes and 128-bit prefix length. */
export function subnetAt(data: A.Data, i: number): { bytes: Uint8Array; off: number; length: number } {
  // Row i of a struct is row i of its children (see above).
  const [addr, len] = data.children;
  return { bytes: addr.values as Uint8Array, off: i * 16, length: (len.values as Uint8Array)[i] };
}

/** The string of an enum value (dictionary lookup). */
export function enumAt(data: A.Data, i: number): string {
  const key = (data.values as Int16Array | Int8Array | Int32Array)[i];
  return data.dictionary!.get(key) as string;
}

/** The child rows `[start, end)` of a list (or map) value. */
export function listRange(data: A.Data, i: number): [number, number] {
  const o = data.valueOffsets as Int32Array;
  return [o[i], o[i + 1]];
}

/** A plain JS value, for code off the hot path (tests, `vast get`, synopsis building). */
export type Value =
  | null
  | boolean
  | number
  | bigint
  | string
  | { ip: Uint8Array }
  | { subnet: Uint8Array; length: number }
  | Value[]
  | { [field: string]: Value };

/** Reads one value of type `t` from `data` at row `i`. */
export function valueAt(data: A.Data, t: VastType, i: number): Value {
  if (!isValid(data, i)) return null;
  switch (t.kind) {
    case 'bool':
      return boolAt(data, i);
    case 'int64':
    case 'uint64':
    case 'time':
    case 'duration':
      return bigintAt(data, i);
    case 'double':
    case 'port':
      return numberAt(data, i);
    case 'string':
      return stringAt(data, i);
    case 'enum':
      return enumAt(data, i);
    case 'ip': {
      const { bytes, off } = ipAt(data, i);
      return { ip: bytes.slice(off, off + 16) };
    }
    case 'subnet': {
      const s = subnetAt(data, i);
      return { subnet: s.bytes.slice(s.off, s.off + 16), length: s.length };
    }
    case 'list': {
      const [a, b] = listRange(data, i);
      const child = data.children[0];
      const out: Value[] = [];
      for (let k = a; k < b; k++) out.push(valueAt(child, t.element, k));
      return out;
    }
    case 'map': {
      const [a, b] = listRange(data, i);
      const entries = data.children[0];
      const out: Value[] = [];
      const [keys, values] = entries.children;
      for (let k = a; k < b; k++) out.push([valueAt(keys, t.key, k), valueAt(values, t.value, k)]);
      return out;
    }
    case 'record': {
      const out: { [field: string]: Value } = {};
      t.fields.forEach((f, k) => {
        out[f.name] = valueAt(data.children[k], f.type, i);
      });
      return out;
    }
  }
}
