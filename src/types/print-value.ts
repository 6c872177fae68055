/**
 * Printing values as text, straight from Arrow buffers (the accessors in
 * `values.ts`), for the text writers. Printing is column-wise: `printColumn`
 * picks one formatter per column (by VAST type and style) and loops over the
 * rows; nested values print their children column-wise too, then assemble.
 *
 * Styles and their conventions (`json` and `ascii` as VAST 2 printed them; its
 * `data_view_printer`, `duration_printer`, `time_point_printer` and `json_printer`):
 *
 * | type     | `json`                                 | `csv`                            | `ascii` (VAST's data syntax)      |
 * |----------|----------------------------------------|----------------------------------|-----------------------------------|
 * | null     | `null` (or the field is omitted)       | empty                            | `nil`                             |
 * | bool     | `true` / `false`                       | `true` / `false`                 | `T` / `F`                         |
 * | int64    | exact digits, also above 2^53          | exact digits                     | always signed: `+5`, `-5`         |
 * | uint64   | exact digits                           | exact digits                     | exact digits                      |
 * | double   | shortest round-trip, integral `1.0`;   | shortest round-trip, `NaN`       | up to 10 decimals, trailing zeros |
 * |          | NaN/±Inf → `null`                      |                                  | trimmed, at least `1.0`           |
 * | duration | `"1.63ms"` (seconds with numericDurations) | exact with unit (`1.234567ms`) | `1.63ms`, `2.18m`, `306.3ms`      |
 * | time     | `"2009-11-18T21:01:53.173350"`         | ISO 8601 `Z`, trimmed fraction   | `2009-11-18T21:01:53.173350`      |
 * | string   | JSON string                            | raw (the CSV writer quotes)      | `"..."`, `\"` and `\xHH` escapes  |
 * | ip       | `"10.0.0.1"`, `"2001:db8::1"`          | text                             | text                              |
 * | subnet   | `"10.0.0.0/8"`                         | text                             | text                              |
 * | port     | number                                 | number                           | number                            |
 * | enum     | JSON string                            | raw name                         | quoted like a string              |
 * | list     | `[a,b]`                                | `[a, b]` (null elements empty)   | `[a, b]`                          |
 * | map      | `{"k":v}` (keys as their text)         | `{k -> v}`                       | `{k -> v}`                        |
 * | record   | `{"a":1}`; flattened `{"id.orig_h":..}`| `<a=1, b=2>` (only inside lists) | top level: values only `<1, 2>`;  |
 * |          |                                        |                                  | in lists `<"a": +1, "b": 2>`      |
 *
 * Times print as VAST 2 did, with exactly six fraction digits and no zone;
 * where a value has nanoseconds (pcap, Arrow input), three more digits follow
 * instead of truncating them as VAST did. Durations round to two decimals for
 * people; CSV keeps them exact (`1.234567ms`, `90min`) so they parse back
 * exactly with `parseDuration`, and JSON's `numericDurations` gives exact
 * seconds (Zeek JSON's convention for `interval`).
 */
