/**
 * The Zeek TSV writer: record batches → logs that Zeek tooling reads
 * (`zeek-cut`, Zeek's own ASCII input reader, VAST/Tenzir, Brim).
 *
 * Every schema gets a header block (and another one whenever the schema
 * changes between batches, after a `#close` for the previous one); nested
 * records are flattened into dotted field names. Values are printed as Zeek
 * prints them, so that importing a Zeek log and exporting it again reproduces
 * its data lines byte for byte.
 *
 * Lists are written as `vector[T]` (ordered, duplicates allowed: what a VAST
 * list is); `uint64` is `count`, `int64` `int`, `duration` `interval`, `ip`
 * `addr`. Types Zeek has no word for (maps, lists of lists or records) are
 * written as `string` columns holding JSON text.
 *
 * Values are read straight from the Arrow buffers. Note arrow-js's slicing
 * convention: `Data.slice` slices value and offset buffers and bumps
 * `offset`, which then only applies to bitmaps. So values are read at the
 * relative row `i`, validity and bools at `offset + i` (`isValid`, `boolAt`).
 */
import type * as A from 'apache-arrow';
import { vastSchema } from '../../types/arrow.js';
import { formatIP } from '../../types/ip.js';
import { formatSubnet } from '../../types/subnet.js';
import type { RecordType, VastType } from '../../types/type.js';
import { boolAt, isValid, type Value, valueAt } from '../../types/values.js';
import type { WriterContext } from '../format.js';
import { EMPTY_FIELD, writeEscaped } from './escape.js';
import { zeekHeaderTime, zeekTypeOf } from './header.js';
import { ByteSink, printInt64, printIP, printSecondsFixed6, printUint64, zeekDouble } from './print.js';

const W_SECONDS = 0;
const W_INT = 1;
const W_UINT = 2;
const W_DOUBLE = 3;
const W_BOOL = 4;
const W_STRING = 5;
const W_ENUM = 6;
const W_IP = 7;
const W_SUBNET = 8;
const W_PORT = 9;
const W_LIST = 10;
/** Types Zeek has no word for (maps, nested lists, lists of records): printed as JSON text. */
const W_TEXT = 11;

function writeCode(t: VastType): number {
  switch (t.kind) {
    case 'time':
    case 'duration':
      return W_SECONDS;
    case 'int64':
      return W_INT;
    case 'uint64':
      return W_UINT;
    case 'double':
      return W_DOUBLE;
    case 'bool':
      return W_BOOL;
    case 'string':
      return W_STRING;
    case 'enum':
      return W_ENUM;
    case 'ip':
      return W_IP;
    case 'subnet':
      return W_SUBNET;
    case 'port':
      return W_PORT;
    case 'list':
      return zeekTypeOf(t) ? W_LIST : W_TEXT;
    case 'record':
    case 'map':
      return W_TEXT;
  }
}

/** What the writer knows about one schema: its header and its leaves in order. */
interface SchemaPlan {
  /** Header identity: path, fields and types. A new one starts a new header block. */
  readonly signature: string;
  readonly path: string;
  readonly leaves: readonly { path: string; chain: readonly number[]; type: VastType; zeekType: string }[];
}

function planOf(schema: A.Schema): SchemaPlan {
  const s = vastSchema(schema);
  const out: { path: string; chain: number[]; type: VastType; zeekType: string }[] = [];
  const walk = (t: RecordType, prefix: string, chain: number[]) => {
    t.fields.forEach((f, i) => {
      const path = prefix ? `${prefix}.${f.name}` : f.name;
      if (f.type.kind === 'record') walk(f.type, path, [...chain, i]);
      else out.push({ path, chain: [...chain, i], type: f.type, zeekType: zeekTypeOf(f.type) ?? 'string' });
    });
  };
  walk(s.type, '', []);
  const path = s.name.startsWith('zeek.') ? s.name.slice(5) : s.name;
  const signature = `${path}\n${out.map((l) => `${l.path}:${l.zeekType}`).join('\t')}`;
  return { signature, path, leaves: out };
}

