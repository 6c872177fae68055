/**
 * Error messages of the expression lexer and parser, collected as super's
 * ErrorList does (every problem found in one pass), and their diagnostics,
 * which carry their source line so that the one renderer (diagnostics/render.ts)
 * shows them with carets.
 */
import {
  type Diagnostic,
  errorDiagnostic,
  locate,
  renderDiagnostics,
  spanIn,
  VastError,
} from '../diagnostics.js';

// Lexical errors.
export const UNKNOWN_TOKEN = (t: string) => `unknown token '${t}'`;
export const UNTERMINATED_STRING = 'unterminated string';
export const INVALID_ESCAPE = (e: string) => `invalid escape sequence '${e}'`;
export const UNTERMINATED_PATTERN = 'unterminated pattern';
export const INVALID_PATTERN_FLAGS = (f: string) => `invalid pattern flags '${f}' (only 'i' is supported)`;
export const INVALID_REGEX = (why: string) => `invalid regular expression: ${why}`;
export const PATTERN_NOT_LINEAR =
  'pattern uses a backreference/lookaround, which is not supported (patterns must run in linear time)';
export const INVALID_IP = (t: string) => `invalid IP address '${t}'`;
export const INVALID_SUBNET_LENGTH = (t: string, max: number) =>
  `invalid subnet length '${t}' (expected 0 to ${max})`;
export const INVALID_SUBNET = (t: string) =>
  `invalid subnet '${t}' (the address must be a full IPv4 or IPv6 address)`;
export const INVALID_TIME = (t: string) => `invalid time '${t}'`;
export const UNKNOWN_DURATION_UNIT = (unit: string) =>
  `unknown duration unit '${unit}' (expected ns, us, ms, s, min, h, d, w or y)`;
export const INTEGER_OUT_OF_RANGE = (t: string, type: string) => `integer '${t}' is out of range for ${type}`;
export const INVALID_PORT = (t: string) => `invalid port '${t}' (expected 0 to 65535)`;
export const UNKNOWN_PORT_PROTOCOL = (p: string) =>
  `unknown port protocol '${p}' (expected tcp, udp, icmp, icmp6, sctp or ?)`;
export const INVALID_VALUE = (t: string) => `invalid value '${t}'`;
export const INVALID_FIELD_NAME = (t: string) =>
  `invalid field name '${t}' (names are letters, digits and '_', joined by '.')`;
export const UNKNOWN_OPERATOR = (op: string) => `unknown operator '${op}'`;
export const INVALID_TYPE = (t: string) => `invalid type '${t}'`;
export const EXPECTED_TYPE_NAME = "expected a type name after ':'";
export const UNKNOWN_META = (m: string) =>
  `unknown meta extractor '${m}' (expected #schema, #type, #import_time, #field)`;

// Syntax errors.
export const EXPECTED_EXPRESSION = 'expected an expression';
export const EXPECTED_EXPRESSION_AFTER = (t: string) => `expected an expression after '${t}'`;
export const UNEXPECTED = (t: string) => `unexpected '${t}'`;
export const EXPECTED_OPERATOR = (operand: string) => `expected an operator after '${operand}'`;
export const EXPECTED_VALUE_AFTER = (op: string) => `expected a value after '${op}'`;
export const EXPECTED_DURATION_AFTER = (t: string) => `expected a duration after '${t}'`;
export const EXPECTED_RPAREN = "expected ')'";
export const TOO_DEEP = (max: number) =>
  `expression nested too deeply (more than ${max} levels of '(', '!' and '[')`;
export const TOO_MANY_CONNECTIVES = (max: number) =>
  `expression too long (more than ${max} '&&' and '||'; for many values, use 'in [a, b, ...]')`;
export const EXPECTED_LIST_ITEM = (found: string) => `expected a value in the list, found '${found}'`;
export const EXPECTED_RBRACKET = "expected ']'";
export const EXPECTED_COMMA_OR_RBRACKET = "expected ',' or ']'";
export const MATCH_NEEDS_PATTERN = (op: string) => `'${op}' needs a pattern on its right (x ${op} /re/)`;
export const EXPECTED_RECORD_ITEM = (t: string) =>
  t === '' ? "expected a value or '_' in the record" : `expected a value or '_' in the record, got '${t}'`;
export const EXPECTED_COMMA_OR_RANGLE = "expected ',' or '>' in the record";
export const PATTERN_OPERATOR = (op: string) =>
  `a pattern cannot be used with '${op}' (use ==, !=, in or !in)`;

// Notes.
export const NOTE_MISSING_CONNECTIVE = "combine predicates with '&&' or '||'";
export const NOTE_USE_EQ_PATTERN = 'to match a pattern, write x == /re/';
export const NOTE_USE_EQ = "to compare, write '=='";
export const NOTE_USE_NE = "to compare, write '!='";
export const NOTE_USE_AND = "did you mean '&&'?";
export const NOTE_USE_OR = "did you mean '||'?";
export const NOTE_QUOTE_STRING = 'strings must be quoted';
export const NOTE_OPENED_AT = (bracket: string, where: string) =>
  `the '${bracket}' at ${where} is still open`;
export const NOTE_END_OF_INPUT = 'reached the end of the expression';

/** At most this many problems are reported for one expression. */
export const MAX_PROBLEMS = 20;

/** The source name of expressions and pipelines in diagnostics: `--> query:1:5`. */
export const QUERY_SOURCE = 'query';

/** A problem found while lexing or parsing, before it becomes a Diagnostic. */
export interface Problem {
  /** 0-based UTF-16 offset into the expression text. */
  readonly offset: number;
  /** UTF-16 units the problem spans; absent: one. */
  readonly length?: number;
  readonly message: string;
  readonly notes?: readonly string[];
}
/** 1-based line and column of a text offset (the one `locate` of diagnostics). */

/** `1:5`, for messages that refer to another place in the text. */
export function where(text: string, offset: number): string {
  const { line, column } = locate(text, offset);
  return `${line}:${column}`;
}

/** The diagnostic of a problem in the query `text`, with its source line. */
export function toDiagnostic(text: string, p: Problem): Diagnostic {
  return errorDiagnostic(p.message, { ...spanIn(QUERY_SOURCE, text, p.offset, p.length), notes: p.notes });
}

/** Sorts by position and drops a second problem at the same offset (a cascade of the first). */
export function settle(problems: readonly Problem[]): Problem[] {
  const sorted = [...problems].sort((a, b) => a.offset - b.offset);
  const out: Problem[] = [];
  for (const p of sorted) {
    if (out.length > 0 && out[out.length - 1].offset === p.offset) continue;
    out.push(p);
    if (out.length === MAX_PROBLEMS) break;
  }
  return out;
}

/** Thrown by `mustParseExpression` and query preparation; `message` is the rendered diagnostics. */
export class ExpressionError extends VastError {
  constructor(
    readonly text: string,
    diagnostics: readonly Diagnostic[],
  ) {
    super(renderDiagnostics(diagnostics), diagnostics);
    this.name = 'ExpressionError';
  }
}
