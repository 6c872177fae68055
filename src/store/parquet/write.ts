/**
 * The Parquet writer of store v2: one VAST layout per file, one row group per
 * batch, one column chunk per leaf of `parquetSchema` (see schema.ts).
 *
 * A chunk is an optional DICTIONARY_PAGE (PLAIN entries) and DATA_PAGEs
 * (v1: repetition levels, definition levels, values) of about 1 MiB of
 * values each, each page zstd-compressed.
 * Which value encoding a chunk gets is decided per chunk from its data
 * (encode-values.ts). The footer carries the VAST layout and the Arrow schema
 * (`ARROW:schema`, as pyarrow and arrow-rs write it), so that both vast and
 * other Arrow tools get the exact types back.
 *
 * The encoder only produces bytes; the caller writes them, in order, to one file.
 */
import * as A from 'apache-arrow';
import { Compressor } from 'zstd-napi';
import { arrowSchema } from '../../types/arrow.js';
import type { Schema } from '../../types/type.js';
import { ByteSink } from './bytes.js';
import { type EncodedValues, encodeValues } from './encode-values.js';
import {
  ARROW_SCHEMA_KEY,
  Codec,
  ColumnChunk,
  ColumnMetaData,
  ColumnOrder,
  DataPageHeader,
  DictionaryPageHeader,
  Encoding,
  FileMetaData,
  IntType,
  KeyValue,
  LogicalType,
  MAGIC,
  PageHeader,
  PageType,
  RowGroup,
  SchemaElement,
  Statistics,
  TimestampType,
  TimeUnit,
  VAST_LAYOUT_KEY,
} from './format.js';
import { bitWidth, encodeHybrid } from './rle.js';
import {
  type LeafColumn,
  type Logical,
  leafColumns,
  type ParquetNode,
  parquetSchema,
  schemaNodes,
} from './schema.js';
import { type Shredded, shred } from './shred.js';
import { ThriftWriter } from './thrift.js';

/** Data pages are cut at about this many bytes of encoded values (before compression). */
const PAGE_SIZE = 1 << 20;

/** Footer facts of one column chunk. */
interface ChunkMeta {
  col: LeafColumn;
  encodings: number[];
  numValues: number;
  uncompressed: number;
  compressed: number;
  dataPageOffset: number;
  dictionaryPageOffset: number | undefined;
  nullCount: number;
  min: Uint8Array | undefined;
  max: Uint8Array | undefined;
}

interface RowGroupMeta {
  ordinal: number;
  rows: number;
  offset: number;
  uncompressed: number;
  compressed: number;
  columns: ChunkMeta[];
}

export interface ParquetEncoderOptions {
  /** zstd level of the pages; 3 (zstd's default) unless given. */
  zstdLevel?: number;
  /** Bytes of encoded values after which a data page is cut; 1 MiB unless given (tests use small ones). */
  pageSize?: number;
}

/**
 * Encodes batches of one VAST schema as a Parquet file: `header()`, then
 * `rowGroup(batch)` per batch, then `footer()`; the file is the concatenation
 * of everything returned, in call order.
 */
export class ParquetEncoder {
  private readonly root: ParquetNode;
  private readonly leaves: LeafColumn[];
  private readonly compressor = new Compressor();
  private readonly groups: RowGroupMeta[] = [];
  private readonly kv: [string, string][];
  /** Page bodies are assembled here before compression (reused across pages). */
  private readonly page = new ByteSink(1 << 16);
  /** Bytes handed out so far: the header's, then each row group's. */
  private offset = MAGIC.length;
  private numRows = 0;
  private readonly pageSize: number;
  /** Top-level fields of the schema: every batch must have these columns, in this order. */
  private readonly fields: number;

