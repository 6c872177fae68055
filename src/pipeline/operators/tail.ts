/**
 * `tail [N]`: the last N events (default 10) across all schemas, in arrival
 * order. Keeps only as many batches as cover the last N events while the
 * input runs, and emits them when it ends.
 */
import type { RecordBatch } from 'apache-arrow';
import { count, noMore } from '../args.js';
import { sliceRows } from '../batch-ops.js';
import type { Operator, OperatorDef } from '../operator.js';

function tailWith(n: number): Operator {
  return {
    name: 'tail',
    toString: () => `tail ${n}`,
    reads: [],
    passesFields: true,
    async *run(input: AsyncIterable<RecordBatch>): AsyncIterable<RecordBatch> {
      if (n <= 0) {
        // Still drain the input: tail 0 of a live source ends when the source does.
        for await (const _ of input) {
        }
        return;
      }
      const kept: RecordBatch[] = [];
      let rows = 0;
      for await (const batch of input) {
        if (batch.numRows === 0) continue;
        kept.push(batch);
        rows += batch.numRows;
        while (rows - kept[0].numRows >= n) rows -= kept.shift()!.numRows;
      }
      if (kept.length === 0) return;
      const skip = rows - n;
      if (skip > 0) kept[0] = sliceRows(kept[0], skip, kept[0].numRows);
      yield* kept;
    },
  };
}

export const tail: OperatorDef = {
  name: 'tail',
  description: 'tail [N]: the last N events (default 10); buffers them until the input ends',
  keepsSchemas: true,
  parse([first, ...rest], ctx) {
    noMore(rest, ctx);
    return tailWith(first ? count(first, ctx) : 10);
  },
};
