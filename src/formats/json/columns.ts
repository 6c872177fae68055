/**
 * Finishing the columns of a layout's batch. Layouts pad absent fields lazily
 * (`layout.ts`): a column only gets nulls when a later row has a value for
 * it. At the end of a batch the lagging columns are padded, and a column with
 * no value in the whole batch (also inside a record or a list's records) is
 * replaced by one all-null buffer instead of `rows` appended nulls: that is
 * what makes wide schemas cheap (a Suricata alert fills ~22 of ~55 leaves).
 */
import * as A from 'apache-arrow';
import { arrowType } from '../../types/arrow.js';
import { type ColumnBuilder, ListBuilder, RecordBuilder } from '../../types/builder.js';
import type { VastType } from '../../types/type.js';

/** Appends nulls until `b` has `n` rows (a column catching up on rows it had no value in). */
export function pad(b: ColumnBuilder, n: number): void {
  while (b.length < n) b.appendNull();
}

/**
 * Finishes a column of `rows` rows. Columns that lag behind get their nulls
 * now; columns (also nested ones) that had no value at all in the batch
 * become one all-null buffer instead of `rows` appended nulls.
 */
export function finishColumn(b: ColumnBuilder, rows: number, valid: boolean): A.Data {
  if (b.length === 0 && rows > 0 && !hasEnum(b.type)) return nullData(b.type, rows, valid);
  if (valid && b instanceof RecordBuilder) padRecord(b, rows);
  else pad(b, rows);
  prepare(b, valid);
  return fixup(b.finish(), b.type, valid);
}

/** Appends records of nulls (not null records) until `rb` has `n` rows. */
export function padRecord(rb: RecordBuilder, n: number): void {
  while (rb.length < n) {
    for (const c of rb.children) {
      if (c instanceof RecordBuilder) padRecord(c, rb.length + 1);
      else pad(c, rb.length + 1);
    }
    rb.closeRecord();
  }
}

const isEmpty = (c: ColumnBuilder, parentRows: number) =>
  c.length === 0 && parentRows > 0 && !hasEnum(c.type);

/** Pads nested columns to their parent's length, except empty ones, which `fixup` replaces. */
function prepare(b: ColumnBuilder, valid: boolean): void {
  if (b instanceof RecordBuilder) {
    for (const c of b.children) {
      if (isEmpty(c, b.length)) continue;
      if (valid && c instanceof RecordBuilder) padRecord(c, b.length);
      else pad(c, b.length);
      prepare(c, valid);
    }
  } else if (b instanceof ListBuilder) prepare(b.child, valid);
}

/** Swaps the empty children of struct columns (left so by `prepare`) for all-null columns. */
function fixup(d: A.Data, t: VastType, valid: boolean): A.Data {
  if (t.kind === 'record') {
    let changed = false;
    const children = d.children.map((c, i) => {
      const ft = t.fields[i].type;
      const x = c.length === 0 && d.length > 0 ? nullData(ft, d.length, valid) : fixup(c, ft, valid);
      if (x !== c) changed = true;
      return x;
    });
    if (!changed) return d;
    return A.makeData({
      type: d.type as A.Struct,
      length: d.length,
      nullCount: d.nullCount,
      nullBitmap: d.nullBitmap,
      children,
    });
  }
  if (t.kind === 'list') {
    const c = d.children[0];
    const x = fixup(c, t.element, valid);
    if (x === c) return d;
    return A.makeData({
      type: d.type as A.List,
      length: d.length,
      nullCount: d.nullCount,
      nullBitmap: d.nullBitmap,
      valueOffsets: d.valueOffsets as Int32Array,
      child: x,
    });
  }
  return d;
}

/** Enums share their dictionary across batches, so they are never synthesized. */
function hasEnum(t: VastType): boolean {
  switch (t.kind) {
    case 'enum':
      return true;
    case 'list':
      return hasEnum(t.element);
    case 'record':
      return t.fields.some((f) => hasEnum(f.type));
    case 'map':
      return hasEnum(t.key) || hasEnum(t.value);
    default:
      return false;
  }
}

/** An all-null column of `length` rows, built in one go (records of nulls when `valid`). */
function nullData(t: VastType, length: number, valid = false): A.Data {
  const type = arrowType(t);
  if (valid && t.kind === 'record')
    return A.makeData({
      type: type as A.Struct,
      length,
      nullCount: 0,
      children: t.fields.map((f) => nullData(f.type, length, valid)),
    });
  const nullBitmap = new Uint8Array((length + 7) >> 3);
  const base = { type, length, nullCount: length, nullBitmap };
  switch (t.kind) {
    case 'bool':
      return A.makeData({ ...base, type: type as A.Bool, data: new Uint8Array((length + 7) >> 3) });
    case 'int64':
    case 'time':
    case 'duration':
      return A.makeData({ ...base, type: type as A.Int64, data: new BigInt64Array(length) });
    case 'uint64':
      return A.makeData({ ...base, type: type as A.Uint64, data: new BigUint64Array(length) });
    case 'double':
      return A.makeData({ ...base, type: type as A.Float64, data: new Float64Array(length) });
    case 'port':
      return A.makeData({ ...base, type: type as A.Uint16, data: new Uint16Array(length) });
    case 'string':
      return A.makeData({
        ...base,
        type: type as A.Utf8,
        valueOffsets: new Int32Array(length + 1),
        data: new Uint8Array(0),
      });
    case 'ip':
      return A.makeData({ ...base, type: type as A.FixedSizeBinary, data: new Uint8Array(16 * length) });
    case 'subnet': {
      const st = type as A.Struct;
      const address = A.makeData({
        type: st.children[0].type as A.FixedSizeBinary,
        length,
        data: new Uint8Array(16 * length),
      });
      const len = A.makeData({ type: st.children[1].type as A.Uint8, length, data: new Uint8Array(length) });
      return A.makeData({ ...base, type: st, children: [address, len] });
    }
    case 'list': {
      const child = nullData(t.element, 0);
      return A.makeData({ ...base, type: type as A.List, valueOffsets: new Int32Array(length + 1), child });
    }
    case 'record':
      return A.makeData({
        ...base,
        type: type as A.Struct,
        children: t.fields.map((f) => nullData(f.type, length)),
      });
    case 'map': {
      const mt = type as A.Map_;
      const entries = mt.children[0].type as A.Struct;
      const child = A.makeData({
        type: entries,
        length: 0,
        children: [nullData(t.key, 0), nullData(t.value, 0)],
      });
      return A.makeData({ ...base, type: mt, valueOffsets: new Int32Array(length + 1), child });
    }
    default:
      throw new Error(`no null column for type ${t.kind}`);
  }
}
