/**
 * The expression lexer. Values are recognised here, in one place, because
 * their shapes overlap and only the whole token decides: `10.0.0.1` is an
 * address but `id.orig_h` a field, `1.5h` a duration but `1.5` a double,
 * `2020-01-01` a time (there is no subtraction of numbers), `443/tcp` a port
 * but `10.0.0.0/8` a subnet, `::1` an address but `:ip` a type extractor, and
 * `/` at the start of a token always opens a pattern (there is no division).
 *
 * The lexer never stops at a bad token: it records a Problem, emits a token
 * that keeps the parser going (an `error` token where a value was meant, the
 * likely operator for an unknown one), and continues, so one pass reports
 * every lexical error.
 */
import { parseDuration } from '../types/duration.js';
import { parseIP } from '../types/ip.js';
import { parseType } from '../types/parse-type.js';
import { parseSubnet } from '../types/subnet.js';
import { parseIsoTime } from '../types/time.js';
import { typeToString } from '../types/type.js';
import { type Literal, type MetaName, PORT_PROTOCOLS, type RelOp } from './ast.js';
import {
  EXPECTED_TYPE_NAME,
  INTEGER_OUT_OF_RANGE,
  INVALID_ESCAPE,
  INVALID_FIELD_NAME,
  INVALID_IP,
  INVALID_PATTERN_FLAGS,
  INVALID_PORT,
  INVALID_REGEX,
  INVALID_SUBNET,
  INVALID_SUBNET_LENGTH,
  INVALID_TIME,
  INVALID_TYPE,
  INVALID_VALUE,
  NOTE_USE_AND,
  NOTE_USE_EQ,
  NOTE_USE_EQ_PATTERN,
  NOTE_USE_NE,
  NOTE_USE_OR,
  PATTERN_NOT_LINEAR,
  type Problem,
  UNKNOWN_DURATION_UNIT,
  UNKNOWN_META,
  UNKNOWN_OPERATOR,
  UNKNOWN_PORT_PROTOCOL,
  UNKNOWN_TOKEN,
  UNTERMINATED_PATTERN,
  UNTERMINATED_STRING,
} from './errors.js';
import { patternLimitViolation } from './kernels/pattern.js';

type TokenKind =
  | 'lparen'
  | 'rparen'
  | 'lbracket'
  | 'rbracket'
  | 'comma'
  /** `==` `!=` `<` `<=` `>` `>=` `!in` `!ni`; the words `in`, `ni`, `not in` are `word`s. */
  | 'relop'
  /** `&&` */
  | 'and'
  /** `||` */
  | 'or'
  /** `!` */
  | 'bang'
  /** `|` between pipeline stages (only when lexing a query, see `LexOptions.pipeline`). */
  | 'pipe'
  /** A lone `=` naming an operator argument (`rename a=b`; only when lexing a query). */
  | 'assign'
  /** A `+` or `-` not directly followed by a digit (`now - 1h`). */
  | 'plus'
  | 'minus'
  /** A field name or a keyword (`true`, `in`, `now`, `ago`, ...): `name` holds the text. */
  | 'word'
  /** A type extractor `:ip`: `name` holds the normalised type name. */
  | 'type'
  /** A meta extractor `#schema`: `name` holds the normalised meta name. */
  | 'meta'
  /** A literal value: `literal` holds it. */
  | 'value'
  /** A malformed token that was already reported; the parser treats it as a value. */
  | 'error'
  | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** 0-based offsets `[start, end)` into the text. */
  readonly start: number;
  readonly end: number;
  /** The source text of the token. */
  readonly text: string;
  readonly op?: RelOp;
  readonly name?: string;
  readonly literal?: Literal;
  /** A relop written as VAST 2's `~` / `!~`: its right operand must be a pattern. */
  readonly match?: boolean;
}

export interface LexOptions {
  /**
   * Lex a whole query `EXPR | op args | ...`: a lone `|` is a `pipe` token and
   * a lone `=` an `assign` token instead of mistyped `||` and `==`.
   */
  readonly pipeline?: boolean;
}

