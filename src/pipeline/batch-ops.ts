/**
 * Batch helpers shared by the operators: schema lookups and gathering rows
 * (take, filter, concat, normalize). Rebuilding layouts and assembling new
 * batches live in `layout.ts`.
 *
 * Offsets: arrow-js slices value buffers and struct children together with
 * the parent but keeps `offset` for the validity and bool bitmaps, while
 * `values.ts` expects offset-free data. `gather` reads the arrow-js way and
 * always produces offset-free data; operators call `normalize` on input so
 * that everything downstream may use the `values.ts` accessors.
 */
import * as A from 'apache-arrow';
import { VastError } from '../diagnostics.js';
import { vastSchema } from '../types/arrow.js';
import { indexPath, type Schema, typeToString } from '../types/type.js';

// ---------------------------------------------------------------- schemas

/**
 * The VAST schema of a batch (cached per Arrow schema object by `vastSchema`).
 * (arrow-js gives every `new RecordBatch` its own schema object, so operators
 * key their per-schema plans by `layoutKey` instead.)
 */
export function schemaOf(batch: A.RecordBatch): Schema {
  return vastSchema(batch.schema);
}

const layoutCache = new WeakMap<A.Schema, string>();

/**
 * A string that is equal for two batches exactly when their rows can live in
 * one batch: same schema name, timestamp and field types.
 */
export function layoutKey(batch: A.RecordBatch): string {
  let k = layoutCache.get(batch.schema);
  if (k === undefined) {
    const s = schemaOf(batch);
    k = `${s.name}\u0000${s.timestamp ?? ''}\u0000${typeToString(s.type)}`;
    layoutCache.set(batch.schema, k);
  }
  return k;
}

export { indexPath };

/** The column of a (normalized) batch at child-index path `path`. */
export function dataAt(batch: A.RecordBatch, path: readonly number[]): A.Data {
  let d: A.Data = batch.data;
  for (const k of path) d = d.children[k];
  return d;
}

// ---------------------------------------------------------------- gather

type TypedArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Int32Array | Uint32Array | Float64Array;
type TypedCtor = { new (n: number): TypedArray | BigInt64Array | BigUint64Array; BYTES_PER_ELEMENT: number };

function hasNulls(d: A.Data | undefined): boolean {
  return d !== undefined && d.nullBitmap !== undefined && d.nullBitmap.length > 0 && d.nullCount !== 0;
}

/** Validity of row `i` the arrow-js way (the bitmap is never sliced; `offset` applies). */
function validAt(d: A.Data, i: number): boolean {
  const j = d.offset + i;
  return (d.nullBitmap![j >> 3] & (1 << (j & 7))) !== 0;
}

/**
 * Rows out of several columns of one Arrow type: output row `k` is row
 * `rows[k]` of `sources[src[k]]` (of `sources[0]` when `src` is absent), or
 * null when `src[k] < 0`. Works for every type VAST maps to Arrow, nested ones
 * included; enum dictionaries of different sources are merged. The result
 * has offset 0 at every level.
 */
