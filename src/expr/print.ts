/**
 * Canonical text of an expression: `parseExpression(printExpression(e))`
 * gives back `e` (spans aside) for every expression the parser produces. The
 * text goes across the federation (DESIGN principle 6), so it must be exact:
 * integers keep their sign convention (`5` is uint64, `+5` int64), doubles
 * always show a fraction or exponent, durations use the shortest exact unit.
 *
 * Style: `&&`, `||`, `!` (never the words), parentheses only where
 * precedence or associativity needs them, a negated predicate in
 * parentheses for readability (`!(x == 1)`), relative times as written.
 */
import { formatIP } from '../types/ip.js';
import { formatSubnet } from '../types/subnet.js';
import { formatTime } from '../types/time.js';
import { unreachable } from '../types/type.js';
import type { Expr, Literal, Operand } from './ast.js';

/** Prints an expression canonically; see the module comment. */
export function printExpression(expr: Expr): string {
  switch (expr.kind) {
    case 'or':
    case 'and': {
      const p = precedence(expr);
      // Left-associative: a same-precedence child needs parentheses only on the right.
      const left = wrap(expr.left, precedence(expr.left) < p);
      const right = wrap(expr.right, precedence(expr.right) <= p);
      return `${left} ${expr.kind === 'and' ? '&&' : '||'} ${right}`;
    }
    case 'not': {
      const inner = expr.expr;
      if (inner.kind === 'true') return 'false';
      const text = printExpression(inner);
      // `!in 2 days` would lex as the operator `!in`: parenthesise a value that starts with a word.
      const bare = inner.kind === 'not' || (inner.kind === 'value_predicate' && !/^[a-z]/.test(text));
      return bare ? `!${text}` : `!(${text})`;
    }
    case 'predicate':
      return `${printOperand(expr.lhs)} ${expr.op} ${printOperand(expr.rhs)}`;
    case 'value_predicate':
      // A lone bool would parse as the match-all `true`; spell the predicate out.
      if (expr.value.type === 'bool') return `:bool == ${expr.value.value}`;
      return printLiteral(expr.value);
    case 'true':
      return 'true';
    default:
      return unreachable(expr);
  }
}

function precedence(e: Expr): number {
  return e.kind === 'or' ? 1 : e.kind === 'and' ? 2 : 3;
}

function wrap(e: Expr, parens: boolean): string {
  const s = printExpression(e);
  return parens ? `(${s})` : s;
}

function printOperand(o: Operand): string {
  switch (o.kind) {
    case 'field':
      return o.name;
    case 'type':
      return `:${o.name}`;
    case 'meta':
      return `#${o.name}`;
    case 'literal':
      return printLiteral(o.value);
    default:
      return unreachable(o);
  }
}

/** Prints a literal so that the lexer reads back the same value and type. */
export function printLiteral(v: Literal): string {
  switch (v.type) {
    case 'bool':
      return String(v.value);
    case 'int64':
      return v.value < 0n ? String(v.value) : `+${v.value}`;
    case 'uint64':
      return String(v.value);
    case 'double':
      return printDouble(v.value);
    case 'duration':
      return printDuration(v.ns);
    case 'time':
      return v.text ?? formatTime(v.ns);
    case 'ip':
      return formatIP(v.bytes);
    case 'subnet':
      return formatSubnet(v.bytes, v.length);
    case 'port':
      return `${v.port}/${v.proto ?? '?'}`;
    case 'string':
      return quote(v.value);
    case 'pattern':
      return `/${v.source}/${v.caseInsensitive ? 'i' : ''}`;
    case 'list':
      return `[${v.items.map(printLiteral).join(', ')}]`;
    case 'record':
      return `<${v.items.map((x) => (x === undefined ? '_' : printLiteral(x))).join(', ')}>`;
    case 'null':
      return 'null';
    default:
      return unreachable(v);
  }
}

/** `1.5`, `1000.0`, `1e+21`: always with a fraction or an exponent, so it stays a double. */
function printDouble(x: number): string {
  if (Object.is(x, -0)) return '-0.0';
  // TODO: inf and nan have no literal syntax yet; they cannot come from the parser.
  const s = String(x);
  return /[.eEn]/.test(s) ? s : `${s}.0`;
}

/** Units for printing, largest first. */
const PRINT_UNITS: [bigint, string][] = [
  [86_400_000_000_000n, 'd'],
  [3_600_000_000_000n, 'h'],
  [60_000_000_000n, 'min'],
  [1_000_000_000n, 's'],
  [1_000_000n, 'ms'],
  [1_000n, 'us'],
  [1n, 'ns'],
];

/**
 * The shortest exact duration literal with at least one whole unit, ties to
 * the larger unit: `1.5h` (not `90min`), `90s` (not `1.5min`), `250ms` (not
 * `0.25s`), `0s`.
 */
export function printDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  const abs = neg ? -ns : ns;
  let best = '';
  for (const [unit, name] of PRINT_UNITS) {
    const whole = abs / unit;
    if (whole === 0n) continue;
    let rest = abs % unit;
    let frac = '';
    // At most 9 fraction digits; anything that needs more is not exact in this unit.
    while (rest !== 0n && frac.length < 9) {
      rest *= 10n;
      frac += String(rest / unit);
      rest %= unit;
    }
    if (rest !== 0n) continue;
    const text = `${whole}${frac ? `.${frac}` : ''}${name}`;
    if (best === '' || text.length < best.length) best = text;
  }
  return neg ? `-${best}` : best;
}

/** A double-quoted string literal with the escapes the lexer reads. */
function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    const code = s.charCodeAt(i);
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0xd800 && code <= 0xdfff) {
      // A valid surrogate pair is printed as is; a lone surrogate as an escape.
      const next = s.charCodeAt(i + 1);
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        out += s.slice(i, i + 2);
        i++;
      } else out += `\\u{${code.toString(16)}}`;
    } else out += c;
  }
  return `${out}"`;
}
