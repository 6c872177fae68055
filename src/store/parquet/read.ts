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
import type { RecordType, Schema } from '../../types/type.js';
import { CorruptionError } from '../errors.js';
import { assembleField, DICTIONARY_STRING, nullData, type ReadNode } from './assemble.js';
import { codecName, type DecodedChunk, decodeChunk } from './chunk.js';
import {
  ARROW_SCHEMA_KEY,
  Codec,
  ColumnChunk,
  ColumnMetaData,
  FileMetaData,
  KeyValue,
  MAGIC,
  RowGroup,
  VAST_LAYOUT_KEY,
} from './format.js';
import {
  checkShape,
  deriveType,
  Fields,
  fileSchema,
  isStruct,
  noteRepLevels,
  parseLayout,
  readTree,
} from './read-schema.js';
import { type LeafColumn, leafColumns, parquetSchema } from './schema.js';
import { ThriftReader } from './thrift.js';

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
  /** The writer's total_uncompressed_size: what the pages hold once decompressed (headers included). */
  uncompressed: number | undefined;
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

  /** The same file through another source (a reopened handle), without reading or parsing its footer again. */
  withSource(source: PositionedSource): ParquetFile {
    return new ParquetFile(
      source,
      this.file,
      this.schema,
      this.arrowSchema,
      this.metadata,
      this.numRows,
      this.rowGroups,
      this.fields,
      this.leaves,
      this.chunks,
    );
  }

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
        const uncompressed = f.optInt(
          m,
          ColumnMetaData.total_uncompressed_size,
          `${where} uncompressed size`,
        );
        const codec = f.int(m, ColumnMetaData.codec, `${where} codec`);
        return { start, length, codec, numValues, uncompressed };
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
            uncompressedBytes: m.uncompressed,
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
