/**
 * Zeek TSV log headers: the `#` directives that open every log, and the
 * mapping between Zeek type names and VAST types (both directions).
 *
 * A header looks like this (Zeek's ASCII writer, `LogAscii` defaults):
 *
 *     #separator \x09
 *     #set_separator	,
 *     #empty_field	(empty)
 *     #unset_field	-
 *     #path	conn
 *     #open	2014-05-23-18-02-04
 *     #fields	ts	uid	id.orig_h	...
 *     #types	time	string	addr	...
 *
 * and the log ends with `#close	<time>`. See
 * https://docs.zeek.org/en/master/logs/index.html and Zeek's
 * `src/logging/writers/ascii/Ascii.cc`.
 */
import { basic, type RecordField, type Schema, unflatten, type VastType } from '../../types/type.js';

/** The header directives this reader knows; any other `#` line is a data line. */
export type DirectiveName =
  | 'separator'
  | 'set_separator'
  | 'empty_field'
  | 'unset_field'
  | 'path'
  | 'open'
  | 'close'
  | 'fields'
  | 'types';

const DIRECTIVES: readonly DirectiveName[] = [
  'separator',
  'set_separator',
  'empty_field',
  'unset_field',
  'path',
  'open',
  'close',
  'fields',
  'types',
];

/**
 * The directive a line starts with, when it is one: `#name` followed by the end
 * of the line, a space (only `#separator` uses one) or the first byte of `sep`.
 */
export function directiveAt(b: Uint8Array, s: number, e: number, sep: number): DirectiveName | undefined {
  if (b[s] !== 35) return undefined; // '#'
  for (const name of DIRECTIVES) {
    const end = s + 1 + name.length;
    if (end > e) continue;
    let i = 0;
    while (i < name.length && b[s + 1 + i] === name.charCodeAt(i)) i++;
    if (i === name.length && (end === e || b[end] === 32 || b[end] === sep)) return name;
  }
  return undefined;
}

/** Zeek type names that map onto a basic VAST type. */
const BASIC_ZEEK: Record<string, VastType> = {
  bool: basic('bool'),
  count: basic('uint64'),
  int: basic('int64'),
  double: basic('double'),
  time: basic('time'),
  interval: basic('duration'),
  string: basic('string'),
  // Zeek logs `file`, `pattern` and `func` values as their text.
  file: basic('string'),
  pattern: basic('string'),
  func: basic('string'),
  addr: basic('ip'),
  subnet: basic('subnet'),
  port: basic('port'),
  enum: { kind: 'enum' },
};

const CONTAINER_RE = /^(set|vector|table)\[(.+)\]$/;

/**
 * The VAST type of a Zeek type name, or undefined when the name is unknown.
 * `set[T]`, `vector[T]` and `table[T]` all become `list<T>`: Bro 2.x writes
 * `table[...]` for sets. Zeek cannot log nested containers, so neither do we.
 */
function vastTypeOfZeek(name: string): VastType | undefined {
  const t = BASIC_ZEEK[name];
  if (t) return t;
  const m = CONTAINER_RE.exec(name);
  if (!m) return undefined;
  const element = BASIC_ZEEK[m[2]];
  return element ? { kind: 'list', element } : undefined;
}

/**
 * The Zeek type name for a VAST type, or undefined when Zeek has no word for it
 * (maps, nested lists, lists of records: the writer prints those as strings).
 * Lists become `vector[T]`: a VAST list is ordered and may repeat elements,
 * which is what a Zeek vector is.
 */
export function zeekTypeOf(t: VastType): string | undefined {
  switch (t.kind) {
    case 'bool':
      return 'bool';
    case 'int64':
      return 'int';
    case 'uint64':
      return 'count';
    case 'double':
      return 'double';
    case 'duration':
      return 'interval';
    case 'time':
      return 'time';
    case 'string':
      return 'string';
    case 'ip':
      return 'addr';
    case 'subnet':
      return 'subnet';
    case 'port':
      return 'port';
    case 'enum':
      return 'enum';
    case 'list': {
      const e = zeekTypeOf(t.element);
      return e && t.element.kind !== 'list' ? `vector[${e}]` : undefined;
    }
    case 'record':
    case 'map':
      return undefined;
  }
}

/** The separators and placeholders of the log being read, as bytes. */
export interface Separators {
  separator: Uint8Array;
  setSeparator: Uint8Array;
  emptyField: Uint8Array;
  unsetField: Uint8Array;
}

/** Zeek's defaults, used until a header says otherwise. */
export function defaultSeparators(): Separators {
  return {
    separator: Uint8Array.of(9),
    setSeparator: Uint8Array.of(44),
    emptyField: new TextEncoder().encode('(empty)'),
    unsetField: Uint8Array.of(45),
  };
}

/**
 * Decodes `\xHH` escapes in a header value (`#separator \x09`); other bytes
 * are kept. Zeek escapes non-printable bytes of header values this way.
 */
