/**
 * `unique`: drops every event equal to an earlier one of the same schema
 * (all fields equal, nulls equal to nulls), keeping the first in arrival
 * order, like SQL's DISTINCT over the stream. Tenzir's `unique` removes only
 * adjacent duplicates; we remove all, since a hunting query wants each event
 * once whatever the store's partition order. Memory grows with the number of
 * distinct events: one hash key (`keys.ts`) each.
 */
import type { RecordBatch } from 'apache-arrow';
import { noMore } from '../args.js';
import { filter, layoutKey, normalize, schemaOf } from '../batch-ops.js';
import { KeyBuffer, keyWriter } from '../keys.js';
import type { Operator, OperatorDef } from '../operator.js';

function uniqueWith(): Operator {
  return {
    name: 'unique',
    toString: () => 'unique',
    async *run(input: AsyncIterable<RecordBatch>): AsyncIterable<RecordBatch> {
      const seen = new Set<string>();
      const layoutIds = new Map<string, number>();
      const out = new KeyBuffer();
      for await (const raw of input) {
        if (raw.numRows === 0) continue;
        const batch = normalize(raw);
        const layout = layoutKey(batch);
        let id = layoutIds.get(layout);
        if (id === undefined) {
          id = layoutIds.size;
          layoutIds.set(layout, id);
        }
        const write = keyWriter(batch.data, schemaOf(batch).type);
        const n = batch.numRows;
        const selection = new Uint8Array((n + 7) >> 3);
        for (let i = 0; i < n; i++) {
          out.length(id);
          write(i, out);
          const k = out.take();
          if (seen.has(k)) continue;
          seen.add(k);
          selection[i >> 3] |= 1 << (i & 7);
        }
        const kept = filter(batch, selection);
        if (kept) yield kept;
      }
    },
  };
}

export const unique: OperatorDef = {
  name: 'unique',
  description: 'unique: drops events equal to an earlier event of the same schema',
  parse(args, ctx) {
    noMore(args, ctx);
    return uniqueWith();
  },
};
