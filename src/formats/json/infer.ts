/**
 * Schema inference shared by the JSON-family readers (json, suricata,
 * zeek-json) and csv. Inference works on *shapes*: VAST types plus what a
 * reader still needs to know while types are growing — whether a field has
 * only been null so far, whether a record must match an event's key set
 * exactly, and which parts a registry schema fixed (those never widen).
 *
 * Rules for JSON values (`shapeOfJson`):
 * - numbers: integers are int64, exact over its range (beyond 2^53 the
 *   readers hand over `bigint`s, see `syntax.ts`), uint64 above it; other
 *   numbers (fractions, exponents) double;
 * - strings stay strings, except canonical IP addresses (`10.0.0.1`,
 *   `2001:db8::1`: the text the JSON writer prints back) which become ip;
 *   times are never inferred from JSON text, so json → store → json keeps
 *   every string as it was;
 * - objects are records, arrays `list<T>` of the unified element shape, null a
 *   `null` shape (stored as a string column until a value shows up).
 *
 * Unifying two shapes widens losslessly where it can (null ∪ T = T,
 * int64 ∪ double = double, ip ∪ string = string (int64 ∪ uint64 = double, losing
 * digits past 2^53, so only where lossy widening is allowed), records union their fields,
 * lists unify their elements). Anything else is a conflict: `unify` then
 * returns the `json` shape (a string column holding the value's JSON text),
 * or undefined when the caller asked for lossless unification only.
 */
import { formatIP, parseIP } from '../../types/ip.js';
import { parseIsoTime } from '../../types/time.js';
import { basic, type RecordField, type RecordType, record, type VastType } from '../../types/type.js';

/** Basic types inference can produce. `time` only comes from CSV cells and schemas. */
export type InferredKind = 'bool' | 'int64' | 'uint64' | 'double' | 'string' | 'ip' | 'time';

export type Shape =
  /** Only nulls seen so far; stored as a string column. */
  | { readonly kind: 'null' }
  /** Conflicting values: strings as they are, anything else as its JSON text. */
  | { readonly kind: 'json' }
  | { readonly kind: 'basic'; readonly type: InferredKind }
  /** A list; `typed` when a registry schema declared it. */
  | { readonly kind: 'list'; readonly element: Shape; readonly typed?: boolean }
  /**
   * A record. `exact`: an event must carry exactly these keys (plain JSON,
   * where a missing key and a null differ); otherwise missing keys are null.
   * `typed`: declared by a registry schema (its fields may still grow extras).
   */
  | {
      readonly kind: 'record';
      readonly fields: readonly ShapeField[];
      readonly exact: boolean;
      readonly typed?: boolean;
    }
  /** A leaf type fixed by a registry schema: values must fit, it never widens. */
  | { readonly kind: 'typed'; readonly type: VastType };

export interface ShapeField {
  readonly name: string;
  readonly shape: Shape;
}

export type RecordShape = Extract<Shape, { kind: 'record' }>;

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

const NULL_SHAPE: Shape = { kind: 'null' };
const JSON_SHAPE: Shape = { kind: 'json' };
const BASIC: Record<InferredKind, Shape> = {
  bool: { kind: 'basic', type: 'bool' },
  int64: { kind: 'basic', type: 'int64' },
  uint64: { kind: 'basic', type: 'uint64' },
  double: { kind: 'basic', type: 'double' },
  string: { kind: 'basic', type: 'string' },
  ip: { kind: 'basic', type: 'ip' },
  time: { kind: 'basic', type: 'time' },
};
export const emptyRecordShape = (exact: boolean): RecordShape => ({ kind: 'record', fields: [], exact });

/** Options for `shapeOfJson`. */
export interface JsonInferOptions {
  /** Records must match key sets exactly (plain `json`); false inside lists regardless. */
  readonly exact: boolean;
}

/** Whether `s` is an IP address written the way vast prints it, so that typing it as ip loses nothing. */
export function isCanonicalIp(s: string): boolean {
  const n = s.length;
  if (n < 2 || n > 39) return false;
  if (s.indexOf(':') < 0) {
    // Dotted quads without leading zeros are canonical; parseIP rejects leading zeros.
    const c = s.charCodeAt(0);
    if (c < 48 || c > 57) return false;
    return parseIP(s) !== undefined;
  }
  const b = parseIP(s);
  return b !== undefined && formatIP(b) === s;
}

