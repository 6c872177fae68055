/**
 * `summarize AGG, ... [by KEY, ...] [resolution DURATION]`: one event per
 * group of events with equal keys, with the aggregations over the group.
 *
 * - AGG is `[name=]fn(field)`: `count()`, `count(f)`, `sum(f)`, `min(f)`,
 *   `max(f)`, `avg(f)`, `distinct(f)` (see `aggregates/`). Without a name the
 *   output field is the aggregation's text, e.g. `sum(bytes)`.
 * - KEY is `field`, `name=field`, or a time bucket `[name=]round(field, 1h)`
 *   (bucket start = floor(t / width) * width). VAST's `resolution 1h` suffix
 *   buckets every time-typed key.
 * - Groups key by value across schemas (a `proto` from `zeek.conn` and one
 *   from `zeek.dns` group together); a schema without a key field counts as
 *   null for it, and nulls form their own group. Strings group with enums of
 *   the same text; other types never mix (`keys.ts`).
 * - Output: schema `vast.summarize`, group fields first (dotted names nest:
 *   `id.orig_h` → `id: record{orig_h}`), then the aggregations; groups in
 *   order of first appearance. A key field whose type differs between
 *   schemas yields one batch per type combination. No input, no output.
 * - Buffers nothing but the groups: per group its aggregation state and a
 *   reference to the key column of the batch that opened it.
 */
import * as A from 'apache-arrow';
import type { Token } from '../../expr/lexer.js';
import { resolvePaths } from '../../expr/resolve.js';
import { arrowType } from '../../types/arrow.js';
import { plainColumn } from '../../types/dictionary-strings.js';
import { basic, fieldAt, typeToString, type VastType } from '../../types/type.js';
import { type AggregateDef, type Aggregator, aggregateRegistry } from '../aggregates/index.js';
import { assignment, commaList, fail, fieldName, isWord, sourceOf, suggest, type Tokens } from '../args.js';
import { dataAt, gather, indexPath, layoutKey, normalize, schemaOf } from '../batch-ops.js';
import { GroupIndex } from '../group-index.js';
import { makeBatch, type OutputColumn } from '../layout.js';
import { type Operator, type OperatorDef, OperatorRuntimeError, type ParseContext } from '../operator.js';

interface AggregateSpec {
  /** Output field name. */
  readonly name: string;
  /** Whether the name was given (`n=count()`), for `toString`. */
  readonly alias: boolean;
  readonly fn: AggregateDef;
  readonly field?: string;
}

interface Duration {
  readonly ns: bigint;
  readonly text: string;
}

interface GroupSpec {
  /** Output field path (dots nest). */
  readonly name: string;
  readonly alias: boolean;
  readonly field: string;
  /** `round(field, width)`. */
  readonly bucket?: Duration;
}

export interface SummarizeSpec {
  readonly aggregates: readonly AggregateSpec[];
  readonly groups: readonly GroupSpec[];
  readonly resolution?: Duration;
  /** Output schema name; `vast.summarize` by default (`top` uses its own). */
  readonly schemaName?: string;
  /** Leave out the group whose (single) key is null or missing (`top`, `rare`). */
  readonly skipNullKey?: boolean;
}

interface Located {
  readonly path: number[];
  readonly type: VastType;
}

interface Plan {
  readonly keys: readonly ((Located & { bucket?: bigint }) | undefined)[];
  readonly aggs: readonly (Located | undefined)[];
}

/** The key columns of a batch that opened at least one group. */
interface KeySource {
  readonly datas: readonly (A.Data | undefined)[];
  readonly types: readonly (VastType | undefined)[];
}

const INT64_MAX = 2n ** 63n - 1n;

function locate(batch: A.RecordBatch, field: string): Located | undefined {
  const schema = schemaOf(batch);
  const type = schema.type;
  const [path] = resolvePaths(schema, field);
  return path === undefined ? undefined : { path: indexPath(type, path)!, type: fieldAt(type, path)! };
}

function words64(v: bigint): [hi: number, lo: number] {
  const u = BigInt.asUintN(64, v);
  return [Number(BigInt.asIntN(32, u >> 32n)), Number(u & 0xffffffffn)];
}

/**
 * Time (or duration) column → start of each value's bucket. Consecutive
 * values mostly fall into the current bucket, which is checked on the 32-bit
 * words; only a new bucket costs BigInt arithmetic.
 */
