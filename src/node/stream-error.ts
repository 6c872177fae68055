/**
 * How an export stream that already sent results says that it failed (over
 * budget, a dropped live query): the HTTP status is gone by then, so the error
 * travels as the stream's last item and clients report it instead of taking
 * the truncated result for a complete one.
 *
 * - NDJSON: a last line `{"error": "..."}`.
 * - Arrow: a last, complete IPC stream whose schema metadata holds the error
 *   under `vast.error` (its one empty batch carries no events).
 */
import * as A from 'apache-arrow';

const STREAM_ERROR_KEY = 'vast.error';

/** The last NDJSON line of an export that ended with `message`. */
export function errorLine(message: string): string {
  return `${JSON.stringify({ error: message })}\n`;
}

/** The last Arrow IPC stream of an export that ended with `message`. */
export function errorStream(message: string): Uint8Array {
  const schema = new A.Schema([], new Map([[STREAM_ERROR_KEY, message]]));
  const data = A.makeData({ type: new A.Struct([]), length: 0, nullCount: 0, children: [] });
  return A.tableToIPC(new A.Table([new A.RecordBatch(schema, data)]), 'stream');
}

/** The error an Arrow export ended with, when `batch` is the marker `errorStream` wrote. */
export function streamErrorOf(batch: A.RecordBatch): string | undefined {
  return batch.schema.metadata.get(STREAM_ERROR_KEY);
}