export interface LexResult {
  /** Always ends with one `eof` token, placed right after the last token. */
  readonly tokens: Token[];
  readonly problems: Problem[];
}

const WORD_RE = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/y;
/** A run that may be an IPv6 address (checked further: it needs two colons). */
const HEX_RUN_RE = /[0-9A-Fa-f:.]+/y;
const TIME_RE = /\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?/y;
const IPV4_RUN_RE = /\d+(?:\.\d+){2,}/y;
const NUMBER_RE = /[+-]?\d+(\.\d+)?([eE][+-]?\d+)?/y;
const LETTERS_RE = /[A-Za-z]+/y;
/**
 * A unit word separated by blanks from its number: `1 day ago`, `in 2 days`.
 * Single-letter units must be glued (`5m`), or `x == 1 y == 2` would read `1 y` as a year.
 */
const SPACED_UNIT_RE = /[ \t\r\n]+([A-Za-z]{2,})(?![A-Za-z0-9_.])/y;
const SUBNET_LENGTH_RE = /\/(\d+)/y;
const PORT_PROTO_RE = /\/([A-Za-z0-9]+|\?)/y;
/** What may not directly follow a value: it would make the token something else. */
const JUNK_RE = /[A-Za-z0-9_.:]+/y;
const DASHED_NAME_RE = /[A-Za-z0-9_.-]+/y;

const META: Record<string, MetaName> = {
  schema: 'schema',
  type: 'schema',
  import_time: 'import_time',
  field: 'field',
};
/**
 * VAST 2's count suffixes: SI (`1k` = 1000, `2M`) and binary (`1Ki` = 1024, `3Gi`).
 * Upper-case `M` is mega; lower-case `m` stays the minute of a duration.
 */
