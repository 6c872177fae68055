/**
 * Events by id (`vast get ID...`, as VAST's `get`): an event's id is its position in
 * stored order, the order `export` prints: partitions in the order they were committed
 * (the catalog's order, which a rebuild keeps), rows in their order within a partition. Ids are stable while partitions stay (no
 * aging here); events a node still buffers have none yet, and the node's own events
 * (the audit log) take none.
 */
import type * as A from 'apache-arrow';
import type { Store } from '../store/store.js';
import { plainStrings } from '../types/dictionary-strings.js';
import { isInternalSchema } from './internal-schemas.js';

/** One single-row batch per id that exists, in the order asked; unknown ids are left out. */
export async function* eventsById(store: Store, ids: readonly number[]): AsyncIterable<A.RecordBatch> {
  const found = new Map<number, A.RecordBatch>();
  const wanted = [...new Set(ids)].sort((a, b) => a - b);
  let next = 0;
  let first = 0;
  const entries = store.partitions().filter((e) => !isInternalSchema(e.schema));
  for (const e of entries) {
    if (next >= wanted.length) break;
    const end = first + e.events;
    if (wanted[next] < end) {
      let row = first;
      for await (const b of store.selectedBatches(e, () => true)) {
        while (next < wanted.length && wanted[next] < row + b.numRows) {
          found.set(wanted[next], plainStrings(b.slice(wanted[next] - row, wanted[next] - row + 1)));
          next++;
        }
        row += b.numRows;
      }
    }
    first = end;
  }
  for (const id of ids) {
    const b = found.get(id);
    if (b) yield b;
  }
}

/** Ids as `vast get` takes them: non-negative integers. */
export function parseIds(texts: readonly string[]): number[] {
  return texts.map((t) => {
    const n = Number(t);
    if (!/^\d+$/.test(t) || !Number.isSafeInteger(n))
      throw new Error(`not an event id: '${t}' (ids are 0, 1, 2, ...)`);
    return n;
  });
}
