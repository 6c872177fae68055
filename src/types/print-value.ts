/**
 * Printing values as text, straight from Arrow buffers (the accessors in
 * `values.ts`), for the text writers. Printing is column-wise: `printColumn`
 * picks one formatter per column (by VAST type and style) and loops over the
 * rows; nested values print their children column-wise too, then assemble.
 *
 * Styles and their conventions:
 *
 * | type     | `json`                                  | `csv`                            | `ascii` (VAST's human form)     |
 * |----------|-----------------------------------------|----------------------------------|---------------------------------|
 * | null     | `null` (or the field is omitted)        | empty                            | `nil`                           |
 * | bool     | `true` / `false`                        | `true` / `false`                 | `T` / `F`                       |
 * | int/uint | exact digits, also above 2^53           | exact digits                     | exact digits                    |
 * | double   | shortest round-trip; NaN/±Inf → `null`  | shortest round-trip, `NaN`       | as csv, integral ones as `1.0`  |
 * | duration | number of seconds, exact (`0.00163`)    | exact with unit (`1.234567ms`)   | adaptive, 2 decimals (`1.63ms`) |
 * | time     | `"2009-11-18T08:00:21.486539Z"`         | ISO 8601, trimmed fraction       | ISO 8601, trimmed fraction      |
 * | string   | JSON string                             | raw (the CSV writer quotes)      | quoted and escaped like JSON    |
 * | ip       | `"10.0.0.1"`, `"2001:db8::1"`           | text                             | text                            |
 * | subnet   | `"10.0.0.0/8"`                          | text                             | text                            |
 * | port     | number                                  | number                           | number                          |
 * | enum     | JSON string                             | raw name                         | raw name                        |
 * | list     | `[a,b]`                                 | `[a, b]` (null elements empty)   | `[a, b]`                        |
 * | map      | `{"k":v}` (keys as their text)          | `{k -> v}`                       | `{k -> v}`                      |
 * | record   | `{"a":1}`                               | `<a=1, b=2>` (only inside lists) | `<a=1, b=2>`                    |
 *
 * Durations in JSON are seconds, Zeek JSON's convention for `interval`, and
 * exact: the decimal text is computed from the nanosecond count, not through a
 * double. In CSV they keep their unit but lose nothing (`1.234567ms`, `90min`),
 * so they parse back exactly with `parseDuration`; ascii rounds to two
 * decimals for people, as VAST did.
 */
import type * as A from 'apache-arrow';
import { vastSchema } from './arrow.js';
import { formatDuration } from './duration.js';
import { formatIP } from './ip.js';
import { formatSubnet } from './subnet.js';
import { formatTime } from './time.js';
import { type RecordType, unreachable, type VastType } from './type.js';
import { bigintAt, boolAt, enumAt, isValid, listRange, stringAt } from './values.js';

export type PrintStyle = 'json' | 'csv' | 'ascii';

export interface PrintOptions {
  /** JSON: leave out record fields whose value is null instead of writing `null`. */
  readonly omitNulls?: boolean;
}

/**
 * Rows the text writers print per yielded chunk: bounds the text held at once
 * (a 64k-row batch of Zeek conn events is ~30 MB of JSON) and lets output start early.
 */
export const CHUNK_ROWS = 8192;

/** Printed rows of a column; `undefined` marks a null. */
export type PrintedColumn = (string | undefined)[];

/** The text a style uses for a null nested in a list, map or record. */
export function nullText(style: PrintStyle): string {
  return style === 'json' ? 'null' : style === 'ascii' ? 'nil' : '';
}

/** Formats the valid value at row `i` of the column it was made for. */
type Format = (i: number) => string;

const TWO32 = 4294967296;
/** |hi| below this keeps `hi * 2^32 + lo` a safe integer. */
const SAFE_HI = 2097152;

/**
 * Prints rows `[start, end)` of `data` (row indices relative to `data`, as in
 * `values.ts`). Entry `k` of the result is row `start + k`; nulls are
 * `undefined` so that each writer chooses its own null text.
 */