  /**
   * `metadata`: the Arrow schema's metadata (vast.schema, vast.timestamp,
   * vast.import_time, ...), each written as a key-value pair of the footer
   * (vast.schema and vast.timestamp from `schema` where it has none), next
   * to the VAST layout and the Arrow schema, whose metadata it is too.
   */
  constructor(schema: Schema, metadata: ReadonlyMap<string, string>, opts: ParquetEncoderOptions = {}) {
    this.root = parquetSchema(schema.type);
    this.leaves = leafColumns(this.root);
    this.fields = schema.type.fields.length;
    this.compressor.setParameters({ compressionLevel: opts.zstdLevel ?? 3 });
    this.pageSize = opts.pageSize ?? PAGE_SIZE;
    const layout = JSON.stringify({ name: schema.name, type: schema.type, timestamp: schema.timestamp });
    // The schema's own name and timestamp field, unless the given metadata says otherwise.
    const arrow = arrowSchema(schema);
    const meta = new Map([...arrow.metadata, ...metadata]);
    meta.delete(VAST_LAYOUT_KEY);
    meta.delete(ARROW_SCHEMA_KEY);
    this.kv = [...meta, [VAST_LAYOUT_KEY, layout], [ARROW_SCHEMA_KEY, encodeArrowSchema(arrow.fields, meta)]];
  }

  /** What zstd makes of `bytes`, for encoders that try alternatives. */
  private readonly compressedSize = (bytes: Uint8Array): number => this.compressor.compress(bytes).length;

  /** Rows so far. */
  get rows(): number {
    return this.numRows;
  }

  /** "PAR1", the first bytes of the file. */
  header(): Uint8Array {
    return MAGIC.slice();
  }

  /**
   * Encodes one batch (of this encoder's schema) as one row group; returns
   * the bytes to append to the file, in order. An empty batch adds nothing.
   */
  rowGroup(batch: A.RecordBatch): Uint8Array[] {
    const rows = batch.numRows;
    if (rows === 0) return [];
    if (batch.data.children.length !== this.fields)
      throw new Error(
        `a batch with ${batch.data.children.length} columns does not fit Parquet layout of ${this.fields}`,
      );
    const out: Uint8Array[] = [];
    const start = this.offset;
    const columns: ChunkMeta[] = [];
    let uncompressed = 0;
    for (const col of this.leaves) {
      const meta = this.chunk(col, batch.data.children[col.field], rows, out);
      columns.push(meta);
      uncompressed += meta.uncompressed;
    }
    this.groups.push({
      ordinal: this.groups.length,
      rows,
      offset: start,
      uncompressed,
      compressed: this.offset - start,
      columns,
    });
    this.numRows += rows;
    return out;
  }

  /** Encodes one column chunk into `out`, advancing the offset. */
  private chunk(col: LeafColumn, top: A.Data, rows: number, out: Uint8Array[]): ChunkMeta {
    const s = shred(col, top, rows);
    const enc = encodeValues(col.node, s.data, s.idx, s.present, this.compressedSize);
    const chunkStart = this.offset;
    let uncompressed = 0;
    let dictionaryPageOffset: number | undefined;
    const encodings = [Encoding.RLE, enc.encoding];
    if (enc.dictionary) {
      dictionaryPageOffset = this.offset;
      const body = this.compressor.compress(enc.dictionary);
      const header = new ThriftWriter()
        .i32(PageHeader.type, PageType.DICTIONARY_PAGE)
        .i32(PageHeader.uncompressed_page_size, enc.dictionary.length)
        .i32(PageHeader.compressed_page_size, body.length)
        .struct(PageHeader.dictionary_page_header, (h) =>
          h
            .i32(DictionaryPageHeader.num_values, enc.dictionaryCount)
            .i32(DictionaryPageHeader.encoding, Encoding.PLAIN),
        )
        .finish()
        .slice();
      out.push(header, body);
      this.offset += header.length + body.length;
      uncompressed += header.length + enc.dictionary.length;
      encodings.push(Encoding.PLAIN);
    }
    const dataPageOffset = this.offset;
    // Pages of about `pageSize` bytes of values, cut where a row starts (repetition level 0).
    const pages = Math.max(1, Math.ceil(enc.size / this.pageSize));
    const perPage = Math.ceil(s.present / pages);
    let e0 = 0;
    let v0 = 0;
    while (e0 < s.count) {
      let e1 = s.count;
      let v1 = s.present;
      if (pages > 1) {
        e1 = e0;
        v1 = v0;
        while (e1 < s.count && !(v1 - v0 >= perPage && (!s.rep || s.rep[e1] === 0))) {
          if (s.def[e1] === col.maxDef) v1++;
          e1++;
        }
        // Trailing nulls join this page rather than make one without values.
        if (v1 === s.present) e1 = s.count;
      }
      uncompressed += this.dataPage(col, s, enc, e0, e1, v0, v1, out);
      e0 = e1;
      v0 = v1;
    }
    return {
      col,
      encodings: [...new Set(encodings)].sort((a, b) => a - b),
      numValues: s.count,
      uncompressed,
      compressed: this.offset - chunkStart,
      dataPageOffset,
      dictionaryPageOffset,
      nullCount: s.count - s.present,
      min: enc.min,
      max: enc.max,
    };
  }