import type * as A from 'apache-arrow';
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
  /**
   * Records inside records print as one level: in JSON with dotted keys
   * (`"id.orig_h"`), in ascii as their values in line. A null record makes
   * its leaves null, as in VAST 2's flattened table slices.
   */
  readonly flatten?: boolean;
  /** JSON: durations as exact seconds (a number) instead of VAST literals (`"1.63ms"`). */
  readonly numericDurations?: boolean;
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
      const fmt = scalarFormat(data, t, style, opts);
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
function scalarFormat(data: A.Data, t: VastType, style: PrintStyle, opts: PrintOptions): Format {
  const json = style === 'json';
  const ascii = style === 'ascii';
  switch (t.kind) {
    case 'bool':
      return ascii ? (i) => (boolAt(data, i) ? 'T' : 'F') : (i) => (boolAt(data, i) ? 'true' : 'false');
    case 'int64': {
      const digits = int64Format(data, false);
      // VAST's data syntax tells int from count by the sign: `+5` is an int, `5` a count.
      return ascii ? (i) => (bigintAt(data, i) < 0n ? digits(i) : `+${digits(i)}`) : digits;
    }
    case 'uint64':
      return int64Format(data, true);
    case 'double': {
      const v = data.values as Float64Array;
      if (json) return (i) => jsonDouble(v[i]);
      if (style === 'csv') return (i) => String(v[i]);
      return (i) => asciiDouble(v[i]);
    }
    case 'duration':
      if (json && opts.numericDurations) return (i) => secondsText(bigintAt(data, i));
      if (json) return (i) => `"${formatDuration(bigintAt(data, i))}"`;
      if (style === 'csv') return (i) => exactDuration(bigintAt(data, i));
      return (i) => formatDuration(bigintAt(data, i));
    case 'time': {
      const text = timeFormatter(style === 'csv' ? 'iso' : 'vast');
      return json ? (i) => `"${text(bigintAt(data, i))}"` : (i) => text(bigintAt(data, i));
    }
    case 'string':
      if (style === 'csv') return (i) => stringAt(data, i);
      return json ? (i) => JSON.stringify(stringAt(data, i)) : (i) => asciiString(stringAt(data, i));
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
          // ascii quotes them as VAST 2 printed Zeek's enums (it read them as strings).
          s = json ? JSON.stringify(name) : style === 'ascii' ? asciiString(name) : name;
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
 * A time printer for a column, with the date part computed once per day
 * instead of through `Date` for every value (times in a batch are mostly of
 * one day, and printing them was the costliest part of writing).
 *
 * - `iso` (`formatTime`'s text): `2009-11-18T08:00:21.486539Z`, trailing
 *   fraction zeros trimmed, no fraction for whole seconds.
 * - `vast` (VAST 2's `time_point_printer`): no zone and always six fraction
 *   digits, `2009-11-18T08:00:21.486539` and `...:21.000000`; values with
 *   nanoseconds keep them (`.000000001`) where VAST truncated.
 */
export function timeFormatter(style: 'iso' | 'vast' = 'iso'): (ns: bigint) => string {
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
    const text = `${dayText}${two(Math.floor(sod / 3600))}:${two(Math.floor(sod / 60) % 60)}:${two(sod % 60)}`;
    if (style === 'vast') {
      const digits = String(frac).padStart(9, '0');
      return `${text}.${frac % 1000 === 0 ? digits.slice(0, 6) : digits}`;
    }
    if (frac === 0) return `${text}Z`;
    let digits = 9;
    while (frac % 10 === 0) {
      frac /= 10;
      digits--;
    }
    return `${text}.${String(frac).padStart(digits, '0')}Z`;
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

/**
 * Doubles as VAST's `real_printer` (ascii): up to ten decimals, rounded,
 * trailing zeros trimmed but at least one kept: `1.0`, `0.1`, `0.3` for
 * 0.1 + 0.2. Non-finite values have no such form and print as JS does.
 */
function asciiDouble(v: number): string {
  if (!Number.isFinite(v) || Math.abs(v) >= 1e21) return String(v);
  const s = v.toFixed(10).replace(/0+$/, '');
  return s.endsWith('.') ? `${s}0` : s;
}

/** Doubles in JSON as VAST wrote them: integral ones as `1.0` so they read back as reals. */
function jsonDouble(v: number): string {
  if (!Number.isFinite(v)) return 'null';
  const s = String(v);
  return Number.isInteger(v) && !s.includes('e') ? `${s}.0` : s;
}

/**
 * Strings in VAST's data syntax (its `make_extra_print_escaper("\"")`): in
 * quotes, `"` escaped with a backslash, every byte outside printable ASCII
 * (controls, and each byte of a multi-byte UTF-8 character) as `\xHH`.
 */
function asciiString(s: string): string {
  if (PLAIN_ASCII.test(s)) return `"${s}"`;
  let out = '"';
  for (const byte of Buffer.from(s, 'utf8')) {
    if (byte === 0x22) out += '\\"';
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `${out}"`;
}
const PLAIN_ASCII = /^[\x20\x21\x23-\x7e]*$/;

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
  const items = printColumn(data.children[0], element, style, first, last, nestedOptions(style, opts));
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
  const inner = nestedOptions(style, opts);
  const keys = printColumn(keyData, keyType, style, first, last, inner);
  const values = printColumn(valueData, valueType, style, first, last, inner);
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

/**
 * Options for values inside lists and maps: ascii prints records there with
 * their field names (VAST's `record_view_printer`), JSON flattens them too.
 */
function nestedOptions(style: PrintStyle, opts: PrintOptions): PrintOptions {
  return style === 'ascii' && opts.flatten ? { ...opts, flatten: false } : opts;
}

/** A leaf column of a flattened record, with the records above it whose nulls hide it. */
interface FlatColumn {
  readonly name: string;
  readonly data: A.Data;
  readonly type: VastType;
  readonly parents: readonly A.Data[];
}

/** The non-record fields of `t`, depth first, with dotted names. */
function flatColumns(
  data: A.Data,
  t: RecordType,
  prefix = '',
  parents: readonly A.Data[] = [],
): FlatColumn[] {
  const out: FlatColumn[] = [];
  t.fields.forEach((f, k) => {
    const child = data.children[k];
    const name = prefix + f.name;
    if (f.type.kind === 'record') {
      const above = child.nullCount === 0 ? parents : [...parents, child];
      out.push(...flatColumns(child, f.type, `${name}.`, above));
    } else out.push({ name, data: child, type: f.type, parents });
  });
  return out;
}

/** Where the record's fields go in its text, per style. */
interface RecordSyntax {
  readonly open: string;
  readonly close: string;
  readonly sep: string;
  /** The text before a value: its quoted name, or nothing for ascii's values-only lines. */
  readonly label: (name: string) => string;
}

function recordSyntax(style: PrintStyle, flat: boolean): RecordSyntax {
  if (style === 'json') return { open: '{', close: '}', sep: ',', label: (n) => `${JSON.stringify(n)}:` };
  if (style === 'ascii')
    return flat
      ? { open: '<', close: '>', sep: ', ', label: () => '' }
      : { open: '<', close: '>', sep: ', ', label: (n) => `${asciiString(n)}: ` };
  return { open: '<', close: '>', sep: ', ', label: (n) => `${n}=` };
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
  const flat = opts.flatten === true;
  const omitNulls = style === 'json' && opts.omitNulls === true;
  const nil = nullText(style);
  const { open, close, sep, label } = recordSyntax(style, flat);
  // Row i of a struct is row i of its children (see `values.ts`).
  const fields: FlatColumn[] = flat
    ? flatColumns(data, t)
    : t.fields.map((f, k) => ({ name: f.name, data: data.children[k], type: f.type, parents: [] }));
  const columns = fields.map((f) => {
    const col = printColumn(f.data, f.type, style, start, end, opts);
    for (const p of f.parents) for (let r = 0; r < n; r++) if (!isValid(p, start + r)) col[r] = undefined;
    return col;
  });
  const m = columns.length;
  const out: PrintedColumn = new Array(n);
  const hasNulls = data.nullCount !== 0;
  // One array of [prefix, value, prefix, value, ..., close] joined per row: joining
  // beats `+=`, which builds a rope per row that V8 must flatten (and collect) later.
  const prefixes = fields.map((f, k) => (k === 0 ? open : sep) + label(f.name));
  const firstPrefixes = fields.map((f) => open + label(f.name));
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
