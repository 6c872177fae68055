/**
 * Arrow IPC in and out: the format VAST clients spoke to the node, and the
 * one that loses nothing (field metadata `ARROW:extension:name`, `vast.alias`
 * and the schema name `vast.schema` travel with the schema message).
 *
 * What is written carries VAST 2's Arrow names and types too (`VAST:name:0`,
 * `vast.address`, `duration[ns]`, ...; see `arrow-vast.ts`), and reading
 * takes them, so VAST's Arrow and vast's read the same.
 *
 * Writing: an Arrow IPC *stream* (`application/vnd.apache.arrow.stream`).
 * One stream holds one schema, so when the layout changes (another schema,
 * see `layoutKey`, or other enum dictionary ids) the current stream ends with
 * its end-of-stream marker and a new stream, with its own schema message,
 * follows in the same output. arrow-js (`RecordBatchReader.readAll`) and
 * pyarrow (`ipc.open_stream` in a loop) read such concatenations; a reader
 * that stops at the first end-of-stream marker sees the first layout only.
 * Option `compress` (`true`/`zstd`) compresses the body buffers with zstd;
 * the default is uncompressed, which every Arrow reader understands.
 *
 * Reading: Arrow IPC streams (also concatenated ones) and Arrow IPC files
 * (Feather v2), compressed or not. Batches from other producers are brought
 * into vast's layout by `canonicalBatch` (timestamps to nanoseconds, narrow
 * integers to 64 bits, large strings to strings, ...).
 */
import * as A from 'apache-arrow';
import { errorDiagnostic, InputError, UsageError } from '../diagnostics.js';
import { registerZstd } from '../store/zstd.js';
import {
  ALIAS_KEY,
  arrowField,
  arrowSchema,
  EXTENSION_KEY,
  SCHEMA_NAME_KEY,
  vastSchema,
  vastType,
} from '../types/arrow.js';
import { makeColumnBuilder } from '../types/builder.js';
import { formatIP } from '../types/ip.js';
import { layoutKey } from '../types/layout.js';
import { exactDuration } from '../types/print-value.js';
import { formatSubnet } from '../types/subnet.js';
import { formatTime } from '../types/time.js';
import { basic, type RecordField, record, type VastType } from '../types/type.js';
import { isValid, stringAt, subnetAt } from '../types/values.js';
import { batchBufferProblem } from './arrow-buffers.js';
import { vast2Batch } from './arrow-vast.js';
import type { FormatDef, Reader, Writer } from './format.js';

/**
 * Field metadata naming the VAST type of a column stored in a plainer Arrow
 * type (ip, subnet and enum as Utf8 in Parquet, see `parquet.ts`), so that
 * reading the data back restores the VAST type.
 */
const TYPE_HINT_KEY = 'vast.type';

/** An arrow-js sink that hands the writer's chunks to us instead of queueing them for a reader. */
class ChunkSink extends A.AsyncByteQueue {
  private chunks: Uint8Array[] = [];
  private bytes = 0;
  override write(value: Parameters<A.AsyncByteQueue['write']>[0]): void {
    // The writer always passes Uint8Arrays (`RecordBatchWriter._write`); `take` copies them out.
    const chunk = value as Uint8Array;
    if (chunk.byteLength === 0) return;
    this.chunks.push(chunk);
    this.bytes += chunk.byteLength;
  }
  /** Everything written since the last call, as one buffer. */
  take(): Uint8Array {
    const out = Buffer.concat(this.chunks, this.bytes);
    this.chunks = [];
    this.bytes = 0;
    return out;
  }
}

function compressionOption(value: string | boolean | undefined): A.CompressionType | null {
  if (value === undefined || value === false || value === 'false' || value === 'none') return null;
  if (value === true || value === 'true' || value === 'zstd') {
    registerZstd();
    return A.CompressionType.ZSTD;
  }
  throw new UsageError(`arrow: unsupported compression '${value}' (use 'zstd')`);
}

export const writeArrow: Writer = async function* (batches, ctx) {
  const compressionType = compressionOption(ctx.options.compress);
  let writer: A.RecordBatchStreamWriter | undefined;
  let sink: ChunkSink | undefined;
  let layout: string | undefined;
  for await (const stored of batches) {
    const batch = vast2Batch(stored);
    const key = layoutKey(batch.schema, true);
    if (!writer || !sink || key !== layout) {
      // A new layout: end the current stream and start another one after it.
      if (writer && sink) {
        writer.finish();
        yield sink.take();
      }
      writer = new A.RecordBatchStreamWriter({ compressionType });
      sink = new ChunkSink();
      writer.reset(sink);
      layout = key;
    }
    writer.write(batch);
    yield sink.take();
  }
  if (writer && sink) {
    writer.finish();
    yield sink.take();
  }
};

