/**
 * From decoded column chunks (levels + dense values) to Arrow Data, driven by
 * the Arrow type that the VAST type maps to (`types/arrow.ts`).
 *
 * Every node is assembled over its *instances*: the level index at which
 * each of its values begins, per leaf under it (each leaf has its own level
 * stream). Top-level columns without repetition have one instance per level
 * (`starts` null: the identity), which is the fast path: values are copied
 * in the physical layout and only null slots need expanding. A list's
 * instances yield its elements' instances by scanning repetition levels.
 * The k-th present slot of a leaf always takes the k-th dense value, since
 * a value is present exactly where its definition level is the maximum.
 *
 * Spec: https://github.com/apache/parquet-format/blob/master/LogicalTypes.md#nested-types
 */
import * as A from 'apache-arrow';
import type { DecodedChunk, DictValues } from './chunk.js';
import { ByteValues, type FixedValues, gatherBytes } from './decode-values.js';
import { PhysicalType, Repetition } from './format.js';
import type { LeafColumn, ParquetNode } from './schema.js';

/** A node of the file's schema as the reader walks it, with its levels. */
export interface ReadNode {
  readonly node: ParquetNode;
  readonly kind: 'leaf' | 'struct' | 'list' | 'map';
  /** The definition level at which this node is present. */
  readonly def: number;
  /** Struct: the fields. List: [element]. Map: [key, value]. */
  readonly children: readonly ReadNode[];
  /** Lists and maps: the levels of the repeated node (an item exists at `itemDef`; a further one repeats at `itemRep`). */
  readonly itemDef: number;
  readonly itemRep: number;
  /** The leaves under this node, in column-chunk order. */
  readonly leaves: readonly LeafColumn[];
  /** Timestamp leaves: nanoseconds per stored unit (1 for NANOS). */
  readonly scale: bigint;
}

type Starts = Int32Array | null;

export interface AssembleOptions {
  /**
   * Hand out string columns outside lists and maps (top-level, or members of
   * records) as Dictionary<Int32, Utf8> when their chunk is all
   * dictionary-encoded. Their Data then has type `DICTIONARY_STRING`, which
   * the caller replaces by the field's own (see `dictionaryStringField`).
   */
  dictStrings: boolean;
}

/** The placeholder type of dictionary-string Data as the assembly makes it. */
export const DICTIONARY_STRING = new A.Dictionary(new A.Utf8(), new A.Int32());

/** Assembles one top-level field of a row group of `rows` rows from its chunks (indexed by leaf index). */
export function assembleField(
  n: ReadNode,
  type: A.DataType,
  chunks: readonly DecodedChunk[],
  rows: number,
  opts: AssembleOptions,
): A.Data {
  const starts = n.leaves.map((leaf): Starts => {
    const c = chunks[leaf.index];
    if (leaf.maxRep === 0) {
      if (c.levels !== rows) throw new Error(`column has ${c.levels} values in a row group of ${rows} rows`);
      return null;
    }
    const rep = c.rep!;
    const out = new Int32Array(rows);
    let k = 0;
    for (let i = 0; i < c.levels; i++) {
      if (rep[i] !== 0) continue;
      if (k === rows) throw new Error(`column has more than the row group's ${rows} rows`);
      out[k++] = i;
    }
    if (k !== rows) throw new Error(`column has ${k} rows in a row group of ${rows}`);
    return out;
  });
  return new Assembler(chunks, opts.dictStrings).node(n, type, starts, rows);
}

interface Validity {
  /** One byte per slot, 1 when valid; null when every slot is valid. */
  valid: Uint8Array | null;
  bitmap: Uint8Array | undefined;
  nulls: number;
}

const ALL_VALID: Validity = { valid: null, bitmap: undefined, nulls: 0 };

