/**
 * A Sigma document (one YAML document of a text) → a `SigmaRule` or a
 * `SigmaCorrelation` (types.ts): metadata, logsource mapping, detection,
 * correlation fields. Every error names the construct and points at it.
 */
import { isMap, isScalar, type Node, type YAMLMap } from 'yaml';
import type { Expr } from '../../expr/ast.js';
import { parseExpression } from '../../expr/parser.js';
import { printExpression } from '../../expr/print.js';
import { DetectionCompiler } from './compile.js';
import { mapField, mapLogsource, type SigmaMappings } from './mappings.js';
import {
  type CorrelationType,
  type CountOp,
  SIGMA_LEVELS,
  type SigmaCorrelation,
  type SigmaLevel,
  type SigmaLogsource,
  type SigmaMeta,
  type SigmaOrigin,
  type SigmaRule,
} from './types.js';
import { entry, keyNode, optionalString, pairs, type SigmaSource, stringList, stringOf } from './yaml.js';

const MSG = {
  noTitle: "a Sigma rule needs a 'title'",
  level: (l: string) => `unknown level '${l}' (known: ${SIGMA_LEVELS.join(', ')})`,
  neither: "a Sigma document needs 'detection' (a rule) or 'correlation' (a correlation rule)",
  both: "a Sigma document has either 'detection' or 'correlation', not both",
  action: (a: string) =>
    `the Sigma 1 collection action '${a}' is not supported: write each rule as a document of its own`,
  noLogsource: "a Sigma rule needs a 'logsource'",
  unmapped: (l: string) => `no mapping for the logsource ${l}`,
  missingSchema: (s: string) => `the logsource maps to the schema '${s}', which vast does not know`,
  corrType: (t: string) =>
    `unknown correlation type '${t}' (known: event_count, value_count, temporal, temporal_ordered)`,
  corrRules: "a correlation needs 'rules' (the ids or names of the rules it correlates)",
  timespan: (t: string) => `invalid timespan '${t}' (a number and a unit: s, m, h, d, w, e.g. 15m)`,
  noTimespan: "a correlation needs a 'timespan'",
  condition:
    "a correlation's 'condition' is a map with one of gt, gte, lt, lte, eq, neq (and 'field' for value_count)",
  conditionOps:
    "a correlation's 'condition' with several comparisons is not supported; give one of gt, gte, lt, lte, eq, neq",
  count: (op: string) => `'${op}' needs a non-negative integer`,
  noCondition: (t: string) => `a ${t} correlation needs a 'condition'`,
  valueField: "a value_count correlation needs 'field' in its 'condition'",
  aliases: "correlation 'aliases' are not supported: map the rules' fields to one name in the field mappings",
  invalidExpr: (why: string) => `the rule compiles to an expression vast cannot parse: ${why}`,
};

const LOGSOURCE_KEYS = ['product', 'service', 'category'] as const;

function describeLogsource(l: SigmaLogsource): string {
  const parts = LOGSOURCE_KEYS.filter((k) => l[k] !== undefined).map((k) => `${k}: ${l[k]}`);
  return parts.length > 0 ? `{${parts.join(', ')}}` : '{}';
}

