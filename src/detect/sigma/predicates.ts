/**
 * Sigma values on one field of one schema as VAST predicates: strings as
 * equality or patterns (case-insensitive, wildcards, escapes), regexes,
 * numbers, addresses, null; and the boolean algebra with constants that the
 * detection compiler (compile.ts) builds from them.
 */
import type { Expr, Literal, RelOp } from '../../expr/ast.js';
import { parseExpression } from '../../expr/parser.js';
import { parseIP } from '../../types/ip.js';
import { parseSubnet } from '../../types/subnet.js';
import type { Leaf, VastType } from '../../types/type.js';
import type { SigmaString, SigmaValue } from './modifiers.js';

const MSG = {
  typeMismatch: (f: string, type: string, what: string) => `field '${f}' is ${type} and cannot match ${what}`,
  badRegex: (why: string) => `invalid 're' value: ${why}`,
};

export const AT = { start: 0, end: 0 } as const;
export type B = Expr | boolean;

export const and = (a: B, b: B): B =>
  a === false || b === false
    ? false
    : a === true
      ? b
      : b === true
        ? a
        : { kind: 'and', left: a, right: b, span: AT };
export const or = (a: B, b: B): B =>
  a === true || b === true
    ? true
    : a === false
      ? b
      : b === false
        ? a
        : { kind: 'or', left: a, right: b, span: AT };
export const not = (a: B): B => (typeof a === 'boolean' ? !a : { kind: 'not', expr: a, span: AT });
export const allOf = (xs: B[]) => xs.reduce<B>((x, y) => and(x, y), true);
export const anyOf = (xs: B[]) => xs.reduce<B>((x, y) => or(x, y), false);

/** `lhs op literal` on a field path. */
export function pred(path: string, op: RelOp, value: Literal): Expr {
  return {
    kind: 'predicate',
    lhs: { kind: 'field', name: path, span: AT },
    op,
    rhs: { kind: 'literal', value, span: AT },
    span: AT,
  };
}

/** The expression of `B` where constants stay expressible: `true`, or `false` as `!true`. */
export function toExpr(b: B): Expr {
  if (b === true) return { kind: 'true', span: AT };
  if (b === false) return { kind: 'not', expr: { kind: 'true', span: AT }, span: AT };
  return b;
}

/** Regex metacharacters (and the pattern delimiter `/`), escaped in literal text. */
const REGEX_META = new Set('\\^$.*+?()[]{}|/');

function escapeRegex(s: string): string {
  let out = '';
  for (const c of s) {
    const code = c.codePointAt(0)!;
    if (REGEX_META.has(c)) out += `\\${c}`;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return out;
}

/** Whether case-insensitive matching of this text differs from case-sensitive matching. */
const hasCase = (s: string) => s.toLowerCase() !== s.toUpperCase();

/**
 * A Sigma string as a predicate on a string field: equality for a literal
 * without letters (or `cased`), else a pattern: `== /v/i` for an exact value,
 * `in /v/i` (search) when it starts or ends with `*`. Wildcards in the middle
 * become `[\s\S]*` and `[\s\S]`: Sigma's `*` also spans line breaks.
 */
export function stringPredicate(path: string, parts: SigmaString, cased: boolean): B {
  let from = 0;
  let to = parts.length;
  while (from < to && parts[from] === '*any') from++;
  while (to > from && parts[to - 1] === '*any') to--;
  const lead = from > 0;
  const trail = to < parts.length;
  const middle = parts.slice(from, to);
  if (middle.length === 0) return lead ? pred(path, '!=', { type: 'null' }) : pred(path, '==', str(''));
  const literal = middle.every((p) => p !== '*any' && p !== '?one');
  const text = middle.filter((p) => p !== '*any' && p !== '?one').join('');
  const ci = !cased && hasCase(text);
  if (literal && !lead && !trail && !ci) return pred(path, '==', str(text));
  const body = middle
    .map((p) => (p === '*any' ? '[\\s\\S]*' : p === '?one' ? '[\\s\\S]' : escapeRegex(p)))
    .join('');
  if (!lead && !trail) return pred(path, '==', pattern(body, ci));
  return pred(path, 'in', pattern(`${lead ? '' : '^'}${body}${trail ? '' : '$'}`, ci));
}

export const str = (value: string): Literal => ({ type: 'string', value });
const pattern = (source: string, caseInsensitive: boolean): Literal => ({
  type: 'pattern',
  source,
  caseInsensitive,
});

/**
 * A Sigma `re` value as a VAST pattern source: `/` escaped for the literal,
 * a leading `(?i)` taken as the `i` flag, `s` (dot matches newline) rewritten
 * as `[\s\S]`, identity escapes of punctuation that JavaScript's unicode mode
 * refuses (`\-`, `\_`, `\ `) reduced to the character.
 */
function sigmaRegex(source: string, flags: string): { source: string; caseInsensitive: boolean } {
  let ci = flags.includes('i');
  let s = source;
  if (s.startsWith('(?i)')) {
    ci = true;
    s = s.slice(4);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      const n = s[i + 1];
      if (n === undefined) {
        out += '\\';
        break;
      }
      i++;
      if (/[A-Za-z0-9]/.test(n) || REGEX_META.has(n) || (inClass && n === '-')) out += `\\${n}`;
      else out += n === '/' ? '\\/' : escapeRegex(n);
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c === '/' ? '\\/' : c;
    } else if (c === '[') {
      inClass = true;
      out += c;
      // A `]` right after `[` or `[^` is a literal.
      if (s[i + 1] === '^') out += s[++i];
      if (s[i + 1] === ']') out += `\\${s[++i]}`;
    } else if (c === '/') out += '\\/';
    else if (c === '.' && flags.includes('s')) out += '[\\s\\S]';
    else out += c;
  }
  return { source: out, caseInsensitive: ci };
}