function writeHeader(sink: ByteSink, plan: SchemaPlan, now: Date): void {
  sink.ascii('#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n');
  sink.ascii(`#path\t${plan.path}\n#open\t${zeekHeaderTime(now)}\n`);
  sink.ascii(`#fields\t${plan.leaves.map((l) => l.path).join('\t')}\n`);
  sink.ascii(`#types\t${plan.leaves.map((l) => l.zeekType).join('\t')}\n`);
}

/** Writes batches as Zeek TSV, one chunk of bytes per batch. */
export async function* writeZeek(
  batches: AsyncIterable<A.RecordBatch>,
  _ctx: WriterContext,
): AsyncIterable<Uint8Array> {
  const sink = new ByteSink();
  const plans = new WeakMap<A.Schema, SchemaPlan>();
  const enumTexts = new WeakMap<A.Vector, (Uint8Array | undefined)[]>();
  let current: SchemaPlan | undefined;
  for await (const batch of batches) {
    let plan = plans.get(batch.schema);
    if (!plan) {
      plan = planOf(batch.schema);
      plans.set(batch.schema, plan);
    }
    if (plan.signature !== current?.signature) {
      if (current) sink.ascii(`#close\t${zeekHeaderTime(new Date())}\n`);
      writeHeader(sink, plan, new Date());
      current = plan;
    }
    writeRows(sink, batch, plan, enumTexts);
    yield sink.take();
  }
  if (current) {
    sink.ascii(`#close\t${zeekHeaderTime(new Date())}\n`);
    yield sink.take();
  }
}

/** One leaf column of one batch, with its buffers looked up once. */
interface Column {
  readonly code: number;
  readonly type: VastType;
  readonly data: A.Data;
  /** The records above the leaf: a null record makes its leaves `-`. */
  readonly ancestors: readonly A.Data[];
  /** 64-bit values as pairs of 32-bit words (little-endian). */
  readonly words: Uint32Array | undefined;
  /** Escaped bytes of each enum dictionary entry, filled on first use. */
  readonly enumText: (Uint8Array | undefined)[] | undefined;
  readonly element: Column | undefined;
}

function columnOf(
  data: A.Data,
  type: VastType,
  ancestors: readonly A.Data[],
  enumTexts: WeakMap<A.Vector, (Uint8Array | undefined)[]>,
): Column {
  const code = writeCode(type);
  const v = data.values as ArrayBufferView | undefined;
  const words =
    code === W_SECONDS || code === W_INT || code === W_UINT
      ? new Uint32Array(v!.buffer, v!.byteOffset, (v!.byteLength >> 3) * 2)
      : undefined;
  let enumText: (Uint8Array | undefined)[] | undefined;
  if (code === W_ENUM) {
    const dict = data.dictionary as A.Vector | undefined;
    if (dict) {
      enumText = enumTexts.get(dict);
      if (!enumText) {
        enumText = [];
        enumTexts.set(dict, enumText);
      }
    } else enumText = [];
  }
  const element =
    code === W_LIST && type.kind === 'list'
      ? columnOf(data.children[0], type.element, [], enumTexts)
      : undefined;
  return { code, type, data, ancestors, words, enumText, element };
}

function writeRows(
  sink: ByteSink,
  batch: A.RecordBatch,
  plan: SchemaPlan,
  enumTexts: WeakMap<A.Vector, (Uint8Array | undefined)[]>,
): void {
  const columns = plan.leaves.map((l) => {
    const ancestors: A.Data[] = [];
    let d: A.Data = batch.data;
    for (let k = 0; k < l.chain.length; k++) {
      if (k > 0) ancestors.push(d);
      d = d.children[l.chain[k]];
    }
    return columnOf(d, l.type, ancestors, enumTexts);
  });
  const rows = batch.numRows;
  const n = columns.length;
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < n; c++) {
      if (c > 0) sink.byte(9);
      const col = columns[c];
      let valid = isValid(col.data, i);
      for (let a = 0; valid && a < col.ancestors.length; a++) valid = isValid(col.ancestors[a], i);
      if (valid) writeValue(sink, col, i, false);
      else sink.byte(45);
    }
    sink.byte(10);
  }
}

const enumEncoder = new TextEncoder();

