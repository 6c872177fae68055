/**
 * The expression compiler: AST + one schema → a tree of column kernels that
 * evaluates a whole batch into a selection bitmap (DESIGN principle 2: one
 * evaluator for live and retro; STYLE: a visitor map from node kind to
 * kernel, never code strings). Type checking happens here too, across all
 * schemas a query may touch, so errors name what exists.
 */
import type * as A from 'apache-arrow';
import { type Diagnostic, errorDiagnostic, spanIn } from '../diagnostics.js';
import { modelPredicate, type Taxonomy } from '../schemas/taxonomy.js';
import type { Leaf, Schema, VastType } from '../types/type.js';
import { indexPath, leaves } from '../types/type.js';
import type { Expr, Literal, Operand, RelOp, Span } from './ast.js';
import { QUERY_SOURCE } from './errors.js';
import { allSet, andInto, invert, OUTCOMES, orInto } from './kernels/bitmap.js';
import {
  anyValue,
  boolEquals,
  int64Compare,
  int64CompareDouble,
  isNull,
  numberCompare,
  portSet,
} from './kernels/compare.js';
import { overDictionary } from './kernels/dictionary.js';
import { fieldsEqual, type PairKernel } from './kernels/fields.js';
import { ipCompare, ipInSubnet, subnetContainsIp, subnetRelation } from './kernels/ip.js';
import type { Kernel } from './kernels/kernel.js';
import { listAny, listMemberColumn } from './kernels/list.js';
import { compilePattern } from './kernels/pattern.js';
import {
  caseInsensitiveLiteral,
  literalForm,
  literalPattern,
  prefilteredPattern,
  requiredLiteral,
} from './kernels/pattern-literal.js';
import { IpSet, ipSetKernel, StringSet, stringSetKernel } from './kernels/sets.js';
import { enumTest, stringCompare, stringContains, stringEquals, stringTest } from './kernels/string.js';
import { printLiteral } from './print.js';
import type { PruneHint } from './prune.js';
import {
  fieldLeaves,
  isConcept,
  isMemberLeaf,
  matchesFieldName,
  memberIndices,
  resolveFields,
  resolvePaths,
  resolveType,
  suggestField,
} from './resolve.js';

/** A compiled predicate for one schema. `text` is what `--explain` prints. */
export type Program =
  | { kind: 'const'; value: boolean }
  | { kind: 'and' | 'or'; children: Program[] }
  | { kind: 'not'; child: Program }
  | {
      kind: 'column';
      path: string;
      indices: number[];
      kernel: Kernel;
      text: string;
      /** The kernel tests each value's bytes (strings, lists): a conjunction runs it after the cheap terms. */
      perValue?: boolean;
    }
  /** Two columns compared row by row (`a == b`). */
  | {
      kind: 'fields';
      paths: [string, string];
      indices: [number[], number[]];
      kernel: PairKernel;
      text: string;
    }
  | { kind: 'import_time'; kernel: (importTime: bigint) => boolean; text: string };

export interface CompileContext {
  /** User type aliases, for `:alias` extractors. */
  readonly aliases: ReadonlyMap<string, VastType>;
  /** Concepts a field extractor may name (`net.src.ip`); a `SchemaRegistry` is a context. */
  readonly taxonomy?: Taxonomy;
}

const MSG = {
  unknownField: (name: string) => `unknown field '${name}'`,
  mismatch: (what: string, found: string, lit: string) =>
    `type mismatch: ${what} (${found}) cannot be compared with ${lit}`,
  twoExtractors:
    "comparing two extractors is supported for two fields with '==' or '!='; compare other extractors with a value",
  unknownType: (name: string) => `unknown type '${name}' in type extractor`,
  metaOperand: (meta: string, lit: string) => `#${meta} cannot be compared with ${lit}`,
};

const FLIP: Record<RelOp, RelOp> = {
  '==': '==',
  '!=': '!=',
  '<': '>',
  '<=': '>=',
  '>': '<',
  '>=': '<=',
  in: 'ni',
  '!in': '!ni',
  ni: 'in',
  '!ni': '!in',
};

/** A human word for a literal's type in messages. */
function describeLiteral(l: Literal): string {
  if (l.type === 'record') return `a record of ${l.items.length} fields`;
  return l.type === 'pattern' ? 'a pattern' : l.type === 'list' ? 'a list' : `a ${l.type} value`;
}

/**
 * `record == <a, _, c>` as a conjunction over the record's leaves, in order:
 * `fieldPaths[0] == a && fieldPaths[2] == c` (wildcards compare nothing);
 * `!=` negates it. The caller checks that there are as many paths as items.
 * Taxonomy models (`net.connection == <...>`) expand the same way over their concepts.
 */
