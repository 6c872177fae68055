/**
 * Parquet in and out (through parquet-wasm, i.e. arrow-rs), for DuckDB,
 * pyarrow, Spark and friends.
 *
 * Type mapping on write (zstd-compressed columns):
 *
 * | VAST     | Parquet (DuckDB sees)                                         |
 * |----------|---------------------------------------------------------------|
 * | ip       | string, text form `10.0.0.1` / `2001:db8::1` (VARCHAR)        |
 * | subnet   | string, `10.0.0.0/8` (VARCHAR)                                |
 * | enum     | string, dictionary-encoded by Parquet (VARCHAR)               |
 * | time     | INT64 TIMESTAMP(NANOS, UTC) (TIMESTAMP_NS / timestamptz)      |
 * | duration | INT64 nanoseconds (BIGINT); Parquet's INTERVAL is ms-grained  |
 * | port     | INT32 as UINT_16 (USMALLINT)                                  |
 * | int64 / uint64 / double / bool / string | the obvious physical types     |
 * | list / record / map | LIST / group / MAP                                 |
 *
 * The Arrow schema travels in the file's `ARROW:schema` metadata, with the
 * schema name and, for the columns stored as strings, a `vast.type` field
 * hint, so reading a file vast wrote restores the VAST schema exactly.
 *
 * One Parquet file holds one layout. The writer buffers its input (the file
 * footer needs everything) and yields the file at the end; input with more
 * than one layout is refused before anything is written. `writeParquetFiles`
 * writes one file per layout into a directory instead.
 */

import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as A from 'apache-arrow';
import type * as Parquet from 'parquet-wasm';
import { errorDiagnostic, UsageError } from '../diagnostics.js';
import { SCHEMA_NAME_KEY, vastSchema } from '../types/arrow.js';
import { makeColumnBuilder } from '../types/builder.js';
import { layoutKey } from '../types/layout.js';
import { printColumn } from '../types/print-value.js';
import { basic, type VastType } from '../types/type.js';
import { canonicalBatch, needsPlain, plainField } from './arrow.js';
import type { FormatDef, Reader, Writer, WriterContext } from './format.js';
import { InputLimitError } from './framing/decompress.js';

const PARQUET_MAGIC = 'PAR1';

const schemaName = (batch: A.RecordBatch) => batch.schema.metadata.get(SCHEMA_NAME_KEY) ?? 'unknown';

/** A batch with ip, subnet and enum columns as hinted strings (the rest shared, not copied). */
function plainBatch(batch: A.RecordBatch, schema?: A.Schema): { batch: A.RecordBatch; schema: A.Schema } {
  const fields = vastSchema(batch.schema).type.fields;
  schema ??= new A.Schema(
    fields.map((f, k) => (needsPlain(f.type) ? plainField(f.name, f.type) : batch.schema.fields[k])),
    batch.schema.metadata,
  );
  const children = fields.map((f, k) => plainData(batch.data.children[k], f.type));
  const data = A.makeData({
    type: new A.Struct(schema.fields),
    length: batch.numRows,
    nullCount: 0,
    children,
  });
  return { batch: new A.RecordBatch(schema, data), schema };
}

/**
 * `data` with its ip, subnet and enum values (at any depth) as strings. Only
 * those leaves are rebuilt; lists and records around them keep their offsets
 * and validity, everything else is shared.
 */
function plainData(data: A.Data, t: VastType): A.Data {
  if (!needsPlain(t)) return data;
  const { offset, length, nullCount, nullBitmap } = data;
  switch (t.kind) {
    case 'list': {
      const type = plainField('x', t).type as A.List;
      const child = plainData(data.children[0], t.element);
      return A.makeData({
        type,
        offset,
        length,
        nullCount,
        nullBitmap,
        valueOffsets: data.valueOffsets,
        child,
      });
    }
    case 'record': {
      const type = plainField('x', t).type as A.Struct;
      const children = t.fields.map((f, k) => plainData(data.children[k], f.type));
      return A.makeData({ type, offset, length, nullCount, nullBitmap, children });
    }
    case 'map': {
      const type = plainField('x', t).type as A.Map_;
      const entries = data.children[0];
      const [k, v] = entries.children;
      const entriesType = type.children[0].type as A.Struct;
      const child = A.makeData({
        type: entriesType,
        offset: entries.offset,
        length: entries.length,
        nullCount: 0,
        children: [plainData(k, t.key), plainData(v, t.value)],
      });
      return A.makeData({
        type,
        offset,
        length,
        nullCount,
        nullBitmap,
        valueOffsets: data.valueOffsets,
        child,
      });
    }
    default: {
      // ip, subnet, enum: their text, as the csv style prints it.
      const text = printColumn(data, t, 'csv');
      const b = makeColumnBuilder(basic('string'));
      for (const v of text) {
        if (v === undefined) b.appendNull();
        else b.appendText(v);
      }
      return b.finish();
    }
  }
}

/** Encodes batches of one layout as a Parquet file. */
/** parquet-wasm loads (and compiles its WebAssembly) on first use, not on every `vast` start. */
let parquetModule: typeof Parquet | undefined;
function pqLib(): typeof Parquet {
  parquetModule ??= createRequire(import.meta.url)('parquet-wasm/node') as typeof Parquet;
  return parquetModule;
}

