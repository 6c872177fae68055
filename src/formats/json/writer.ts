/**
 * NDJSON output as VAST 2 wrote it: one JSON object per event with nested
 * records flattened into dotted keys (`"id.orig_h"`), durations as VAST
 * literals (`"1.63ms"`), times with six fraction digits and no zone, nulls
 * written as `null` (see the `json` style of `types/print-value.ts`).
 *
 * Options (`WriterContext.options`, from `--nested` etc. on export/exec):
 * - `nested`: records as nested objects (`"id":{"orig_h":...}`), vast's
 *   earlier default;
 * - `omit-nulls`: leave out fields whose value is null (VAST's `--omit-nulls`);
 * - `numeric-durations`: durations as exact seconds (VAST's `--numeric-durations`).
 */
import { batchType } from '../../types/arrow.js';
import { CHUNK_ROWS, type PrintOptions, printColumn } from '../../types/print-value.js';
import type { Writer, WriterContext } from '../format.js';

const on = (v: string | boolean | undefined) => v === true || v === 'true';

/** The print options the writer's options ask for. */
function jsonPrintOptions(options: WriterContext['options']): PrintOptions {
  return {
    flatten: !on(options.nested),
    omitNulls: on(options['omit-nulls']),
    numericDurations: on(options['numeric-durations']),
  };
}

export const writeJson: Writer = async function* (batches, ctx) {
  const opts = jsonPrintOptions(ctx.options);
  for await (const batch of batches) {
    const t = batchType(batch);
    for (let start = 0; start < batch.numRows; start += CHUNK_ROWS) {
      const end = Math.min(batch.numRows, start + CHUNK_ROWS);
      const rows = printColumn(batch.data, t, 'json', start, end, opts);
      for (let i = 0; i < rows.length; i++) rows[i] ??= '{}';
      yield `${rows.join('\n')}\n`;
    }
  }
};
