/**
 * The Parquet reader of the store (v2 partitions): opens a file by its
 * footer and decodes row groups into Arrow record batches, reading only the
 * column chunks a query asks for, each with one positioned read of exactly
 * its byte range. Values go from the pages straight into Arrow's buffers
 * (typed arrays), so the compiled kernels run on the result as on any batch.
 *
 * Files are ours (the layout rides in the footer under `vast.layout`), or
 * written by another tool (DuckDB, pyarrow) with a layout given by the
 * caller, or with none, in which case VAST types are derived from the
 * Parquet types.
 *
 * Anything malformed is a CorruptionError naming the file and, past the
 * footer, the column and row group: never a RangeError, never a hang.
 */
import * as A from 'apache-arrow';
import { arrowSchema, dictionaryStringField } from '../../types/arrow.js';
import { basic, type RecordType, type Schema, type VastType } from '../../types/type.js';
import { CorruptionError } from '../errors.js';
import { assembleField, DICTIONARY_STRING, nullData, type ReadNode } from './assemble.js';
import { codecName, type DecodedChunk, decodeChunk } from './chunk.js';
import {
  ARROW_SCHEMA_KEY,
  Codec,
  ColumnChunk,
  ColumnMetaData,
  ConvertedType,
  FileMetaData,
  KeyValue,
  LogicalType,
  MAGIC,
  PhysicalType,
  Repetition,
  RowGroup,
  SchemaElement,
  TimestampType,
  TimeUnit,
  VAST_LAYOUT_KEY,
} from './format.js';
import { type LeafColumn, leafColumns, type ParquetNode, parquetSchema } from './schema.js';
import { ThriftReader, type ThriftStruct, type ThriftValue } from './thrift.js';

/** Where the bytes come from: a FileHandle, or the store's VerifiedFile. */
export interface PositionedSource {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

/** One column chunk's place in the file and what its pages need. */
interface ChunkMeta {
  start: number;
  length: number;
  codec: number;
  numValues: number;
}

/** Footers above this size are refused rather than allocated (ours are a few KiB). */
const MAX_FOOTER = 64 * 1024 * 1024;

const text = new TextDecoder();

async function readAt(
  source: PositionedSource,
  file: string,
  position: number,
  length: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await source.read(out, got, length - got, position + got);
    if (bytesRead <= 0) throw new CorruptionError(file, `file ended early at byte ${position + got}`);
    got += bytesRead;
  }
  return out;
}

const isStruct = (v: ThriftValue | undefined): v is ThriftStruct =>
  typeof v === 'object' && !(v instanceof Uint8Array) && !Array.isArray(v);

/** Field accessors that turn a missing or mistyped field into a CorruptionError. */
class Fields {
  constructor(private readonly file: string) {}

  fail(reason: string): never {
    throw new CorruptionError(this.file, reason);
  }

  int(s: ThriftStruct, id: number, what: string): number {
    const v = s[id];
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) return this.fail(`Parquet footer lacks ${what}`);
    return v;
  }

  optInt(s: ThriftStruct, id: number, what: string): number | undefined {
    return s[id] === undefined ? undefined : this.int(s, id, what);
  }

  str(s: ThriftStruct, id: number, what: string): string {
    const v = s[id];
    if (!(v instanceof Uint8Array)) return this.fail(`Parquet footer lacks ${what}`);
    return text.decode(v);
  }

  list(s: ThriftStruct, id: number, what: string): ThriftStruct[] {
    const v = s[id];
    if (!Array.isArray(v) || !v.every(isStruct)) return this.fail(`Parquet footer lacks ${what}`);
    return v as ThriftStruct[];
  }
}

/** A schema node with the raw element it came from (for annotations the tree does not keep). */
interface FileSchema {
  root: ParquetNode;
  raw: Map<ParquetNode, ThriftStruct>;
}

