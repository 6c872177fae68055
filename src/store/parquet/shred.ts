/**
 * Shredding (Dremel): one Arrow column, walked down the ancestry of one
 * Parquet leaf, becomes that leaf's definition and repetition levels plus the
 * positions of its present values. One routine serves flat columns, record
 * members, lists and maps; it works level by level over typed arrays (one
 * pass per ancestor), so no value ever becomes a JS object.
 */
import type * as A from 'apache-arrow';
import { Repetition } from './format.js';
import { isEmptyRecord, type LeafColumn } from './schema.js';

export interface Shredded {
  /** Level entries: Parquet's `num_values` (present values, nulls, and empty or null lists). */
  count: number;
  /** The definition level of each entry. */
  def: Uint8Array;
  /** The repetition level of each entry; undefined when the leaf is under no list or map. */
  rep: Uint8Array | undefined;
  /** Positions of the present values (`def === maxDef`) as rows of `data` (0 is its first row), in order. */
  idx: Int32Array;
  /** How many values are present (the used prefix of `idx`). */
  present: number;
  /** The Arrow data that holds the leaf's values. */
  data: A.Data;
}

/** Whether relative position `i` of `d` is null. */
const isNull = (d: A.Data, bits: Uint8Array, i: number): boolean => {
  const at = d.offset + i;
  return (bits[at >> 3] & (1 << (at & 7))) === 0;
};

/**
 * Shreds rows [0, rows) of `top`, the Arrow data of the leaf's top-level
 * field. Struct children are indexed like their parent (arrow-js slices them
 * along with it); list and map offsets are rows of their child.
 */
export function shred(col: LeafColumn, top: A.Data, rows: number): Shredded {
  return (
    (col.maxRep === 0 && top.length === rows && shredFlat(col, top, rows)) || shredLevels(col, top, rows)
  );
}

/**
 * Shared read-only arrays for the common chunks (a leaf under no list): the
 * positions 0, 1, 2, ... and runs of one definition level. Shredded arrays are
 * only read by the encoder, so every chunk may share them. (Hence what `shred`
 * returns is valid until its next call.)
 */
let identity = new Int32Array(0);
const constantLevels: Uint8Array[] = [];

function positions(n: number): Int32Array {
  if (identity.length < n) {
    identity = new Int32Array(Math.max(n, 2 * identity.length));
    for (let i = 0; i < identity.length; i++) identity[i] = i;
  }
  return identity.subarray(0, n);
}

function levels(level: number, n: number): Uint8Array {
  let a = constantLevels[level];
  if (!a || a.length < n) {
    a = new Uint8Array(Math.max(n, 2 * (a?.length ?? 0))).fill(level);
    constantLevels[level] = a;
  }
  return a.subarray(0, n);
}

/** Levels and positions of the last chunk with some nulls (valid until the next `shred`). */
let flatDef = new Uint8Array(0);
let flatIdx = new Int32Array(0);

/**
 * The fast path of `shred` for a leaf under no list (positions are rows all
 * the way down). Without nulls, and from an all-null ancestor on, every row
 * has one definition level: shared arrays, no copies. Otherwise one pass over
 * the rows, against the validity of each ancestor that has nulls. Undefined
 * under an empty record (the general walk decides).
 */
function shredFlat(col: LeafColumn, top: A.Data, rows: number): Shredded | undefined {
  const anc = col.ancestry;
  let d = 0;
  // The definition level of every row once an ancestor is all null, else -1.
  let ended = -1;
  // Ancestors with some nulls, top down, and the level a null there gives.
  const nulled: A.Data[] = [];
  const nulledLevel: number[] = [];
  let data = top;
  for (let k = 0; k < anc.length; k++) {
    const node = anc[k];
    if (node.repetition === Repetition.OPTIONAL) {
      d++;
      const bits = data.nullBitmap;
      if (ended < 0 && bits && bits.length > 0 && data.nullCount > 0) {
        if (data.nullCount === rows && nulled.length === 0) ended = d - 1;
        else {
          nulled.push(data);
          nulledLevel.push(d - 1);
        }
      }
    }
    if (!node.children) break;
    if (isEmptyRecord(node)) return undefined;
    // Walk on to the leaf's own data even past an all-null ancestor: the encoder reads its type.
    data = data.children[node.children.indexOf(anc[k + 1])];
  }
  if (ended >= 0)
    return { count: rows, def: levels(ended, rows), rep: undefined, idx: positions(0), present: 0, data };
  if (nulled.length === 0)
    return { count: rows, def: levels(d, rows), rep: undefined, idx: positions(rows), present: rows, data };
  if (flatDef.length < rows) {
    flatDef = new Uint8Array(rows);
    flatIdx = new Int32Array(rows);
  }
  const def = flatDef;
  const idx = flatIdx;
  let present = 0;
  if (nulled.length === 1) {
    const bits = nulled[0].nullBitmap as Uint8Array;
    const off = nulled[0].offset;
    const low = nulledLevel[0];
    for (let i = 0; i < rows; i++) {
      const at = off + i;
      if ((bits[at >> 3] & (1 << (at & 7))) !== 0) {
        def[i] = d;
        idx[present++] = i;
      } else def[i] = low;
    }
  } else {
    for (let i = 0; i < rows; i++) {
      let v = d;
      for (let j = 0; j < nulled.length; j++) {
        if (isNull(nulled[j], nulled[j].nullBitmap as Uint8Array, i)) {
          v = nulledLevel[j];
          break;
        }
      }
      def[i] = v;
      if (v === d) idx[present++] = i;
    }
  }
  return {
    count: rows,
    def: def.subarray(0, rows),
    rep: undefined,
    idx: idx.subarray(0, rows),
    present,
    data,
  };
}