export function unescapeHeaderValue(b: Uint8Array, s: number, e: number): Uint8Array {
  const out: number[] = [];
  for (let i = s; i < e; i++) {
    if (b[i] === 92 && i + 3 < e && b[i + 1] === 120) {
      const hi = hexValue(b[i + 2]);
      const lo = hexValue(b[i + 3]);
      if (hi >= 0 && lo >= 0) {
        out.push((hi << 4) | lo);
        i += 3;
        continue;
      }
    }
    out.push(b[i]);
  }
  return Uint8Array.from(out);
}

/** The value of a hex digit byte, or -1. */
export function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const utf8 = new TextDecoder();

/**
 * Splits the value of a `#fields`/`#types` line, `b[v, e)`, at `sep`; `columns`
 * are the 1-based byte columns of the tokens in the line starting at `s`.
 */
export function splitTokens(
  b: Uint8Array,
  s: number,
  v: number,
  e: number,
  sep: Uint8Array,
): { tokens: string[]; columns: number[] } {
  const tokens: string[] = [];
  const columns: number[] = [];
  for (let t = v; v < e && t <= e; ) {
    let z = t;
    while (z < e && !(b[z] === sep[0] && equalsAt(b, z, sep))) z++;
    tokens.push(utf8.decode(b.subarray(t, z)));
    columns.push(t - s + 1);
    t = z + sep.length;
  }
  return { tokens, columns };
}

/** Whether `b` holds `pattern` at `s`. */
export function equalsAt(b: Uint8Array, s: number, pattern: Uint8Array): boolean {
  for (let i = 0; i < pattern.length; i++) if (b[s + i] !== pattern[i]) return false;
  return true;
}

/** One `#fields`/`#types` column: its name, Zeek type text, and where it stood in the header. */
export interface HeaderColumn {
  readonly name: string;
  readonly zeekType: string;
  readonly type: VastType;
}

/** A problem with a header, pointing at the directive line and the offending token. */
export interface HeaderProblem {
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

/**
 * The `#fields` and `#types` lines of one log, as collected by the reader:
 * the tokens with their byte columns, so that problems point at the token.
 */
export interface FieldsAndTypes {
  path: string | undefined;
  fields: string[] | undefined;
  fieldColumns: number[];
  fieldsLine: number;
  types: string[] | undefined;
  typeColumns: number[];
  typesLine: number;
}

/**
 * Checks a header and builds the schema it describes, or says what is wrong.
 * Dotted field names (`id.orig_h`) become nested records; the schema name is
 * `zeek.<#path>` (or `nameOverride`), and `ts` is the timestamp when present.
 */
export function schemaOfHeader(
  h: FieldsAndTypes,
  nameOverride: string | undefined,
): { schema: Schema; columns: HeaderColumn[] } | { problem: HeaderProblem } {
  if (!h.fields) {
    const line = h.typesLine || 0;
    return { problem: { message: 'missing #fields header line', line, column: 1 } };
  }
  if (!h.types) return { problem: { message: 'missing #types header line', line: h.fieldsLine, column: 1 } };
  if (h.fields.length === 0)
    return { problem: { message: 'empty #fields header line', line: h.fieldsLine, column: 1 } };
  if (h.fields.length !== h.types.length) {
    return {
      problem: {
        message: `#types lists ${h.types.length} types but #fields lists ${h.fields.length} fields`,
        line: h.typesLine,
        column: 1,
      },
    };
  }
  const columns: HeaderColumn[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < h.fields.length; i++) {
    const name = h.fields[i];
    const zeekType = h.types[i];
    const type = vastTypeOfZeek(zeekType);
    if (!type) {
      const message = `unknown Zeek type '${zeekType}' for field '${name}'`;
      return { problem: { message, line: h.typesLine, column: h.typeColumns[i] } };
    }
    const bad = name === '' || name.startsWith('.') || name.endsWith('.') || name.includes('..');
    if (bad || seen.has(name)) {
      const message = bad ? `invalid field name '${name}'` : `duplicate field name '${name}'`;
      return { problem: { message, line: h.fieldsLine, column: h.fieldColumns[i] } };
    }
    seen.add(name);
    columns.push({ name, zeekType, type });
  }
  // A field may not also be a record (`a` next to `a.b`): the record would shadow it.
  for (let i = 0; i < columns.length; i++) {
    const parts = columns[i].name.split('.');
    for (let j = 1; j < parts.length; j++) {
      const prefix = parts.slice(0, j).join('.');
      if (seen.has(prefix)) {
        const message = `field '${prefix}' clashes with record field '${columns[i].name}'`;
        return { problem: { message, line: h.fieldsLine, column: h.fieldColumns[i] } };
      }
    }
  }
  const flat: RecordField[] = columns.map((c) => ({ name: c.name, type: c.type }));
  const name = nameOverride ?? `zeek.${h.path ?? 'unknown'}`;
  const tsColumn = columns.find((c) => c.name === 'ts');
  const timestamp = tsColumn?.type.kind === 'time' ? 'ts' : undefined;
  return { schema: { name, type: unflatten(flat), timestamp }, columns };
}

/** Zeek's `#open`/`#close` timestamp format, `%Y-%m-%d-%H-%M-%S` in local time (as Zeek writes it). */
export function zeekHeaderTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}`;
}