export function printColumn(
  data: A.Data,
  t: VastType,
  style: PrintStyle,
  start = 0,
  end = data.length,
  opts: PrintOptions = {},
): PrintedColumn {
  switch (t.kind) {
    case 'list':
      return printList(data, t.element, style, start, end, opts);
    case 'map':
      return printMap(data, t.key, t.value, style, start, end, opts);
    case 'record':
      return printRecord(data, t, style, start, end, opts);
    default: {
      const fmt = scalarFormat(data, t, style);
      const out: PrintedColumn = new Array(end - start);
      if (data.nullCount === 0) {
        for (let i = start; i < end; i++) out[i - start] = fmt(i);
      } else {
        for (let i = start; i < end; i++) out[i - start] = isValid(data, i) ? fmt(i) : undefined;
      }
      return out;
    }
  }
}

/** Prints one value (off the hot path: `vast get`, messages, tests). */
export function printValue(data: A.Data, t: VastType, i: number, style: PrintStyle): string {
  return printColumn(data, t, style, i, i + 1)[0] ?? nullText(style);
}

/** The formatter of a non-nested column, chosen once per column. */
function scalarFormat(data: A.Data, t: VastType, style: PrintStyle): Format {
  const json = style === 'json';
  switch (t.kind) {
    case 'bool':
      return style === 'ascii'
        ? (i) => (boolAt(data, i) ? 'T' : 'F')
        : (i) => (boolAt(data, i) ? 'true' : 'false');
    case 'int64':
    case 'uint64':
      return int64Format(data, t.kind === 'uint64');
    case 'double': {
      const v = data.values as Float64Array;
      if (json) return (i) => (Number.isFinite(v[i]) ? String(v[i]) : 'null');
      if (style === 'csv') return (i) => String(v[i]);
      return (i) => asciiDouble(v[i]);
    }
    case 'duration':
      if (json) return (i) => secondsText(bigintAt(data, i));
      if (style === 'csv') return (i) => exactDuration(bigintAt(data, i));
      return (i) => formatDuration(bigintAt(data, i));
    case 'time': {
      const text = timeFormatter();
      return json ? (i) => `"${text(bigintAt(data, i))}"` : (i) => text(bigintAt(data, i));
    }
    case 'string':
      return style === 'csv' ? (i) => stringAt(data, i) : (i) => JSON.stringify(stringAt(data, i));
    case 'ip': {
      const bytes = data.values as Uint8Array;
      return json ? (i) => `"${formatIP(bytes, i * 16)}"` : (i) => formatIP(bytes, i * 16);
    }
    case 'subnet': {
      // Row i of a struct is row i of its children (see `values.ts`).
      const [addr, len] = data.children;
      const bytes = addr.values as Uint8Array;
      const lengths = len.values as Uint8Array;
      const text = (i: number) => formatSubnet(bytes, lengths[i], i * 16);
      return json ? (i) => `"${text(i)}"` : text;
    }
    case 'port': {
      const v = data.values as ArrayLike<number>;
      return (i) => String(v[i]);
    }
    case 'enum': {
      // Dictionaries are small and keys repeat: print each key once per column.
      const keys = data.values as ArrayLike<number>;
      const memo: string[] = [];
      return (i) => {
        const k = keys[i];
        let s = memo[k];
        if (s === undefined) {
          const name = enumAt(data, i);
          s = json ? JSON.stringify(name) : name;
          memo[k] = s;
        }
        return s;
      };
    }
    case 'list':
    case 'map':
    case 'record':
      throw new Error(`scalarFormat called for nested type ${t.kind}`);
    default:
      return unreachable(t);
  }
}

const NS_PER_S = 1_000_000_000n;
const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * `formatTime` for a column: the same text, but the date part is computed once
 * per day instead of through `Date` for every value (times in a batch are
 * mostly of one day, and `formatTime` was the costliest printer).
 */
export function timeFormatter(): (ns: bigint) => string {
  let lastDay = Number.NaN;
  let dayText = '';
  return (ns) => {
    let sec = ns / NS_PER_S;
    let frac = Number(ns - sec * NS_PER_S);
    if (frac < 0) {
      frac += 1e9;
      sec -= 1n;
    }
    const s = Number(sec);
    const day = Math.floor(s / 86400);
    if (day !== lastDay) {
      lastDay = day;
      dayText = formatTime(BigInt(day) * 86_400n * NS_PER_S).slice(0, 11); // 2009-11-18T
    }
    const sod = s - day * 86400;
    let text = `${dayText}${two(Math.floor(sod / 3600))}:${two(Math.floor(sod / 60) % 60)}:${two(sod % 60)}`;
    if (frac !== 0) {
      let digits = 9;
      while (frac % 10 === 0) {
        frac /= 10;
        digits--;
      }
      text += `.${String(frac).padStart(digits, '0')}`;
    }
    return `${text}Z`;
  };
}

