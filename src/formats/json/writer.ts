/**
 * NDJSON output: one JSON object per event, nested records as nested objects,
 * values as `types/print-value.ts` prints them in the `json` style (ips and
 * times as strings, durations as seconds, 64-bit integers with exact digits).
 * Null fields are written as `null`; with the option `omit-nulls` they are left out.
 */
import { batchType, CHUNK_ROWS, printColumn } from '../../types/print-value.js';
import type { Writer } from '../format.js';

export const writeJson: Writer = async function* (batches, ctx) {
  const omitNulls = ctx.options['omit-nulls'] === true || ctx.options['omit-nulls'] === 'true';
  for await (const batch of batches) {
    const t = batchType(batch);
    for (let start = 0; start < batch.numRows; start += CHUNK_ROWS) {
      const rows = printColumn(batch.data, t, 'json', start, Math.min(batch.numRows, start + CHUNK_ROWS), {
        omitNulls,
      });
      for (let i = 0; i < rows.length; i++) rows[i] ??= '{}';
      yield `${rows.join('\n')}\n`;
    }
  }
};