  /** One DATA_PAGE of level entries [e0, e1) and values [v0, v1); returns its uncompressed size. */
  private dataPage(
    col: LeafColumn,
    s: Shredded,
    enc: EncodedValues,
    e0: number,
    e1: number,
    v0: number,
    v1: number,
    out: Uint8Array[],
  ): number {
    const page = this.page;
    page.length = 0;
    if (col.maxRep > 0) levels(page, s.rep!.subarray(e0, e1), bitWidth(col.maxRep));
    if (col.maxDef > 0) levels(page, s.def.subarray(e0, e1), bitWidth(col.maxDef));
    enc.write(page, v0, v1);
    const body = this.compressor.compress(page.view());
    const header = new ThriftWriter()
      .i32(PageHeader.type, PageType.DATA_PAGE)
      .i32(PageHeader.uncompressed_page_size, page.length)
      .i32(PageHeader.compressed_page_size, body.length)
      .struct(PageHeader.data_page_header, (h) =>
        h
          .i32(DataPageHeader.num_values, e1 - e0)
          .i32(DataPageHeader.encoding, enc.encoding)
          .i32(DataPageHeader.definition_level_encoding, Encoding.RLE)
          .i32(DataPageHeader.repetition_level_encoding, Encoding.RLE),
      )
      .finish()
      .slice();
    out.push(header, body);
    this.offset += header.length + body.length;
    return header.length + page.length;
  }

  /** The footer: FileMetaData, its length (4 bytes, little-endian), "PAR1". */
  footer(): Uint8Array {
    const w = new ThriftWriter();
    w.i32(FileMetaData.version, 2);
    w.structList(FileMetaData.schema, schemaNodes(this.root), (s, n) => schemaElement(s, n, n === this.root));
    w.i64(FileMetaData.num_rows, this.numRows);
    w.structList(FileMetaData.row_groups, this.groups, (g, rg) => {
      g.structList(RowGroup.columns, rg.columns, (c, m) => {
        c.i64(ColumnChunk.file_offset, m.dictionaryPageOffset ?? m.dataPageOffset);
        c.struct(ColumnChunk.meta_data, (md) => columnMetaData(md, m));
      });
      g.i64(RowGroup.total_byte_size, rg.uncompressed);
      g.i64(RowGroup.num_rows, rg.rows);
      g.i64(RowGroup.file_offset, rg.offset);
      g.i64(RowGroup.total_compressed_size, rg.compressed);
      g.i32(RowGroup.ordinal, rg.ordinal);
    });
    w.structList(FileMetaData.key_value_metadata, this.kv, (s, [k, v]) =>
      s.binary(KeyValue.key, k).binary(KeyValue.value, v),
    );
    w.binary(FileMetaData.created_by, 'vast');
    // TYPE_ORDER for every leaf: without column orders, readers ignore min_value/max_value.
    w.structList(FileMetaData.column_orders, this.leaves, (o) => o.struct(ColumnOrder.TYPE_ORDER, () => {}));
    const meta = w.finish();
    const out = new Uint8Array(meta.length + 8);
    out.set(meta);
    new DataView(out.buffer).setUint32(meta.length, meta.length, true);
    out.set(MAGIC, meta.length + 4);
    return out;
  }
}

