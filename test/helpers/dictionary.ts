/**
 * Dictionary-encodes string columns the way the store's Parquet reader hands
 * them out (`dictionaryStringField`: Arrow `Dictionary<Int32, Utf8>` plus the
 * marker), so tests can compare every consumer on both encodings.
 */
import * as A from 'apache-arrow';
import { dictionaryStringField, vastType } from '../../src/types/arrow.js';

/** One column's Utf8 Data as dictionary codes; the entries in order of first appearance. */
function encodeColumn(d: A.Data<A.Utf8>, garbageNullCodes = false): A.Data {
  const index = new Map<string, number>();
  const entries: string[] = [];
  const codes = new Int32Array(d.length);
  const v = new A.Vector([d]);
  for (let r = 0; r < d.length; r++) {
    const s = v.get(r);
    if (s === null) {
      // The store may leave anything in a null row's code; kernels must not look.
      codes[r] = garbageNullCodes ? 1_000_000 + r : 0;
      continue;
    }
    let c = index.get(s);
    if (c === undefined) {
      c = entries.length;
      entries.push(s);
      index.set(s, c);
    }
    codes[r] = c;
  }
  const dictionary = A.vectorFromArray(entries, new A.Utf8());
  const type = new A.Dictionary(new A.Utf8(), new A.Int32());
  let nullBitmap: Uint8Array | undefined;
  if (d.nullCount > 0) {
    nullBitmap = new Uint8Array((d.length + 7) >> 3);
    for (let r = 0; r < d.length; r++) if (v.isValid(r)) nullBitmap[r >> 3] |= 1 << (r & 7);
  }
  return A.makeData({ type, length: d.length, nullCount: d.nullCount, nullBitmap, data: codes, dictionary });
}

function encodeField(f: A.Field, d: A.Data, garbage: boolean): [A.Field, A.Data] {
  if (A.DataType.isUtf8(f.type) && vastType(f).kind === 'string')
    return [dictionaryStringField(f), encodeColumn(d as A.Data<A.Utf8>, garbage)];
  if (A.DataType.isStruct(f.type)) {
    const pairs = f.type.children.map((c: A.Field, k: number) => encodeField(c, d.children[k], garbage));
    const type = new A.Struct(pairs.map((p: [A.Field, A.Data]) => p[0]));
    const data = A.makeData({
      type,
      length: d.length,
      nullCount: d.nullCount,
      nullBitmap: d.nullBitmap,
      offset: d.offset,
      children: pairs.map((p: [A.Field, A.Data]) => p[1]),
    });
    return [new A.Field(f.name, type, f.nullable, f.metadata), data];
  }
  return [f, d];
}

/** `batch` with every top-level and record-nested string column dictionary-encoded. */
export function dictionaryEncode(batch: A.RecordBatch, garbageNullCodes = false): A.RecordBatch {
  const pairs = batch.schema.fields.map((f, k) => encodeField(f, batch.data.children[k], garbageNullCodes));
  const schema = new A.Schema(
    pairs.map((p) => p[0]),
    batch.schema.metadata,
  );
  return new A.RecordBatch(
    schema,
    A.makeData({
      type: new A.Struct(schema.fields),
      length: batch.numRows,
      nullCount: 0,
      children: pairs.map((p) => p[1]),
    }),
  );
}