/** The metadata of a rule or correlation. */
function meta(src: SigmaSource, root: YAMLMap, offset: number): SigmaMeta {
  const title = optionalString(src, root, 'title');
  if (title === undefined) throw src.error(MSG.noTitle, root.range?.[0] ?? offset);
  const name = optionalString(src, root, 'name');
  const id = optionalString(src, root, 'id') ?? name ?? slug(title);
  const levelText = optionalString(src, root, 'level');
  if (levelText !== undefined && !(SIGMA_LEVELS as readonly string[]).includes(levelText.toLowerCase()))
    throw src.error(MSG.level(levelText), entry(root, 'level'));
  const level = (levelText?.toLowerCase() ?? 'medium') as SigmaLevel;
  const status = optionalString(src, root, 'status');
  const description = optionalString(src, root, 'description');
  const author = optionalString(src, root, 'author');
  const firstKey = root.items[0]?.key as Node | undefined;
  const origin: SigmaOrigin = {
    ...(src.file !== '<sigma>' ? { file: src.file } : {}),
    line: src.line(firstKey?.range?.[0] ?? offset),
  };
  return {
    id,
    ...(name !== undefined ? { name } : {}),
    title,
    level,
    ...(status !== undefined ? { status } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(author !== undefined ? { author } : {}),
    tags: stringList(src, root, 'tags').map((t) => t.value),
    falsepositives: stringList(src, root, 'falsepositives').map((t) => t.value),
    origin,
  };
}

/** `Suspicious DNS Query` → `suspicious-dns-query`. */
function slug(title: string): string {
  return (
    title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'rule'
  );
}

/** One detection rule. */
export function ruleOf(src: SigmaSource, root: YAMLMap, offset: number, mappings: SigmaMappings): SigmaRule {
  const m = meta(src, root, offset);
  const lsNode = entry(root, 'logsource');
  if (!isMap(lsNode)) throw src.error(MSG.noLogsource, lsNode ?? root.range?.[0] ?? offset);
  const logsource: Record<string, string> = {};
  for (const k of LOGSOURCE_KEYS) {
    const v = optionalString(src, lsNode, k);
    if (v !== undefined) logsource[k] = v;
  }
  const mapping = mapLogsource(mappings, logsource);
  if (!mapping) {
    const known = mappings.logsources.map((l) => describeLogsource(l.logsource));
    throw src.error(MSG.unmapped(describeLogsource(logsource)), lsNode, [
      `mapped logsources: ${known.join(', ')}`,
      "add one in a 'sigma:' section of a schema file (see schemas/sigma.yaml)",
    ]);
  }
  const schemas = mapping.schemas.map((name) => {
    const s = mappings.schema(name);
    if (!s) throw src.error(MSG.missingSchema(name), lsNode);
    return s;
  });
  const compiler = new DetectionCompiler(src, mappings, schemas);
  const built = compiler.compile(entry(root, 'detection'), keyNode(root, 'detection'));
  const { expr, text } = roundTrip(src, built, root);
  const fields = stringList(src, root, 'fields').map((f) => mapField(mappings, schemas[0].name, f.value)[0]);
  return {
    kind: 'rule',
    ...m,
    logsource,
    schemas: schemas.map((s) => s.name),
    expr,
    text,
    fields,
  };
}

/** The printed text and the expression parsed back from it (so that `expr` is what `text` says). */
function roundTrip(src: SigmaSource, built: Expr, root: YAMLMap): { expr: Expr; text: string } {
  const text = printExpression(built);
  const parsed = parseExpression(text);
  if (!parsed.ok) throw src.error(MSG.invalidExpr(parsed.diagnostics[0].message), keyNode(root, 'detection'));
  return { expr: parsed.expr, text };
}

const UNITS: Record<string, bigint> = {
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
  w: 7n * 86_400_000_000_000n,
};

const TYPES: readonly CorrelationType[] = ['event_count', 'value_count', 'temporal', 'temporal_ordered'];
const OPS: readonly CountOp[] = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'];

/**
 * One correlation rule. `fieldMap` maps a group-by field to vast's name
 * (through the schemas of the correlated rules when they are in the same text).
 */
export function correlationOf(
  src: SigmaSource,
  root: YAMLMap,
  offset: number,
  fieldMap: (field: string, rules: readonly string[]) => string,
): SigmaCorrelation {
  const m = meta(src, root, offset);
  const c = entry(root, 'correlation');
  if (!isMap(c)) throw src.error("'correlation' must be a map", c ?? keyNode(root, 'correlation'));
  const typeNode = entry(c, 'type');
  const type = stringOf(src, typeNode, 'type', keyNode(root, 'correlation')) as CorrelationType;
  if (!TYPES.includes(type)) throw src.error(MSG.corrType(type), typeNode);
  if (entry(c, 'aliases') !== undefined) throw src.error(MSG.aliases, keyNode(c, 'aliases'));
  const rules = stringList(src, c, 'rules').map((r) => r.value);
  if (rules.length === 0) throw src.error(MSG.corrRules, keyNode(root, 'correlation'));
  const groupBy = stringList(src, c, 'group-by').map((g) => fieldMap(g.value, rules));
  const spanNode = entry(c, 'timespan') ?? entry(c, 'timeframe');
  if (spanNode === undefined) throw src.error(MSG.noTimespan, keyNode(root, 'correlation'));
  const spanText = stringOf(src, spanNode, 'timespan');
  const sm = /^(\d+)([smhdw])$/.exec(spanText.trim());
  if (!sm) throw src.error(MSG.timespan(spanText), spanNode);
  const timespanNs = BigInt(sm[1]) * UNITS[sm[2]];
  const condNode = entry(c, 'condition');
  let condition: SigmaCorrelation['condition'];
  if (condNode === undefined) {
    if (type === 'event_count' || type === 'value_count')
      throw src.error(MSG.noCondition(type), keyNode(root, 'correlation'));
    condition = { op: 'gte', count: rules.length };
  } else {
    if (!isMap(condNode)) throw src.error(MSG.condition, condNode);
    let op: CountOp | undefined;
    let count = 0;
    let field: string | undefined;
    for (const p of pairs(src, condNode)) {
      if (p.key === 'field') {
        field = fieldMap(stringOf(src, p.value, 'field', p.keyNode), rules);
        continue;
      }
      if (!(OPS as readonly string[]).includes(p.key)) throw src.error(MSG.condition, p.keyNode);
      if (op !== undefined) throw src.error(MSG.conditionOps, p.keyNode);
      op = p.key as CountOp;
      const n = isScalar(p.value) ? Number(p.value.value) : Number.NaN;
      if (!Number.isInteger(n) || n < 0) throw src.error(MSG.count(p.key), p.value ?? p.keyNode);
      count = n;
    }
    if (op === undefined) throw src.error(MSG.condition, condNode);
    if (type === 'value_count' && field === undefined) throw src.error(MSG.valueField, condNode);
    condition = { op, count, ...(field !== undefined ? { field } : {}) };
  }
  const genNode = entry(c, 'generate') ?? entry(root, 'generate');
  const generate = isScalar(genNode) && genNode.value === true;
  return { kind: 'correlation', ...m, type, rules, groupBy, timespanNs, condition, generate };
}