function fileSchema(f: Fields, elements: ThriftStruct[]): FileSchema {
  const raw = new Map<ParquetNode, ThriftStruct>();
  let i = 0;
  const build = (depth: number): ParquetNode => {
    if (i >= elements.length) f.fail('Parquet schema ends before its tree does');
    if (depth > 64) f.fail('Parquet schema nests more than 64 levels');
    const e = elements[i++];
    const name = f.str(e, SchemaElement.name, 'a schema element name');
    const repetition = (f.optInt(e, SchemaElement.repetition_type, 'repetition') ??
      Repetition.REQUIRED) as Repetition;
    if (repetition < 0 || repetition > 2) f.fail(`bad repetition ${repetition} of ${name}`);
    const kids = f.optInt(e, SchemaElement.num_children, 'num_children');
    const physical = f.optInt(e, SchemaElement.type, 'type');
    const node: ParquetNode = { name, repetition, vast: undefined };
    const converted = f.optInt(e, SchemaElement.converted_type, 'converted_type');
    if (converted !== undefined) node.converted = converted;
    if (physical === undefined || (kids !== undefined && kids > 0)) {
      if (kids === undefined || kids < 0 || kids > elements.length) f.fail(`bad child count of ${name}`);
      node.children = [];
      for (let k = 0; k < kids; k++) node.children.push(build(depth + 1));
    } else {
      node.physical = physical;
      const len = f.optInt(e, SchemaElement.type_length, 'type_length');
      if (len !== undefined) node.typeLength = len;
      if (physical === PhysicalType.FIXED_LEN_BYTE_ARRAY && !(len !== undefined && len > 0 && len < 1 << 20))
        f.fail(`bad length of fixed-length column ${name}`);
    }
    raw.set(node, e);
    return node;
  };
  const root = build(0);
  if (i !== elements.length) f.fail('Parquet schema has elements outside its tree');
  if (!root.children) f.fail('Parquet schema root is not a group');
  return { root, raw };
}

/** The logical type's member id, if the element has one. */
function logicalId(e: ThriftStruct | undefined): number | undefined {
  const l = e?.[SchemaElement.logicalType];
  if (!isStruct(l)) return undefined;
  const ids = Object.keys(l).map(Number);
  return ids.length === 1 ? ids[0] : undefined;
}

/** Nanoseconds per stored unit of a timestamp column (1 for NANOS and for anything else). */
function timeScale(e: ThriftStruct | undefined): bigint {
  const l = e?.[SchemaElement.logicalType];
  if (isStruct(l) && isStruct(l[LogicalType.TIMESTAMP])) {
    const unit = (l[LogicalType.TIMESTAMP] as ThriftStruct)[TimestampType.unit];
    if (isStruct(unit)) {
      if (unit[TimeUnit.MILLIS] !== undefined) return 1_000_000n;
      if (unit[TimeUnit.MICROS] !== undefined) return 1000n;
    }
    return 1n;
  }
  const c = e?.[SchemaElement.converted_type];
  if (c === ConvertedType.TIMESTAMP_MILLIS) return 1_000_000n;
  if (c === ConvertedType.TIMESTAMP_MICROS) return 1000n;
  return 1n;
}

const isListNode = (n: ParquetNode, e: ThriftStruct | undefined) =>
  n.converted === ConvertedType.LIST || logicalId(e) === LogicalType.LIST;
const isMapNode = (n: ParquetNode, e: ThriftStruct | undefined) =>
  n.converted === ConvertedType.MAP ||
  n.converted === ConvertedType.MAP_KEY_VALUE ||
  logicalId(e) === LogicalType.MAP;

/**
 * A LIST's element: the repeated group's only child (three levels), or the
 * repeated node itself in the legacy two-level forms (LogicalTypes.md,
 * "Backward-compatibility rules").
 */
function listElement(list: ParquetNode): ParquetNode {
  const g = list.children![0];
  const two = g.children?.length !== 1 || g.name === 'array' || g.name === `${list.name}_tuple`;
  return two ? g : g.children![0];
}