/** The shape of one decoded JSON value. */
export function shapeOfJson(v: unknown, opts: JsonInferOptions): Shape {
  if (v === null || v === undefined) return NULL_SHAPE;
  switch (typeof v) {
    case 'boolean':
      return BASIC.bool;
    case 'number':
      return Number.isSafeInteger(v) ? BASIC.int64 : BASIC.double;
    case 'bigint':
      return v <= INT64_MAX && v >= INT64_MIN
        ? BASIC.int64
        : v <= UINT64_MAX && v > 0n
          ? BASIC.uint64
          : BASIC.double;
    case 'string':
      return isCanonicalIp(v) ? BASIC.ip : BASIC.string;
    case 'object': {
      if (Array.isArray(v)) {
        let element: Shape = NULL_SHAPE;
        const inner = { exact: false };
        for (const x of v) element = unify(element, shapeOfJson(x, inner), false) ?? JSON_SHAPE;
        return { kind: 'list', element };
      }
      const fields: ShapeField[] = [];
      for (const k in v as Record<string, unknown>) {
        fields.push({ name: k, shape: shapeOfJson((v as Record<string, unknown>)[k], opts) });
      }
      return { kind: 'record', fields, exact: opts.exact };
    }
    default:
      return JSON_SHAPE;
  }
}

/**
 * Widens two shapes into one that holds the values of both. With `lossless`,
 * returns undefined instead of falling back to the `json` shape (text).
 * A typed (schema) side always wins: values that do not fit it are reported
 * by the reader, not absorbed by widening.
 */
export function unify(a: Shape, b: Shape, lossless: boolean): Shape | undefined {
  if (a === b) return a;
  if (a.kind === 'typed') return a;
  if (b.kind === 'typed') return b;
  if (a.kind === 'null') return b;
  if (b.kind === 'null') return a;
  if (a.kind === 'json' || b.kind === 'json') return lossless ? undefined : JSON_SHAPE;
  if (a.kind === 'basic' && b.kind === 'basic') {
    if (a.type === b.type) return a;
    const pair = `${a.type}+${b.type}`;
    if (pair === 'int64+double' || pair === 'double+int64') return BASIC.double;
    if (pair === 'uint64+double' || pair === 'double+uint64') return BASIC.double;
    if ((pair === 'int64+uint64' || pair === 'uint64+int64') && !lossless) return BASIC.double;
    if (pair === 'ip+string' || pair === 'string+ip' || pair === 'time+string' || pair === 'string+time')
      return BASIC.string;
    return lossless ? undefined : JSON_SHAPE;
  }
  if (a.kind === 'list' && b.kind === 'list') {
    const element = unify(a.element, b.element, lossless);
    if (!element) return undefined;
    return element === a.element ? a : { kind: 'list', element, typed: a.typed };
  }
  if (a.kind === 'record' && b.kind === 'record') return unifyRecords(a, b, lossless);
  return lossless ? undefined : JSON_SHAPE;
}

function unifyRecords(a: RecordShape, b: RecordShape, lossless: boolean): RecordShape | undefined {
  const fields = [...a.fields];
  let changed = false;
  for (const f of b.fields) {
    const i = fields.findIndex((x) => x.name === f.name);
    if (i < 0) {
      fields.push(f);
      changed = true;
      continue;
    }
    const u = unify(fields[i].shape, f.shape, lossless);
    if (!u) return undefined;
    if (u !== fields[i].shape) {
      fields[i] = { name: f.name, shape: u };
      changed = true;
    }
  }
  if (!changed) return a;
  return { kind: 'record', fields, exact: a.exact && b.exact, typed: a.typed || b.typed };
}

/**
 * The shape of a registry schema type: leaves are fixed (`typed`), records
 * and lists stay open so that extra keys can grow inside them.
 */
export function shapeFromType(t: VastType): Shape {
  if (t.kind === 'record')
    return {
      kind: 'record',
      fields: t.fields.map((f) => ({ name: f.name, shape: shapeFromType(f.type) })),
      exact: false,
      typed: true,
    };
  if (t.kind === 'list' && t.element.kind === 'record')
    return { kind: 'list', element: shapeFromType(t.element), typed: true };
  return { kind: 'typed', type: t };
}

