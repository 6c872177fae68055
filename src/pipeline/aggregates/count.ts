/** `count()` counts events; `count(f)` counts events where `f` exists and is not null. */
import { basic } from '../../types/type.js';
import { buildColumn } from '../layout.js';
import { type AggregateColumn, type AggregateDef, type Aggregator, grow, validRow } from './aggregate.js';

export const count: AggregateDef = {
  name: 'count',
  description: 'count() counts events; count(f) counts events with a non-null f (uint64)',
  field: 'optional',
  create({ field }): Aggregator {
    let counts = new Float64Array(0);
    return {
      add(column: AggregateColumn | undefined, groups: Int32Array, rows: number, numGroups: number): void {
        counts = grow(counts, numGroups);
        if (field === undefined) {
          for (let r = 0; r < rows; r++) counts[groups[r]]++;
        } else if (column) {
          const d = column.data;
          if (d.nullCount === 0) for (let r = 0; r < rows; r++) counts[groups[r]]++;
          else for (let r = 0; r < rows; r++) if (validRow(d, r)) counts[groups[r]]++;
        }
      },
      value(numGroups: number): AggregateColumn {
        counts = grow(counts, numGroups);
        const type = basic('uint64');
        return {
          type,
          data: buildColumn(
            type,
            Array.from(counts.subarray(0, numGroups), (c) => BigInt(c)),
          ),
        };
      },
    };
  },
};