function bucketColumn(data: A.Data, width: bigint): A.Data {
  const n = data.length;
  const v = data.values as BigInt64Array;
  const w = new Int32Array(v.buffer, v.byteOffset, n * 2);
  const out = new BigInt64Array(n);
  const ow = new Int32Array(out.buffer);
  const less = (ah: number, al: number, bh: number, bl: number) => ah < bh || (ah === bh && al < bl);
  let [sHi, sLo, eHi, eLo] = [0, 0, 0, 0];
  let have = false;
  for (let i = 0; i < n; i++) {
    const hi = w[2 * i + 1];
    const lo = w[2 * i] >>> 0;
    if (!have || less(hi, lo, sHi, sLo) || !less(hi, lo, eHi, eLo)) {
      const t = v[i];
      let q = t / width;
      if (t < 0n && t % width !== 0n) q -= 1n;
      const start = q * width;
      const end = start + width > INT64_MAX ? INT64_MAX : start + width;
      [sHi, sLo] = words64(start);
      [eHi, eLo] = words64(end);
      have = true;
    }
    ow[2 * i] = sLo | 0;
    ow[2 * i + 1] = sHi;
  }
  return A.makeData({
    type: data.type as A.Int64,
    length: n,
    nullCount: data.nullCount,
    nullBitmap: data.nullBitmap,
    data: out,
  });
}

class Groups {
  private readonly index: GroupIndex;
  private repSource = new Int32Array(64);
  private repRow = new Int32Array(64);
  private readonly sources: KeySource[] = [];
  private readonly aggs: Aggregator[];
  private groups = new Int32Array(0);
  private readonly plans = new Map<string, Plan>();

  constructor(private readonly spec: SummarizeSpec) {
    this.aggs = spec.aggregates.map((a) => a.fn.create({ field: a.field }));
    this.index = new GroupIndex(spec.groups.length);
  }

  private get size(): number {
    return this.index.size;
  }

  private plan(batch: A.RecordBatch): Plan {
    const layout = layoutKey(batch);
    let plan = this.plans.get(layout);
    if (plan) return plan;
    const keys = this.spec.groups.map((g) => {
      const at = locate(batch, g.field);
      if (!at) return undefined;
      const timeLike = at.type.kind === 'time' || at.type.kind === 'duration';
      if (g.bucket && !timeLike)
        throw new OperatorRuntimeError(
          'summarize',
          `round(${g.field}, ${g.bucket.text}): the field is ${typeToString(at.type)} in schema '${schemaOf(batch).name}', not a time`,
        );
      const bucket = g.bucket?.ns ?? (at.type.kind === 'time' ? this.spec.resolution?.ns : undefined);
      return { ...at, bucket };
    });
    const aggs = this.spec.aggregates.map((a) =>
      a.field === undefined ? undefined : locate(batch, a.field),
    );
    plan = { keys, aggs };
    this.plans.set(layout, plan);
    return plan;
  }

  add(batch: A.RecordBatch): void {
    const n = batch.numRows;
    const plan = this.plan(batch);
    const datas = plan.keys.map((k) => {
      if (!k) return undefined;
      const d = dataAt(batch, k.path);
      return k.bucket === undefined ? d : bucketColumn(d, k.bucket);
    });
    const types = plan.keys.map((k) => k?.type);
    if (this.groups.length < n) this.groups = new Int32Array(Math.max(n, this.groups.length * 2));
    const groups = this.groups;
    const before = this.index.assign(datas, types, n, groups);
    if (this.size > before) this.opened(datas, types, groups, n, before);
    this.aggs.forEach((agg, j) => {
      const at = plan.aggs[j];
      // Aggregates read values row by row: dictionary strings reach them decoded.
      const data = at && plainColumn(dataAt(batch, at.path));
      agg.add(data ? { data, type: at.type } : undefined, groups, n, this.size);
    });
  }