export function recordPredicate(
  fieldPaths: readonly string[],
  items: readonly (Literal | undefined)[],
  op: '==' | '!=',
  at: Span = { start: 0, end: 0 },
): Expr {
  let all: Expr | undefined;
  items.forEach((item, i) => {
    if (item === undefined) return;
    const p: Expr = {
      kind: 'predicate',
      lhs: { kind: 'field', name: fieldPaths[i], span: at },
      op: '==',
      rhs: { kind: 'literal', value: item, span: at },
      span: at,
    };
    all = all ? { kind: 'and', left: all, right: p, span: at } : p;
  });
  const eq: Expr = all ?? { kind: 'true', span: at };
  return op === '==' ? eq : { kind: 'not', expr: eq, span: at };
}

/** A predicate reduced to `extractor op literal` with the extractor on the left. */
interface Normal {
  extractor: Exclude<Operand, { kind: 'literal' }>;
  op: RelOp;
  literal: Literal;
}

function normalize(lhs: Operand, op: RelOp, rhs: Operand): Normal | 'two-extractors' | 'two-literals' {
  if (lhs.kind !== 'literal' && rhs.kind === 'literal') return { extractor: lhs, op, literal: rhs.value };
  if (lhs.kind === 'literal' && rhs.kind !== 'literal')
    return { extractor: rhs, op: FLIP[op], literal: lhs.value };
  return lhs.kind === 'literal' ? 'two-literals' : 'two-extractors';
}

const negated = (op: RelOp) => op === '!=' || op === '!in' || op === '!ni';

/** The operator a negated one negates (`!=` → `==`); others are their own. */
const POSITIVE: Record<RelOp, RelOp> = {
  '==': '==',
  '!=': '==',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
  in: 'in',
  '!in': 'in',
  ni: 'ni',
  '!ni': 'ni',
};

/** OR of several kernels over the same column (`x in [a, b]`), optionally negated on non-null rows. */
function anyOf(kernels: Kernel[], negate: boolean): Kernel {
  return (col, rows, out) => {
    const acc = new Uint8Array(out.length);
    for (const k of kernels) k(col, rows, acc);
    if (negate) {
      const present = new Uint8Array(out.length);
      anyValue()(col, rows, present);
      for (let i = 0; i < out.length; i++) out[i] |= present[i] & ~acc[i];
    } else orInto(out, acc);
  };
}

const encoder = new TextEncoder();

/** From this many items on, `x in [...]` over ips or strings builds a hash set instead of OR-ing `==` kernels. */
const SET_MIN_ITEMS = 8;

/** A set kernel for `x in list` when the column is ip (items ips and subnets) or string (items strings). */
function setKernelFor(t: VastType, items: readonly Literal[], negate: boolean): Kernel | undefined {
  if (t.kind === 'ip') {
    const set = new IpSet();
    for (const item of items) {
      if (item.type === 'ip') set.add(item.bytes, 128, 0);
      else if (item.type === 'subnet') set.add(item.bytes, item.length, 0);
      else return undefined;
    }
    return ipSetKernel(set, negate);
  }
  if (t.kind === 'string') {
    // String equality is case-sensitive in VAST.
    const set = new StringSet();
    for (const item of items) {
      if (item.type !== 'string') return undefined;
      set.add(item.value, 0);
    }
    return stringSetKernel(set, negate);
  }
  return undefined;
}

/**
 * The kernel for `<column of type t> op literal`, or undefined when the types
 * do not fit (the caller turns that into a type error or a false predicate).
 */