/** VAST types of a file written without a layout, from its Parquet types. */
function deriveType(f: Fields, n: ParquetNode, s: FileSchema, path: string): VastType {
  const e = s.raw.get(n);
  if (n.children) {
    const repeated = n.children[0];
    if (isListNode(n, e)) {
      if (n.children.length !== 1 || repeated.repetition !== Repetition.REPEATED)
        f.fail(`malformed LIST ${path}`);
      return { kind: 'list', element: deriveType(f, listElement(n), s, path) };
    }
    if (isMapNode(n, e)) {
      if (
        n.children.length !== 1 ||
        repeated.repetition !== Repetition.REPEATED ||
        repeated.children?.length !== 2
      )
        f.fail(`malformed MAP ${path}`);
      const [k, v] = repeated.children!;
      return {
        kind: 'map',
        key: deriveType(f, k, s, `${path}.key`),
        value: deriveType(f, v, s, `${path}.value`),
      };
    }
    return {
      kind: 'record',
      fields: n.children.map((c) => {
        if (c.repetition === Repetition.REPEATED)
          f.fail(`unsupported repeated field ${path}.${c.name} outside a LIST`);
        return { name: c.name, type: deriveType(f, c, s, `${path}.${c.name}`) };
      }),
    };
  }
  const logical = logicalId(e);
  const int = e?.[SchemaElement.logicalType];
  const intType =
    isStruct(int) && isStruct(int[LogicalType.INTEGER])
      ? (int[LogicalType.INTEGER] as ThriftStruct)
      : undefined;
  const unsigned = intType ? intType[2] === false : undefined;
  const bits = intType ? (intType[1] as number) : undefined;
  switch (n.physical) {
    case PhysicalType.BOOLEAN:
      return basic('bool');
    case PhysicalType.INT32:
      if (n.converted === ConvertedType.UINT_16 || (unsigned && bits === 16)) return basic('port');
      if (n.converted === ConvertedType.UINT_8 || n.converted === ConvertedType.UINT_32 || unsigned)
        return basic('uint64');
      return basic('int64');
    case PhysicalType.INT64:
      if (
        logical === LogicalType.TIMESTAMP ||
        n.converted === ConvertedType.TIMESTAMP_MICROS ||
        n.converted === ConvertedType.TIMESTAMP_MILLIS
      )
        return basic('time');
      if (n.converted === ConvertedType.UINT_64 || unsigned) return basic('uint64');
      return basic('int64');
    case PhysicalType.FLOAT:
    case PhysicalType.DOUBLE:
      return basic('double');
    case PhysicalType.BYTE_ARRAY:
      return n.converted === ConvertedType.ENUM || logical === LogicalType.ENUM
        ? { kind: 'enum' }
        : basic('string');
    case PhysicalType.FIXED_LEN_BYTE_ARRAY:
      // Our own mapping of ip, when the layout is not there to say so.
      return n.typeLength === 16 && logical === undefined ? basic('ip') : basic('string');
    default:
      return f.fail(`unsupported Parquet physical type ${n.physical} of column ${path}`);
  }
}

/** Checks the file's schema against the layout's (names, physical types, repetition, shape). */
function checkShape(
  f: Fields,
  got: ParquetNode,
  want: ParquetNode,
  path: string,
  layout: string,
  inner = false,
): void {
  const bad = (what: string) =>
    f.fail(`Parquet schema does not match layout ${layout}: ${path || 'root'} ${what}`);
  // The nodes inside a list or map are named by the writer (`list`/`element`, arrow-rs's
  // `item`, the legacy `array`): only record fields must match by name.
  if (path && !inner && got.name !== want.name) bad(`is named ${got.name}, expected ${want.name}`);
  // A required column where the layout has an optional one only means it has no nulls (DuckDB's NOT NULL).
  const rep =
    got.repetition === want.repetition ||
    (got.repetition === Repetition.REQUIRED && want.repetition === Repetition.OPTIONAL);
  if (path && !rep) bad(`has repetition ${got.repetition}, expected ${want.repetition}`);
  if (!!got.children !== !!want.children)
    bad(want.children ? 'is a column, expected a group' : 'is a group, expected a column');
  if (want.children) {
    if (got.children!.length !== want.children.length)
      bad(`has ${got.children!.length} children, expected ${want.children.length}`);
    const structural = want.vast === undefined || want.vast.kind === 'list' || want.vast.kind === 'map';
    got.children!.forEach((c, i) => {
      checkShape(
        f,
        c,
        want.children![i],
        path ? `${path}.${want.children![i].name}` : want.children![i].name,
        layout,
        structural,
      );
    });
    return;
  }
  if (got.physical !== want.physical) bad(`has physical type ${got.physical}, expected ${want.physical}`);
  if (want.typeLength !== undefined && got.typeLength !== want.typeLength)
    bad(`has length ${got.typeLength}, expected ${want.typeLength}`);
}