export function gather(
  type: A.DataType,
  sources: readonly (A.Data | undefined)[],
  src: Int32Array | undefined,
  rows: Int32Array,
): A.Data {
  const n = rows.length;
  let nullBitmap: Uint8Array | undefined;
  let nullCount = 0;
  const nullable = sources.map(hasNulls);
  for (let k = 0; k < n; k++) {
    const s = src ? src[k] : 0;
    if (s >= 0 && (!nullable[s] || validAt(sources[s]!, rows[k]))) continue;
    if (!nullBitmap) nullBitmap = new Uint8Array((n + 7) >> 3).fill(0xff);
    nullBitmap[k >> 3] &= ~(1 << (k & 7));
    nullCount++;
  }
  const base = { type, length: n, nullCount, nullBitmap } as const;
  switch (type.typeId) {
    case A.Type.Bool: {
      const out = new Uint8Array((n + 7) >> 3);
      for (let k = 0; k < n; k++) {
        const s = src ? src[k] : 0;
        if (s < 0) continue;
        const d = sources[s]!;
        const j = d.offset + rows[k];
        if ((d.values as Uint8Array)[j >> 3] & (1 << (j & 7))) out[k >> 3] |= 1 << (k & 7);
      }
      return A.makeData({ ...base, type: type as A.Bool, data: out });
    }
    case A.Type.Int:
    case A.Type.Float:
    case A.Type.Timestamp:
    case A.Type.Date:
    case A.Type.Duration:
      return A.makeData({
        ...base,
        type: type as A.Int,
        data: gatherFixed((type as A.Int).ArrayType, sources, src, rows),
      });
    case A.Type.Dictionary:
      return gatherDictionary(type as A.Dictionary, sources, src, rows, base);
    case A.Type.Utf8: {
      const { valueOffsets, data } = gatherVariable(sources, src, rows);
      return A.makeData({ ...base, type: type as A.Utf8, valueOffsets, data });
    }
    case A.Type.FixedSizeBinary: {
      const w = (type as A.FixedSizeBinary).byteWidth;
      const out = new Uint8Array(n * w);
      for (let k = 0; k < n; k++) {
        const s = src ? src[k] : 0;
        if (s < 0) continue;
        const v = sources[s]!.values as Uint8Array;
        out.set(v.subarray(rows[k] * w, rows[k] * w + w), k * w);
      }
      return A.makeData({ ...base, type: type as A.FixedSizeBinary, data: out });
    }
    case A.Type.Struct: {
      const children = type.children.map((f: A.Field, c: number) =>
        gather(
          f.type,
          sources.map((d) => d?.children[c]),
          src,
          rows,
        ),
      );
      return A.makeData({ ...base, type: type as A.Struct, children });
    }
    case A.Type.List:
    case A.Type.Map: {
      const { valueOffsets, childSrc, childRows } = gatherRanges(sources, src, rows);
      const child = gather(
        type.children[0].type,
        sources.map((d) => d?.children[0]),
        childSrc,
        childRows,
      );
      return A.makeData({ ...base, type: type as A.List, valueOffsets, child });
    }
    default:
      throw new VastError(`cannot gather rows of Arrow type ${type}`);
  }
}

/** Fixed-width values, copied as 16- or 32-bit words so that 64-bit values need no BigInt. */
function gatherFixed(
  Ctor: TypedCtor,
  sources: readonly (A.Data | undefined)[],
  src: Int32Array | undefined,
  rows: Int32Array,
): TypedArray | BigInt64Array | BigUint64Array {
  const n = rows.length;
  const out = new Ctor(n);
  const bpe = Ctor.BYTES_PER_ELEMENT;
  const w = bpe === 8 ? 2 : 1;
  const View = bpe >= 4 ? Int32Array : bpe === 2 ? Uint16Array : Uint8Array;
  const outV = new View(out.buffer as ArrayBuffer, out.byteOffset, n * w);
  // Views are made for the sources actually used: others may hold another type (summarize's parts).
  const views: (TypedArray | undefined)[] = new Array(sources.length);
  const view = (s: number): TypedArray => {
    let v = views[s];
    if (!v) {
      const values = sources[s]!.values as TypedArray;
      v = new View(values.buffer as ArrayBuffer, values.byteOffset, values.length * w);
      views[s] = v;
    }
    return v;
  };
  if (w === 1) {
    for (let k = 0; k < n; k++) {
      const s = src ? src[k] : 0;
      if (s >= 0) outV[k] = view(s)[rows[k]];
    }
  } else {
    for (let k = 0; k < n; k++) {
      const s = src ? src[k] : 0;
      if (s < 0) continue;
      const v = view(s);
      const r = rows[k] * 2;
      outV[2 * k] = v[r];
      outV[2 * k + 1] = v[r + 1];
    }
  }
  return out;
}