/** Writes the (valid) value at row `i`; `inContainer` escapes the set separator in strings. */
function writeValue(sink: ByteSink, col: Column, i: number, inContainer: boolean): void {
  const d = col.data;
  switch (col.code) {
    case W_SECONDS:
      printSecondsFixed6(sink, col.words![2 * i], col.words![2 * i + 1]);
      return;
    case W_INT:
      printInt64(sink, col.words![2 * i], col.words![2 * i + 1]);
      return;
    case W_UINT:
      printUint64(sink, col.words![2 * i], col.words![2 * i + 1]);
      return;
    case W_DOUBLE:
      sink.ascii(zeekDouble((d.values as Float64Array)[i]));
      return;
    case W_PORT:
      sink.uint((d.values as Uint16Array)[i]);
      return;
    case W_BOOL:
      sink.byte(boolAt(d, i) ? 84 : 70);
      return;
    case W_STRING: {
      const o = d.valueOffsets as Int32Array;
      writeEscaped(sink, d.values as Uint8Array, o[i], o[i + 1], inContainer);
      return;
    }
    case W_ENUM: {
      const key = (d.values as Int16Array | Int8Array | Int32Array)[i];
      let text = col.enumText![key];
      if (!text) {
        const s = ((d.dictionary as A.Vector).get(key) as string | null) ?? '';
        const tmp = new ByteSink(s.length * 4 + 16);
        const bytes = enumEncoder.encode(s);
        writeEscaped(tmp, bytes, 0, bytes.length, false);
        text = col.enumText![key] = tmp.take();
      }
      writeEnumText(sink, text, inContainer);
      return;
    }
    case W_IP:
      printIP(sink, d.values as Uint8Array, i * 16);
      return;
    case W_SUBNET: {
      const [addr, len] = d.children;
      sink.ascii(formatSubnet(addr.values as Uint8Array, (len.values as Uint8Array)[i], i * 16));
      return;
    }
    case W_LIST:
      writeList(sink, col, i);
      return;
    default: {
      const text = enumEncoder.encode(JSON.stringify(plain(col.type, valueAt(d, col.type, i))));
      writeEscaped(sink, text, 0, text.length, inContainer);
      return;
    }
  }
}

/** An enum text escaped once outside containers; inside, its commas (rare) need `\x2c` too. */
function writeEnumText(sink: ByteSink, text: Uint8Array, inContainer: boolean): void {
  sink.reserve(text.length * 4);
  for (let k = 0; k < text.length; k++) {
    const c = text[k];
    if (c === 44 && inContainer) sink.ascii('\\x2c');
    else sink.buf[sink.pos++] = c;
  }
}

function writeList(sink: ByteSink, col: Column, i: number): void {
  const o = col.data.valueOffsets as Int32Array;
  const a = o[i];
  const b = o[i + 1];
  if (a === b) {
    sink.ascii(EMPTY_FIELD);
    return;
  }
  const el = col.element!;
  for (let k = a; k < b; k++) {
    if (k > a) sink.byte(44);
    if (isValid(el.data, k)) writeValue(sink, el, k, true);
    else sink.byte(45);
  }
}

/**
 * A JSON-friendly form of a value that Zeek has no type for (maps, lists of
 * records or lists): maps become objects, times and durations seconds.
 */
function plain(t: VastType, v: Value): unknown {
  if (v === null) return null;
  switch (t.kind) {
    case 'map':
      return Object.fromEntries(
        (v as Value[][]).map(([k, x]) => [String(plain(t.key, k)), plain(t.value, x)]),
      );
    case 'list':
      return (v as Value[]).map((x) => plain(t.element, x));
    case 'record': {
      const r = v as { [field: string]: Value };
      return Object.fromEntries(t.fields.map((f) => [f.name, plain(f.type, r[f.name])]));
    }
    case 'ip':
      return formatIP((v as { ip: Uint8Array }).ip);
    case 'subnet': {
      const n = v as { subnet: Uint8Array; length: number };
      return formatSubnet(n.subnet, n.length);
    }
    case 'time':
    case 'duration':
      return Number(v as bigint) / 1e9;
    default:
      return typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v;
  }
}
