/**
 * The aggregation functions `summarize` knows, one file each (STYLE.md §3),
 * one line here per function. Names must be unique: the registry refuses a
 * second definition at load time.
 */
import { VastError } from '../../diagnostics.js';
import type { AggregateDef } from './aggregate.js';
import { avg } from './avg.js';
import { count } from './count.js';
import { distinct } from './distinct.js';
import { max } from './max.js';
import { min } from './min.js';
import { sum } from './sum.js';

export type { AggregateDef, Aggregator } from './aggregate.js';

export const aggregates: readonly AggregateDef[] = [count, sum, min, max, avg, distinct];

/** A name → definition map; throws on a duplicate name. */
export function makeAggregateRegistry(defs: readonly AggregateDef[]): ReadonlyMap<string, AggregateDef> {
  const map = new Map<string, AggregateDef>();
  for (const d of defs) {
    if (map.has(d.name))
      throw new VastError(
        `aggregate function '${d.name}' is defined twice (src/pipeline/aggregates/index.ts); give one of them another name`,
      );
    map.set(d.name, d);
  }
  return map;
}

export const aggregateRegistry = makeAggregateRegistry(aggregates);