/** Builds the reader's tree of a file node holding values of `t`, consuming its leaves in order. */
function readTree(
  n: ParquetNode,
  t: VastType,
  parentDef: number,
  s: FileSchema,
  leaves: Iterator<LeafColumn>,
  f: Fields,
): ReadNode {
  const def = n.repetition === Repetition.REQUIRED ? parentDef : parentDef + 1;
  const scale = 1n;
  const node = (kind: ReadNode['kind'], children: ReadNode[], itemDef = 0, itemRep = 0): ReadNode => ({
    node: n,
    kind,
    def,
    children,
    itemDef,
    itemRep,
    leaves: children.flatMap((c) => c.leaves),
    scale,
  });
  switch (t.kind) {
    case 'record':
    case 'subnet': {
      const types: VastType[] =
        t.kind === 'record' ? t.fields.map((x) => x.type) : [basic('ip'), basic('uint64')];
      if (n.children?.length !== types.length) f.fail(`Parquet group ${n.name} does not hold a ${t.kind}`);
      return node(
        'struct',
        n.children.map((c, i) => readTree(c, types[i], def, s, leaves, f)),
      );
    }
    case 'list':
    case 'map': {
      const g = n.children?.[0];
      if (!g || g.repetition !== Repetition.REPEATED)
        f.fail(`Parquet group ${n.name} does not hold a ${t.kind}`);
      const itemDef = def + 1;
      const itemRep = repLevels.get(g) ?? f.fail(`Parquet group ${n.name} has no columns`);
      if (t.kind === 'list') {
        const e = listElement(n);
        // Two-level lists: the repeated node is the element (its levels are the item's).
        const child =
          e === g ? readTree(g, t.element, def, s, leaves, f) : readTree(e, t.element, itemDef, s, leaves, f);
        return node('list', [child], itemDef, itemRep);
      }
      if (g.children?.length !== 2) f.fail(`Parquet group ${n.name} does not hold a map`);
      return node(
        'map',
        [
          readTree(g.children[0], t.key, itemDef, s, leaves, f),
          readTree(g.children[1], t.value, itemDef, s, leaves, f),
        ],
        itemDef,
        itemRep,
      );
    }
    default: {
      const next = leaves.next();
      if (next.done || next.value.node !== n) f.fail(`Parquet column ${n.name} does not hold a ${t.kind}`);
      return {
        node: n,
        kind: 'leaf',
        def,
        children: [],
        itemDef: 0,
        itemRep: 0,
        leaves: [next.value],
        scale: timeScale(s.raw.get(n)),
      };
    }
  }
}

/** The repetition level of each repeated node (the count of repeated nodes down to it). */
const repLevels = new WeakMap<ParquetNode, number>();

/** Records the repetition level of every repeated node from the leaves' ancestry. */
function noteRepLevels(leaves: readonly LeafColumn[]): void {
  for (const l of leaves) {
    let r = 0;
    for (const a of l.ancestry) {
      if (a.repetition === Repetition.REPEATED) repLevels.set(a, ++r);
    }
  }
}

/** Dictionary-string fields, one per plain field (so that batches of a file share them). */
const dictionaryFields = new WeakMap<A.Field, A.Field>();

/**
 * The field of `data` as assembled: `field` itself, or, where string columns
 * came back dictionary-encoded (at the top or in records), `field` with
 * those members turned into `dictionaryStringField`s, and `data` retyped to match.
 */