const SI_SUFFIXES: Readonly<Record<string, bigint>> = {
  k: 10n ** 3n,
  M: 10n ** 6n,
  G: 10n ** 9n,
  T: 10n ** 12n,
  P: 10n ** 15n,
  E: 10n ** 18n,
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
const MAX_INT64 = (1n << 63n) - 1n;
const MAX_UINT64 = (1n << 64n) - 1n;

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isWordStart = (c: string | undefined) =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_');
const isWordChar = (c: string | undefined) => isWordStart(c) || isDigit(c);
const isHex = (c: string | undefined) => c !== undefined && /[0-9A-Fa-f]/.test(c);
/** Characters that start some token; an unknown token ends before one. */
const TOKEN_STARTS = '()[],"\'/#:&|=!<>~+-';
const isBlank = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

function match(re: RegExp, text: string, pos: number): RegExpExecArray | null {
  re.lastIndex = pos;
  return re.exec(text);
}

/** Splits `text` into tokens; see the module comment for the error strategy. */
export function tokenize(text: string, opts: LexOptions = {}): LexResult {
  return new Lexer(text, opts.pipeline === true).run();
}

class Lexer {
  private pos = 0;
  private readonly tokens: Token[] = [];
  private readonly problems: Problem[] = [];

  constructor(
    private readonly text: string,
    private readonly pipeline: boolean,
  ) {}

  run(): LexResult {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t[this.pos];
      if (isBlank(c)) {
        this.pos++;
        continue;
      }
      this.next(c);
    }
    const last = this.tokens[this.tokens.length - 1];
    const end = last ? last.end : 0;
    this.tokens.push({ kind: 'eof', start: end, end, text: '' });
    return { tokens: this.tokens, problems: this.problems };
  }

  private push(kind: TokenKind, start: number, end: number, extra: Partial<Token> = {}) {
    this.tokens.push({ kind, start, end, text: this.text.slice(start, end), ...extra });
    this.pos = end;
  }

  private problem(offset: number, message: string, notes?: string[]) {
    this.problems.push(notes ? { offset, message, notes } : { offset, message });
  }

  /** Reports a malformed token and emits it as an `error` token. */
  private bad(start: number, end: number, message: string) {
    this.problem(start, message);
    this.push('error', start, end);
  }

  private value(start: number, end: number, literal: Literal) {
    // A value glued to more name-like characters (`10.0.0.1x`, `5:30`) is one bad token.
    const junk = match(JUNK_RE, this.text, end);
    if (junk) {
      const all = junk.index + junk[0].length;
      this.bad(start, all, INVALID_VALUE(this.text.slice(start, all)));
      return;
    }
    this.push('value', start, end, { literal });
  }

  private next(c: string) {
    const t = this.text;
    const p = this.pos;
    const c1 = t[p + 1];
    switch (c) {
      case '(':
        return this.push('lparen', p, p + 1);
      case ')':
        return this.push('rparen', p, p + 1);
      case '[':
        return this.push('lbracket', p, p + 1);
      case ']':
        return this.push('rbracket', p, p + 1);
      case ',':
        return this.push('comma', p, p + 1);
      case '"':
      case "'":
        return this.string(c);
      case '/':
        return this.pattern();
      case '#':
        return this.meta();
      case ':':
        return c1 === ':' ? this.hexStart() : this.typeExtractor();
      case '&':
        if (c1 === '&') return this.push('and', p, p + 2);
        this.problem(p, UNKNOWN_OPERATOR('&'), [NOTE_USE_AND]);
        return this.push('and', p, p + 1);
      case '|':
        if (c1 === '|') return this.push('or', p, p + 2);
        if (this.pipeline) return this.push('pipe', p, p + 1);
        this.problem(p, UNKNOWN_OPERATOR('|'), [NOTE_USE_OR]);
        return this.push('or', p, p + 1);
      case '=':
      case '!':
      case '<':
      case '>':
      case '~':
        return this.operator(c);
      case '+':
      case '-':
        if (isDigit(c1)) return this.number(p);
        return this.push(c === '+' ? 'plus' : 'minus', p, p + 1);
    }
    if (isDigit(c)) return this.digitStart();
    if (isWordStart(c)) return this.hexStart();
    // Anything else: one bad token up to the next blank or structural character.
    let end = p + 1;
    while (end < t.length && !isBlank(t[end]) && !isWordChar(t[end]) && !TOKEN_STARTS.includes(t[end])) end++;
    this.bad(p, end, UNKNOWN_TOKEN(t.slice(p, end)));
  }

  private operator(c: string) {
    const t = this.text;
    const p = this.pos;
    const c1 = t[p + 1];
    const unknown = (len: number, op: RelOp, note: string) => {
      this.problem(p, UNKNOWN_OPERATOR(t.slice(p, p + len)), [note]);
      this.push('relop', p, p + len, { op });
    };
    // VAST 2's match operators: `x ~ /re/` is `x == /re/`, `x !~ /re/` is `x != /re/`
    // (the parser insists on a pattern operand).
    if (c === '~') return this.push('relop', p, p + 1, { op: '==', match: true });
    if (c === '=') {
      if (c1 === '=')
        return t[p + 2] === '=' ? unknown(3, '==', NOTE_USE_EQ) : this.push('relop', p, p + 2, { op: '==' });
      if (c1 === '~') return unknown(2, '==', NOTE_USE_EQ_PATTERN);
      if (this.pipeline) return this.push('assign', p, p + 1);
      return unknown(1, '==', NOTE_USE_EQ);
    }
    if (c === '!') {
      if (c1 === '=')
        return t[p + 2] === '=' ? unknown(3, '!=', NOTE_USE_NE) : this.push('relop', p, p + 2, { op: '!=' });
      if (c1 === '~') return this.push('relop', p, p + 2, { op: '!=', match: true });
      const w = t.slice(p + 1, p + 3);
      if ((w === 'in' || w === 'ni') && !isWordChar(t[p + 3]))
        return this.push('relop', p, p + 3, { op: `!${w}` as RelOp });
      return this.push('bang', p, p + 1);
    }
    const op = (c1 === '=' ? `${c}=` : c) as RelOp;
    this.push('relop', p, p + op.length, { op });
  }

  /** A word, or an IPv6 address that starts with a letter or `::` (`fe80::1`, `::1`). */
  private hexStart() {
    if (this.ipv6()) return;
    const t = this.text;
    const p = this.pos;
    const m = match(WORD_RE, t, p);
    if (!m) return this.bad(p, p + 1, UNKNOWN_TOKEN(t[p]));
    const end = p + m[0].length;
    // `foo-bar` (a JSON key, say) is one bad name, not `foo - bar`; `now-1h` is fine.
    if ((t[end] === '-' && isWordStart(t[end + 1])) || (t[end] === '.' && !isWordStart(t[end + 1]))) {
      const d = match(DASHED_NAME_RE, t, p)!;
      this.problem(p, INVALID_FIELD_NAME(d[0]));
      return this.push('word', p, p + d[0].length, { name: d[0] });
    }
    this.push('word', p, end, { name: m[0] });
  }

  /** Tries an IPv6 address or subnet at `pos`; returns false (consuming nothing) if the text is none. */
  private ipv6(): boolean {
    const t = this.text;
    const p = this.pos;
    const m = match(HEX_RUN_RE, t, p);
    if (!m) return false;
    const run = m[0];
    const colons = run.split(':').length - 1;
    if (colons < 2 || !(run.startsWith('::') || isHex(run[0]))) return false;
    this.address(p, p + run.length);
    return true;
  }

  /** An address `[start, end)` (v4 or v6), possibly followed by `/length`. */
  private address(start: number, end: number) {
    const t = this.text;
    const addrText = t.slice(start, end);
    const bytes = parseIP(addrText);
    const len = match(SUBNET_LENGTH_RE, t, end);
    const last = len ? end + len[0].length : end;
    if (!bytes) {
      // Report the bad address; keep its length in the token so nothing cascades.
      this.problem(start, INVALID_IP(addrText));
      return this.push('error', start, last);
    }
    if (!len) return this.value(start, end, { type: 'ip', bytes });
    const max = addrText.includes(':') ? 128 : 32;
    if (Number(len[1]) > max || len[1].length > 3) {
      this.problem(end + 1, INVALID_SUBNET_LENGTH(len[1], max));
      return this.push('error', start, last);
    }
    const net = parseSubnet(t.slice(start, last))!;
    this.value(start, last, { type: 'subnet', bytes: net.address, length: net.length });
  }

  private digitStart() {
    const t = this.text;
    const p = this.pos;
    const time = match(TIME_RE, t, p);
    if (time) {
      const end = p + time[0].length;
      const ns = parseIsoTime(time[0]);
      if (ns === undefined) return this.bad(p, end, INVALID_TIME(time[0]));
      return this.value(p, end, { type: 'time', ns });
    }
    if (this.ipv6()) return;
    const v4 = match(IPV4_RUN_RE, t, p);
    if (v4) return this.address(p, p + v4[0].length);
    this.number(p);
  }

  /** Integers, doubles, durations (`1.5h`, `2 days`) and ports (`443/tcp`), with an optional sign. */
  private number(p: number) {
    const t = this.text;
    const m = match(NUMBER_RE, t, p)!;
    const num = m[0];
    const end = p + num.length;
    const signed = num[0] === '+' || num[0] === '-';
    const [, frac, exp] = m;
    const letters = match(LETTERS_RE, t, end);
    if (letters) {
      const unitEnd = end + letters[0].length;
      if (exp) return this.value(p, end, { type: 'double', value: Number(num) }); // reports the glued letters
      const scale = SI_SUFFIXES[letters[0]];
      if (scale !== undefined && !frac) return this.integer(p, unitEnd, num, BigInt(num) * scale);
      const ns = parseDuration(num + letters[0]);
      if (ns === undefined) {
        this.problem(end, UNKNOWN_DURATION_UNIT(letters[0]));
        return this.push('error', p, unitEnd);
      }
      return this.value(p, unitEnd, { type: 'duration', ns });
    }
    if (t[end] === '/' && !signed && !frac && !exp) {
      const proto = match(PORT_PROTO_RE, t, end);
      if (proto) return this.port(p, end, proto[1]);
    }
    if (!exp) {
      const spaced = match(SPACED_UNIT_RE, t, end);
      const ns = spaced ? parseDuration(num + spaced[1]) : undefined;
      if (spaced && ns !== undefined) return this.value(p, end + spaced[0].length, { type: 'duration', ns });
    }
    if (frac || exp) return this.value(p, end, { type: 'double', value: Number(num) });
    this.integer(p, end, num, BigInt(num));
  }

  /** An integer `[p, end)` of `value`: signed ones are int64, others uint64 (VAST's count). */
  private integer(p: number, end: number, num: string, value: bigint) {
    const signed = num[0] === '+' || num[0] === '-';
    const type = signed ? 'int64' : 'uint64';
    if (signed ? value < -MAX_INT64 - 1n || value > MAX_INT64 : value > MAX_UINT64)
      return this.bad(p, end, INTEGER_OUT_OF_RANGE(this.text.slice(p, end), type));
    this.value(p, end, { type, value });
  }

  private port(p: number, numEnd: number, proto: string) {
    const t = this.text;
    const end = numEnd + 1 + proto.length;
    const text = t.slice(p, end);
    if (isDigit(proto[0])) return this.bad(p, end, INVALID_SUBNET(text));
    const port = Number(t.slice(p, numEnd));
    if (port > 65535) return this.bad(p, end, INVALID_PORT(text));
    if (proto === '?') return this.value(p, end, { type: 'port', port });
    if (!(PORT_PROTOCOLS as readonly string[]).includes(proto)) {
      this.problem(numEnd + 1, UNKNOWN_PORT_PROTOCOL(proto));
      return this.push('error', p, end);
    }
    this.value(p, end, { type: 'port', port, proto });
  }

  private typeExtractor() {
    const t = this.text;
    const p = this.pos;
    const m = match(WORD_RE, t, p + 1);
    if (!m) return this.bad(p, p + 1, EXPECTED_TYPE_NAME);
    const end = p + 1 + m[0].length;
    // `:list<ip>`, `:map<string, count>`: a glued `<` after a container is its parameters, not
    // the operator (ordering lists makes no sense). The name is the canonical type text.
    if ((m[0] === 'list' || m[0] === 'map') && t[end] === '<') {
      let depth = 0;
      let k = end;
      for (; k < t.length; k++) {
        if (t[k] === '<') depth++;
        else if (t[k] === '>' && --depth === 0) break;
      }
      const full = t.slice(p + 1, k + 1);
      if (k >= t.length) return this.bad(p, t.length, INVALID_TYPE(full));
      try {
        return this.push('type', p, k + 1, { name: typeToString(parseType(full)) });
      } catch {
        return this.bad(p, k + 1, INVALID_TYPE(full));
      }
    }
    this.push('type', p, end, { name: canonicalTypeName(m[0]) });
  }

  private meta() {
    const t = this.text;
    const p = this.pos;
    const m = match(/[A-Za-z_][A-Za-z0-9_]*/y, t, p + 1);
    const end = p + 1 + (m ? m[0].length : 0);
    const name = m ? META[m[0]] : undefined;
    if (!name) return this.bad(p, end, UNKNOWN_META(t.slice(p, end)));
    this.push('meta', p, end, { name });
  }

  private string(quote: string) {
    const t = this.text;
    const start = this.pos;
    let out = '';
    let i = start + 1;
    let ok = true;
    while (i < t.length && t[i] !== quote) {
      if (t[i] !== '\\') {
        out += t[i++];
        continue;
      }
      const esc = decodeEscape(t, i);
      if (esc.value === undefined) {
        this.problem(i, INVALID_ESCAPE(t.slice(i, esc.end)));
        ok = false;
      } else out += esc.value;
      i = esc.end;
    }
    if (i >= t.length) return this.bad(start, t.length, UNTERMINATED_STRING);
    this.push(ok ? 'value' : 'error', start, i + 1, { literal: { type: 'string', value: out } });
  }

  private pattern() {
    const t = this.text;
    const start = this.pos;
    let i = start + 1;
    let inClass = false;
    // A `/` inside a character class does not end the pattern, as in JavaScript.
    for (; i < t.length; i++) {
      const c = t[i];
      if (c === '\\') i++;
      else if (c === '[') inClass = true;
      else if (c === ']') inClass = false;
      else if (c === '/' && !inClass) break;
    }
    if (i >= t.length) return this.bad(start, t.length, UNTERMINATED_PATTERN);
    const source = t.slice(start + 1, i);
    const flags = match(/[A-Za-z]*/y, t, i + 1)![0];
    const end = i + 1 + flags.length;
    let ok = true;
    if (flags !== '' && flags !== 'i') {
      this.problem(i + 1, INVALID_PATTERN_FLAGS(flags));
      ok = false;
    }
    const why = regexError(source);
    if (why !== undefined) {
      this.problem(start, INVALID_REGEX(why));
      ok = false;
    } else {
      const at = nonLinearConstruct(source);
      const limit = at >= 0 ? undefined : patternLimitViolation(source);
      if (at >= 0) {
        this.problem(start + 1 + at, PATTERN_NOT_LINEAR);
        ok = false;
      } else if (limit) {
        this.problem(start + 1 + limit.at, limit.message);
        ok = false;
      }
    }
    if (!ok) return this.push('error', start, end);
    this.value(start, end, { type: 'pattern', source, caseInsensitive: flags === 'i' });
  }
}