/** Shreds level by level: any ancestry, lists and maps, nulls anywhere. */
function shredLevels(col: LeafColumn, top: A.Data, rows: number): Shredded {
  const anc = col.ancestry;
  let n = rows;
  // idx[i] >= 0: entry i is alive at a position of `data`; -1: it ended with def[i].
  let idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  let def = new Uint8Array(n);
  let rep = col.maxRep > 0 ? new Uint8Array(n) : undefined;
  let d = 0;
  let r = 0;
  let data = top;
  for (let k = 0; k < anc.length; k++) {
    const node = anc[k];
    if (node.repetition === Repetition.OPTIONAL) {
      d++;
      const bits = data.nullBitmap;
      if (bits && bits.length > 0 && data.nullCount > 0) {
        for (let i = 0; i < n; i++) {
          const p = idx[i];
          if (p >= 0 && isNull(data, bits, p)) {
            def[i] = d - 1;
            idx[i] = -1;
          }
        }
      }
    }
    if (!node.children) break;
    if (isEmptyRecord(node)) {
      // The marker under an empty record (see schema.ts) has no column: it is null wherever the record is there.
      for (let i = 0; i < n; i++) {
        if (idx[i] >= 0) {
          def[i] = d;
          idx[i] = -1;
        }
      }
      break;
    }
    const kind = node.vast?.kind;
    if (kind === 'list' || kind === 'map') {
      // Expand each list into its elements; the repeated middle group (anc[k + 1]) has no data of its own.
      // Offset buffers are sliced along with the data (arrow-js), so they are indexed by row alone.
      const offsets = data.valueOffsets as Int32Array;
      let total = 0;
      for (let i = 0; i < n; i++) {
        const p = idx[i];
        total += p < 0 ? 1 : Math.max(1, offsets[p + 1] - offsets[p]);
      }
      const nIdx = new Int32Array(total);
      const nDef = new Uint8Array(total);
      const nRep = new Uint8Array(total);
      let o = 0;
      for (let i = 0; i < n; i++) {
        const p = idx[i];
        const pr = rep ? rep[i] : 0;
        if (p < 0) {
          nIdx[o] = -1;
          nDef[o] = def[i];
          nRep[o++] = pr;
          continue;
        }
        const s = offsets[p];
        const e = offsets[p + 1];
        if (s === e) {
          // An empty list: defined up to the list itself.
          nIdx[o] = -1;
          nDef[o] = d;
          nRep[o++] = pr;
          continue;
        }
        for (let j = s; j < e; j++) {
          nIdx[o] = j;
          nRep[o++] = j === s ? pr : r + 1;
        }
      }
      n = total;
      idx = nIdx;
      def = nDef;
      rep = nRep;
      d++;
      r++;
      const middle = anc[k + 1];
      data = data.children[0];
      k++;
      // A map's entries are a struct of key and value; a list's child is the element itself.
      if (kind === 'map') data = data.children[middle.children!.indexOf(anc[k + 1])];
    } else {
      data = data.children[node.children.indexOf(anc[k + 1])];
    }
  }
  let present = 0;
  for (let i = 0; i < n; i++) {
    const p = idx[i];
    if (p >= 0) {
      def[i] = d;
      idx[present++] = p;
    }
  }
  return { count: n, def, rep, idx, present, data };
}