function withDictionaryStrings(field: A.Field, data: A.Data): { field: A.Field; data: A.Data } {
  if (A.DataType.isUtf8(field.type) && data.type === DICTIONARY_STRING) {
    let f = dictionaryFields.get(field);
    if (!f) {
      f = dictionaryStringField(field);
      dictionaryFields.set(field, f);
    }
    const type = f.type as A.Dictionary;
    const { length, nullCount, nullBitmap, values, dictionary } = data as A.Data<A.Dictionary>;
    return { field: f, data: A.makeData({ type, length, nullCount, nullBitmap, data: values, dictionary }) };
  }
  if (!A.DataType.isStruct(field.type)) return { field, data };
  const kids = field.type.children.map((c: A.Field, k: number) => withDictionaryStrings(c, data.children[k]));
  if (kids.every((k: { field: A.Field }, i: number) => k.field === field.type.children[i]))
    return { field, data };
  const type = new A.Struct(kids.map((k: { field: A.Field }) => k.field));
  return {
    field: new A.Field(field.name, type, field.nullable, field.metadata),
    data: A.makeData({
      type,
      length: data.length,
      nullCount: data.nullCount,
      nullBitmap: data.nullBitmap,
      children: kids.map((k: { data: A.Data }) => k.data),
    }),
  };
}

function parseLayout(f: Fields, json: string): Schema {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return f.fail(`${VAST_LAYOUT_KEY} is not JSON`);
  }
  const s = v as Schema;
  if (typeof s?.name !== 'string' || s.type?.kind !== 'record' || !Array.isArray(s.type.fields))
    return f.fail(`${VAST_LAYOUT_KEY} is not a VAST schema`);
  return s;
}

/**
 * An open Parquet file. `readRowGroup` may be called any number of times,
 * concurrently; the source must stay open meanwhile.
 *
 * @example
 * const pf = await ParquetFile.open(await fs.open(path), size, path);
 * const batch = await pf.readRowGroup(0, [0, 3]); // fields 0 and 3; the others all-null
 */
export class ParquetFile {
  private constructor(
    private readonly source: PositionedSource,
    readonly file: string,
    /** The VAST schema. */
    readonly schema: Schema,
    /** `arrowSchema(schema)`, its metadata extended by the footer's key-value pairs. */
    readonly arrowSchema: A.Schema,
    /** The footer's key-value pairs, minus the layout and the Arrow schema. */
    readonly metadata: ReadonlyMap<string, string>,
    readonly numRows: number,
    /** Rows and compressed bytes of each row group. */
    readonly rowGroups: readonly { rows: number; bytes: number }[],
    private readonly fields: readonly ReadNode[],
    private readonly leaves: readonly LeafColumn[],
    private readonly chunks: readonly (readonly ChunkMeta[])[],
  ) {}

  /**
   * Reads and checks the footer (magic at both ends, footer length within
   * the file, well-formed Thrift, the schema equal to the layout's Parquet
   * schema). `layout` is the VAST schema for files that do not carry
   * `vast.layout`; without either, VAST types are derived from the Parquet types.
   */
  static async open(
    source: PositionedSource,
    size: number,
    file: string,
    layout?: Schema,
  ): Promise<ParquetFile> {
    const f = new Fields(file);
    if (size < 12) f.fail(`${size} bytes is too short for a Parquet file`);
    const head = await readAt(source, file, 0, 4);
    const tail = await readAt(source, file, size - 8, 8);
    const magic = (b: Uint8Array) => b.every((x, i) => x === MAGIC[i]);
    if (!magic(head) || !magic(tail.subarray(4))) f.fail('not a Parquet file (no PAR1 magic at both ends)');
    const footerLen = new DataView(tail.buffer).getUint32(0, true);
    if (footerLen + 12 > size || footerLen > MAX_FOOTER)
      f.fail(`Parquet footer length ${footerLen} does not fit in the file of ${size} bytes`);
    const footerStart = size - 8 - footerLen;
    const footer = await readAt(source, file, footerStart, footerLen);
    try {
      return ParquetFile.fromFooter(source, file, footer, footerStart, layout);
    } catch (e) {
      // What the checks above do not foresee (a footer nested deep enough to exhaust the
      // stack, a layout of unknown types) is still a broken file, not a crash.
      if (e instanceof CorruptionError) throw e;
      throw new CorruptionError(file, `bad Parquet footer: ${(e as Error).message}`, { cause: e });
    }
  }

