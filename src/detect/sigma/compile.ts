/**
 * A Sigma `detection` → one VAST expression (Sigma specification, "Detection"):
 * a map is AND over its keys, a list is OR over its items, a list of plain
 * values under a key is OR over the values (AND with `all`), a list of plain
 * values under a search identifier is a keyword search (any string field).
 * String matching is case-insensitive unless `cased`; wildcards `*` and `?`.
 *
 * The rule is compiled once per schema of its logsource, with that schema's
 * field names and types (a Sigma `null` on a field the schema lacks is true,
 * any other value false), then the schemas' expressions are joined under
 * `#schema` guards. Only comparisons with literals (and of two fields, for
 * `fieldref`) and patterns come out: the
 * expression compiler turns them into column kernels.
 */
import { isMap, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';
import type { Expr } from '../../expr/ast.js';
import { exprEquals } from '../../expr/ast.js';
import { fieldsEqual } from '../../expr/kernels/fields.js';
import { fieldLeaves, resolveFields } from '../../expr/resolve.js';
import type { Leaf, Schema } from '../../types/type.js';
import { type Condition, ConditionError, parseCondition } from './condition.js';
import { mapField, type SigmaMappings } from './mappings.js';
import {
  applyModifiers,
  ModifierError,
  type RawValue,
  type SigmaString,
  type SigmaValue,
} from './modifiers.js';
import {
  AT,
  absent,
  allOf,
  and,
  anyOf,
  type B,
  inEveryStringField,
  keywordRegex,
  Mismatch,
  mergeAlternatives,
  not,
  onLeaf,
  or,
  pred,
  str,
  stringPredicate,
  toExpr,
  valueOnLeaf,
} from './predicates.js';
import { entry, pairs, type SigmaSource } from './yaml.js';

const MSG = {
  noCondition: "a detection needs a 'condition'",
  unknownIdentifier: (n: string) => `unknown search identifier '${n}' in condition`,
  noMatch: (p: string) => `no search identifier matches '${p}'`,
  unknownField: (f: string, schemas: readonly string[]) =>
    `unknown field '${f}': it is in none of the schemas of the logsource (${schemas.join(', ')})`,
  badSearch: 'a search identifier holds a map, a list of maps, or a list of keywords',
  emptyList: 'an empty list matches nothing; remove it or give values',
  nestedValue: 'a value must be a string, number, boolean or null',
  fieldrefTypes: (a: string, ta: string, b: string, tb: string) =>
    `'fieldref': field '${a}' (${ta}) cannot be compared with field '${b}' (${tb})`,
  keywordModifier: "keywords take the modifiers of strings and 're', no others",
  timeframe: "'timeframe' belongs to the aggregations of Sigma 1; write a correlation rule (Sigma 2) instead",
};

/** Compiles detections for the schemas of one logsource. */
export class DetectionCompiler {
  /** Fields (as written) seen in at least one schema, to report those seen in none. */
  private readonly found = new Set<string>();
  private readonly fieldNodes = new Map<string, Node>();

  constructor(
    private readonly src: SigmaSource,
    private readonly mappings: SigmaMappings,
    private readonly schemas: readonly Schema[],
  ) {}

  /**
   * The detection as one expression over all schemas. `at` is the
   * `detection` key, for errors about a missing condition.
   */
  compile(detection: Node | undefined, at: Node | undefined): Expr {
    if (!isMap(detection)) throw this.src.error("'detection' must be a map", detection ?? at);
    const searches = new Map<string, Node | undefined>();
    let conditionNode: Node | undefined;
    let timeframe: Node | undefined;
    for (const p of pairs(this.src, detection)) {
      if (p.key === 'condition') conditionNode = p.value;
      else if (p.key === 'timeframe') timeframe = p.keyNode;
      else searches.set(p.key, p.value);
    }
    if (!conditionNode) throw this.src.error(MSG.noCondition, entry(detection, 'condition') ?? at);
    const conditions = isSeq(conditionNode) ? (conditionNode.items as Node[]) : [conditionNode];
    // An aggregation in the condition is the error to report; a `timeframe` without one is still Sigma 1's.
    const parsed = conditions.map((n) => ({ node: n, cond: this.parseConditionNode(n) }));
    if (timeframe) throw this.src.error(MSG.timeframe, timeframe);
    // Every search is checked (and its fields resolved) even when no condition names it.
    const perSchema = this.schemas.map((schema) => {
      const compiled = new Map<string, B>();
      for (const [name, node] of searches) compiled.set(name, this.search(schema, node));
      return anyOf(parsed.map(({ node, cond }) => this.condition(cond, compiled, node)));
    });
    for (const [field, node] of this.fieldNodes)
      if (!this.found.has(field))
        throw this.src.error(
          MSG.unknownField(
            field,
            this.schemas.map((s) => s.name),
          ),
          node,
        );
    return this.join(perSchema);
  }

  /** `#schema == "a" && e` per schema, or one guard `#schema in [...]` when all schemas agree. */
  private join(perSchema: B[]): Expr {
    const guard = (names: string[]): Expr =>
      names.length === 1
        ? pred('#schema', '==', str(names[0]))
        : pred('#schema', 'in', { type: 'list', items: names.map(str) });
    const metaGuard = (names: string[]): Expr => {
      const p = guard(names) as Extract<Expr, { kind: 'predicate' }>;
      return { ...p, lhs: { kind: 'meta', name: 'schema', span: AT } };
    };
    const live = this.schemas.map((s, i) => ({ name: s.name, e: perSchema[i] })).filter((x) => x.e !== false);
    if (live.length === 0) return toExpr(and(metaGuard(this.schemas.map((s) => s.name)), false));
    const first = live[0].e;
    const same = live.every((x) =>
      typeof x.e === 'boolean' ? x.e === first : typeof first !== 'boolean' && exprEquals(x.e, first),
    );
    if (same) return toExpr(and(metaGuard(live.map((x) => x.name)), first));
    return toExpr(anyOf(live.map((x) => and(metaGuard([x.name]), x.e))));
  }

  private parseConditionNode(n: Node): Condition {
    if (!isScalar(n) || typeof n.value !== 'string') throw this.src.error("'condition' must be a string", n);
    try {
      return parseCondition(n.value);
    } catch (e) {
      if (!(e instanceof ConditionError)) throw e;
      throw this.src.error(e.message, this.offsetIn(n, e.at));
    }
  }

  /** The text offset of a position inside a scalar (exact for plain and single-line quoted scalars). */
  private offsetIn(n: Node, at: number): number {
    const start = n.range?.[0] ?? 0;
    const quoted = isScalar(n) && (n.type === 'QUOTE_DOUBLE' || n.type === 'QUOTE_SINGLE');
    return start + (quoted ? 1 : 0) + at;
  }

  private condition(c: Condition, searches: ReadonlyMap<string, B>, node: Node): B {
    switch (c.kind) {
      case 'and':
        return and(this.condition(c.left, searches, node), this.condition(c.right, searches, node));
      case 'or':
        return or(this.condition(c.left, searches, node), this.condition(c.right, searches, node));
      case 'not':
        return not(this.condition(c.expr, searches, node));
      case 'ref': {
        const s = searches.get(c.name);
        if (s === undefined) throw this.src.error(MSG.unknownIdentifier(c.name), this.offsetIn(node, c.at));
        return s;
      }
      case 'of': {
        const names = [...searches.keys()].filter((k) =>
          c.pattern === undefined ? !k.startsWith('_') : globMatch(c.pattern, k),
        );
        if (names.length === 0)
          throw this.src.error(MSG.noMatch(c.pattern ?? 'them'), this.offsetIn(node, c.at));
        const xs = names.map((k) => searches.get(k)!);
        return c.all ? allOf(xs) : anyOf(xs);
      }
    }
  }

  /** One search identifier's value on one schema. */
  private search(schema: Schema, node: Node | undefined): B {
    if (isMap(node)) return this.map(schema, node);
    if (isSeq(node)) {
      const items = node.items as Node[];
      if (items.length === 0) throw this.src.error(MSG.emptyList, node);
      if (items.every((i) => isMap(i))) return anyOf(items.map((i) => this.map(schema, i as YAMLMap)));
      if (items.every((i) => isScalar(i))) return anyOf(items.map((i) => this.keyword(i)));
    }
    if (isScalar(node) && node.value !== null) return this.keyword(node);
    throw this.src.error(MSG.badSearch, node);
  }

  /** A keyword: the value anywhere in any string field of the event (full-text search). */
  private keyword(node: Node): B {
    const raw = this.raw(node);
    const { values } = this.modified([], [raw], node);
    return anyOf(
      values.map((v) => {
        if (v.kind !== 'string') return this.keywordValue(String(raw));
        return this.keywordParts(v.parts, v.cased);
      }),
    );
  }

  private keywordValue(text: string): B {
    return this.keywordParts([text], false);
  }

  /** `:string in /v/i`: a search in every string field (keywords match anywhere, as a full-text search). */
  private keywordParts(parts: SigmaString, cased: boolean): B {
    return inEveryStringField(stringPredicate('x', ['*any', ...parts, '*any'], cased));
  }

  /** A map: AND over its keys. */
  private map(schema: Schema, map: YAMLMap): B {
    const parts: B[] = [];
    for (const p of pairs(this.src, map)) {
      const [field, ...mods] = p.key.split('|');
      const values = isSeq(p.value) ? (p.value.items as Node[]) : [p.value];
      if (isSeq(p.value) && values.length === 0) throw this.src.error(MSG.emptyList, p.value);
      const raw = values.map((n) => this.raw(n, p.keyNode));
      const m = this.modified(mods, raw, p.keyNode);
      if (field === '') {
        // `|contains: [...]`: keywords with modifiers.
        const ks = m.values.map((v) => {
          if (v.kind === 'regex') {
            try {
              return keywordRegex(v.source, v.flags);
            } catch (e) {
              if (e instanceof Mismatch) throw this.src.error(e.message, p.value ?? p.keyNode);
              throw e;
            }
          }
          if (v.kind !== 'string') throw this.src.error(MSG.keywordModifier, p.keyNode);
          return this.keywordParts(v.parts, v.cased);
        });
        parts.push(m.all ? allOf(ks) : anyOf(ks));
        continue;
      }
      parts.push(this.field(schema, field, m.values, m.all, p.keyNode, values));
    }
    return allOf(parts);
  }

  private modified(mods: string[], raw: RawValue[], keyNode: Node | undefined) {
    try {
      return applyModifiers(mods, raw);
    } catch (e) {
      if (!(e instanceof ModifierError)) throw e;
      throw this.src.error(e.message, this.modifierOffset(keyNode, e.modifier));
    }
  }

  /** Where a modifier is written in its key (`field|contains|all`), else the key. */
  private modifierOffset(keyNode: Node | undefined, modifier: string | undefined): number {
    const start = keyNode?.range?.[0] ?? 0;
    if (!isScalar(keyNode) || typeof keyNode.value !== 'string' || !modifier) return start;
    const parts = keyNode.value.split('|');
    let off = parts[0].length + 1;
    for (const m of parts.slice(1)) {
      if (m === modifier) return this.offsetIn(keyNode, off);
      off += m.length + 1;
    }
    return start;
  }

  private raw(n: Node | undefined, at?: Node): RawValue {
    if (n === undefined || n === null) return null;
    if (!isScalar(n)) throw this.src.error(MSG.nestedValue, n ?? at);
    const v = n.value;
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      // Numbers keep their written form when it says more than the number (`0x10`, `1.50`, `0123`):
      // a string field compares the text as written, a numeric field reads the number from it.
      if (typeof v === 'number' && n.source !== undefined && n.source !== String(v)) return n.source;
      return v;
    }
    if (typeof v === 'bigint') return String(v);
    return String(v);
  }

  /** `a|fieldref: b`: a equals b in the same event (both present); any pair of their leaves. */
  private fieldref(schema: Schema, left: readonly Leaf[], other: string, node: Node): B {
    if (!this.fieldNodes.has(other)) this.fieldNodes.set(other, node);
    const right = this.leavesOf(schema, other);
    if (right.length > 0) this.found.add(other);
    const parts: B[] = [];
    for (const a of left)
      for (const b of right) {
        if (!fieldsEqual(a.type, b.type, false))
          throw this.src.error(MSG.fieldrefTypes(a.path, a.type.kind, b.path, b.type.kind), node);
        parts.push({
          kind: 'predicate',
          lhs: { kind: 'field', name: a.path, span: AT },
          op: '==',
          rhs: { kind: 'field', name: b.path, span: AT },
          span: AT,
        });
      }
    return anyOf(parts);
  }

  /** The leaves a Sigma field stands for in a schema, through the field mapping (members of lists of records too). */
  private leavesOf(schema: Schema, field: string): Leaf[] {
    const candidates = fieldLeaves(schema.type);
    const found: Leaf[] = [];
    for (const name of mapField(this.mappings, schema.name, field))
      for (const l of resolveFields(schema, name, this.mappings.taxonomy, candidates))
        if (!found.some((f) => f.path === l.path)) found.push(l);
    return found;
  }

  /** A field's values on one schema: OR over values (AND with `all`), each OR over the field's leaves. */
  private field(
    schema: Schema,
    field: string,
    values: SigmaValue[],
    all: boolean,
    keyNode: Node,
    valueNodes: (Node | undefined)[],
  ): B {
    if (!this.fieldNodes.has(field)) this.fieldNodes.set(field, keyNode);
    const found = this.leavesOf(schema, field);
    if (found.length > 0) this.found.add(field);
    const each = values.map((v, i) => {
      if (v.kind === 'fieldref')
        return this.fieldref(
          schema,
          found,
          v.field,
          valueNodes[Math.min(i, valueNodes.length - 1)] ?? keyNode,
        );
      if (found.length === 0) return absent(v);
      try {
        return anyOf(found.map((l) => valueOnLeaf(l, v)));
      } catch (e) {
        if (!(e instanceof Mismatch)) throw e;
        throw this.src.error(e.message, valueNodes[Math.min(i, valueNodes.length - 1)] ?? keyNode);
      }
    });
    if (all || found.length === 0) return all ? allOf(each) : anyOf(each);
    return anyOf(
      found.map((l) =>
        mergeAlternatives(
          l.path,
          each.map((b) => onLeaf(b, l.path)),
        ),
      ),
    );
  }
}

/** Sigma's identifier patterns: `*` matches any run of characters. */
function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(name);
}