function validity(c: DecodedChunk, starts: Starts, count: number, threshold: number): Validity {
  const def = c.def;
  // Every level entry holds a value (the decoder counts the entries at the maximum
  // definition level), so every node on the path is there: no per-slot work.
  if (!def || threshold === 0 || c.values.count === c.levels) return ALL_VALID;
  const valid = new Uint8Array(count);
  const bitmap = new Uint8Array((count + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < count; i++) {
    if (def[starts ? starts[i] : i] >= threshold) {
      valid[i] = 1;
      bitmap[i >> 3] |= 1 << (i & 7);
    } else nulls++;
  }
  return nulls === 0 ? ALL_VALID : { valid, bitmap, nulls };
}

/** Dense fixed-width values spread over `n` slots, zeros where invalid (the dense buffer itself when all are valid). */
function expand(src: Uint8Array, w: number, valid: Uint8Array | null, n: number): Uint8Array {
  if (!valid) return src.subarray(0, n * w);
  const out = new Uint8Array(n * w);
  if (w % 4 === 0) {
    const words = w >> 2;
    const s = new Int32Array(src.buffer, src.byteOffset, src.length >> 2);
    const d = new Int32Array(out.buffer);
    if (words === 1) {
      // Dictionary codes and 32-bit values, the most common case.
      for (let i = 0, k = 0; i < n; i++) if (valid[i]) d[i] = s[k++];
    } else if (words === 2) {
      for (let i = 0, k = 0; i < n; i++) {
        if (!valid[i]) continue;
        d[2 * i] = s[2 * k];
        d[2 * i + 1] = s[2 * k + 1];
        k++;
      }
    } else {
      for (let i = 0, k = 0; i < n; i++) {
        if (!valid[i]) continue;
        for (let j = 0; j < words; j++) d[i * words + j] = s[k * words + j];
        k++;
      }
    }
  } else {
    for (let i = 0, k = 0; i < n; i++) {
      if (!valid[i]) continue;
      for (let j = 0; j < w; j++) out[i * w + j] = src[k * w + j];
      k++;
    }
  }
  return out;
}

/** A copy of `src` whose buffer starts at offset 0 (for aligned typed views). */
const aligned = (src: Uint8Array): Uint8Array => (src.byteOffset === 0 ? src : src.slice());

class Assembler {
  constructor(
    private readonly chunks: readonly DecodedChunk[],
    private readonly dictStrings: boolean,
  ) {}

  node(n: ReadNode, type: A.DataType, starts: readonly Starts[], count: number): A.Data {
    switch (n.kind) {
      case 'leaf':
        return this.leaf(n, type, starts[0], count);
      case 'struct':
        return this.struct(n, type as A.Struct, starts, count);
      default:
        return this.repeated(n, type as A.List | A.Map_, starts, count);
    }
  }

  private validity(n: ReadNode, starts: Starts, count: number): Validity {
    // A required node is there whenever its parent is; a repeated one (a legacy
    // two-level list's element) whenever its list has an item here.
    const threshold = n.node.repetition === Repetition.OPTIONAL ? n.def : 0;
    return validity(this.chunks[n.leaves[0].index], starts, count, threshold);
  }

  private struct(n: ReadNode, type: A.Struct, starts: readonly Starts[], count: number): A.Data {
    const v = this.validity(n, starts[0], count);
    // An empty record's one child is the marker (see schema.ts), which has no Arrow column.
    if (type.children.length === 0)
      return A.makeData({ type, length: count, nullCount: v.nulls, nullBitmap: v.bitmap, children: [] });
    let at = 0;
    const children = n.children.map((c, i) => {
      const s = starts.slice(at, at + c.leaves.length);
      at += c.leaves.length;
      return this.node(c, type.children[i].type, s, count);
    });
    return A.makeData({ type, length: count, nullCount: v.nulls, nullBitmap: v.bitmap, children });
  }

  /** Lists and maps: offsets and validity from the first leaf, element instances from each. */
  private repeated(n: ReadNode, type: A.List | A.Map_, starts: readonly Starts[], count: number): A.Data {
    const v = this.validity(n, starts[0], count);
    const offsets = new Int32Array(count + 1);
    const itemStarts: Int32Array[] = [];
    let total = -1;
    n.leaves.forEach((leaf, j) => {
      const c = this.chunks[leaf.index];
      const def = c.def!;
      const rep = c.rep!;
      const s = starts[j]!;
      const items = new Int32Array(c.levels);
      let k = 0;
      for (let i = 0; i < count; i++) {
        const at = s[i];
        if (def[at] >= n.itemDef) {
          items[k++] = at;
          // Further items of this instance repeat at itemRep; deeper levels belong to the items.
          for (let q = at + 1; q < c.levels && rep[q] >= n.itemRep; q++)
            if (rep[q] === n.itemRep) items[k++] = q;
        }
        if (j === 0) offsets[i + 1] = k;
      }
      if (j > 0 && k !== total)
        throw new Error(`column ${leaf.path.join('.')} disagrees with its siblings on list lengths`);
      total = k;
      itemStarts.push(items.subarray(0, k));
    });
    if (type.typeId === A.Type.Map) {
      const entries = (type as A.Map_).children[0].type as A.Struct;
      const keyLeaves = n.children[0].leaves.length;
      const children = [
        this.node(n.children[0], entries.children[0].type, itemStarts.slice(0, keyLeaves), total),
        this.node(n.children[1], entries.children[1].type, itemStarts.slice(keyLeaves), total),
      ];
      const child = A.makeData({ type: entries, length: total, nullCount: 0, children });
      return A.makeData({
        type: type as A.Map_,
        length: count,
        nullCount: v.nulls,
        nullBitmap: v.bitmap,
        valueOffsets: offsets,
        child,
      });
    }
    const child = this.node(n.children[0], (type as A.List).children[0].type, itemStarts, total);
    return A.makeData({
      type: type as A.List,
      length: count,
      nullCount: v.nulls,
      nullBitmap: v.bitmap,
      valueOffsets: offsets,
      child,
    });
  }

  private leaf(n: ReadNode, type: A.DataType, starts: Starts, count: number): A.Data {
    const c = this.chunks[n.leaves[0].index];
    const v = validity(c, starts, count, n.def);
    if (count - v.nulls !== c.values.count)
      throw new Error(`${count - v.nulls} values present by the levels, ${c.values.count} decoded`);
    const base = { length: count, nullCount: v.nulls, nullBitmap: v.bitmap };
    const values = c.values;
    const physical = n.node.physical;
    const mismatch = () =>
      new Error(
        `cannot read Parquet physical type ${physical} as Arrow ${type} (column ${n.leaves[0].path.join('.')})`,
      );
    if (values.kind === 'fixed') {
      switch (type.typeId) {
        case A.Type.Bool: {
          if (physical !== PhysicalType.BOOLEAN) throw mismatch();
          const bits = new Uint8Array((count + 7) >> 3);
          const src = values.bytes;
          for (let i = 0, k = 0; i < count; i++) {
            if (v.valid && !v.valid[i]) continue;
            if (src[k++]) bits[i >> 3] |= 1 << (i & 7);
          }
          return A.makeData({ ...base, type: type as A.Bool, data: bits });
        }
        case A.Type.Int:
        case A.Type.Timestamp:
        case A.Type.Float: {
          const dense = convertFixed(values, type, physical ?? -1, n.scale);
          if (!dense) throw mismatch();
          const w =
            type.typeId === A.Type.Timestamp ? 8 : (type as A.Int | A.Float).ArrayType.BYTES_PER_ELEMENT;
          return A.makeData({ ...base, type: type as A.Int, data: expand(dense, w, v.valid, count) });
        }
        case A.Type.FixedSizeBinary: {
          const w = (type as A.FixedSizeBinary).byteWidth;
          if (values.width !== w) throw mismatch();
          return A.makeData({
            ...base,
            type: type as A.FixedSizeBinary,
            data: expand(values.bytes, w, v.valid, count),
          });
        }
        case A.Type.Utf8: {
          // A fixed-length byte array that VAST has no type for reads as a string.
          const b = new ByteValues(values.count, values.count * values.width);
          for (let i = 0; i < values.count; i++) b.offsets[i + 1] = (i + 1) * values.width;
          b.data.set(values.bytes.subarray(0, values.count * values.width));
          b.count = values.count;
          return utf8(b, v, count, type as A.Utf8);
        }
      }
      throw mismatch();
    }
    if (physical !== PhysicalType.BYTE_ARRAY) throw mismatch();
    if (type.typeId === A.Type.Dictionary) return enumData(values, v, count, type as A.Dictionary);
    if (type.typeId !== A.Type.Utf8) throw mismatch();
    if (values.kind === 'dict') {
      // Not inside lists: there the codes would not be per row, which is what kernels expect.
      if (this.dictStrings && starts === null) {
        const codes = expand(new Uint8Array(values.codes.buffer, 0, values.count * 4), 4, v.valid, count);
        return A.makeData({
          ...base,
          type: DICTIONARY_STRING,
          data: new Int32Array(codes.buffer, codes.byteOffset, count),
          dictionary: A.makeVector(
            utf8(values.dict, { valid: null, bitmap: undefined, nulls: 0 }, values.dict.count),
          ),
        });
      }
      const b = new ByteValues(values.count, values.dict.length);
      gatherBytes(values.dict, values.codes, values.count, b);
      return utf8(b, v, count, type as A.Utf8);
    }
    return utf8(values, v, count, type as A.Utf8);
  }
}

/** Utf8 Data over `count` slots from dense byte arrays (the bytes are shared, not copied). */
function utf8(b: ByteValues, v: Validity, count: number, type: A.Utf8 = new A.Utf8()): A.Data<A.Utf8> {
  let offsets: Int32Array;
  if (!v.valid) offsets = b.offsets.subarray(0, count + 1);
  else {
    offsets = new Int32Array(count + 1);
    const src = b.offsets;
    for (let i = 0, k = 0; i < count; i++) offsets[i + 1] = v.valid[i] ? src[++k] : src[k];
  }
  return A.makeData({
    type,
    length: count,
    nullCount: v.nulls,
    nullBitmap: v.bitmap,
    valueOffsets: offsets,
    data: b.data.subarray(0, b.length),
  });
}

/** An enum column (Dictionary<Int16, Utf8>): the chunk's own dictionary when it has one, else one built here. */
function enumData(values: ByteValues | DictValues, v: Validity, count: number, type: A.Dictionary): A.Data {
  let dict: ByteValues;
  let codes: Int32Array;
  if (values.kind === 'dict') {
    dict = values.dict;
    codes = values.codes;
  } else {
    // Labels are few: keying a Map by their text is cheap next to the rows.
    const seen = new Map<string, number>();
    const dec = new TextDecoder();
    codes = new Int32Array(values.count);
    const labels: Uint8Array[] = [];
    for (let i = 0; i < values.count; i++) {
      const bytes = values.data.subarray(values.offsets[i], values.offsets[i + 1]);
      const key = dec.decode(bytes);
      let code = seen.get(key);
      if (code === undefined) {
        code = labels.length;
        seen.set(key, code);
        labels.push(bytes);
      }
      codes[i] = code;
    }
    dict = new ByteValues(labels.length, 0);
    for (const l of labels) {
      dict.reserveBytes(l.length);
      dict.data.set(l, dict.length);
      dict.offsets[dict.count + 1] = dict.length + l.length;
      dict.count++;
    }
  }
  if (dict.count > 0x7fff) throw new Error(`enum with ${dict.count} labels does not fit Int16 codes`);
  const keys = new Int16Array(count);
  for (let i = 0, k = 0; i < count; i++) if (!v.valid || v.valid[i]) keys[i] = codes[k++];
  return A.makeData({
    type,
    length: count,
    nullCount: v.nulls,
    nullBitmap: v.bitmap,
    data: keys,
    dictionary: A.makeVector(utf8(dict, { valid: null, bitmap: undefined, nulls: 0 }, dict.count)),
  });
}

/**
 * Dense fixed-width values in the layout of the Arrow type (same width: the
 * bytes themselves; narrower or wider integers, FLOAT, coarser timestamps:
 * converted); undefined if the physical type cannot be read as `type`.
 */
function convertFixed(
  values: FixedValues,
  type: A.DataType,
  physical: number,
  scale: bigint,
): Uint8Array | undefined {
  const n = values.count;
  const src = values.bytes;
  if (type.typeId === A.Type.Float) {
    if ((type as A.Float).precision !== A.Precision.DOUBLE) return undefined;
    if (physical === PhysicalType.DOUBLE) return src;
    if (physical !== PhysicalType.FLOAT) return undefined;
    const f = new Float32Array(src.buffer, 0, n);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = f[i];
    return new Uint8Array(out.buffer);
  }
  const bits = type.typeId === A.Type.Timestamp ? 64 : (type as A.Int).bitWidth;
  const signed = type.typeId === A.Type.Timestamp || (type as A.Int).isSigned;
  if (bits === 64 && physical === PhysicalType.INT64) {
    if (scale === 1n) return src;
    const t = new BigInt64Array(src.buffer, 0, n);
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) out[i] = t[i] * scale;
    return new Uint8Array(out.buffer);
  }
  if (physical !== PhysicalType.INT32) return undefined;
  const x = new Int32Array(aligned(src).buffer, 0, n);
  if (bits === 64) {
    // Widened by halves: the high word is the sign (signed) or zero.
    const out = new Int32Array(2 * n);
    for (let i = 0; i < n; i++) {
      out[2 * i] = x[i];
      out[2 * i + 1] = signed ? x[i] >> 31 : 0;
    }
    return new Uint8Array(out.buffer);
  }
  if (bits === 32) return src;
  if (bits === 16) {
    const out = signed ? new Int16Array(n) : new Uint16Array(n);
    for (let i = 0; i < n; i++) out[i] = x[i];
    return new Uint8Array(out.buffer);
  }
  if (bits === 8) {
    const out = signed ? new Int8Array(n) : new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = x[i];
    return new Uint8Array(out.buffer);
  }
  return undefined;
}