function kernelFor(t: VastType, op: RelOp, lit: Literal): Kernel | undefined {
  if (lit.type === 'null') return op === '==' ? isNull(false) : op === '!=' ? isNull(true) : undefined;
  const neg = negated(op);
  if ((op === 'in' || op === '!in') && lit.type === 'list') {
    // Ports are 16 bits: a table answers any list in one pass (Sigma's `id.resp_p: [80, 443, 8080]`).
    if (t.kind === 'port') {
      const ports = lit.items.map((i) =>
        i.type === 'port' ? i.port : i.type === 'uint64' || i.type === 'int64' ? Number(i.value) : Number.NaN,
      );
      if (ports.every((p) => Number.isInteger(p))) return portSet(ports, neg);
    }
    if (lit.items.length >= SET_MIN_ITEMS) {
      const k = setKernelFor(t, lit.items, neg);
      if (k) return k;
    }
    // An ip is in a list when it equals one of its addresses or lies in one of its subnets.
    const ks = lit.items.map((item) =>
      kernelFor(t, t.kind === 'ip' && item.type === 'subnet' ? 'in' : '==', item),
    );
    if (ks.some((k) => k === undefined)) return undefined;
    return anyOf(ks as Kernel[], neg);
  }
  const cmp = (OUTCOMES as Record<string, number>)[op];
  switch (t.kind) {
    case 'bool':
      return lit.type === 'bool' && (op === '==' || op === '!=') ? boolEquals(lit.value, neg) : undefined;
    case 'int64':
    case 'uint64': {
      if (cmp === undefined) return undefined;
      const signed = t.kind === 'int64';
      if (lit.type === 'int64' || lit.type === 'uint64') {
        const v = lit.value;
        const fits = signed ? v >= -(2n ** 63n) && v < 2n ** 63n : v >= 0n && v < 2n ** 64n;
        return fits ? int64Compare(cmp, v, signed) : int64CompareDouble(cmp, Number(v), signed);
      }
      if (lit.type === 'double') return int64CompareDouble(cmp, lit.value, signed);
      return undefined;
    }
    case 'double':
      if (cmp === undefined) return undefined;
      if (lit.type === 'double') return numberCompare(cmp, lit.value);
      if (lit.type === 'int64' || lit.type === 'uint64') return numberCompare(cmp, Number(lit.value));
      return undefined;
    case 'duration':
      return cmp !== undefined && lit.type === 'duration' ? int64Compare(cmp, lit.ns, true) : undefined;
    case 'time':
      return cmp !== undefined && lit.type === 'time' ? int64Compare(cmp, lit.ns, true) : undefined;
    case 'port':
      if (cmp === undefined) return undefined;
      if (lit.type === 'port') return numberCompare(cmp, lit.port);
      if (lit.type === 'uint64' || lit.type === 'int64') return numberCompare(cmp, Number(lit.value));
      return undefined;
    case 'string': {
      // Scans may hand string columns out dictionary-encoded: every string kernel takes both.
      const k = stringKernel(op, lit, neg, cmp);
      return k && overDictionary(k);
    }
    case 'enum': {
      if (lit.type === 'pattern') {
        const m = patternTest(lit, op);
        return m ? enumTest(m, neg) : undefined;
      }
      if (lit.type !== 'string') return undefined;
      const v = lit.value;
      if (op === '==' || op === '!=') return enumTest((s) => s === v, neg);
      if (op === 'ni' || op === '!ni') return enumTest((s) => s.includes(v), neg);
      if (op === 'in' || op === '!in') return enumTest((s) => v.includes(s), neg);
      return undefined;
    }
    case 'ip':
      if (lit.type === 'ip' && cmp !== undefined) return ipCompare(cmp, lit.bytes);
      if (lit.type === 'subnet' && (op === 'in' || op === '!in'))
        return ipInSubnet(lit.bytes, lit.length, neg);
      return undefined;
    case 'subnet':
      if (lit.type === 'subnet') {
        if (op === '==' || op === '!=') return subnetRelation('==', lit.bytes, lit.length, neg);
        if (op === 'in' || op === '!in') return subnetRelation('in', lit.bytes, lit.length, neg);
        if (op === 'ni' || op === '!ni') return subnetRelation('ni', lit.bytes, lit.length, neg);
      }
      if (lit.type === 'ip' && (op === 'ni' || op === '!ni')) return subnetContainsIp(lit.bytes, neg);
      return undefined;
    case 'list': {
      // `list ni x`: some element equals x (or matches, for patterns).
      if (op === 'ni' || op === '!ni') {
        const element = kernelFor(t.element, '==', lit);
        return element ? listAny(element, neg) : undefined;
      }
      // `list op x` for a value x: some element satisfies `element op x` (`answers == /.*evil.*/`,
      // `answers in /evil/`); the negated operators: no element does.
      const element = kernelFor(t.element, POSITIVE[op], lit);
      return element ? listAny(element, neg) : undefined;
    }
    default:
      return undefined;
  }
}

/** The kernel for a Utf8 column (see `kernelFor`). */
function stringKernel(op: RelOp, lit: Literal, neg: boolean, cmp: number | undefined): Kernel | undefined {
  if (lit.type === 'pattern') {
    const m = patternTest(lit, op);
    if (!m) return undefined;
    const form = literalForm(lit.source, op === '==' || op === '!=');
    if (lit.caseInsensitive) return (form && caseInsensitiveLiteral(form, m, neg)) ?? stringTest(m, neg);
    if (form) return literalPattern(form, m, neg);
    const required = requiredLiteral(lit.source);
    return required ? prefilteredPattern(required, m, neg) : stringTest(m, neg);
  }
  if (lit.type !== 'string') return undefined;
  const bytes = encoder.encode(lit.value);
  if (op === '==' || op === '!=') return stringEquals(bytes, neg);
  if (op === 'ni' || op === '!ni') return stringContains(bytes, neg);
  if (op === 'in' || op === '!in') return stringTest((s) => lit.value.includes(s), neg);
  return cmp === undefined ? undefined : stringCompare(cmp, bytes);
}