/** Offsets of the gathered rows' variable-length values (strings, list elements): a running sum of their lengths. */
function gatheredOffsets(
  sources: readonly (A.Data | undefined)[],
  src: Int32Array | undefined,
  rows: Int32Array,
): Int32Array {
  const valueOffsets = new Int32Array(rows.length + 1);
  let total = 0;
  for (let k = 0; k < rows.length; k++) {
    const s = src ? src[k] : 0;
    if (s >= 0) {
      const o = sources[s]!.valueOffsets as Int32Array;
      total += o[rows[k] + 1] - o[rows[k]];
    }
    valueOffsets[k + 1] = total;
  }
  return valueOffsets;
}

function gatherVariable(
  sources: readonly (A.Data | undefined)[],
  src: Int32Array | undefined,
  rows: Int32Array,
): { valueOffsets: Int32Array; data: Uint8Array } {
  const n = rows.length;
  const valueOffsets = gatheredOffsets(sources, src, rows);
  const total = valueOffsets[n];
  const data = new Uint8Array(total);
  for (let k = 0; k < n; k++) {
    const s = src ? src[k] : 0;
    if (s < 0) continue;
    const d = sources[s]!;
    const o = d.valueOffsets as Int32Array;
    const a = o[rows[k]];
    const b = o[rows[k] + 1];
    if (b > a) data.set((d.values as Uint8Array).subarray(a, b), valueOffsets[k]);
  }
  return { valueOffsets, data };
}

/** List/map offsets plus the child rows they cover, for a recursive gather of the child. */
function gatherRanges(
  sources: readonly (A.Data | undefined)[],
  src: Int32Array | undefined,
  rows: Int32Array,
): { valueOffsets: Int32Array; childSrc: Int32Array; childRows: Int32Array } {
  const n = rows.length;
  const valueOffsets = gatheredOffsets(sources, src, rows);
  const total = valueOffsets[n];
  const childSrc = new Int32Array(total);
  const childRows = new Int32Array(total);
  for (let k = 0; k < n; k++) {
    const s = src ? src[k] : 0;
    if (s < 0) continue;
    const o = sources[s]!.valueOffsets as Int32Array;
    let at = valueOffsets[k];
    for (let r = o[rows[k]]; r < o[rows[k] + 1]; r++) {
      childSrc[at] = s;
      childRows[at++] = r;
    }
  }
  return { valueOffsets, childSrc, childRows };
}

/** Enum keys; when the sources carry different dictionaries, keys are remapped into a merged one. */
function gatherDictionary(
  type: A.Dictionary,
  sources: readonly (A.Data | undefined)[],
  src: Int32Array | undefined,
  rows: Int32Array,
  base: { length: number; nullCount: number; nullBitmap: Uint8Array | undefined },
): A.Data {
  const keys = gatherFixed(type.indices.ArrayType as TypedCtor, sources, src, rows) as
    | Int8Array
    | Int16Array
    | Int32Array;
  const dicts = new Set<A.Vector>();
  if (!src) dicts.add(sources[0]!.dictionary!);
  else
    for (let k = 0; k < rows.length; k++) {
      const s = src[k];
      if (s >= 0) dicts.add(sources[s]!.dictionary!);
    }
  if (dicts.size <= 1) {
    const dictionary =
      dicts.values().next().value ??
      sources.find((d) => d?.dictionary)?.dictionary ??
      A.vectorFromArray([] as string[], new A.Utf8());
    return A.makeData({ ...base, type, data: keys, dictionary });
  }
  const merged: string[] = [];
  const index = new Map<string, number>();
  const remaps = new Map<A.Vector, Int32Array>();
  for (const dict of dicts) {
    const remap = new Int32Array(dict.length);
    for (let k = 0; k < dict.length; k++) {
      const text = dict.get(k) as string;
      let at = index.get(text);
      if (at === undefined) {
        at = merged.length;
        merged.push(text);
        index.set(text, at);
      }
      remap[k] = at;
    }
    remaps.set(dict, remap);
  }
  // Dictionary strings (Int32 codes, see DICTIONARY_STRING_KEY) keep their width; enums have Int16 keys.
  const wide = type.indices.bitWidth === 32;
  if (!wide && merged.length > 32767) throw new VastError('enum has more than 32767 distinct values');
  const bySource = sources.map((d) => (d?.dictionary ? remaps.get(d.dictionary) : undefined));
  const out = wide ? new Int32Array(keys.length) : new Int16Array(keys.length);
  for (let k = 0; k < keys.length; k++) {
    const s = src ? src[k] : 0;
    if (s >= 0) out[k] = bySource[s]![keys[k]];
  }
  const dictionary = A.vectorFromArray(merged, new A.Utf8());
  // Our builders always use Int16 keys; data from elsewhere gets a type with Int16 keys and the same id.
  const outType =
    wide || type.indices.bitWidth === 16 ? type : new A.Dictionary(new A.Utf8(), new A.Int16(), type.id);
  return A.makeData({ ...base, type: outType, data: out, dictionary });
}