const ARROW_FILE_MAGIC = 'ARROW1';

export const readArrow: Reader = async function* (input, ctx) {
  registerZstd();
  const fail = (e: unknown) =>
    ctx.report(
      errorDiagnostic(`${ctx.file}: invalid Arrow IPC data: ${e instanceof Error ? e.message : String(e)}`),
    );
  let bytes = 0;
  async function* counted() {
    for await (const chunk of input) {
      bytes += chunk.byteLength;
      yield chunk;
    }
  }
  try {
    let streams = 0;
    for await (const reader of A.RecordBatchReader.readAll(counted())) {
      streams++;
      for await (const batch of reader) {
        const problem = batchBufferProblem(batch);
        if (problem) throw new Error(problem);
        yield canonicalBatch(batch, { name: ctx.options.schema });
      }
    }
    // Empty input is an empty stream (what `writeArrow` makes of no batches); a few stray bytes are not.
    if (streams === 0 && bytes > 0) fail(new Error('no Arrow IPC stream in the input'));
  } catch (e) {
    if (e instanceof InputError) throw e;
    fail(e);
  }
};

export const arrow: FormatDef = {
  name: 'arrow',
  description: 'Apache Arrow IPC stream (write); IPC stream or file (read)',
  extensions: ['.arrow', '.arrows', '.feather', '.ipc'],
  detect: (head) => {
    if (head.length >= 6 && Buffer.from(head.subarray(0, 6)).toString('latin1') === ARROW_FILE_MAGIC)
      return true;
    // A stream starts with a schema message: continuation marker 0xFFFFFFFF, then its length.
    return head.length >= 8 && head[0] === 0xff && head[1] === 0xff && head[2] === 0xff && head[3] === 0xff;
  },
  read: readArrow,
  write: writeArrow,
};

// --- Foreign Arrow data into vast's layout ----------------------------------

/** The VAST type of a field, honouring `vast.type` hints on plain string columns. */
function hintedVastType(field: A.Field): VastType {
  const alias = field.metadata.get(ALIAS_KEY);
  const withAlias = (t: VastType): VastType => (alias ? { ...t, alias } : t);
  const hint = field.metadata.get(TYPE_HINT_KEY);
  const type = field.type;
  if (hint && (A.DataType.isUtf8(type) || A.DataType.isLargeUtf8(type) || A.DataType.isDictionary(type))) {
    if (hint === 'ip' || hint === 'subnet') return withAlias(basic(hint));
    if (hint === 'enum') return withAlias({ kind: 'enum' });
  }
  if (A.DataType.isList(type)) return withAlias({ kind: 'list', element: hintedVastType(type.children[0]) });
  if (A.DataType.isStruct(type) && !field.metadata.get(EXTENSION_KEY)) {
    return withAlias(record(type.children.map((f) => ({ name: f.name, type: hintedVastType(f) }))));
  }
  if (A.DataType.isMap(type)) {
    const [k, v] = (type.children[0].type as A.Struct).children;
    return withAlias({ kind: 'map', key: hintedVastType(k), value: hintedVastType(v) });
  }
  return vastType(field);
}

const EXT_OF: Partial<Record<VastType['kind'], string>> = {
  ip: 'vast.ip',
  subnet: 'vast.subnet',
  duration: 'vast.duration',
  port: 'vast.port',
};

/** Whether `field` already stores `t` exactly as `arrowType(t)` would (so vast's accessors read it). */
function isCanonical(field: A.Field, t: VastType): boolean {
  const type = field.type;
  const ext = EXT_OF[t.kind];
  if (ext !== undefined && field.metadata.get(EXTENSION_KEY) !== ext) return false;
  switch (t.kind) {
    case 'bool':
      return A.DataType.isBool(type);
    case 'int64':
    case 'duration':
      return A.DataType.isInt(type) && type.isSigned && type.bitWidth === 64;
    case 'uint64':
      return A.DataType.isInt(type) && !type.isSigned && type.bitWidth === 64;
    case 'port':
      return A.DataType.isInt(type) && !type.isSigned && type.bitWidth === 16;
    case 'double':
      return A.DataType.isFloat(type) && type.precision === A.Precision.DOUBLE;
    case 'time':
      return A.DataType.isTimestamp(type) && type.unit === A.TimeUnit.NANOSECOND;
    case 'string':
      return A.DataType.isUtf8(type);
    case 'ip':
      return A.DataType.isFixedSizeBinary(type) && type.byteWidth === 16;
    case 'subnet': {
      if (!A.DataType.isStruct(type) || type.children.length !== 2) return false;
      const [a, l] = type.children.map((f) => f.type);
      return A.DataType.isFixedSizeBinary(a) && a.byteWidth === 16 && A.DataType.isInt(l) && l.bitWidth === 8;
    }
    case 'enum': {
      if (!A.DataType.isDictionary(type) || !A.DataType.isUtf8(type.dictionary)) return false;
      return type.indices.isSigned && type.indices.bitWidth <= 32;
    }
    case 'list':
      return A.DataType.isList(type) && isCanonical(type.children[0], t.element);
    case 'record':
      return (
        A.DataType.isStruct(type) &&
        type.children.length === t.fields.length &&
        type.children.every((f, k) => isCanonical(f, t.fields[k].type))
      );
    case 'map': {
      if (!A.DataType.isMap(type)) return false;
      const [k, v] = (type.children[0].type as A.Struct).children;
      return isCanonical(k, t.key) && isCanonical(v, t.value);
    }
  }
}