export function encodeParquet(batches: readonly A.RecordBatch[]): Uint8Array {
  const pq = pqLib();
  const writer = new A.RecordBatchStreamWriter();
  let schema: A.Schema | undefined;
  for (const b of batches) {
    const plain = plainBatch(b, schema);
    schema = plain.schema;
    writer.write(plain.batch);
  }
  writer.finish();
  const ipc = writer.toUint8Array(true);
  const table = pq.Table.fromIPCStream(ipc);
  const props = new pq.WriterPropertiesBuilder()
    .setCompression(pq.Compression.ZSTD)
    .setCreatedBy('vast')
    .build();
  return pq.writeParquet(table, props);
}

const writeParquet: Writer = async function* (batches) {
  const buffered: A.RecordBatch[] = [];
  let layout: string | undefined;
  for await (const batch of batches) {
    const key = layoutKey(batch.schema);
    if (layout !== undefined && key !== layout) {
      const a = schemaName(buffered[0]);
      const b = schemaName(batch);
      const which = a === b ? `two layouts of '${a}'` : `'${a}' and '${b}'`;
      throw new UsageError(
        `parquet: a Parquet file holds one schema, but the input has ${which}; ` +
          `export one schema at a time (e.g. '#schema == "${a}"') or write to a directory`,
      );
    }
    layout = key;
    buffered.push(batch);
  }
  if (buffered.length === 0) return;
  yield encodeParquet(buffered);
};

/**
 * Writes one Parquet file per layout into `dir` (created if missing):
 * `<schema>.parquet`, then `<schema>-2.parquet`, ... for further layouts of the
 * same name. Buffers the whole input. Returns the paths written.
 */
export async function writeParquetFiles(
  batches: AsyncIterable<A.RecordBatch>,
  dir: string,
  _ctx?: WriterContext,
): Promise<string[]> {
  const layouts = new Map<string, A.RecordBatch[]>();
  for await (const batch of batches) {
    const key = layoutKey(batch.schema);
    const list = layouts.get(key);
    if (list) list.push(batch);
    else layouts.set(key, [batch]);
  }
  await mkdir(dir, { recursive: true });
  const used = new Map<string, number>();
  const paths: string[] = [];
  for (const list of layouts.values()) {
    const name = schemaName(list[0]);
    const k = (used.get(name) ?? 0) + 1;
    used.set(name, k);
    const path = join(dir, `${k === 1 ? name : `${name}-${k}`}.parquet`);
    await writeFile(path, encodeParquet(list));
    paths.push(path);
  }
  return paths;
}

/**
 * Parquet is read whole (its footer is at the end), so a larger input is
 * refused with a clear error rather than held: split such files, or use Arrow IPC.
 */
const MAX_PARQUET_BYTES = 1 << 30;

const readParquet: Reader = async function* (input, ctx) {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of input) {
    size += chunk.length;
    if (size > MAX_PARQUET_BYTES) {
      ctx.report(
        errorDiagnostic(
          `${ctx.file}: Parquet input exceeds ${MAX_PARQUET_BYTES} bytes (Parquet files are read whole; split larger ones)`,
        ),
      );
      return;
    }
    chunks.push(chunk);
  }
  const invalid = (e: unknown) =>
    ctx.report(
      errorDiagnostic(`${ctx.file}: invalid Parquet file: ${e instanceof Error ? e.message : String(e)}`),
    );
  const head = chunks.length > 0 ? Buffer.from(chunks[0].subarray(0, 4)).toString('latin1') : '';
  if (size < 12 || head !== PARQUET_MAGIC) return invalid(new Error('missing the PAR1 magic bytes'));
  // Batch by batch out of the wasm decoder: decoded memory stays one batch, however well the pages compress.
  let stream: ReadableStream<Parquet.RecordBatch>;
  let schema: Parquet.Schema;
  try {
    const file = await pqLib().ParquetFile.fromFile(new Blob(chunks as Uint8Array<ArrayBuffer>[]));
    chunks.length = 0;
    // Streamed batches lack the file's metadata (schema name, type hints): put it back.
    schema = file.schema();
    stream = await file.stream({ batchSize: ctx.batchSize });
  } catch (e) {
    return invalid(e);
  }
  const reader = stream.getReader();
  let decoded = 0;
  try {
    for (;;) {
      let ipc: Uint8Array;
      try {
        const r = await reader.read();
        if (r.done) return;
        ipc = r.value.withSchema(schema).intoIPCStream();
      } catch (e) {
        return invalid(e);
      }
      // Decoded bytes count against the caller's input limit like gunzipped ones do.
      decoded += ipc.length;
      if (ctx.inputLimit && decoded > ctx.inputLimit.bytes)
        throw new InputLimitError(ctx.file, ctx.inputLimit.bytes, ctx.inputLimit.name);
      for (const b of A.tableFromIPC(ipc).batches) {
        const named = b.schema.metadata.has(SCHEMA_NAME_KEY) ? undefined : 'parquet';
        yield canonicalBatch(b, { name: ctx.options.schema ?? named });
      }
    }
  } finally {
    reader.releaseLock();
  }
};

export const parquet: FormatDef = {
  name: 'parquet',
  description: 'Apache Parquet file (one schema per file)',
  extensions: ['.parquet'],
  detect: (head) => head.length >= 4 && Buffer.from(head.subarray(0, 4)).toString('latin1') === PARQUET_MAGIC,
  read: readParquet,
  write: writeParquet,
};