/** The element type of a list field, the type itself otherwise. */
const scalarOf = (t: VastType): VastType => (t.kind === 'list' ? scalarOf(t.element) : t);

const NUMERIC = new Set(['int64', 'uint64', 'double', 'port']);

function numberLiteral(text: string, t: VastType): Literal | undefined {
  if (/^[+-]?\d+$/.test(text)) {
    const v = BigInt(text);
    if (t.kind === 'double') return { type: 'double', value: Number(text) };
    return v < 0n ? { type: 'int64', value: v } : { type: 'uint64', value: v };
  }
  const x = Number(text);
  return Number.isFinite(x) && /^[+-]?[\d.]+([eE][+-]?\d+)?$/.test(text)
    ? { type: 'double', value: x }
    : undefined;
}

/** A Sigma string as written (wildcards as `*` and `?`), for messages. */
const display = (parts: SigmaString) =>
  parts.map((p) => (p === '*any' ? '*' : p === '?one' ? '?' : p)).join('');

/** Why a value cannot meet a leaf (thrown as a located error by the caller). */
export class Mismatch extends Error {}

/** One value on one leaf of a schema. */
export function valueOnLeaf(leaf: Leaf, v: SigmaValue): B {
  const t = scalarOf(leaf.type);
  const path = leaf.path;
  const typeName = leaf.type.kind === 'list' ? `a list of ${t.kind}` : `of type ${t.kind}`;
  const mismatch = (what: string) => new Mismatch(MSG.typeMismatch(path, typeName, what));
  switch (v.kind) {
    case 'null':
      return pred(path, '==', { type: 'null' });
    case 'exists':
      return pred(path, v.value ? '!=' : '==', { type: 'null' });
    case 'fieldref':
      // Resolved against the schema by the caller (DetectionCompiler.fieldref).
      return false;
    case 'bool':
      if (t.kind === 'bool') return pred(path, '==', { type: 'bool', value: v.value });
      if (t.kind === 'string' || t.kind === 'enum') return stringPredicate(path, [String(v.value)], false);
      throw mismatch(`the boolean ${v.value}`);
    case 'number': {
      if (NUMERIC.has(t.kind)) {
        const lit = numberLiteral(v.text, t);
        if (lit) return pred(path, v.op, lit);
      }
      if (t.kind === 'duration' && /^\d+(\.\d+)?$/.test(v.text)) {
        // Zeek durations are seconds on the wire: a number compared with a duration means seconds.
        const [whole, frac = ''] = v.text.split('.');
        const ns = BigInt(whole) * 1_000_000_000n + BigInt(`${frac}000000000`.slice(0, 9));
        return pred(path, v.op, { type: 'duration', ns });
      }
      if (v.op === '==' && (t.kind === 'string' || t.kind === 'enum'))
        return stringPredicate(path, [v.text], true);
      throw mismatch(v.op === '==' ? `the number ${v.text}` : `'${v.op} ${v.text}'`);
    }
    case 'cidr': {
      const net = parseSubnet(v.text);
      if (!net) throw new Mismatch(`invalid 'cidr' value '${v.text}'`);
      if (t.kind === 'ip')
        return pred(path, 'in', { type: 'subnet', bytes: net.address, length: net.length });
      throw mismatch(`the subnet ${v.text}`);
    }
    case 'regex': {
      if (t.kind !== 'string' && t.kind !== 'enum') throw mismatch('a regular expression');
      const r = sigmaRegex(v.source, v.flags);
      // The pattern literal's own checks: valid, linear-time (no backreference, no lookaround), within limits.
      const checked = parseExpression(`/${r.source}/`);
      if (!checked.ok) throw new Mismatch(MSG.badRegex(checked.diagnostics[0].message));
      return pred(path, 'in', pattern(r.source, r.caseInsensitive));
    }
    case 'string': {
      if (t.kind === 'string' || t.kind === 'enum') return stringPredicate(path, v.parts, v.cased);
      const text = v.parts.every((p) => p !== '*any' && p !== '?one') ? v.parts.join('') : undefined;
      if (t.kind === 'ip') {
        const ip = text !== undefined ? parseIP(text) : undefined;
        if (ip) return pred(path, '==', { type: 'ip', bytes: ip });
        throw mismatch(`'${display(v.parts)}' (use the 'cidr' modifier for address ranges)`);
      }
      if (NUMERIC.has(t.kind) && text !== undefined) {
        const lit = numberLiteral(text.trim(), t);
        if (lit) return pred(path, '==', lit);
      }
      if (t.kind === 'bool' && text !== undefined) {
        const b = { true: true, t: true, false: false, f: false }[text.toLowerCase()];
        if (b !== undefined) return pred(path, '==', { type: 'bool', value: b });
      }
      throw mismatch(
        `the string '${v.parts.map((p) => (p === '*any' ? '*' : p === '?one' ? '?' : p)).join('')}'`,
      );
    }
  }
}