  /** Remembers the first row of each group this batch opened, for the key values in the output. */
  private opened(
    datas: (A.Data | undefined)[],
    types: (VastType | undefined)[],
    groups: Int32Array,
    n: number,
    before: number,
  ): void {
    const source = this.sources.length;
    this.sources.push({ datas, types });
    if (this.size > this.repSource.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(Math.max(this.size, a.length * 2));
        b.set(a);
        return b;
      };
      this.repSource = grow(this.repSource);
      this.repRow = grow(this.repRow);
    }
    this.repSource.fill(-1, before, this.size);
    for (let i = 0; i < n; i++) {
      const g = groups[i];
      if (g >= before && this.repSource[g] < 0) {
        this.repSource[g] = source;
        this.repRow[g] = i;
      }
    }
  }

  finish(): A.RecordBatch[] {
    if (this.size === 0) return [];
    const { spec, sources, repSource, repRow } = this;
    const values = this.aggs.map((a) => a.value(this.size));
    const skip = spec.skipNullKey ? this.index.nullGroup() : undefined;
    const fallback = spec.groups.map((_, j) => sources.find((s) => s.types[j])?.types[j] ?? basic('string'));
    // Groups whose key columns have the same types go into one batch.
    const parts = new Map<string, { types: VastType[]; ids: number[] }>();
    for (let g = 0; g < this.size; g++) {
      if (g === skip) continue;
      const s = sources[repSource[g]];
      const types = spec.groups.map((_, j) => s.types[j] ?? fallback[j]);
      const sig = types.map(typeToString).join('\u0000');
      let part = parts.get(sig);
      if (!part) {
        part = { types, ids: [] };
        parts.set(sig, part);
      }
      part.ids.push(g);
    }
    const out: A.RecordBatch[] = [];
    for (const { types, ids } of parts.values()) {
      const rows = Int32Array.from(ids);
      const columns: OutputColumn[] = spec.groups.map((g, j) => {
        const src = new Int32Array(ids.length);
        const row = new Int32Array(ids.length);
        let type: A.DataType | undefined;
        ids.forEach((id, k) => {
          const d = sources[repSource[id]].datas[j];
          src[k] = d ? repSource[id] : -1;
          row[k] = repRow[id];
          type ??= d?.type;
        });
        const keyData = sources.map((s) => s.datas[j]);
        const data = gather(type ?? arrowType(types[j]), keyData, src, row);
        return { path: g.name, type: types[j], data: plainColumn(data) };
      });
      const whole = ids.length === this.size;
      spec.aggregates.forEach((a, j) => {
        const v = values[j];
        const data = whole ? v.data : gather(v.data.type, [v.data], undefined, rows);
        columns.push({ path: a.name, flat: true, type: v.type, data });
      });
      out.push(makeBatch(spec.schemaName ?? 'vast.summarize', columns, ids.length));
    }
    return out;
  }
}

export function summarizeWith(spec: SummarizeSpec): Operator {
  const agg = (a: AggregateSpec) => `${a.alias ? `${a.name}=` : ''}${a.fn.name}(${a.field ?? ''})`;
  const key = (g: GroupSpec) => {
    const value = g.bucket ? `round(${g.field}, ${g.bucket.text})` : g.field;
    return g.alias ? `${g.name}=${value}` : value;
  };
  return {
    name: 'summarize',
    // Groups by dictionary code; key columns and aggregates come out plain.
    dictionaryStrings: true,
    reads: [
      ...spec.groups.map((g) => g.field),
      ...spec.aggregates.flatMap((a) => (a.field === undefined ? [] : [a.field])),
    ],
    toString: () =>
      `summarize ${spec.aggregates.map(agg).join(', ')}` +
      (spec.groups.length > 0 ? ` by ${spec.groups.map(key).join(', ')}` : '') +
      (spec.resolution ? ` resolution ${spec.resolution.text}` : ''),
    async *run(input: AsyncIterable<A.RecordBatch>): AsyncIterable<A.RecordBatch> {
      const groups = new Groups(spec);
      for await (const batch of input) if (batch.numRows > 0) groups.add(normalize(batch));
      yield* groups.finish();
    },
  };
}

function duration(tokens: Tokens, ctx: ParseContext): Duration {
  const [t] = tokens;
  const lit = tokens.length === 1 && t.kind === 'value' ? t.literal : undefined;
  if (lit?.type !== 'duration' || lit.ns <= 0n)
    fail(ctx, `expected a positive duration like 1h, got '${sourceOf(tokens, ctx)}'`, tokens);
  return { ns: lit.ns, text: t.text };
}

function outputName(tokens: Tokens, ctx: ParseContext): string {
  if (tokens.length !== 1 || tokens[0].kind !== 'word')
    fail(ctx, `expected an output field name, got '${sourceOf(tokens, ctx)}'`, tokens);
  return tokens[0].name!;
}

/** `NAME(ARGS)`: the name token and the tokens between the parentheses; undefined for anything else. */
function call(tokens: Tokens): { name: Token; args: Token[] } | undefined {
  const [name, open] = tokens;
  const close = tokens[tokens.length - 1];
  if (name?.kind !== 'word' || open?.kind !== 'lparen' || close.kind !== 'rparen' || tokens.length < 3)
    return undefined;
  return { name, args: tokens.slice(2, -1) };
}

