/**
 * `sort f [asc|desc], ...`: orders all events by the fields, stably, across
 * schemas. Buffers the whole input (it cannot emit anything before the
 * input ends). Values compare by their VAST type (see `order.ts`: ips by
 * bytes, times and integers exactly, strings by code point). Nulls come last
 * in both directions, and so do events whose schema lacks the field, which
 * count as null; ties keep arrival order.
 *
 * Output: one batch per run of consecutive events of one schema.
 */
import * as A from 'apache-arrow';
import { resolvePaths } from '../../expr/resolve.js';
import { fieldAt } from '../../types/type.js';
import { stringAt } from '../../types/values.js';
import { commaList, fail, fieldName, noMore } from '../args.js';
import { dataAt, gather, indexPath, layoutKey, normalize, schemaOf } from '../batch-ops.js';
import type { Operator, OperatorDef } from '../operator.js';
import { compareRows, compareStrings, isNullAt, type OrderColumn, orderColumn } from '../order.js';

export interface SortKey {
  readonly field: string;
  readonly desc: boolean;
}

/** The column of `field` in `batch` (first match of the suffix rule), ready for comparisons. */
function sortColumn(batch: A.RecordBatch, field: string): OrderColumn | undefined {
  const schema = schemaOf(batch);
  const [path] = resolvePaths(schema, field);
  if (path === undefined) return undefined;
  return orderColumn(dataAt(batch, indexPath(schema.type, path)!), fieldAt(schema.type, path)!);
}

type Comparator = (x: number, y: number) => number;

/** Any keys, any types: compares through `compareRows` per pair. */
function genericOrder(
  keys: readonly SortKey[],
  cols: readonly (OrderColumn | undefined)[][],
  batchOf: Int32Array,
  rowOf: Int32Array,
  total: number,
): number[] {
  const order = Array.from({ length: total }, (_, i) => i);
  order.sort((x, y) => {
    for (let k = 0; k < keys.length; k++) {
      const ca = cols[k][batchOf[x]];
      const cb = cols[k][batchOf[y]];
      const na = !ca || isNullAt(ca, rowOf[x]);
      const nb = !cb || isNullAt(cb, rowOf[y]);
      if (na || nb) {
        if (na && nb) continue;
        return na ? 1 : -1;
      }
      const c = compareRows(ca!, rowOf[x], cb!, rowOf[y]);
      if (c !== 0) return keys[k].desc ? -c : c;
    }
    return x - y;
  });
  return order;
}

/**
 * For strings and enums: each row's rank among all distinct values (by code
 * point), so that the sort compares numbers. Decodes each string once.
 */
function stringRanks(
  cols: readonly (OrderColumn | undefined)[],
  batches: readonly A.RecordBatch[],
): Float64Array[] {
  const texts = batches.map((b, s) => {
    const c = cols[s];
    if (!c) return [];
    if (c.type.kind === 'enum') {
      const dict = c.data.dictionary!;
      const entries = Array.from({ length: dict.length }, (_, k) => dict.get(k) as string);
      const codes = c.data.values as Int16Array;
      return Array.from({ length: b.numRows }, (_, r) => entries[codes[r]]);
    }
    return Array.from({ length: b.numRows }, (_, r) => (isNullAt(c, r) ? '' : stringAt(c.data, r)));
  });
  const distinct = [...new Set(texts.flat())].sort(compareStrings);
  const rank = new Map(distinct.map((t, k) => [t, k]));
  return texts.map((t) => Float64Array.from(t, (x) => rank.get(x)!));
}

/**
 * One key whose columns are all integers/times/durations, all doubles, all
 * ips or all strings/enums: the keys are copied into flat typed arrays first so that the
 * comparator is a few array reads (four times faster than `genericOrder`).
 * Undefined when the key does not qualify.
 */