/** Decodes the escape at `t[i] === '\\'`; `value` is undefined for an invalid escape. */
function decodeEscape(t: string, i: number): { value?: string; end: number } {
  const c = t[i + 1];
  const simple: Record<string, string> = {
    '\\': '\\',
    '"': '"',
    "'": "'",
    '/': '/',
    n: '\n',
    t: '\t',
    r: '\r',
    '0': '\0',
  };
  if (c === undefined) return { end: i + 1 };
  if (c in simple) return { value: simple[c], end: i + 2 };
  if (c === 'x') {
    const m = match(/[0-9A-Fa-f]{2}/y, t, i + 2);
    return m ? { value: String.fromCharCode(Number.parseInt(m[0], 16)), end: i + 4 } : { end: i + 2 };
  }
  if (c === 'u') {
    const braced = match(/\{([0-9A-Fa-f]{1,6})\}/y, t, i + 2);
    if (braced) {
      const cp = Number.parseInt(braced[1], 16);
      return cp <= 0x10ffff
        ? { value: String.fromCodePoint(cp), end: i + 2 + braced[0].length }
        : { end: i + 2 };
    }
    const four = match(/[0-9A-Fa-f]{4}/y, t, i + 2);
    return four ? { value: String.fromCharCode(Number.parseInt(four[0], 16)), end: i + 6 } : { end: i + 2 };
  }
  return { end: i + 2 };
}