/** What a value means for a field the schema lacks: only "absent" holds. */
export const absent = (v: SigmaValue): boolean => v.kind === 'null' || (v.kind === 'exists' && !v.value);

/** The part of `b` (an OR over a field's leaves, see `DetectionCompiler.field`) that tests `path`. */
export function onLeaf(b: B, path: string): B {
  if (typeof b === 'boolean') return b;
  if (b.kind === 'or') return or(onLeaf(b.left, path), onLeaf(b.right, path));
  if (b.kind === 'predicate' && b.lhs.kind === 'field') return b.lhs.name === path ? b : false;
  return b;
}

/** Longest pattern source one merged alternation gets (the pattern limits allow 4096 atoms). */
const MAX_ALTERNATION = 3000;

/**
 * The values of one field as few predicates: equalities and subnets into one `f in [...]`, patterns
 * into alternations `f in /a|^b$|c$/i` (an `==` pattern anchored as `^(?:p)$`), so that
 * a rule with hundreds of values stays far below the expression's connective limit and
 * each row is tested once per alternation. Other predicates stay as they are.
 */
export function mergeAlternatives(path: string, parts: B[]): B {
  const equal: Literal[] = [];
  const sources: string[] = [];
  let ci = false;
  const rest: B[] = [];
  for (const p of parts) {
    if (
      typeof p !== 'boolean' &&
      p.kind === 'predicate' &&
      p.lhs.kind === 'field' &&
      p.rhs.kind === 'literal'
    ) {
      const lit = p.rhs.value;
      if (
        (p.op === '==' && ['string', 'uint64', 'int64', 'double', 'ip'].includes(lit.type)) ||
        (p.op === 'in' && lit.type === 'subnet')
      ) {
        equal.push(lit);
        continue;
      }
      if ((p.op === '==' || p.op === 'in') && lit.type === 'pattern') {
        sources.push(p.op === '==' ? `^(?:${lit.source})$` : lit.source);
        ci ||= lit.caseInsensitive;
        continue;
      }
    }
    rest.push(p);
  }
  const out: B[] = [...rest];
  // An address is in a list when it equals one of its addresses or lies in one of its subnets.
  if (equal.length === 1) out.push(pred(path, equal[0].type === 'subnet' ? 'in' : '==', equal[0]));
  else if (equal.length > 1) out.push(pred(path, 'in', { type: 'list', items: equal }));
  if (sources.length === 1)
    out.push(
      parts.find(
        (p) =>
          typeof p !== 'boolean' &&
          p.kind === 'predicate' &&
          p.rhs.kind === 'literal' &&
          p.rhs.value.type === 'pattern',
      )!,
    );
  else {
    let chunk: string[] = [];
    const flush = () => {
      if (chunk.length > 0) out.push(pred(path, 'in', pattern(chunk.map((s) => `(?:${s})`).join('|'), ci)));
      chunk = [];
    };
    let size = 0;
    for (const s of sources) {
      if (size + s.length > MAX_ALTERNATION) {
        flush();
        size = 0;
      }
      chunk.push(s);
      size += s.length + 5;
    }
    flush();
  }
  return anyOf(out);
}