/**
 * VAST pattern semantics: `x == /re/` matches the whole value, `x in /re/`
 * finds a match anywhere in it.
 */
function patternTest(
  lit: Extract<Literal, { type: 'pattern' }>,
  op: RelOp,
): ((s: string) => boolean) | undefined {
  if (op === '==' || op === '!=') return compilePattern(`^(?:${lit.source})$`, lit.caseInsensitive);
  if (op === 'in' || op === '!in') return compilePattern(lit.source, lit.caseInsensitive);
  return undefined;
}

/** Evaluates a literal-only comparison of a meta value (`#schema`) at compile time. */
function compareConst(value: string, op: RelOp, lit: Literal): boolean | undefined {
  if (lit.type === 'string') {
    switch (op) {
      case '==':
        return value === lit.value;
      case '!=':
        return value !== lit.value;
      case 'ni':
        return value.includes(lit.value);
      case '!ni':
        return !value.includes(lit.value);
      default:
        return undefined;
    }
  }
  if (lit.type === 'pattern') {
    const m = patternTest(lit, op);
    return m ? m(value) === !negated(op) : undefined;
  }
  if (lit.type === 'list' && (op === 'in' || op === '!in')) {
    const hit = lit.items.some((i) => i.type === 'string' && i.value === value);
    return op === 'in' ? hit : !hit;
  }
  return undefined;
}

/** What the catalog can check for `leaf op lit` (see prune.ts), if anything. */
function pruneHint(leaf: Leaf, op: RelOp, lit: Literal): PruneHint | undefined {
  const base = { path: leaf.path, op };
  switch (leaf.type.kind) {
    case 'int64':
    case 'uint64':
      return lit.type === 'int64' || lit.type === 'uint64' ? { ...base, ordered: lit.value } : undefined;
    case 'time':
    case 'duration':
      return lit.type === 'time' || lit.type === 'duration' ? { ...base, ordered: lit.ns } : undefined;
    case 'double':
      return lit.type === 'double' ? { ...base, ordered: lit.value } : undefined;
    case 'port':
      return lit.type === 'port' ? { ...base, ordered: lit.port } : undefined;
    case 'string':
      return lit.type === 'string' ? { ...base, bytes: encoder.encode(lit.value) } : undefined;
    case 'ip': {
      if (lit.type === 'ip' && op === '==') {
        const hex = Buffer.from(lit.bytes).toString('hex');
        return { ...base, bytes: lit.bytes, ipRange: [hex, hex], subnet: { bytes: lit.bytes, length: 128 } };
      }
      if (lit.type === 'subnet' && op === 'in') {
        const last = Uint8Array.from(lit.bytes);
        for (let bit = lit.length; bit < 128; bit++) last[bit >> 3] |= 0x80 >> (bit & 7);
        return {
          ...base,
          ipRange: [Buffer.from(lit.bytes).toString('hex'), Buffer.from(last).toString('hex')],
          subnet: { bytes: lit.bytes, length: lit.length },
        };
      }
      return undefined;
    }
    case 'enum':
      return lit.type === 'string' ? { ...base, enumValue: lit.value } : undefined;
    default:
      return undefined;
  }
}

/** What one predicate found across all schemas, for type errors after compiling them all. */
interface PredicateReport {
  span: { start: number; end: number };
  name: string;
  literal: Literal;
  resolved: boolean;
  compatible: boolean;
  foundTypes: Set<string>;
  isField: boolean;
  /** Whether some schema reached the predicate (not behind a `#schema` guard that excludes it). */
  reached: boolean;
  /** What the extractor is compared with, when not the literal (the other field of `a == b`). */
  against?: string;
  /** The report of the other field of `a == b`: while it resolves nowhere, its error speaks, not a mismatch. */
  partner?: PredicateReport;
}

/** The report key of the right field of `a == b` (reports are per predicate, one per field here). */
const rhsKeys = new WeakMap<Expr, Expr>();
function rhsKey(e: Extract<Expr, { kind: 'predicate' }>): Expr {
  let k = rhsKeys.get(e);
  if (!k) {
    k = { ...e, span: e.rhs.span };
    rhsKeys.set(e, k);
  }
  return k;
}

const c = (value: boolean): Program => ({ kind: 'const', value });

/**
 * A kernel of a list<member> column run over a list<record> column: the member
 * as a list of its own (kernels/list.ts), so a comparison with
 * `dns.queries.rrname` is one of a list field (some element's member satisfies it).
 */
