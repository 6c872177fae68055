/**
 * Dictionary-encoded `string` columns (`DICTIONARY_STRING_KEY`): the store
 * hands out a string column whose row group was dictionary-encoded as Arrow
 * `Dictionary<Int32, Utf8>`, so that kernels and `summarize` work once per
 * distinct value. Everything that is not dictionary-aware (writers, most
 * operators, `values.ts`) must see plain Utf8: `plainStrings` is that boundary.
 */
import * as A from 'apache-arrow';
import { DICTIONARY_STRING_KEY, isDictionaryString } from './arrow.js';

/** Whether a Data is dictionary-encoded (a dictionary string or an enum). */
export const isDictionaryData = (d: A.Data): boolean => d.typeId === A.Type.Dictionary;

const entryCache = new WeakMap<A.Vector, A.Data<A.Utf8>>();

/**
 * The dictionary entries of a dictionary-encoded column as one Utf8 Data
 * (offset-free), once per dictionary vector: arrow-js keeps delta dictionaries
 * as several chunks, which are concatenated here.
 */
export function dictionaryEntries(dict: A.Vector): A.Data<A.Utf8> {
  let out = entryCache.get(dict);
  if (out) return out;
  const chunks = dict.data as A.Data<A.Utf8>[];
  if (chunks.length === 1 && chunks[0].offset === 0 && chunks[0].nullCount === 0) out = chunks[0];
  else {
    let bytes = 0;
    for (const c of chunks) {
      const o = c.valueOffsets as Int32Array;
      bytes += o[c.length] - o[0];
    }
    const offsets = new Int32Array(dict.length + 1);
    const data = new Uint8Array(bytes);
    let k = 0;
    let at = 0;
    for (const c of chunks) {
      const o = c.valueOffsets as Int32Array;
      const v = c.values as Uint8Array;
      data.set(v.subarray(o[0], o[c.length]), at);
      for (let i = 0; i < c.length; i++) offsets[++k] = at + o[i + 1] - o[0];
      at += o[c.length] - o[0];
    }
    // A null entry reads as the empty string here; the store never writes one (rows are null instead).
    out = A.makeData({ type: new A.Utf8(), length: dict.length, nullCount: 0, valueOffsets: offsets, data });
  }
  entryCache.set(dict, out);
  return out;
}

/** A dictionary-encoded column decoded to Utf8 (offset-free), nulls kept. */
function decodeDictionary(d: A.Data): A.Data<A.Utf8> {
  const entries = dictionaryEntries(d.dictionary!);
  const eo = entries.valueOffsets as Int32Array;
  const ev = entries.values as Uint8Array;
  // arrow-js slices the codes with the Data, but not the validity bitmap.
  const codes = d.values as Int32Array | Int16Array | Int8Array;
  const n = d.length;
  const bm = d.nullCount > 0 && d.nullBitmap && d.nullBitmap.length > 0 ? d.nullBitmap : undefined;
  const offsets = new Int32Array(n + 1);
  let total = 0;
  for (let r = 0; r < n; r++) {
    const j = d.offset + r;
    if (!bm || bm[j >> 3] & (1 << (j & 7))) total += eo[codes[r] + 1] - eo[codes[r]];
    offsets[r + 1] = total;
  }
  const data = new Uint8Array(total);
  for (let r = 0; r < n; r++) {
    const len = offsets[r + 1] - offsets[r];
    if (len > 0) data.set(ev.subarray(eo[codes[r]], eo[codes[r]] + len), offsets[r]);
  }
  let nullBitmap: Uint8Array | undefined;
  if (bm) {
    // Rebase the validity to offset 0, as the offsets and values are.
    nullBitmap = new Uint8Array((n + 7) >> 3);
    for (let r = 0; r < n; r++) {
      const j = d.offset + r;
      if (bm[j >> 3] & (1 << (j & 7))) nullBitmap[r >> 3] |= 1 << (r & 7);
    }
  }
  return A.makeData({
    type: new A.Utf8(),
    length: n,
    nullCount: bm ? d.nullCount : 0,
    nullBitmap,
    valueOffsets: offsets,
    data,
  });
}

/**
 * A column with dictionary strings decoded (at the top only; enums, with
 * Int8/Int16 keys, stay); the column itself otherwise.
 */
export function plainColumn(d: A.Data): A.Data {
  return isDictionaryData(d) && (d.type as A.Dictionary).indices.bitWidth === 32 ? decodeDictionary(d) : d;
}

/** Whether a field holds a dictionary string at any depth (records and lists included). */
function hasDictionaryString(f: A.Field): boolean {
  return isDictionaryString(f) || f.type.children?.some(hasDictionaryString) === true;
}

/** The field with dictionary strings turned into Utf8 at every depth; same metadata minus the marker. */
function plainField(f: A.Field): A.Field {
  if (!hasDictionaryString(f)) return f;
  if (isDictionaryString(f)) {
    const meta = new Map(f.metadata);
    meta.delete(DICTIONARY_STRING_KEY);
    return new A.Field(f.name, new A.Utf8(), f.nullable, meta);
  }
  const children = f.type.children.map(plainField);
  const type = A.DataType.isStruct(f.type)
    ? new A.Struct(children)
    : A.DataType.isList(f.type)
      ? new A.List(children[0])
      : new A.Map_(children[0] as A.Field<A.Struct<{ key: A.DataType; value: A.DataType }>>);
  return new A.Field(f.name, type, f.nullable, f.metadata);
}

function plainData(f: A.Field, d: A.Data): A.Data {
  if (!hasDictionaryString(f)) return d;
  if (isDictionaryString(f)) return decodeDictionary(d);
  const type = plainField(f).type;
  const children = f.type.children.map((c: A.Field, k: number) => plainData(c, d.children[k]));
  const base = { offset: d.offset, length: d.length, nullCount: d.nullCount, nullBitmap: d.nullBitmap };
  if (A.DataType.isStruct(type)) return A.makeData({ ...base, type, children });
  return A.makeData({ ...base, type: type as A.List, valueOffsets: d.valueOffsets, child: children[0] });
}

/** Per input schema: the plain schema, or null when it has no dictionary strings (the usual case). */
const plainSchemas = new WeakMap<A.Schema, A.Schema | null>();

function plainSchema(s: A.Schema): A.Schema | null {
  let out = plainSchemas.get(s);
  if (out === undefined) {
    out = s.fields.some(hasDictionaryString) ? new A.Schema(s.fields.map(plainField), s.metadata) : null;
    plainSchemas.set(s, out);
  }
  return out;
}

/**
 * `batch` with every dictionary-string column (in records and lists too)
 * decoded to a plain Utf8 column with the field's metadata minus the
 * marker; `batch` itself when it has none (one WeakMap lookup). Batches of
 * one schema object get one output schema object, so per-schema caches
 * downstream still hit.
 */
export function plainStrings(batch: A.RecordBatch): A.RecordBatch {
  const schema = plainSchema(batch.schema);
  if (!schema) return batch;
  const d = batch.data;
  const children = batch.schema.fields.map((f, k) => plainData(f, d.children[k]));
  return new A.RecordBatch(
    schema,
    A.makeData({
      type: new A.Struct(schema.fields),
      offset: d.offset,
      length: d.length,
      nullCount: d.nullCount,
      nullBitmap: d.nullBitmap,
      children,
    }),
  );
}
