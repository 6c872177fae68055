/**
 * Two columns of one batch compared row by row (`a == b`, Sigma's `fieldref`):
 * equality of values of one comparison class. Rows where either side is null
 * never match. Strings compare as bytes, read from Utf8 or dictionary columns
 * without decoding a JS string per row.
 */
import type * as A from 'apache-arrow';
import { dictionaryEntries } from '../../types/dictionary-strings.js';
import type { VastType } from '../../types/type.js';
import { validBit } from './bitmap.js';

/** A kernel over two columns of the same rows (see `Kernel`). */
export type PairKernel = (a: A.Data, b: A.Data, rows: number, out: Uint8Array) => void;

type PairClass = 'string' | 'integer' | 'number' | 'ip' | 'bool';

const INTEGER = new Set(['int64', 'uint64', 'time', 'duration']);
const NUMBER = new Set(['int64', 'uint64', 'double', 'port']);

/** The class in which values of types `a` and `b` compare, or undefined when they do not. */
function pairClass(a: VastType, b: VastType): PairClass | undefined {
  const string = (t: VastType) => t.kind === 'string' || t.kind === 'enum';
  if (string(a) && string(b)) return 'string';
  if (a.kind === b.kind && INTEGER.has(a.kind)) return 'integer';
  if (NUMBER.has(a.kind) && NUMBER.has(b.kind)) return 'number';
  if (a.kind === 'ip' && b.kind === 'ip') return 'ip';
  if (a.kind === 'bool' && b.kind === 'bool') return 'bool';
  return undefined;
}

/** The bytes of row `r` of a Utf8 or dictionary (string, enum) column: `[values, start, end]` via `at`. */
function utf8Rows(col: A.Data): {
  values: Uint8Array;
  start: (r: number) => number;
  end: (r: number) => number;
} {
  if (col.dictionary) {
    const entries = dictionaryEntries(col.dictionary);
    const o = entries.valueOffsets as Int32Array;
    const codes = col.values as Int32Array | Int16Array | Int8Array;
    return { values: entries.values as Uint8Array, start: (r) => o[codes[r]], end: (r) => o[codes[r] + 1] };
  }
  const o = col.valueOffsets as Int32Array;
  return { values: col.values as Uint8Array, start: (r) => o[r], end: (r) => o[r + 1] };
}

/** Per-row equality test of the two columns for a class. */
function rowsEqual(cls: PairClass, a: A.Data, b: A.Data): (r: number) => boolean {
  switch (cls) {
    case 'string': {
      const x = utf8Rows(a);
      const y = utf8Rows(b);
      const xb = Buffer.from(x.values.buffer, x.values.byteOffset, x.values.byteLength);
      return (r) => {
        const xs = x.start(r);
        const xe = x.end(r);
        const ys = y.start(r);
        const ye = y.end(r);
        return xe - xs === ye - ys && xb.compare(y.values, ys, ye, xs, xe) === 0;
      };
    }
    case 'integer': {
      const x = a.values as BigInt64Array;
      const y = b.values as BigInt64Array;
      return (r) => x[r] === y[r];
    }
    case 'number': {
      const x = a.values as ArrayLike<number | bigint>;
      const y = b.values as ArrayLike<number | bigint>;
      return (r) => Number(x[r]) === Number(y[r]);
    }
    case 'ip': {
      const x = a.values as Uint8Array;
      const y = b.values as Uint8Array;
      return (r) => {
        for (let i = r * 16; i < r * 16 + 16; i++) if (x[i] !== y[i]) return false;
        return true;
      };
    }
    case 'bool': {
      const x = a.values as Uint8Array;
      const y = b.values as Uint8Array;
      return (r) => {
        const i = a.offset + r;
        const j = b.offset + r;
        return ((x[i >> 3] >> (i & 7)) & 1) === ((y[j >> 3] >> (j & 7)) & 1);
      };
    }
  }
}

/** `a == b` (or `a != b` with `negate`) over two columns of types `ta` and `tb`; undefined when they do not compare. */
export function fieldsEqual(ta: VastType, tb: VastType, negate: boolean): PairKernel | undefined {
  const cls = pairClass(ta, tb);
  if (!cls) return undefined;
  return (a, b, rows, out) => {
    const equal = rowsEqual(cls, a, b);
    for (let r = 0; r < rows; r++) {
      if (
        !validBit(a.nullBitmap, a.nullCount, a.offset + r) ||
        !validBit(b.nullBitmap, b.nullCount, b.offset + r)
      )
        continue;
      if (equal(r) !== negate) out[r >> 3] |= 1 << (r & 7);
    }
  };
}