function overMember(kernel: Kernel, member: readonly number[]): Kernel {
  return (col, rows, out) => kernel(listMemberColumn(col, member), rows, out);
}

/** Builds `or` / `and` nodes, folding constants away. */
function combine(kind: 'and' | 'or', parts: Program[]): Program {
  const unit = kind === 'and';
  const kept: Program[] = [];
  for (const p of parts) {
    if (p.kind === 'const') {
      if (p.value !== unit) return c(!unit);
      continue;
    }
    if (p.kind === kind) kept.push(...p.children);
    else kept.push(p);
  }
  if (kept.length === 0) return c(unit);
  return kept.length === 1 ? kept[0] : { kind, children: kept };
}

class SchemaCompiler {
  private readonly all: Leaf[];
  /** What a field extractor can name: `all` and the members of lists of records (`dns.queries.rrname`). */
  private readonly named: Leaf[];
  /** Above 0 while compiling an operand that a constant sibling makes irrelevant. */
  private unreachable = 0;
  constructor(
    private readonly schema: Schema,
    private readonly ctx: CompileContext,
    private readonly reports: Map<Expr, PredicateReport>,
    private readonly diagnostics: Diagnostic[],
    private readonly hints: Map<Program, PruneHint>,
    private readonly text: string,
  ) {
    this.all = leaves(schema.type);
    this.named = fieldLeaves(schema.type);
  }

  compile(e: Expr): Program {
    switch (e.kind) {
      case 'true':
        return c(true);
      case 'and':
      case 'or': {
        // `#schema == "x" && P`: where the left side decides (this schema is not x), P is
        // unreachable: its fields need not exist here (a Sigma rule names the fields of its schemas).
        const left = this.compile(e.left);
        const decided = left.kind === 'const' && left.value === (e.kind === 'or');
        if (decided) this.unreachable++;
        const right = this.compile(e.right);
        if (decided) this.unreachable--;
        return combine(e.kind, [left, right]);
      }
      case 'not': {
        const inner = this.compile(e.expr);
        return inner.kind === 'const'
          ? c(!inner.value)
          : inner.kind === 'not'
            ? inner.child
            : { kind: 'not', child: inner };
      }
      case 'value_predicate':
        return this.valuePredicate(e);
      case 'predicate':
        return this.predicate(e);
    }
  }

  private valuePredicate(e: Extract<Expr, { kind: 'value_predicate' }>): Program {
    const v = e.value;
    const typed = (name: string, op: RelOp, lit: Literal = v) => this.typeExtractor(name, op, lit);
    switch (v.type) {
      case 'bool':
        // A lone `true` matches everything, as in VAST (`vast export json true`); `false` nothing.
        return c(v.value);
      case 'ip':
        return combine('or', [typed('ip', '=='), typed('subnet', 'ni')]);
      case 'subnet':
        return combine('or', [typed('ip', 'in'), typed('subnet', '==')]);
      case 'string':
        return combine('or', [typed('string', '=='), typed('enum', '==')]);
      case 'pattern':
        return combine('or', [typed('string', '=='), typed('enum', '==')]);
      case 'int64':
      case 'uint64':
      case 'double':
        // `:uint64` finds ports too (resolve.ts), so each port column is tested once.
        return combine('or', [typed('uint64', '=='), typed('int64', '=='), typed('double', '==')]);
      case 'port':
        return typed('port', '==');
      case 'time':
        return typed('time', '==');
      case 'duration':
        return typed('duration', '==');
      default:
        return c(false);
    }
  }

  private typeExtractor(name: string, op: RelOp, lit: Literal): Program {
    const selected = resolveType(this.schema, name, this.ctx.aliases) ?? [];
    return combine(
      'or',
      selected.map((l) => this.leafProgram(l, op, lit) ?? c(false)),
    );
  }

  private leafProgram(leaf: Leaf, op: RelOp, lit: Literal): Program | undefined {
    const kernel = kernelFor(leaf.type, op, lit);
    if (!kernel) return undefined;
    const column = this.columnOf(leaf);
    const program: Program = {
      kind: 'column',
      path: leaf.path,
      indices: column.indices,
      kernel: column.member ? overMember(kernel, column.member) : kernel,
      text: `${leaf.path} ${op} ${printLiteral(lit)}`,
      ...(leaf.type.kind === 'string' || leaf.type.kind === 'list' ? { perValue: true } : {}),
    };
    const hint = pruneHint(leaf, op, lit);
    if (hint) this.hints.set(program, hint);
    return program;
  }