/**
 * Zeroed memory of at least `bytes` bytes, shared by every all-null column:
 * a scan that reads 1 of 17 fields builds 16 null columns per row group, and
 * fresh zeroed buffers for them cost more than decoding the one it reads.
 * Arrow data is immutable, so sharing is safe; views start at offset 0, so
 * they are aligned for every typed array.
 */
let zeroed = new ArrayBuffer(1 << 16);
function zeros(bytes: number): ArrayBuffer {
  if (zeroed.byteLength < bytes) zeroed = new ArrayBuffer(Math.max(bytes, 2 * zeroed.byteLength));
  return zeroed;
}

/** An all-null column of `length` rows over shared zeroed memory: no allocation or work per row. */
export function nullData(type: A.DataType, length: number): A.Data {
  const bitmapBytes = (length + 7) >> 3;
  const nullBitmap = new Uint8Array(zeros(bitmapBytes), 0, bitmapBytes);
  const base = { length, nullCount: length, nullBitmap };
  const offsets = () => new Int32Array(zeros(4 * (length + 1)), 0, length + 1);
  switch (type.typeId) {
    case A.Type.Bool:
      return A.makeData({ ...base, type: type as A.Bool, data: nullBitmap });
    case A.Type.Int:
    case A.Type.Float: {
      const T = (type as A.Int).ArrayType;
      return A.makeData({
        ...base,
        type: type as A.Int,
        data: new T(zeros(T.BYTES_PER_ELEMENT * length), 0, length),
      });
    }
    case A.Type.Timestamp:
      return A.makeData({
        ...base,
        type: type as A.Timestamp,
        data: new BigInt64Array(zeros(8 * length), 0, length),
      });
    case A.Type.Utf8:
      return A.makeData({ ...base, type: type as A.Utf8, valueOffsets: offsets(), data: new Uint8Array(0) });
    case A.Type.FixedSizeBinary: {
      const n = (type as A.FixedSizeBinary).byteWidth * length;
      return A.makeData({ ...base, type: type as A.FixedSizeBinary, data: new Uint8Array(zeros(n), 0, n) });
    }
    case A.Type.Dictionary: {
      const d = type as A.Dictionary;
      const T = d.indices.ArrayType;
      return A.makeData({
        ...base,
        type: d,
        data: new T(zeros(T.BYTES_PER_ELEMENT * length), 0, length),
        dictionary: A.makeVector(nullData(d.dictionary, 0)),
      });
    }
    case A.Type.Struct:
      return A.makeData({
        ...base,
        type: type as A.Struct,
        children: type.children.map((f: A.Field) => nullData(f.type, length)),
      });
    case A.Type.List:
      return A.makeData({
        ...base,
        type: type as A.List,
        valueOffsets: offsets(),
        child: nullData(type.children[0].type, 0),
      });
    case A.Type.Map: {
      const entries = type.children[0].type as A.Struct;
      const child = A.makeData({
        type: entries,
        length: 0,
        nullCount: 0,
        children: entries.children.map((f: A.Field) => nullData(f.type, 0)),
      });
      return A.makeData({ ...base, type: type as A.Map_, valueOffsets: offsets(), child });
    }
    default:
      throw new Error(`no null column for Arrow type ${type}`);
  }
}