/** Exact decimal digits of 64-bit integers, without a BigInt for the common safe values. */
function int64Format(data: A.Data, unsigned: boolean): Format {
  const values = data.values as BigInt64Array | BigUint64Array;
  const words = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
  if (unsigned) {
    return (i) => {
      const hi = words[2 * i + 1] >>> 0;
      if (hi < SAFE_HI) return String(hi * TWO32 + (words[2 * i] >>> 0));
      return values[i].toString();
    };
  }
  return (i) => {
    const hi = words[2 * i + 1];
    if (hi < SAFE_HI && hi >= -SAFE_HI) return String(hi * TWO32 + (words[2 * i] >>> 0));
    return values[i].toString();
  };
}

/** Doubles for people: shortest round-trip text, integral values keep a `.0` so they read as reals. */
function asciiDouble(v: number): string {
  const s = String(v);
  return Number.isInteger(v) && !s.includes('e') ? `${s}.0` : s;
}

/** Nanoseconds as exact decimal seconds, trailing fraction zeros trimmed: `0.00163`, `5`, `-1.5`. */
export function secondsText(ns: bigint): string {
  const neg = ns < 0n;
  const abs = neg ? -ns : ns;
  const whole = abs / 1_000_000_000n;
  const frac = abs % 1_000_000_000n;
  let s = whole.toString();
  if (frac !== 0n) s += `.${frac.toString().padStart(9, '0').replace(/0+$/, '')}`;
  return neg ? `-${s}` : s;
}

const EXACT_UNITS: readonly [bigint, string][] = [
  [86_400_000_000_000n, 'd'],
  [3_600_000_000_000n, 'h'],
  [60_000_000_000n, 'min'],
];
const DECIMAL_UNITS: readonly [bigint, string, number][] = [
  [1_000_000_000n, 's', 9],
  [1_000_000n, 'ms', 6],
  [1_000n, 'us', 3],
];

/**
 * A lossless duration literal: days, hours or minutes when the value is a
 * whole number of them, otherwise the largest of s/ms/us/ns that keeps the
 * value >= 1, with an exact decimal fraction (`3.78s`, `1.234567ms`, `90min`).
 */
export function exactDuration(ns: bigint): string {
  const neg = ns < 0n;
  const abs = neg ? -ns : ns;
  const sign = neg ? '-' : '';
  for (const [unit, name] of EXACT_UNITS) {
    if (abs >= unit && abs % unit === 0n) return `${sign}${abs / unit}${name}`;
  }
  for (const [unit, name, digits] of DECIMAL_UNITS) {
    if (abs >= unit) {
      const frac = abs % unit;
      const f = frac === 0n ? '' : `.${frac.toString().padStart(digits, '0').replace(/0+$/, '')}`;
      return `${sign}${abs / unit}${f}${name}`;
    }
  }
  return `${sign}${abs}ns`;
}

function printList(
  data: A.Data,
  element: VastType,
  style: PrintStyle,
  start: number,
  end: number,
  opts: PrintOptions,
): PrintedColumn {
  const out: PrintedColumn = new Array(end - start);
  if (end <= start) return out;
  // Print all elements of the rows at once, then cut them into lists. List
  // children are not sliced: their rows are the raw value offsets.
  const first = listRange(data, start)[0];
  const last = listRange(data, end - 1)[1];
  const items = printColumn(data.children[0], element, style, first, last, opts);
  const nil = nullText(style);
  const sep = style === 'json' ? ',' : ', ';
  const offsets = data.valueOffsets as Int32Array;
  const hasNulls = data.nullCount !== 0;
  // Joining arrays beats `+=`: V8 would build (and later flatten) a rope per list.
  const parts: string[] = [];
  for (let i = start; i < end; i++) {
    if (hasNulls && !isValid(data, i)) continue;
    const a = offsets[i] - first;
    const b = offsets[i + 1] - first;
    parts.length = b - a;
    for (let k = a; k < b; k++) parts[k - a] = items[k] ?? nil;
    out[i - start] = `[${parts.join(sep)}]`;
  }
  return out;
}