  /**
   * Where a leaf's column is: its index path; for a member of a list of records, the
   * list's index path and the member's index path inside the element record.
   */
  private columnOf(leaf: Leaf): { indices: number[]; member?: number[] } {
    if (!isMemberLeaf(leaf)) return { indices: indexPath(this.schema.type, leaf.segments)! };
    const at = memberIndices(this.schema.type, leaf)!;
    return { indices: at.list, member: at.member };
  }

  private predicate(e: Extract<Expr, { kind: 'predicate' }>): Program {
    const n = normalize(e.lhs, e.op, e.rhs);
    if (n === 'two-extractors') {
      if (e.lhs.kind === 'field' && e.rhs.kind === 'field' && (e.op === '==' || e.op === '!='))
        return this.fieldComparison(e, e.lhs.name, e.rhs.name, e.op);
      this.once(e, MSG.twoExtractors);
      return c(false);
    }
    if (n === 'two-literals') return c(false);
    const { extractor: x, op, literal } = n;
    if (x.kind === 'meta') {
      if (x.name === 'schema') {
        const v = compareConst(this.schema.name, op, literal);
        if (v === undefined) this.once(e, MSG.metaOperand('schema', describeLiteral(literal)));
        return c(v ?? false);
      }
      if (x.name === 'field') {
        if (literal.type !== 'string' || (op !== '==' && op !== '!=')) {
          this.once(e, MSG.metaOperand('field', describeLiteral(literal)));
          return c(false);
        }
        const has = this.named.some((l) => matchesFieldName(l.path, literal.value));
        return c(op === '==' ? has : !has);
      }
      // #import_time: a property of the partition, known per batch.
      const cmp = (OUTCOMES as Record<string, number>)[op];
      if (literal.type !== 'time' || cmp === undefined) {
        this.once(e, MSG.metaOperand('import_time', describeLiteral(literal)));
        return c(false);
      }
      const ns = literal.ns;
      return {
        kind: 'import_time',
        kernel: (t) => (cmp & (1 << (t < ns ? 0 : t === ns ? 1 : 2))) !== 0,
        text: `#import_time ${op} ${printLiteral(literal)}`,
      };
    }
    if (literal.type === 'record' && x.kind === 'field' && this.ctx.taxonomy?.models.has(x.name))
      return this.modelComparison(e, x.name, op, literal.items);
    const report = this.report(e, x, literal);
    if (literal.type === 'record') return this.recordComparison(e, x, op, literal.items, report);
    let selected: Leaf[];
    if (x.kind === 'field') selected = resolveFields(this.schema, x.name, this.ctx.taxonomy, this.named);
    else {
      const s = resolveType(this.schema, x.name, this.ctx.aliases);
      if (!s) {
        this.once(e, MSG.unknownType(x.name));
        return c(false);
      }
      selected = s;
    }
    if (selected.length > 0) report.resolved = true;
    const parts: Program[] = [];
    for (const l of selected) {
      const p = this.leafProgram(l, op, literal);
      report.foundTypes.add(l.type.alias ?? l.type.kind);
      if (p) {
        report.compatible = true;
        parts.push(p);
      }
    }
    // A field extractor (or concept) with several fields in one schema: `x == v` if any field
    // equals v, `x != v` if none does (VAST 2's type_resolver: a conjunction for negated operators).
    return combine(negated(op) && x.kind === 'field' ? 'and' : 'or', parts);
  }

  /**
   * `a == b` for two fields: a row matches when both are non-null and equal
   * (`!=`: non-null and different). Several leaves per name: any pair (`!=`: every pair).
   * Each name must resolve in some schema, and some pair must have comparable types.
   */
  private fieldComparison(
    e: Extract<Expr, { kind: 'predicate' }>,
    a: string,
    b: string,
    op: '==' | '!=',
  ): Program {
    const placeholder: Literal = { type: 'null' };
    const ra = this.report(e, e.lhs, placeholder);
    const rb = this.report(rhsKey(e), e.rhs, placeholder);
    ra.against = `field '${b}'`;
    ra.partner = rb;
    // The right field is checked for existence only; a type mismatch is reported once, on the left.
    rb.compatible = true;
    const la = resolveFields(this.schema, a, this.ctx.taxonomy, this.named);
    const lb = resolveFields(this.schema, b, this.ctx.taxonomy, this.named);
    if (la.length > 0) ra.resolved = true;
    if (lb.length > 0) rb.resolved = true;
    const parts: Program[] = [];
    for (const x of la) {
      ra.foundTypes.add(x.type.alias ?? x.type.kind);
      for (const y of lb) {
        const kernel = fieldsEqual(x.type, y.type, op === '!=');
        if (!kernel) continue;
        ra.compatible = true;
        parts.push({
          kind: 'fields',
          paths: [x.path, y.path],
          indices: [indexPath(this.schema.type, x.segments)!, indexPath(this.schema.type, y.segments)!],
          kernel,
          text: `${x.path} ${op} ${y.path}`,
        });
      }
    }
    return combine(op === '!=' ? 'and' : 'or', parts);
  }