/** Levels as the data page v1 stores them: a 4-byte little-endian length, then the hybrid runs. */
function levels(out: ByteSink, values: Uint8Array, width: number): void {
  out.reserve(4);
  const at = out.length;
  out.length += 4;
  encodeHybrid(out, values, values.length, width);
  const len = out.length - at - 4;
  out.buf[at] = len;
  out.buf[at + 1] = len >>> 8;
  out.buf[at + 2] = len >>> 16;
  out.buf[at + 3] = len >>> 24;
}

function schemaElement(w: ThriftWriter, n: ParquetNode, isRoot: boolean): void {
  w.i32(SchemaElement.type, n.physical);
  w.i32(SchemaElement.type_length, n.typeLength);
  if (!isRoot) w.i32(SchemaElement.repetition_type, n.repetition);
  w.binary(SchemaElement.name, n.name);
  w.i32(SchemaElement.num_children, n.children?.length);
  w.i32(SchemaElement.converted_type, n.converted);
  if (n.logical) {
    const logical = n.logical;
    w.struct(SchemaElement.logicalType, (l) => logicalType(l, logical));
  }
}

function logicalType(w: ThriftWriter, t: Logical): void {
  switch (t.kind) {
    case 'string':
      w.struct(LogicalType.STRING, () => {});
      return;
    case 'list':
      w.struct(LogicalType.LIST, () => {});
      return;
    case 'map':
      w.struct(LogicalType.MAP, () => {});
      return;
    case 'int':
      w.struct(LogicalType.INTEGER, (i) =>
        i.byteField(IntType.bitWidth, t.bits).bool(IntType.isSigned, t.signed),
      );
      return;
    case 'timestamp-nanos-utc':
      w.struct(LogicalType.TIMESTAMP, (ts) =>
        ts
          .bool(TimestampType.isAdjustedToUTC, true)
          .struct(TimestampType.unit, (u) => u.struct(TimeUnit.NANOS, () => {})),
      );
      return;
  }
}

function columnMetaData(w: ThriftWriter, m: ChunkMeta): void {
  const col = m.col;
  w.i32(ColumnMetaData.type, col.node.physical);
  w.i32List(ColumnMetaData.encodings, m.encodings);
  w.stringList(ColumnMetaData.path_in_schema, col.path);
  w.i32(ColumnMetaData.codec, Codec.ZSTD);
  w.i64(ColumnMetaData.num_values, m.numValues);
  w.i64(ColumnMetaData.total_uncompressed_size, m.uncompressed);
  w.i64(ColumnMetaData.total_compressed_size, m.compressed);
  w.i64(ColumnMetaData.data_page_offset, m.dataPageOffset);
  w.i64(ColumnMetaData.dictionary_page_offset, m.dictionaryPageOffset);
  w.struct(ColumnMetaData.statistics, (s) =>
    s
      .i64(Statistics.null_count, m.nullCount)
      .binary(Statistics.max_value, m.max)
      .binary(Statistics.min_value, m.min),
  );
}

/**
 * The Arrow schema as pyarrow and arrow-rs store it under `ARROW:schema`:
 * base64 of the IPC-encapsulated schema message (continuation marker,
 * length, flatbuffer, padding to 8), i.e. the first message of an IPC stream.
 */
function encodeArrowSchema(fields: A.Field[], metadata: Map<string, string>): string {
  const writer = new A.RecordBatchStreamWriter();
  writer.reset(undefined, new A.Schema(fields, metadata));
  writer.close();
  const stream = writer.toUint8Array(true);
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  const length = view.getInt32(4, true);
  return Buffer.from(stream.subarray(0, 8 + length)).toString('base64');
}
