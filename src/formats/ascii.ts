/**
 * VAST's human-readable output, as VAST 2's ascii writer printed it: one line
 * per event, its values (no field names) in VAST's data syntax, nested
 * records flattened into the line:
 *
 * `<2009-11-18T21:01:53.173350, "tS3vjKMCHqj", 192.168.1.1, 67, 192.168.1.104, 68, "udp", nil, 1.63ms, ...>`
 *
 * Conventions (the `ascii` style of `types/print-value.ts`): null is `nil`,
 * bools `T`/`F`, ints signed (`+5`), durations in an adaptive unit with two
 * decimals (`1.63ms`, `2.18m`), times with six fraction digits and no zone,
 * strings quoted with `\"` and `\xHH` escapes, enums bare, lists `[a, b]`,
 * maps `{k -> v}`, records inside lists `<"a": +1>`, ports as numbers.
 * Write only.
 */
import { batchType } from '../types/arrow.js';
import { CHUNK_ROWS, printColumn } from '../types/print-value.js';
import type { FormatDef, Writer } from './format.js';

const writeAscii: Writer = async function* (batches) {
  for await (const batch of batches) {
    const t = batchType(batch);
    for (let start = 0; start < batch.numRows; start += CHUNK_ROWS) {
      const end = Math.min(batch.numRows, start + CHUNK_ROWS);
      const rows = printColumn(batch.data, t, 'ascii', start, end, { flatten: true });
      for (let i = 0; i < rows.length; i++) rows[i] ??= 'nil';
      yield `${rows.join('\n')}\n`;
    }
  }
};

export const ascii: FormatDef = {
  name: 'ascii',
  description: "VAST's human-readable event lines: <value, value, ...>",
  extensions: [],
  write: writeAscii,
};