  /** A taxonomy model compared with a record literal (`net.connection == <1.2.3.4, _, _, 53, _>`): one predicate per concept. */
  private modelComparison(
    e: Extract<Expr, { kind: 'predicate' }>,
    model: string,
    op: RelOp,
    items: readonly (Literal | undefined)[],
  ): Program {
    const taxonomy = this.ctx.taxonomy;
    if (!taxonomy || (op !== '==' && op !== '!=')) {
      this.once(e, `a model is compared with '==' or '!=', not '${op}'`);
      return c(false);
    }
    try {
      return this.compile(modelPredicate(taxonomy, model, items, op, e.span));
    } catch (err) {
      this.once(e, (err as Error).message); // the arity of the value differs from the model's
      return c(false);
    }
  }

  /** A record field compared with a record literal, leaf by leaf (`id == <1.2.3.4, _, _, 53/?>`). */
  private recordComparison(
    e: Extract<Expr, { kind: 'predicate' }>,
    x: Exclude<Operand, { kind: 'literal' }>,
    op: RelOp,
    items: readonly (Literal | undefined)[],
    report: PredicateReport,
  ): Program {
    if (x.kind !== 'field') return c(false);
    const parts: Program[] = [];
    for (const path of resolvePaths(this.schema, x.name)) {
      report.resolved = true;
      const under = this.all.filter((l) => l.path.startsWith(`${path}.`)).map((l) => l.path);
      if (under.length === 0) {
        const leaf = this.all.find((l) => l.path === path);
        if (leaf) report.foundTypes.add(leaf.type.alias ?? leaf.type.kind);
        continue;
      }
      report.foundTypes.add(`record of ${under.length} fields`);
      if (under.length !== items.length || (op !== '==' && op !== '!=')) continue;
      report.compatible = true;
      parts.push(this.compile(recordPredicate(under, items, op, e.span)));
    }
    return combine('or', parts);
  }

  private report(e: Expr, x: Operand, literal: Literal): PredicateReport {
    let r = this.reports.get(e);
    if (!r) {
      r = {
        span: e.span,
        name: x.kind === 'field' ? x.name : x.kind === 'type' ? `:${x.name}` : '',
        literal,
        resolved: false,
        compatible: false,
        foundTypes: new Set(),
        isField: x.kind === 'field' && !isConcept(x.name, this.ctx.taxonomy),
        reached: false,
      };
      this.reports.set(e, r);
    }
    if (this.unreachable === 0) r.reached = true;
    return r;
  }

  private once(e: Expr, message: string): void {
    if (this.diagnostics.some((d) => d.message === message)) return;
    this.diagnostics.push(errorDiagnostic(message, spanIn(QUERY_SOURCE, this.text, e.span.start)));
  }
}

export interface CompiledQuery {
  readonly expr: Expr;
  /** Programs by schema layout (fingerprint), for the schemas passed to compile. */
  program(schema: Schema): Program;
  readonly diagnostics: readonly Diagnostic[];
  /** Catalog checks for column programs (prune.ts). */
  readonly hints: ReadonlyMap<Program, PruneHint>;
}

/**
 * Compiles an expression against every schema the query may touch. Type errors
 * are reported only when a field exists nowhere (with a suggestion) or exists
 * only with types the value cannot be compared with.
 */
export function compileQuery(
  expr: Expr,
  text: string,
  schemas: readonly Schema[],
  ctx: CompileContext,
): CompiledQuery {
  const reports = new Map<Expr, PredicateReport>();
  const diagnostics: Diagnostic[] = [];
  const hints = new Map<Program, PruneHint>();
  const cache = new Map<string, Program>();
  const key = (s: Schema) => `${s.name}\u0000${JSON.stringify(s.type)}`;
  const programFor = (s: Schema): Program => {
    let p = cache.get(key(s));
    if (!p) {
      p = new SchemaCompiler(s, ctx, reports, diagnostics, hints, text).compile(expr);
      cache.set(key(s), p);
    }
    return p;
  };
  for (const s of schemas) programFor(s);
  // Suggestions come from the fields of these schemas and from the concepts (`net.src.iq` → `net.src.ip`).
  const allPaths = new Set([
    ...schemas.flatMap((s) => fieldLeaves(s.type).map((l) => l.path)),
    ...(ctx.taxonomy?.concepts.keys() ?? []),
  ]);
  for (const r of reports.values()) {
    // A field that exists nowhere is an error where the query can reach it: `#schema == "x" && f`
    // over data without schema x is no error (it matches nothing), as a Sigma rule needs.
    if (!r.resolved && r.isField && r.reached && schemas.length > 0) {
      const hint = suggestField(allPaths, r.name);
      diagnostics.push(
        errorDiagnostic(MSG.unknownField(r.name), {
          ...spanIn(QUERY_SOURCE, text, r.span.start, r.name.length),
          hints: hint ? [`did you mean '${hint}'?`] : [],
        }),
      );
    } else if (r.resolved && !r.compatible && r.partner?.resolved !== false) {
      diagnostics.push(
        errorDiagnostic(
          MSG.mismatch(`'${r.name}'`, [...r.foundTypes].join(', '), r.against ?? describeLiteral(r.literal)),
          spanIn(QUERY_SOURCE, text, r.span.start, r.name.length),
        ),
      );
    }
  }
  return { expr, program: programFor, diagnostics, hints };
}

