/** string and enum columns: equality, ordering, substring, straight on the UTF-8 bytes. */
import type * as A from 'apache-arrow';
import { validBit } from './bitmap.js';
import { type Kernel, wanted } from './kernel.js';

/** string column `==` a literal (negate: `!=`): a length check, then bytes. */
export function stringEquals(lit: Uint8Array, negate: boolean): Kernel {
  const n = lit.length;
  return (col, rows, out) => {
    const o = col.valueOffsets as Int32Array;
    const b = col.values as Uint8Array;
    for (let r = 0; r < rows; r++) {
      const j = col.offset + r;
      const s = o[r];
      let eq = o[r + 1] - s === n;
      for (let k = 0; eq && k < n; k++) eq = b[s + k] === lit[k];
      if (eq !== negate && validBit(col.nullBitmap, col.nullCount, j)) out[r >> 3] |= 1 << (r & 7);
    }
  };
}

/** Lexicographic order of UTF-8 bytes, which is code point order. */
export function stringCompare(outcomes: number, lit: Uint8Array): Kernel {
  return (col, rows, out) => {
    const o = col.valueOffsets as Int32Array;
    const b = col.values as Uint8Array;
    for (let r = 0; r < rows; r++) {
      const j = col.offset + r;
      const s = o[r];
      const len = o[r + 1] - s;
      let c = 1;
      const m = Math.min(len, lit.length);
      let k = 0;
      while (k < m && b[s + k] === lit[k]) k++;
      if (k < m) c = b[s + k] < lit[k] ? 0 : 2;
      else if (len !== lit.length) c = len < lit.length ? 0 : 2;
      if (outcomes & (1 << c) && validBit(col.nullBitmap, col.nullCount, j)) out[r >> 3] |= 1 << (r & 7);
    }
  };
}

/**
 * Substring: rows whose string contains `lit` (negate: does not). Searches the
 * whole values buffer with Buffer.indexOf (memchr-fast) and maps each hit to
 * its row through the offsets, instead of searching row by row.
 */
export function stringContains(lit: Uint8Array, negate: boolean): Kernel {
  const needle = Buffer.from(lit);
  return (col, rows, out) => {
    const hits = new Uint8Array((rows + 7) >> 3);
    if (needle.length === 0) hits.fill(0xff);
    else markRowsContaining(col, rows, needle, hits);
    for (let r = 0; r < rows; r++) {
      const hit = (hits[r >> 3] & (1 << (r & 7))) !== 0;
      if (hit !== negate && validBit(col.nullBitmap, col.nullCount, col.offset + r))
        out[r >> 3] |= 1 << (r & 7);
    }
  };
}

/**
 * Sets the bit of every row (null or not) of a Utf8 column whose bytes
 * contain `needle` (not empty): one Buffer.indexOf (memchr-fast) over the
 * whole values buffer, each hit mapped to its row through the offsets.
 */
export function markRowsContaining(
  col: A.Data,
  rows: number,
  needle: Buffer,
  hits: Uint8Array,
  /** Hits are expected to be rare (line breaks): always search natively. */
  rare = false,
): void {
  const o = col.valueOffsets as Int32Array;
  const v = col.values as Uint8Array;
  const hay = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  const end = o[rows];
  // A one- or two-byte needle in short values (`history ni "d"`) hits most rows: a byte loop
  // per row beats a native call per hit. Longer needles hit rarely, where indexOf skips ahead.
  if (!rare && needle.length <= 2 && end - o[0] < rows * 32) {
    const n = needle.length;
    const first = needle[0];
    for (let r = 0; r < rows; r++) {
      const last = o[r + 1] - n;
      for (let at = o[r]; at <= last; at++) {
        if (v[at] !== first) continue;
        let k = 1;
        while (k < n && v[at + k] === needle[k]) k++;
        if (k === n) {
          hits[r >> 3] |= 1 << (r & 7);
          break;
        }
      }
    }
    return;
  }
  let row = 0;
  let pos = hay.indexOf(needle, o[0]);
  while (pos >= 0 && pos + needle.length <= end) {
    // Advance to the row that contains position `pos`.
    while (row < rows && o[row + 1] <= pos) row++;
    if (row >= rows) break;
    if (pos + needle.length <= o[row + 1]) {
      hits[row >> 3] |= 1 << (row & 7);
      pos = hay.indexOf(needle, o[row + 1]); // one hit per row is enough
    } else pos = hay.indexOf(needle, pos + 1); // straddles two rows
  }
}

/** Rows that start (`suffix`: end) with `lit`: a length check, then bytes; negate: do not. */
export function stringAffix(lit: Uint8Array, suffix: boolean, negate: boolean): Kernel {
  const n = lit.length;
  return (col, rows, out) => {
    const o = col.valueOffsets as Int32Array;
    const b = col.values as Uint8Array;
    for (let r = 0; r < rows; r++) {
      const s = suffix ? o[r + 1] - n : o[r];
      let eq = o[r + 1] - o[r] >= n;
      for (let k = 0; eq && k < n; k++) eq = b[s + k] === lit[k];
      if (eq !== negate && validBit(col.nullBitmap, col.nullCount, col.offset + r))
        out[r >> 3] |= 1 << (r & 7);
    }
  };
}

/** string column matched by a per-value test (patterns). Decodes each value once (the rows `within` only). */
export function stringTest(test: (s: string) => boolean, negate: boolean): Kernel {
  return (col, rows, out, within) => {
    const o = col.valueOffsets as Int32Array;
    const v = col.values as Uint8Array;
    const buf = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    for (let r = 0; r < rows; r++) {
      const j = col.offset + r;
      if (!wanted(within, r) || !validBit(col.nullBitmap, col.nullCount, j)) continue;
      if (test(buf.toString('utf8', o[r], o[r + 1])) !== negate) out[r >> 3] |= 1 << (r & 7);
    }
  };
}

/**
 * enum column: the test runs once per dictionary entry, then rows are a
 * lookup by key. Dictionaries are tiny, so any string predicate is cheap here.
 */
export function enumTest(test: (s: string) => boolean, negate: boolean): Kernel {
  return (col, rows, out) => {
    const dict = col.dictionary!;
    const match = new Uint8Array(dict.length);
    for (let k = 0; k < dict.length; k++) match[k] = test(dict.get(k) as string) !== negate ? 1 : 0;
    const keys = col.values as Int16Array;
    for (let r = 0; r < rows; r++) {
      const j = col.offset + r;
      if (match[keys[r]] && validBit(col.nullBitmap, col.nullCount, j)) out[r >> 3] |= 1 << (r & 7);
    }
  };
}
