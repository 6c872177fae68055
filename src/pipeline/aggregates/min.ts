/**
 * `min(f)` (and, through `extremum`, `max(f)`): the smallest value of any
 * orderable type, keeping the field's type (see `order.ts` for the order).
 *
 * Per batch, each group's best row is found with typed row comparisons (no
 * allocation per row); only that row's value is read out and merged into
 * the group's running result, so allocation is per group and batch.
 */
import { basic, type VastType } from '../../types/type.js';
import { type Value, valueAt } from '../../types/values.js';
import { buildColumn } from '../layout.js';
import { compareRows, compareValues, orderColumn } from '../order.js';
import {
  type AggregateColumn,
  type AggregateDef,
  type AggregateParams,
  type Aggregator,
  aggregateError,
  grow,
  unifyTypes,
  validRow,
} from './aggregate.js';

class Extremum implements Aggregator {
  private type: VastType | undefined;
  private best: Value[] = [];
  /** Scratch: the best row of each group in the current batch, -1 when none. */
  private bestRow = new Int32Array(0);

  constructor(
    private readonly name: string,
    private readonly sign: 1 | -1,
    private readonly params: AggregateParams,
  ) {}

  add(column: AggregateColumn | undefined, groups: Int32Array, rows: number, numGroups: number): void {
    if (!column) return;
    const kind = column.type.kind;
    if (kind === 'map') throw aggregateError(this.name, this.params, 'maps have no order');
    this.type = unifyTypes(this.type, column.type, (m) => aggregateError(this.name, this.params, m));
    if (this.bestRow.length < numGroups) {
      const old = this.bestRow.length;
      this.bestRow = grow(this.bestRow, numGroups);
      this.bestRow.fill(-1, old);
    }
    const bestRow = this.bestRow;
    const col = orderColumn(column.data, column.type);
    const touched: number[] = [];
    const sign = this.sign;
    for (let r = 0; r < rows; r++) {
      if (!validRow(column.data, r)) continue;
      const g = groups[r];
      const b = bestRow[g];
      if (b < 0) {
        bestRow[g] = r;
        touched.push(g);
      } else if (sign * compareRows(col, r, col, b) < 0) bestRow[g] = r;
    }
    for (const g of touched) {
      const v = valueAt(column.data, column.type, bestRow[g]);
      const cur = this.best[g] ?? null;
      if (cur === null || sign * compareValues(v, cur) < 0) this.best[g] = v;
      bestRow[g] = -1;
    }
  }

  value(numGroups: number): AggregateColumn {
    const type = this.type ?? basic('string');
    const values: Value[] = [];
    for (let g = 0; g < numGroups; g++) {
      const v = this.best[g] ?? null;
      values.push(v !== null && type.kind === 'double' ? Number(v) : v);
    }
    return { type, data: buildColumn(type, values) };
  }
}

/** The aggregate keeping the smallest (`sign` 1) or largest (`sign` -1) value. */
export function extremum(name: string, sign: 1 | -1, description: string): AggregateDef {
  return { name, description, field: 'required', create: (params) => new Extremum(name, sign, params) };
}

export const min = extremum('min', 1, 'min(f): smallest value of f, of its type');