function columnAt(batch: A.RecordBatch, indices: readonly number[]): A.Data {
  let col: A.Data = batch.data;
  for (const i of indices) col = col.children[i];
  return col;
}

/** A bitmap the caller may change: a copy when it may be a shared result. */
const owned = (bits: Uint8Array, shared: Map<string, Uint8Array> | undefined) =>
  shared ? bits.slice() : bits;

/** The terms of a conjunction in the order it runs them: per-value (string) tests last, each within the rows left. */
const termOrder = new WeakMap<object, Program[]>();
function conjunctionTerms(p: { children: Program[] }): Program[] {
  let order = termOrder.get(p);
  if (!order) {
    const costly = (x: Program) => x.kind === 'column' && x.perValue === true;
    order = [...p.children.filter((x) => !costly(x)), ...p.children.filter(costly)];
    termOrder.set(p, order);
  }
  return order;
}

/**
 * Runs a program over a batch: the selection bitmap of matching rows.
 * `within`: only these rows matter to the caller (bits outside it are
 * undefined: the caller masks them). `shared`: results of column tests by
 * their text, for programs evaluated over the same batch one after the other
 * (a hundred rules testing `proto == /tcp/i` test it once); the caller must
 * not change the bitmaps it gets.
 */
export function evaluate(
  p: Program,
  batch: A.RecordBatch,
  within?: Uint8Array,
  shared?: Map<string, Uint8Array>,
): Uint8Array {
  const rows = batch.numRows;
  switch (p.kind) {
    case 'const':
      return p.value ? allSet(rows) : new Uint8Array((rows + 7) >> 3);
    case 'column': {
      // A per-value kernel's result depends on `within`: only the others are shared.
      const key = shared && !p.perValue ? `${p.indices.join('.')}\u0000${p.text}` : undefined;
      const known = key === undefined ? undefined : shared!.get(key);
      if (known) return known;
      const out = new Uint8Array((rows + 7) >> 3);
      p.kernel(columnAt(batch, p.indices), rows, out, within);
      if (key !== undefined) shared!.set(key, out);
      return out;
    }
    case 'fields': {
      const out = new Uint8Array((rows + 7) >> 3);
      p.kernel(columnAt(batch, p.indices[0]), columnAt(batch, p.indices[1]), rows, out);
      return out;
    }
    case 'import_time': {
      const t = batch.schema.metadata.get('vast.import_time');
      return evaluate(c(t !== undefined && p.kernel(BigInt(t))), batch);
    }
    case 'not': {
      const out = owned(evaluate(p.child, batch, within, shared), shared);
      invert(out, rows);
      return out;
    }
    case 'and': {
      const [first, ...rest] = conjunctionTerms(p);
      const out = owned(evaluate(first, batch, within, shared), shared);
      if (within) andInto(out, within);
      for (const term of rest) {
        if (out.every((b) => b === 0)) break;
        andInto(out, evaluate(term, batch, out, shared));
      }
      return out;
    }
    case 'or': {
      const out = owned(evaluate(p.children[0], batch, within, shared), shared);
      for (let i = 1; i < p.children.length; i++) orInto(out, evaluate(p.children[i], batch, within, shared));
      return out;
    }
  }
}

/** The program as readable text for `--explain`. */
export function programText(p: Program): string {
  switch (p.kind) {
    case 'const':
      return String(p.value);
    case 'column':
    case 'fields':
    case 'import_time':
      return p.text;
    case 'not':
      return `!(${programText(p.child)})`;
    case 'and':
    case 'or':
      return p.children
        .map((x) => (x.kind === 'and' || x.kind === 'or' ? `(${programText(x)})` : programText(x)))
        .join(p.kind === 'and' ? ' && ' : ' || ');
  }
}