/** Why `source` is not a valid pattern (the `RegExp` message, in lower case), or undefined. */
function regexError(source: string): string | undefined {
  try {
    new RegExp(source, 'u');
    return undefined;
  } catch (e) {
    // V8: "Invalid regular expression: /(/u: Unterminated group"; keep the reason.
    const msg = e instanceof Error ? e.message : String(e);
    const reason = /: \/.*\/[a-z]*: (.*)$/s.exec(msg)?.[1] ?? msg;
    return reason.charAt(0).toLowerCase() + reason.slice(1);
  }
}

/**
 * Index in `source` of the first backreference (`\1`, `\k<name>`) or
 * lookaround (`(?=`, `(?!`, `(?<=`, `(?<!`), or -1. These need backtracking;
 * everything else compiles to an automaton (RE2 semantics).
 */
export function nonLinearConstruct(source: string): number {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const n = source[i + 1];
      if (!inClass && ((n >= '1' && n <= '9') || n === 'k')) return i;
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') inClass = true;
    else if (c === '(' && source[i + 1] === '?') {
      const a = source[i + 2];
      if (a === '=' || a === '!' || (a === '<' && (source[i + 3] === '=' || source[i + 3] === '!'))) return i;
    }
  }
  return -1;
}

/** `count` → `uint64`, `addr` → `ip`, ...; names that are no basic type stay as written. */
function canonicalTypeName(name: string): string {
  try {
    return parseType(name).kind;
  } catch {
    // Not a complete built-in type: `list`, `record`, `map` or a user alias.
    return name;
  }
}
