/**
 * `extend f=VALUE, ...`: adds constant fields at the end of every event.
 * A value's type follows from its syntax, as in VAST's expression language:
 *
 * | syntax                         | type     |
 * |--------------------------------|----------|
 * | `"text"` (JSON escapes)        | string   |
 * | `true`, `false`                | bool     |
 * | `42`                           | uint64 (VAST's `count`) |
 * | `+42`, `-42`                   | int64    |
 * | `1.5`, `-2e3`                  | double   |
 * | `10s`, `1.5h`, `-3us`          | duration |
 * | `2020-01-01`, `2020-01-01T10:00:00Z` | time |
 * | `10.0.0.1`, `::1`              | ip       |
 * | `10.0.0.0/8`                   | subnet   |
 * | `80/tcp`                       | port     |
 * | `[v, ...]` (one element type)  | list<T>  |
 *
 * A field the schema already has (same top-level name) is left as it is.
 */
import * as A from 'apache-arrow';
import type { Literal } from '../../expr/ast.js';
import { parseLiteralTokens } from '../../expr/parser.js';
import { arrowField } from '../../types/arrow.js';
import { basic, list, typeToString, type VastType } from '../../types/type.js';
import type { Value } from '../../types/values.js';
import { assignment, commaList, fail, sourceOf, type Tokens, withEof } from '../args.js';
import { gather, layoutKey, normalize, schemaOf } from '../batch-ops.js';
import { buildColumn } from '../layout.js';
import type { Operator, OperatorDef, ParseContext } from '../operator.js';

interface Constant {
  readonly name: string;
  readonly type: VastType;
  readonly value: Value;
  /** The value as written, for `toString`. */
  readonly text: string;
}

/**
 * The column type and value of an expression literal; undefined for what a
 * column cannot hold; `why` explains a list that has no one element type.
 */
function typedValue(
  lit: Literal,
  why: (message: string) => never,
): { type: VastType; value: Value } | undefined {
  switch (lit.type) {
    case 'bool':
    case 'int64':
    case 'uint64':
    case 'double':
    case 'string':
      return { type: basic(lit.type), value: lit.value };
    case 'duration':
    case 'time':
      return { type: basic(lit.type), value: lit.ns };
    case 'ip':
      return { type: basic('ip'), value: { ip: lit.bytes } };
    case 'subnet':
      return { type: basic('subnet'), value: { subnet: lit.bytes, length: lit.length } };
    case 'port':
      return { type: basic('port'), value: lit.port };
    case 'list': {
      if (lit.items.length === 0) why('cannot infer the type of an empty list');
      const typed = lit.items.map((x) => typedValue(x, why));
      if (typed.some((t) => t === undefined)) return undefined;
      const types = [...new Set(typed.map((t) => typeToString(t!.type)))];
      if (types.length > 1) why(`list elements must have one type: ${types[0]} and ${types[1]}`);
      return { type: list(typed[0]!.type), value: typed.map((t) => t!.value) };
    }
    default:
      return undefined;
  }
}

/** Parses the value of `f=VALUE` with the expression language's literal syntax. */
function parseConstant(tokens: Tokens, ctx: ParseContext): { type: VastType; value: Value } {
  const { literal, problems } = parseLiteralTokens(ctx.text, withEof(tokens, ctx.end), { now: ctx.now });
  if (problems.length > 0) fail(ctx, problems[0].message, problems[0].offset, problems[0].notes);
  const typed = literal && typedValue(literal, (message) => fail(ctx, message, tokens));
  if (!typed)
    fail(ctx, `invalid value '${sourceOf(tokens, ctx)}'`, tokens, [
      'values are strings "x", numbers, true/false, durations (10s), times (2020-01-01), ips, subnets, ports (80/tcp) or lists',
    ]);
  return typed;
}

/** A single-row column per constant, repeated per batch with `gather`. */
function extendWith(constants: readonly Constant[]): Operator {
  const columns = constants.map((c) => buildColumn(c.type, [c.value]));
  return {
    name: 'extend',
    toString: () => `extend ${constants.map((c) => `${c.name}=${c.text}`).join(', ')}`,
    async *run(input: AsyncIterable<A.RecordBatch>): AsyncIterable<A.RecordBatch> {
      const plans = new Map<string, { schema: A.Schema; added: number[] }>();
      for await (const raw of input) {
        const key = layoutKey(raw);
        let plan = plans.get(key);
        if (!plan) {
          const have = new Set(schemaOf(raw).type.fields.map((f) => f.name));
          const added = constants.flatMap((c, k) => (have.has(c.name) ? [] : [k]));
          const fields = added.map((k) => {
            const meta = arrowField(constants[k].name, constants[k].type).metadata;
            return new A.Field(constants[k].name, columns[k].type, true, meta);
          });
          plan = { schema: new A.Schema([...raw.schema.fields, ...fields], raw.schema.metadata), added };
          plans.set(key, plan);
        }
        if (plan.added.length === 0 || raw.numRows === 0) {
          yield raw;
          continue;
        }
        const batch = normalize(raw);
        const zeros = new Int32Array(batch.numRows);
        const children = [
          ...batch.data.children,
          ...plan.added.map((k) => gather(columns[k].type, [columns[k]], undefined, zeros)),
        ];
        const data = A.makeData({
          type: new A.Struct(plan.schema.fields),
          length: batch.numRows,
          nullCount: 0,
          children,
        });
        yield new A.RecordBatch(plan.schema, data);
      }
    },
  };
}

export const extend: OperatorDef = {
  name: 'extend',
  description: 'extend F=VALUE, ...: adds constant fields (type from the value syntax)',
  parse(args, ctx) {
    const seen = new Set<string>();
    const constants = commaList(args, ctx, 'F=VALUE').map((p): Constant => {
      const a = assignment(p);
      if (!a) fail(ctx, `expected F=VALUE, got '${sourceOf(p, ctx)}'`, p);
      const [n] = a.name;
      if (a.name.length !== 1 || n.kind !== 'word' || n.name!.includes('.'))
        fail(ctx, `expected a top-level field name, got '${sourceOf(a.name, ctx)}'`, a.name);
      const name = n.name!;
      if (seen.has(name)) fail(ctx, `field '${name}' is extended twice`, n);
      seen.add(name);
      if (a.value.length === 0) fail(ctx, `expected a value for '${name}'`, n.end + 1);
      return { name, ...parseConstant(a.value, ctx), text: sourceOf(a.value, ctx) };
    });
    return extendWith(constants);
  },
};