  private static fromFooter(
    source: PositionedSource,
    file: string,
    footer: Uint8Array,
    footerStart: number,
    layout: Schema | undefined,
  ): ParquetFile {
    const f = new Fields(file);
    const meta = new ThriftReader(footer, file).struct();

    const s = fileSchema(f, f.list(meta, FileMetaData.schema, 'schema'));
    const kv = new Map<string, string>();
    const pairs = meta[FileMetaData.key_value_metadata];
    if (pairs !== undefined)
      for (const p of f.list(meta, FileMetaData.key_value_metadata, 'key-value metadata')) {
        const v = p[KeyValue.value];
        kv.set(f.str(p, KeyValue.key, 'a metadata key'), v instanceof Uint8Array ? text.decode(v) : '');
      }
    const own = kv.get(VAST_LAYOUT_KEY);
    kv.delete(VAST_LAYOUT_KEY);
    kv.delete(ARROW_SCHEMA_KEY);
    let vast: Schema;
    const given = own !== undefined ? parseLayout(f, own) : layout;
    if (given) {
      checkShape(f, s.root, parquetSchema(given.type), '', given.name);
      vast = given;
    } else {
      const type = deriveType(f, s.root, s, '') as RecordType;
      vast = { name: kv.get('vast.schema') ?? 'unknown', type, timestamp: kv.get('vast.timestamp') };
    }
    const leaves = leafColumns(s.root);
    noteRepLevels(leaves);
    const it = leaves[Symbol.iterator]();
    const fields = s.root.children!.map((c, i) => readTree(c, vast.type.fields[i].type, 0, s, it, f));
    if (!it.next().done) f.fail('Parquet schema has columns the layout does not');

    const base = arrowSchema(vast);
    const meta2 = new Map(base.metadata);
    for (const [k, v] of kv) meta2.set(k, v);
    const aschema = new A.Schema(base.fields, meta2);

    const numRows = f.int(meta, FileMetaData.num_rows, 'num_rows');
    const groups: { rows: number; bytes: number }[] = [];
    const chunks: ChunkMeta[][] = [];
    let total = 0;
    for (const [g, rg] of f.list(meta, FileMetaData.row_groups, 'row groups').entries()) {
      const rows = f.int(rg, RowGroup.num_rows, 'row group num_rows');
      const cols = f.list(rg, RowGroup.columns, 'row group columns');
      if (rows < 0) f.fail(`row group ${g} has ${rows} rows`);
      if (cols.length !== leaves.length)
        f.fail(`row group ${g} has ${cols.length} columns, the schema ${leaves.length}`);
      let bytes = 0;
      const metas = cols.map((col, k) => {
        const leaf = leaves[k];
        const where = `column ${leaf.path.join('.')} of row group ${g}`;
        const m = col[ColumnChunk.meta_data];
        if (!isStruct(m)) return f.fail(`${where} has no metadata`);
        if (m[ColumnMetaData.type] !== leaf.node.physical)
          f.fail(`${where} has physical type ${m[ColumnMetaData.type]}, the schema ${leaf.node.physical}`);
        const path = m[ColumnMetaData.path_in_schema];
        if (
          Array.isArray(path) &&
          path.map((x) => (x instanceof Uint8Array ? text.decode(x) : '')).join('.') !== leaf.path.join('.')
        )
          f.fail(
            `${where} has path ${path.map((x) => (x instanceof Uint8Array ? text.decode(x) : '')).join('.')}`,
          );
        const length = f.int(m, ColumnMetaData.total_compressed_size, `${where} size`);
        const data = f.int(m, ColumnMetaData.data_page_offset, `${where} data page offset`);
        const dict = f.optInt(m, ColumnMetaData.dictionary_page_offset, `${where} dictionary page offset`);
        // Some writers put 0 here for "none"; a dictionary page always comes first.
        const start = dict !== undefined && dict > 0 && dict < data ? dict : data;
        if (start < 4 || length < 0 || start + length > footerStart)
          f.fail(`${where} at bytes ${start}..${start + length} lies outside the data of the file`);
        const numValues = f.int(m, ColumnMetaData.num_values, `${where} value count`);
        if (numValues < 0 || numValues > 0x7fffffff || (leaf.maxRep === 0 && numValues !== rows))
          f.fail(`${where} has ${numValues} values in ${rows} rows`);
        bytes += length;
        return { start, length, codec: f.int(m, ColumnMetaData.codec, `${where} codec`), numValues };
      });
      groups.push({ rows, bytes });
      chunks.push(metas);
      total += rows;
    }
    if (total !== numRows) f.fail(`row groups hold ${total} rows, the footer says ${numRows}`);
    return new ParquetFile(source, file, vast, aschema, kv, numRows, groups, fields, leaves, chunks);
  }

