/**
 * `distinct(f)`: the distinct non-null values of `f` per group, as a sorted
 * `list<T>` (order as in `order.ts`); null for a group without values.
 * Values are deduplicated by their hash key (`keys.ts`), so memory grows with
 * the number of distinct values per group.
 */
import { basic, list, type VastType } from '../../types/type.js';
import { type Value, valueAt } from '../../types/values.js';
import { keyEncoder } from '../keys.js';
import { buildColumn } from '../layout.js';
import { compareValues } from '../order.js';
import {
  type AggregateColumn,
  type AggregateDef,
  type AggregateParams,
  type Aggregator,
  aggregateError,
  unifyTypes,
  validRow,
} from './aggregate.js';

class Distinct implements Aggregator {
  private type: VastType | undefined;
  private sets: (Map<string, Value> | undefined)[] = [];

  constructor(private readonly params: AggregateParams) {}

  add(column: AggregateColumn | undefined, groups: Int32Array, rows: number): void {
    if (!column) return;
    this.type = unifyTypes(this.type, column.type, (m) => aggregateError('distinct', this.params, m));
    const key = keyEncoder(column.data, column.type);
    for (let r = 0; r < rows; r++) {
      if (!validRow(column.data, r)) continue;
      const g = groups[r];
      let set = this.sets[g];
      if (!set) {
        set = new Map();
        this.sets[g] = set;
      }
      const k = key(r);
      if (!set.has(k)) set.set(k, valueAt(column.data, column.type, r));
    }
  }

  value(numGroups: number): AggregateColumn {
    const element = this.type ?? basic('string');
    const values: Value[] = [];
    for (let g = 0; g < numGroups; g++) {
      const set = this.sets[g];
      if (!set) {
        values.push(null);
        continue;
      }
      const items = [...set.values()].map((v) => (element.kind === 'double' ? Number(v) : v));
      values.push(items.sort(compareValues));
    }
    const type = list(element);
    return { type, data: buildColumn(type, values) };
  }
}

export const distinct: AggregateDef = {
  name: 'distinct',
  description: 'distinct(f): sorted list of the distinct non-null values of f',
  field: 'required',
  create: (params) => new Distinct(params),
};