/** Per Arrow schema: the VAST type of each column and whether its storage is already vast's. */
const canonicalChecks = new WeakMap<A.Schema, { types: VastType[]; canonical: boolean[] }>();

export interface CanonicalOptions {
  /** Overrides the schema name (`--schema`). */
  readonly name?: string;
}

/**
 * Brings a batch from any Arrow producer into the layout vast's accessors and
 * writers expect (`types/arrow.ts`): the batch itself when it already is
 * (every batch vast wrote), otherwise a copy in which the odd columns are
 * rebuilt (timestamps in other units, narrow integers, large strings, Arrow
 * durations, hinted ip/subnet/enum strings; types VAST lacks become strings).
 */
export function canonicalBatch(batch: A.RecordBatch, opts: CanonicalOptions = {}): A.RecordBatch {
  const fields = batch.schema.fields;
  let check = canonicalChecks.get(batch.schema);
  if (!check) {
    const types = fields.map(hintedVastType);
    check = { types, canonical: fields.map((f, k) => isCanonical(f, types[k])) };
    canonicalChecks.set(batch.schema, check);
  }
  const { types, canonical } = check;
  const renamed = opts.name !== undefined && opts.name !== batch.schema.metadata.get(SCHEMA_NAME_KEY);
  if (!renamed && canonical.every(Boolean)) return batch;
  const s = vastSchema(batch.schema);
  const schema = arrowSchema({
    name: opts.name ?? s.name,
    timestamp: s.timestamp,
    type: record(fields.map((f, k): RecordField => ({ name: f.name, type: types[k] }))),
  });
  const n = batch.numRows;
  const root = batch.data;
  const children: A.Data[] = [];
  const outFields: A.Field[] = [];
  fields.forEach((f, k) => {
    const child = root.children[k];
    // Row i of a struct is row i of its children (see `values.ts`), so columns are kept as they are.
    if (canonical[k]) {
      children.push(child);
      outFields.push(new A.Field(f.name, child.type, f.nullable, schema.fields[k].metadata));
    } else {
      children.push(rebuildColumn(child, types[k], n));
      outFields.push(schema.fields[k]);
    }
  });
  const outSchema = new A.Schema(outFields, schema.metadata);
  const data = A.makeData({ type: new A.Struct(outFields), length: n, nullCount: 0, children });
  return new A.RecordBatch(outSchema, data);
}

/** Builds the `n` rows of `data` anew as canonical `t` (off the hot path: foreign data only). */
function rebuildColumn(data: A.Data, t: VastType, n: number): A.Data {
  const b = makeColumnBuilder(t);
  for (let i = 0; i < n; i++) {
    const v = jsValue(data, t, i);
    if (v === null || !b.appendJson(v)) b.appendNull();
  }
  return b.finish();
}

const vectors = new WeakMap<A.Data, A.Vector>();
function vectorOf(data: A.Data): A.Vector {
  let v = vectors.get(data);
  if (!v) {
    v = A.makeVector(data);
    vectors.set(data, v);
  }
  return v;
}

const NS_PER_UNIT = [1_000_000_000n, 1_000_000n, 1_000n, 1n]; // A.TimeUnit SECOND..NANOSECOND

/**
 * Row `i` of `data` (whatever its Arrow type) as a value the column builders'
 * `appendJson` takes for VAST type `t`: times and durations as exact text,
 * 64-bit integers as decimal text, ips as text, lists as arrays, records and
 * maps as objects.
 */