function printMap(
  data: A.Data,
  keyType: VastType,
  valueType: VastType,
  style: PrintStyle,
  start: number,
  end: number,
  opts: PrintOptions,
): PrintedColumn {
  const out: PrintedColumn = new Array(end - start);
  if (end <= start) return out;
  const entries = data.children[0];
  const [keyData, valueData] = entries.children;
  const first = listRange(data, start)[0];
  const last = listRange(data, end - 1)[1];
  const keys = printColumn(keyData, keyType, style, first, last, opts);
  const values = printColumn(valueData, valueType, style, first, last, opts);
  const json = style === 'json';
  const nil = nullText(style);
  const offsets = data.valueOffsets as Int32Array;
  const hasNulls = data.nullCount !== 0;
  const parts: string[] = [];
  for (let i = start; i < end; i++) {
    if (hasNulls && !isValid(data, i)) continue;
    const a = offsets[i] - first;
    const b = offsets[i + 1] - first;
    parts.length = b - a;
    for (let k = a; k < b; k++) {
      const key = keys[k] ?? nil;
      // JSON object keys must be strings: non-string keys (ports, ips) use their text.
      if (json) parts[k - a] = `${key.startsWith('"') ? key : JSON.stringify(key)}:${values[k] ?? nil}`;
      else parts[k - a] = `${key} -> ${values[k] ?? nil}`;
    }
    out[i - start] = `{${parts.join(json ? ',' : ', ')}}`;
  }
  return out;
}

function printRecord(
  data: A.Data,
  t: RecordType,
  style: PrintStyle,
  start: number,
  end: number,
  opts: PrintOptions,
): PrintedColumn {
  const n = end - start;
  const fields = t.fields;
  const json = style === 'json';
  const omitNulls = json && opts.omitNulls === true;
  const nil = nullText(style);
  const open = json ? '{' : '<';
  const close = json ? '}' : '>';
  const sep = json ? ',' : ', ';
  const names = fields.map((f) => (json ? `${JSON.stringify(f.name)}:` : `${f.name}=`));
  // Row i of a struct is row i of its children (see `values.ts`).
  const columns = fields.map((f, k) => printColumn(data.children[k], f.type, style, start, end, opts));
  const m = columns.length;
  const out: PrintedColumn = new Array(n);
  const hasNulls = data.nullCount !== 0;
  // One array of [prefix, value, prefix, value, ..., close] joined per row: joining
  // beats `+=`, which builds a rope per row that V8 must flatten (and collect) later.
  const prefixes = names.map((name, k) => (k === 0 ? open : sep) + name);
  const firstPrefixes = names.map((name) => open + name);
  const parts: string[] = new Array(2 * m + 1);
  for (let r = 0; r < n; r++) {
    if (hasNulls && !isValid(data, start + r)) continue;
    if (omitNulls) {
      parts.length = 0;
      for (let k = 0; k < m; k++) {
        const v = columns[k][r];
        if (v === undefined) continue;
        parts.push(parts.length === 0 ? firstPrefixes[k] : prefixes[k], v);
      }
      out[r] = parts.length === 0 ? open + close : `${parts.join('')}${close}`;
    } else {
      for (let k = 0; k < m; k++) {
        parts[2 * k] = prefixes[k];
        parts[2 * k + 1] = columns[k][r] ?? nil;
      }
      parts[2 * m] = close;
      out[r] = m === 0 ? open + close : parts.join('');
    }
  }
  return out;
}

const layoutKeys = new WeakMap<A.Schema, string>();

/**
 * A text that is equal for two Arrow schemas exactly when batches of one can
 * be written under the other's header: schema metadata (the VAST schema name),
 * field names, types and field metadata. arrow-js's own `compareSchemas`
 * ignores metadata, so `zeek.conn` and a look-alike would merge. With
 * `dictionaryIds`, enum dictionary ids count too (Arrow IPC streams need them).
 */
export function layoutKey(schema: A.Schema, dictionaryIds = false): string {
  if (!dictionaryIds) {
    const cached = layoutKeys.get(schema);
    if (cached !== undefined) return cached;
  }
  const meta = (m: Map<string, string>) =>
    [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`);
  const field = (f: A.Field): unknown => [
    f.name,
    String(f.type),
    dictionaryIds && 'id' in f.type ? f.type.id : null,
    meta(f.metadata),
    (f.type.children ?? []).map(field),
  ];
  const key = JSON.stringify([meta(schema.metadata), schema.fields.map(field)]);
  if (!dictionaryIds) layoutKeys.set(schema, key);
  return key;
}

/** The VAST record type of a batch's rows (cached per Arrow schema by `vastSchema`). */
export function batchType(batch: A.RecordBatch): RecordType {
  return vastSchema(batch.schema).type;
}
