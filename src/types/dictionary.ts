/**
 * The UTF-8 bytes of each entry of an enum column's dictionary, computed once
 * per dictionary vector. Enum dictionaries only grow while a reader lives (see
 * builder/enum.ts) and are shared by all its batches, so byte-wise consumers
 * (group keys, sort order) encode each label once, not once per row.
 */
import type * as A from 'apache-arrow';

const utf8 = new TextEncoder();
const cache = new WeakMap<A.Vector, Uint8Array[]>();

export function dictionaryBytes(dict: A.Vector): Uint8Array[] {
  let out = cache.get(dict);
  if (!out) {
    out = [];
    for (let k = 0; k < dict.length; k++) out.push(utf8.encode(dict.get(k) as string));
    cache.set(dict, out);
  }
  return out;
}
