/**
 * VAST's human-readable output: one line per event, the event as a record in
 * VAST's data syntax:
 *
 * `<ts=2009-11-18T08:00:21.486539Z, uid="Pii6cUUq1v4", id=<orig_h=192.168.1.102, orig_p=68, ...>, duration=163.82ms, ...>`
 *
 * Conventions (the `ascii` style of `types/print-value.ts`): null is `nil`,
 * bools `T`/`F`, durations in an adaptive unit with at most two decimals,
 * times ISO 8601 in UTC with trailing zeros trimmed, strings quoted, enums
 * bare, lists `[a, b]`, maps `{k -> v}`, ports as numbers. Write only.
 */
import { batchType, CHUNK_ROWS, printColumn } from '../types/print-value.js';
import type { FormatDef, Writer } from './format.js';

export const writeAscii: Writer = async function* (batches) {
  for await (const batch of batches) {
    const t = batchType(batch);
    for (let start = 0; start < batch.numRows; start += CHUNK_ROWS) {
      const rows = printColumn(batch.data, t, 'ascii', start, Math.min(batch.numRows, start + CHUNK_ROWS));
      for (let i = 0; i < rows.length; i++) rows[i] ??= 'nil';
      yield `${rows.join('\n')}\n`;
    }
  }
};

export const ascii: FormatDef = {
  name: 'ascii',
  description: "VAST's human-readable event lines: <field=value, ...>",
  extensions: [],
  write: writeAscii,
};