function fastOrder(
  cols: readonly (OrderColumn | undefined)[],
  batches: readonly A.RecordBatch[],
  desc: boolean,
  total: number,
): number[] | undefined {
  const families = new Set(cols.filter((c) => c !== undefined).map((c) => c!.family));
  const [family] = families;
  if (families.size !== 1 || !['int', 'uint', 'float', 'ip', 'bytes'].includes(family)) return undefined;
  const ranks = family === 'bytes' ? stringRanks(cols, batches) : undefined;
  const valid: number[] = [];
  const nulls: number[] = [];
  const width = family === 'ip' ? 4 : family === 'float' || family === 'bytes' ? 1 : 2;
  const keys = family === 'ip' ? new Uint32Array(total * 4) : new Float64Array(total * width);
  let at = 0;
  batches.forEach((b, s) => {
    const c = cols[s];
    for (let r = 0; r < b.numRows; r++, at++) {
      if (!c || isNullAt(c, r)) {
        nulls.push(at);
        continue;
      }
      valid.push(at);
      if (family === 'ip') {
        const bytes = c.bytes!;
        for (let w = 0; w < 4; w++) {
          const o = r * 16 + w * 4;
          keys[at * 4 + w] =
            ((bytes[o] << 24) | (bytes[o + 1] << 16) | (bytes[o + 2] << 8) | bytes[o + 3]) >>> 0;
        }
      } else if (ranks) keys[at] = ranks[s][r];
      else if (family === 'float') keys[at] = c.nums![r];
      else {
        const words = c.words!;
        keys[at * 2] = family === 'int' ? words[2 * r + 1] : words[2 * r + 1] >>> 0;
        keys[at * 2 + 1] = words[2 * r] >>> 0;
      }
    }
  });
  let cmp: Comparator;
  if (family === 'float' || family === 'bytes') {
    // NaN after every number, as in `order.ts`.
    const key = (i: number) => (Number.isNaN(keys[i]) ? Number.POSITIVE_INFINITY : keys[i]);
    const nan = (i: number) => (Number.isNaN(keys[i]) ? 1 : 0);
    cmp = (x, y) => {
      const a = key(x);
      const b = key(y);
      return (a < b ? -1 : a > b ? 1 : nan(x) - nan(y)) || 0;
    };
  } else
    cmp = (x, y) => {
      for (let w = 0; w < width; w++) {
        const d = keys[x * width + w] - keys[y * width + w];
        if (d !== 0) return d;
      }
      return 0;
    };
  valid.sort(desc ? (x, y) => cmp(y, x) || x - y : (x, y) => cmp(x, y) || x - y);
  for (const n of nulls) valid.push(n);
  return valid;
}

export function sortWith(keys: readonly SortKey[]): Operator {
  return {
    name: 'sort',
    reads: keys.map((k) => k.field),
    passesFields: true,
    toString: () => `sort ${keys.map((k) => (k.desc ? `${k.field} desc` : k.field)).join(', ')}`,
    async *run(input: AsyncIterable<A.RecordBatch>): AsyncIterable<A.RecordBatch> {
      const batches: A.RecordBatch[] = [];
      for await (const b of input) if (b.numRows > 0) batches.push(normalize(b));
      const total = batches.reduce((n, b) => n + b.numRows, 0);
      if (total === 0) return;
      const cols = keys.map((k) => batches.map((b) => sortColumn(b, k.field)));
      const batchOf = new Int32Array(total);
      const rowOf = new Int32Array(total);
      let at = 0;
      batches.forEach((b, s) => {
        for (let r = 0; r < b.numRows; r++, at++) {
          batchOf[at] = s;
          rowOf[at] = r;
        }
      });
      const order =
        (keys.length === 1 ? fastOrder(cols[0], batches, keys[0].desc, total) : undefined) ??
        genericOrder(keys, cols, batchOf, rowOf, total);
      // Emit runs of one layout; each run gathers from just the batches it uses.
      let start = 0;
      while (start < total) {
        const key = layoutKey(batches[batchOf[order[start]]]);
        let end = start + 1;
        while (end < total && layoutKey(batches[batchOf[order[end]]]) === key) end++;
        const local = new Map<number, number>();
        const sources: A.Data[] = [];
        const src = new Int32Array(end - start);
        const rows = new Int32Array(end - start);
        for (let k = start; k < end; k++) {
          const b = batchOf[order[k]];
          let s = local.get(b);
          if (s === undefined) {
            s = sources.length;
            local.set(b, s);
            sources.push(batches[b].data);
          }
          src[k - start] = s;
          rows[k - start] = rowOf[order[k]];
        }
        const first = batches[batchOf[order[start]]];
        yield new A.RecordBatch(
          first.schema,
          gather(first.data.type, sources, src, rows) as A.Data<A.Struct>,
        );
        start = end;
      }
    },
  };
}

export const sort: OperatorDef = {
  name: 'sort',
  description: 'sort F [asc|desc], ...: orders events (stable, nulls last); buffers all input',
  keepsSchemas: true,
  parse(args, ctx) {
    const keys = commaList(args, ctx, 'a field name').map(([f, dir, ...rest]): SortKey => {
      noMore(rest, ctx);
      const field = fieldName(f, ctx);
      if (dir && dir.text !== 'asc' && dir.text !== 'desc')
        fail(ctx, `expected 'asc' or 'desc', got '${dir.text}'`, dir);
      return { field, desc: dir?.text === 'desc' };
    });
    return sortWith(keys);
  },
};