  /**
   * Decodes row group `index`. With `fields` (top-level field indexes), only
   * those fields' column chunks are read; the other columns are all-null. A
   * top-level string column whose chunk is all dictionary-encoded comes back
   * as Dictionary<Int32, Utf8> (`dictionaryStringField`) unless `plainStrings`.
   * A bad `index` or field index is a RangeError (a caller bug); bad bytes a CorruptionError.
   */
  async readRowGroup(
    index: number,
    fields?: readonly number[],
    opts: { plainStrings?: boolean } = {},
  ): Promise<A.RecordBatch> {
    if (!Number.isInteger(index) || index < 0 || index >= this.rowGroups.length)
      throw new RangeError(`${this.file}: no row group ${index} (of ${this.rowGroups.length})`);
    const wanted = new Set(fields ?? this.fields.map((_, i) => i));
    for (const i of wanted)
      if (!Number.isInteger(i) || i < 0 || i >= this.fields.length)
        throw new RangeError(`${this.file}: no field ${i}`);
    const rows = this.rowGroups[index].rows;
    const metas = this.chunks[index];
    const needed = this.leaves.filter((l) => wanted.has(l.field));
    const decoded: DecodedChunk[] = [];
    const bytes = await Promise.all(
      needed.map((l) => readAt(this.source, this.file, metas[l.index].start, metas[l.index].length)),
    );
    needed.forEach((l, k) => {
      const m = metas[l.index];
      const where = `column ${l.path.join('.')} of row group ${index}`;
      if (m.codec !== Codec.UNCOMPRESSED && m.codec !== Codec.ZSTD)
        throw new CorruptionError(
          this.file,
          `unsupported Parquet compression ${codecName(m.codec)} in ${where}`,
        );
      try {
        decoded[l.index] = decodeChunk(
          bytes[k],
          {
            physical: l.node.physical!,
            typeLength: l.node.typeLength ?? 0,
            codec: m.codec,
            numValues: m.numValues,
            maxDef: l.maxDef,
            maxRep: l.maxRep,
          },
          this.file,
        );
      } catch (e) {
        throw this.corrupt(e, where);
      }
    });
    const schemaFields = this.arrowSchema.fields;
    const outFields: A.Field[] = [];
    const children = schemaFields.map((field, i) => {
      if (!wanted.has(i)) {
        outFields.push(field);
        return nullData(field.type, rows);
      }
      let d: A.Data;
      try {
        d = assembleField(this.fields[i], field.type, decoded, rows, { dictStrings: !opts.plainStrings });
      } catch (e) {
        throw this.corrupt(e, `field ${field.name} of row group ${index}`);
      }
      const out = withDictionaryStrings(field, d);
      outFields.push(out.field);
      return out.data;
    });
    const schema = new A.Schema(outFields, this.arrowSchema.metadata);
    return new A.RecordBatch(
      schema,
      A.makeData({ type: new A.Struct(schema.fields), length: rows, nullCount: 0, children }),
    );
  }

  private corrupt(e: unknown, where: string): CorruptionError {
    const reason = e instanceof CorruptionError ? e.reason : (e as Error).message;
    return new CorruptionError(this.file, `${where}: ${reason}`, { cause: e });
  }
}