/** The VAST type a shape is stored as. */
function shapeToType(s: Shape): VastType {
  switch (s.kind) {
    case 'null':
    case 'json':
      return basic('string');
    case 'basic':
      return basic(s.type);
    case 'typed':
      return s.type;
    case 'list':
      return { kind: 'list', element: shapeToType(s.element) };
    case 'record':
      return record(s.fields.map((f): RecordField => ({ name: f.name, type: shapeToType(f.shape) })));
  }
}

export function recordShapeToType(s: RecordShape): RecordType {
  return shapeToType(s) as RecordType;
}

/** A fingerprint of a shape: equal fingerprints mean one layout can hold both. */
export function shapeKey(s: Shape): string {
  switch (s.kind) {
    case 'null':
      return 'n';
    case 'json':
      return 'j';
    case 'basic':
      return s.type;
    case 'typed':
      return `t:${typeToKey(s.type)}`;
    case 'list':
      return `[${shapeKey(s.element)}]`;
    case 'record':
      return `${s.exact ? '{' : '{~'}${s.fields.map((f) => `${JSON.stringify(f.name)}:${shapeKey(f.shape)}`).join(',')}}`;
  }
}

function typeToKey(t: VastType): string {
  switch (t.kind) {
    case 'list':
      return `list<${typeToKey(t.element)}>`;
    case 'map':
      return `map<${typeToKey(t.key)},${typeToKey(t.value)}>`;
    case 'record':
      return `record{${t.fields.map((f) => `${JSON.stringify(f.name)}:${typeToKey(f.type)}`).join(',')}}`;
    default:
      return t.kind;
  }
}

/**
 * The key structure of a JSON object, independent of key order and values:
 * nested objects contribute their keys, arrays do not. Two events with equal
 * signatures can share an exact layout if their value types unify.
 */
export function keySignature(obj: Record<string, unknown>): string {
  const keys = Object.keys(obj).sort();
  let out = '{';
  for (const k of keys) {
    const v = obj[k];
    out += JSON.stringify(k);
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      out += keySignature(v as Record<string, unknown>);
    out += ',';
  }
  return `${out}}`;
}

// ---------------------------------------------------------------------------
// Text cells (CSV)

const INT_RE = /^[+-]?\d{1,19}$/;
const DOUBLE_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const TIME_RE = /^\d{4}-\d{2}-\d{2}[T +]\d{2}:\d{2}/;

/**
 * The kind of a (trimmed) text cell: `null` for an empty cell. Times are ISO
 * 8601 with a time of day; `+` is accepted between date and time, as Argus
 * writes it (`2009-11-18+09:00:03.914398`); no zone means UTC.
 */
export function inferCell(text: string): InferredKind | 'null' {
  if (text === '') return 'null';
  const c = text.charCodeAt(0);
  if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46) {
    if (INT_RE.test(text)) {
      if (text.length <= 18) return 'int64';
      const v = BigInt(text);
      if (v >= -(2n ** 63n) && v < 2n ** 63n) return 'int64';
      return 'double';
    }
    if (DOUBLE_RE.test(text)) return 'double';
    if (TIME_RE.test(text) && parseCellTime(text) !== undefined) return 'time';
  }
  if (
    text === 'true' ||
    text === 'false' ||
    text === 'TRUE' ||
    text === 'FALSE' ||
    text === 'True' ||
    text === 'False'
  )
    return 'bool';
  if (isCanonicalIp(text) || (text.indexOf(':') >= 0 && parseIP(text) !== undefined)) return 'ip';
  return 'string';
}

/** Parses a CSV time cell (see `inferCell`) into nanoseconds since the epoch. */
export function parseCellTime(text: string): bigint | undefined {
  const iso =
    text.length > 10 && text.charCodeAt(10) === 43 ? `${text.slice(0, 10)}T${text.slice(11)}` : text;
  return parseIsoTime(iso);
}

/** Unifies two cell kinds: int64 ∪ double = double; any other mix is string. */
export function unifyCells(a: InferredKind | 'null', b: InferredKind | 'null'): InferredKind | 'null' {
  if (a === b || b === 'null') return a;
  if (a === 'null') return b;
  if ((a === 'int64' && b === 'double') || (a === 'double' && b === 'int64')) return 'double';
  return 'string';
}
