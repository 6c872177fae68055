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
import { arrowField } from '../../types/arrow.js';
import { parseDuration } from '../../types/duration.js';
import { parseIP } from '../../types/ip.js';
import { parseSubnet } from '../../types/subnet.js';
import { parseIsoTime } from '../../types/time.js';
import { basic, list, typeToString, type VastType } from '../../types/type.js';
import type { Value } from '../../types/values.js';
import { argsPiece, assignment, commaList, type Piece, splitTopLevel, trim } from '../args.js';
import { gather, layoutKey, normalize, schemaOf } from '../batch-ops.js';
import { buildColumn } from '../layout.js';
import { type Operator, type OperatorDef, OperatorError, type ParseContext } from '../operator.js';

export interface Constant {
  readonly name: string;
  readonly type: VastType;
  readonly value: Value;
  /** The value as written, for `toString`. */
  readonly text: string;
}

const PORT_RE = /^(\d{1,5})\/(tcp|udp|icmp|icmp6|sctp|\?|unknown)$/;
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parses a VAST literal; undefined if `text` is none. */
export function parseLiteral(p: Piece, ctx: ParseContext): { type: VastType; value: Value } | undefined {
  const text = p.text;
  if (text.startsWith('"')) {
    try {
      return { type: basic('string'), value: JSON.parse(text) as string };
    } catch {
      return undefined;
    }
  }
  if (text === 'true' || text === 'false') return { type: basic('bool'), value: text === 'true' };
  if (text.startsWith('[') && text.endsWith(']')) {
    const inner = trim({ text: text.slice(1, -1), offset: p.offset + 1 });
    if (inner.text === '')
      throw new OperatorError('cannot infer the type of an empty list', ctx.text, p.offset, text.length);
    const items = splitTopLevel(
      ctx.text,
      inner.offset,
      inner.offset + inner.text.length,
      (c) => c === ',',
    ).map(trim);
    let element: VastType | undefined;
    const values: Value[] = [];
    for (const item of items) {
      const lit = parseLiteral(item, ctx);
      if (!lit)
        throw new OperatorError(`invalid value '${item.text}'`, ctx.text, item.offset, item.text.length || 1);
      if (element && typeToString(element) !== typeToString(lit.type))
        throw new OperatorError(
          `list elements must have one type: ${typeToString(element)} and ${typeToString(lit.type)}`,
          ctx.text,
          item.offset,
          item.text.length,
        );
      element = lit.type;
      values.push(lit.value);
    }
    return { type: list(element!), value: values };
  }
  if (text.includes('/')) {
    const port = PORT_RE.exec(text);
    if (port && Number(port[1]) <= 65535) return { type: basic('port'), value: Number(port[1]) };
    const net = parseSubnet(text);
    return net ? { type: basic('subnet'), value: { subnet: net.address, length: net.length } } : undefined;
  }
  const ip = /^[\d.]+$|:/.test(text) ? parseIP(text) : undefined;
  if (ip) return { type: basic('ip'), value: { ip } };
  const time = parseIsoTime(text);
  if (time !== undefined) return { type: basic('time'), value: time };
  const duration = parseDuration(text);
  if (duration !== undefined) return { type: basic('duration'), value: duration };
  if (/^\d+$/.test(text))
    return BigInt(text) < 2n ** 64n ? { type: basic('uint64'), value: BigInt(text) } : undefined;
  if (/^[+-]\d+$/.test(text)) {
    const v = BigInt(text);
    return v >= -(2n ** 63n) && v < 2n ** 63n ? { type: basic('int64'), value: v } : undefined;
  }
  if (NUMBER_RE.test(text)) return { type: basic('double'), value: Number(text) };
  return undefined;
}

/** A single-row column per constant, repeated per batch with `gather`. */
export function extendWith(constants: readonly Constant[]): Operator {
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
    const constants = commaList(argsPiece(args, ctx), ctx, 'F=VALUE').map((p): Constant => {
      const a = assignment(p);
      if (!a) throw new OperatorError(`expected F=VALUE, got '${p.text}'`, ctx.text, p.offset, p.text.length);
      const name = a.name.text;
      if (!/^[A-Za-z_]\w*$/.test(name))
        throw new OperatorError(
          `expected a top-level field name, got '${name}'`,
          ctx.text,
          a.name.offset,
          name.length,
        );
      if (seen.has(name))
        throw new OperatorError(`field '${name}' is extended twice`, ctx.text, a.name.offset, name.length);
      seen.add(name);
      if (a.value.text === '')
        throw new OperatorError(`expected a value for '${name}'`, ctx.text, a.value.offset, 1);
      const lit = parseLiteral(a.value, ctx);
      if (!lit)
        throw new OperatorError(
          `invalid value '${a.value.text}'`,
          ctx.text,
          a.value.offset,
          a.value.text.length,
          [
            'values are strings "x", numbers, true/false, durations (10s), times (2020-01-01), ips, subnets, ports (80/tcp) or lists',
          ],
        );
      return { name, ...lit, text: a.value.text };
    });
    return extendWith(constants);
  },
};
