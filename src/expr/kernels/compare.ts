/**
 * Indexing convention (arrow-js): value buffers of a sliced Data already start
 * at its first row, so values are read at `r`; validity bitmaps and bool
 * values are not sliced and are read at `col.offset + r`.
 */
/** Three-way comparisons on fixed-width columns: 64-bit integers (also time, duration), doubles, ports, bools. */
import { validBit } from './bitmap.js';
import type { Kernel } from './kernel.js';

const TWO32 = 4294967296;

/**
 * int64/uint64/time/duration vs an integer literal, compared as 32-bit word
 * pairs so that no BigInt is created per row. `outcomes` is an OUTCOMES mask.
 */
export function int64Compare(outcomes: number, literal: bigint, signed: boolean): Kernel {
  const u = BigInt.asUintN(64, literal);
  const litLo = Number(u & 0xffffffffn);
  const litHiU = Number(u >> 32n);
  const litHi = signed ? litHiU | 0 : litHiU;
  return (col, rows, out) => {
    const v = col.values as BigInt64Array;
    const u32 = new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
    const hiArr = signed ? new Int32Array(v.buffer, v.byteOffset, v.length * 2) : u32;
    const bm = col.nullBitmap;
    const nulls = col.nullCount;
    const base = col.offset;
    for (let r = 0; r < rows; r++) {
      const j = base + r;
      const hi = hiArr[2 * r + 1];
      let c: number;
      if (hi !== litHi) c = hi < litHi ? 0 : 2;
      else {
        const lo = u32[2 * r];
        c = lo === litLo ? 1 : lo < litLo ? 0 : 2;
      }
      if (outcomes & (1 << c) && validBit(bm, nulls, j)) out[r >> 3] |= 1 << (r & 7);
    }
  };
}

/** 64-bit integer column vs a fractional or out-of-range number: compared as doubles. */
export function int64CompareDouble(outcomes: number, literal: number, signed: boolean): Kernel {
  return (col, rows, out) => {
    const v = col.values as BigInt64Array;
    const u32 = new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
    const i32 = new Int32Array(v.buffer, v.byteOffset, v.length * 2);
    const bm = col.nullBitmap;
    const nulls = col.nullCount;
    for (let r = 0; r < rows; r++) {
      const j = col.offset + r;
      const x = (signed ? i32[2 * r + 1] : u32[2 * r + 1]) * TWO32 + u32[2 * r];
      const c = x < literal ? 0 : x === literal ? 1 : 2;
      if (outcomes & (1 << c) && validBit(bm, nulls, j)) out[r >> 3] |= 1 << (r & 7);
    }
  };
}

/** double, port (uint16) and other JS-number columns vs a number. */
export function numberCompare(outcomes: number, literal: number): Kernel {
  return (col, rows, out) => {
    const v = col.values as Float64Array | Uint16Array;
    const bm = col.nullBitmap;
    const nulls = col.nullCount;
    for (let r = 0; r < rows; r++) {
      const j = col.offset + r;
      const x = v[r];
      // NaN compares as unordered: it matches only `!=`.
      const c = x < literal ? 0 : x === literal ? 1 : x > literal ? 2 : -1;
      const hit = c < 0 ? outcomes === 0b101 : (outcomes & (1 << c)) !== 0;
      if (hit && validBit(bm, nulls, j)) out[r >> 3] |= 1 << (r & 7);
    }
  };
}

export function boolEquals(value: boolean, negate: boolean): Kernel {
  const want = value !== negate;
  return (col, rows, out) => {
    const bits = col.values as Uint8Array;
    for (let r = 0; r < rows; r++) {
      const j = col.offset + r;
      if (((bits[j >> 3] & (1 << (j & 7))) !== 0) === want && validBit(col.nullBitmap, col.nullCount, j))
        out[r >> 3] |= 1 << (r & 7);
    }
  };
}

/** `x == null` (negate: `x != null`). */
export function isNull(negate: boolean): Kernel {
  return (col, rows, out) => {
    for (let r = 0; r < rows; r++) {
      if (validBit(col.nullBitmap, col.nullCount, col.offset + r) === negate) out[r >> 3] |= 1 << (r & 7);
    }
  };
}

/** Every non-null row (a predicate whose outcome is the same for all values). */
export function anyValue(): Kernel {
  return isNull(true);
}

/**
 * port column in a list of ports: a 65,536-bit table, one pass over the
 * column however long the list; numbers outside 0..65535 match nothing.
 */
export function portSet(ports: readonly number[], negate: boolean): Kernel {
  const table = new Uint8Array(8192);
  for (const p of ports) if (p >= 0 && p <= 0xffff) table[p >> 3] |= 1 << (p & 7);
  return (col, rows, out) => {
    const v = col.values as Uint16Array;
    const bm = col.nullBitmap;
    const nulls = col.nullCount;
    for (let r = 0; r < rows; r++) {
      const x = v[r];
      const hit = (table[x >> 3] & (1 << (x & 7))) !== 0;
      if (hit !== negate && validBit(bm, nulls, col.offset + r)) out[r >> 3] |= 1 << (r & 7);
    }
  };
}
