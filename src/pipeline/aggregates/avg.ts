/**
 * `avg(f)`: the mean of a number field as a double, or of a duration field as
 * a duration (rounded to whole nanoseconds); null for a group without values.
 * Sums are doubles, so means of huge int64 values are approximate.
 */
import { basic } from '../../types/type.js';
import type { Value } from '../../types/values.js';
import { buildColumn } from '../layout.js';
import {
  type AggregateColumn,
  type AggregateDef,
  type AggregateParams,
  type Aggregator,
  aggregateError,
  grow,
  validRow,
} from './aggregate.js';

const TWO32 = 4294967296;

class Avg implements Aggregator {
  private mode: 'none' | 'number' | 'duration' = 'none';
  private sums = new Float64Array(0);
  private counts = new Float64Array(0);

  constructor(private readonly params: AggregateParams) {}

  add(column: AggregateColumn | undefined, groups: Int32Array, rows: number, numGroups: number): void {
    this.sums = grow(this.sums, numGroups);
    this.counts = grow(this.counts, numGroups);
    if (!column) return;
    const kind = column.type.kind;
    const mode = kind === 'duration' ? 'duration' : 'number';
    if (!['int64', 'uint64', 'double', 'duration'].includes(kind))
      throw aggregateError('avg', this.params, `cannot average values of type ${kind}`);
    if (this.mode !== 'none' && this.mode !== mode)
      throw aggregateError('avg', this.params, 'cannot average durations together with numbers');
    this.mode = mode;
    const d = column.data;
    const { sums, counts } = this;
    if (kind === 'double') {
      const v = d.values as Float64Array;
      for (let r = 0; r < rows; r++) {
        if (!validRow(d, r)) continue;
        sums[groups[r]] += v[r];
        counts[groups[r]]++;
      }
      return;
    }
    const v = d.values as BigInt64Array;
    const w = new Int32Array(v.buffer, v.byteOffset, v.length * 2);
    const signed = kind !== 'uint64';
    for (let r = 0; r < rows; r++) {
      if (!validRow(d, r)) continue;
      const hi = signed ? w[2 * r + 1] : w[2 * r + 1] >>> 0;
      sums[groups[r]] += hi * TWO32 + (w[2 * r] >>> 0);
      counts[groups[r]]++;
    }
  }

  value(numGroups: number): AggregateColumn {
    this.sums = grow(this.sums, numGroups);
    this.counts = grow(this.counts, numGroups);
    const type = basic(this.mode === 'duration' ? 'duration' : 'double');
    const values: Value[] = [];
    for (let g = 0; g < numGroups; g++) {
      const c = this.counts[g];
      if (c === 0) values.push(null);
      else values.push(type.kind === 'duration' ? BigInt(Math.round(this.sums[g] / c)) : this.sums[g] / c);
    }
    return { type, data: buildColumn(type, values) };
  }
}

export const avg: AggregateDef = {
  name: 'avg',
  description: 'avg(f): mean of a number field (double) or a duration field (duration)',
  field: 'required',
  create: (params) => new Avg(params),
};
