/**
 * Any string kernel over a dictionary-encoded string column (see
 * `DICTIONARY_STRING_KEY`): the kernel runs once over the dictionary's
 * entries, then each row looks its code's bit up. Equality, order, substring
 * and patterns thus cost one test per distinct value plus a table lookup per
 * row, and no row's string is ever made. Plain Utf8 columns go straight to
 * the kernel.
 */
import type * as A from 'apache-arrow';
import { dictionaryEntries, isDictionaryData } from '../../types/dictionary-strings.js';
import type { Kernel } from './kernel.js';

export function overDictionary(kernel: Kernel): Kernel {
  // Batches of one row group share their dictionary: test its entries once.
  const byDictionary = new WeakMap<A.Vector, Uint8Array>();
  const entryHits = (dict: A.Vector): Uint8Array => {
    let hits = byDictionary.get(dict);
    if (!hits) {
      const entries = dictionaryEntries(dict);
      hits = new Uint8Array((entries.length + 7) >> 3);
      kernel(entries, entries.length, hits);
      byDictionary.set(dict, hits);
    }
    return hits;
  };
  return (col, rows, out, within) => {
    if (!isDictionaryData(col)) return kernel(col, rows, out, within);
    const hits = entryHits(col.dictionary!);
    // The codes are sliced with the Data, its validity bitmap is not (see compare.ts).
    const codes = col.values as Int32Array;
    const bm = col.nullBitmap;
    if (col.nullCount === 0 || !bm || bm.length === 0) {
      for (let r = 0; r < rows; r++) {
        const c = codes[r];
        if (hits[c >> 3] & (1 << (c & 7))) out[r >> 3] |= 1 << (r & 7);
      }
      return;
    }
    const base = col.offset;
    for (let r = 0; r < rows; r++) {
      const c = codes[r];
      const j = base + r;
      if (hits[c >> 3] & (1 << (c & 7)) && bm[j >> 3] & (1 << (j & 7))) out[r >> 3] |= 1 << (r & 7);
    }
  };
}