// ---------------------------------------------------------------- rows

/** The rows `indices` of `batch`, in that order (indices may repeat). */
export function take(batch: A.RecordBatch, indices: Int32Array): A.RecordBatch {
  return new A.RecordBatch(
    batch.schema,
    gather(batch.data.type, [batch.data], undefined, indices) as A.Data<A.Struct>,
  );
}

/** Rows `[start, end)` as an offset-free copy (arrow-js `slice` keeps offsets, which `values.ts` does not read). */
export function sliceRows(batch: A.RecordBatch, start: number, end: number): A.RecordBatch {
  const idx = new Int32Array(Math.max(0, end - start));
  for (let k = 0; k < idx.length; k++) idx[k] = start + k;
  return take(batch, idx);
}

/**
 * Batches of one layout (see `layoutKey`) as one batch, with the first
 * batch's schema. Enum dictionaries that differ are merged.
 */
export function concat(batches: readonly A.RecordBatch[]): A.RecordBatch {
  if (batches.length === 1) return batches[0];
  const total = batches.reduce((n, b) => n + b.numRows, 0);
  const src = new Int32Array(total);
  const rows = new Int32Array(total);
  let k = 0;
  batches.forEach((b, s) => {
    for (let r = 0; r < b.numRows; r++, k++) {
      src[k] = s;
      rows[k] = r;
    }
  });
  const first = batches[0];
  return new A.RecordBatch(
    first.schema,
    gather(
      first.data.type,
      batches.map((b) => b.data),
      src,
      rows,
    ) as A.Data<A.Struct>,
  );
}

/** The rows whose bit is set in `selection` (LSB-first); undefined when none is. Returns `batch` itself when all are. */
export function filter(batch: A.RecordBatch, selection: Uint8Array): A.RecordBatch | undefined {
  const n = batch.numRows;
  let count = 0;
  for (let i = 0; i < n; i++) if (selection[i >> 3] & (1 << (i & 7))) count++;
  if (count === 0) return undefined;
  if (count === n) return batch;
  const idx = new Int32Array(count);
  let k = 0;
  for (let i = 0; i < n; i++) if (selection[i >> 3] & (1 << (i & 7))) idx[k++] = i;
  return take(batch, idx);
}

function hasOffsets(d: A.Data): boolean {
  if (d.offset !== 0) return true;
  for (const c of d.children) if (hasOffsets(c)) return true;
  return false;
}

/** `batch`, or an offset-free copy of it if any column (at any depth) has an Arrow offset. */
export function normalize(batch: A.RecordBatch): A.RecordBatch {
  return hasOffsets(batch.data) ? sliceRows(batch, 0, batch.numRows) : batch;
}
