/**
 * `head [N]`: the first N events (default 10) across all schemas, in arrival
 * order. Stops pulling input as soon as N events went out, which ends the
 * upstream iterators (a store scan stops reading partitions).
 */
import type { RecordBatch } from 'apache-arrow';
import { count, noMore } from '../args.js';
import { sliceRows } from '../batch-ops.js';
import type { Operator, OperatorDef } from '../operator.js';

export function headWith(n: number): Operator {
  return {
    name: 'head',
    toString: () => `head ${n}`,
    reads: [],
    passesFields: true,
    async *run(input: AsyncIterable<RecordBatch>): AsyncIterable<RecordBatch> {
      let remaining = n;
      if (remaining <= 0) return;
      for await (const batch of input) {
        if (batch.numRows === 0) continue;
        if (batch.numRows <= remaining) {
          remaining -= batch.numRows;
          yield batch;
        } else {
          yield sliceRows(batch, 0, remaining);
          remaining = 0;
        }
        if (remaining === 0) return;
      }
    },
  };
}

export const head: OperatorDef = {
  name: 'head',
  description: 'head [N]: the first N events (default 10)',
  keepsSchemas: true,
  parse([first, ...rest], ctx) {
    noMore(rest, ctx);
    return headWith(first ? count(first, ctx) : 10);
  },
};