function parseAggregate(p: Tokens, ctx: ParseContext): AggregateSpec {
  const a = assignment(p);
  const value = a ? a.value : p;
  const c = call(value);
  if (!c)
    fail(ctx, `expected an aggregation like count() or sum(field), got '${sourceOf(value, ctx)}'`, value);
  const fn = aggregateRegistry.get(c.name.name!);
  if (!fn) {
    const near = suggest(aggregateRegistry.keys(), c.name.name!);
    fail(
      ctx,
      `unknown aggregation function '${c.name.name}'`,
      c.name,
      near ? [`did you mean '${near}'?`] : [`known functions: ${[...aggregateRegistry.keys()].join(', ')}`],
    );
  }
  const field = c.args.length === 0 ? undefined : fieldName(c.args, ctx);
  if (fn.field === 'required' && field === undefined)
    fail(ctx, `${fn.name}() needs a field, as in ${fn.name}(bytes)`, value);
  if (fn.field === 'none' && field !== undefined) fail(ctx, `${fn.name}() takes no field`, c.args);
  const name = a ? outputName(a.name, ctx) : `${fn.name}(${field ?? ''})`;
  return { name, alias: a !== undefined, fn, field };
}

function parseGroup(p: Tokens, ctx: ParseContext): GroupSpec {
  const a = assignment(p);
  const value = a ? a.value : p;
  const c = call(value);
  let field: string;
  let bucket: Duration | undefined;
  if (c && isWord(c.name, 'round')) {
    const args = commaList(c.args, ctx, 'round(FIELD, DURATION)');
    if (args.length !== 2) fail(ctx, 'expected round(FIELD, DURATION)', value);
    field = fieldName(args[0], ctx);
    bucket = duration(args[1], ctx);
  } else field = fieldName(value, ctx);
  const name = a ? outputName(a.name, ctx) : field;
  return { name, alias: a !== undefined, field, bucket };
}

/** Parses `AGG, ... [by KEY, ...] [resolution D]` (shared with nothing else, exported for tests). */
function parseSummarize(args: Tokens, ctx: ParseContext): SummarizeSpec {
  const by = args.findIndex((t) => isWord(t, 'by'));
  const res = args.findIndex((t) => isWord(t, 'resolution'));
  let resolution: Duration | undefined;
  let keysEnd = args.length;
  if (res >= 0) {
    if (by < 0 || res < by) fail(ctx, "'resolution' needs group fields: by FIELD resolution D", args[res]);
    if (res + 1 >= args.length) fail(ctx, 'expected a duration after resolution', ctx.end);
    resolution = duration(args.slice(res + 1), ctx);
    keysEnd = res;
  }
  const aggPart = args.slice(0, by < 0 ? keysEnd : by);
  if (aggPart.length === 0)
    fail(
      ctx,
      'summarize needs an aggregation, as in count() or sum(bytes)',
      args.length > 0 ? args[0] : ctx.end,
    );
  const aggPieces = commaList(aggPart, ctx, 'an aggregation');
  const aggregates = aggPieces.map((p) => parseAggregate(p, ctx));
  let groupPieces: Token[][] = [];
  if (by >= 0) {
    const keyPart = args.slice(by + 1, keysEnd);
    if (keyPart.length === 0) fail(ctx, "expected a field after 'by'", args[by]);
    groupPieces = commaList(keyPart, ctx, 'a field');
  }
  const groups = groupPieces.map((p) => parseGroup(p, ctx));
  // Output names must be unique; group names nest, so `a` and `a.b` clash too.
  const clash = (p: Tokens, name: string): never =>
    fail(ctx, `output field '${name}' is defined twice; name one with NAME=...`, p);
  const groupNames: string[] = [];
  groups.forEach((g, k) => {
    if (groupNames.some((n) => n === g.name || n.startsWith(`${g.name}.`) || g.name.startsWith(`${n}.`)))
      clash(groupPieces[k], g.name);
    groupNames.push(g.name);
  });
  const tops = new Set(groupNames.map((n) => n.split('.')[0]));
  aggregates.forEach((a, k) => {
    if (tops.has(a.name)) clash(aggPieces[k], a.name);
    tops.add(a.name);
  });
  return { aggregates, groups, resolution };
}

export const summarize: OperatorDef = {
  name: 'summarize',
  description: 'summarize AGG, ... [by KEY, ...]: one event per group (count, sum, min, max, avg, distinct)',
  parse(args, ctx) {
    return summarizeWith(parseSummarize(args, ctx));
  },
};