function jsValue(data: A.Data, t: VastType, i: number): unknown {
  if (!isValid(data, i)) return null;
  // Rows follow arrow-js's slicing convention (see `types/values.ts`).
  const type = data.type;
  switch (t.kind) {
    case 'list': {
      let a: number;
      let b: number;
      if (A.DataType.isFixedSizeList(type)) {
        a = i * type.listSize;
        b = a + type.listSize;
      } else {
        const o = data.valueOffsets as Int32Array | BigInt64Array;
        a = Number(o[i]);
        b = Number(o[i + 1]);
      }
      const child = data.children[0];
      const out: unknown[] = [];
      for (let k = a; k < b; k++) out.push(jsValue(child, t.element, k));
      return out;
    }
    case 'record': {
      const out: Record<string, unknown> = {};
      t.fields.forEach((f, k) => {
        const child = data.children[k];
        out[f.name] = jsValue(child, f.type, i);
      });
      return out;
    }
    case 'map': {
      const o = data.valueOffsets as Int32Array;
      const entries = data.children[0];
      const [keys, values] = entries.children;
      const out: Record<string, unknown> = {};
      for (let k = o[i]; k < o[i + 1]; k++) {
        out[String(jsValue(keys, t.key, k))] = jsValue(values, t.value, k);
      }
      return out;
    }
    case 'time': {
      if (A.DataType.isTimestamp(type)) return formatTime(bigintValue(data, i) * NS_PER_UNIT[type.unit]);
      if (A.DataType.isDate(type)) {
        const v = bigintValue(data, i);
        return formatTime(type.unit === A.DateUnit.DAY ? v * 86_400_000_000_000n : v * 1_000_000n);
      }
      break;
    }
    case 'duration': {
      if (A.DataType.isDuration(type)) return exactDuration(bigintValue(data, i) * NS_PER_UNIT[type.unit]);
      if (A.DataType.isInt(type)) return exactDuration(bigintValue(data, i));
      break;
    }
    case 'int64':
    case 'uint64':
      if (A.DataType.isInt(type)) return bigintValue(data, i).toString();
      break;
    case 'string':
    case 'enum':
    case 'ip':
    case 'subnet':
      if (A.DataType.isUtf8(type)) return stringAt(data, i);
      if (A.DataType.isFixedSizeBinary(type) && type.byteWidth === 16)
        return formatIP(data.values as Uint8Array, i * 16);
      if (t.kind === 'subnet' && A.DataType.isStruct(type)) {
        const s = subnetAt(data, i);
        return formatSubnet(s.bytes, s.length, s.off);
      }
      break;
  }
  const v = plain(vectorOf(data).get(i));
  // Enum builders take names only: dictionaries of numbers and the like keep their text.
  if (t.kind === 'enum' && v !== null && typeof v !== 'string')
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  return v;
}

function bigintValue(data: A.Data, i: number): bigint {
  const v = (data.values as ArrayLike<number | bigint>)[i];
  return typeof v === 'bigint' ? v : BigInt(v);
}

/** An arrow-js value as JSON-like data; what VAST has no type for becomes text. */
function plain(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (typeof v === 'object' && 'toJSON' in v && typeof v.toJSON === 'function') return v.toJSON();
  return v;
}

/** For `parquet.ts`: the Arrow field of `t` with ip, subnet and enum stored as hinted Utf8. */
export function plainField(name: string, t: VastType, nullable = true): A.Field {
  const meta = new Map<string, string>();
  if (t.alias) meta.set(ALIAS_KEY, t.alias);
  switch (t.kind) {
    case 'ip':
    case 'subnet':
    case 'enum':
      meta.set(TYPE_HINT_KEY, t.kind);
      return new A.Field(name, new A.Utf8(), nullable, meta);
    case 'list':
      return new A.Field(name, new A.List(plainField('item', t.element)), nullable, meta);
    case 'record':
      return new A.Field(name, new A.Struct(t.fields.map((f) => plainField(f.name, f.type))), nullable, meta);
    case 'map': {
      const entries = new A.Struct([plainField('key', t.key, false), plainField('value', t.value)]);
      return new A.Field(name, new A.Map_(new A.Field('entries', entries, false)), nullable, meta);
    }
    default:
      return arrowField(name, t, nullable);
  }
}

/** Whether `t` has an ip, subnet or enum anywhere inside. */
export function needsPlain(t: VastType): boolean {
  switch (t.kind) {
    case 'ip':
    case 'subnet':
    case 'enum':
      return true;
    case 'list':
      return needsPlain(t.element);
    case 'record':
      return t.fields.some((f) => needsPlain(f.type));
    case 'map':
      return needsPlain(t.key) || needsPlain(t.value);
    default:
      return false;
  }
}
