/**
 * How an export stream that already sent results says that it failed (over
 * budget, a dropped live query): the HTTP status is gone by then, so the error
 * travels as the stream's last item and clients report it instead of taking
 * the truncated result for a complete one.
 *
 * - NDJSON: a last line `{"error": "...", "diagnostics": [...]}`, the shape of
 *   an error answer (diagnostics/wire.ts).
 * - Arrow: a last, complete IPC stream whose schema metadata holds the error
 *   under `vast.error` and its diagnostics as JSON under `vast.diagnostics`
 *   (its one empty batch carries no events).
 */
import * as A from 'apache-arrow';
import { errorBody, parseErrorBody } from '../diagnostics/wire.js';
import { VastError } from '../diagnostics.js';

const STREAM_ERROR_KEY = 'vast.error';
const STREAM_DIAGNOSTICS_KEY = 'vast.diagnostics';

/** The last NDJSON line of an export that ended with `e`. */
export function errorLine(e: Error): string {
  return `${JSON.stringify(errorBody(e))}\n`;
}

/** The last Arrow IPC stream of an export that ended with `e`. */
export function errorStream(e: Error): Uint8Array {
  const { error, diagnostics } = errorBody(e);
  const schema = new A.Schema(
    [],
    new Map([
      [STREAM_ERROR_KEY, error],
      [STREAM_DIAGNOSTICS_KEY, JSON.stringify(diagnostics)],
    ]),
  );
  const data = A.makeData({ type: new A.Struct([]), length: 0, nullCount: 0, children: [] });
  return A.tableToIPC(new A.Table([new A.RecordBatch(schema, data)]), 'stream');
}

/** The error an Arrow export ended with, with its diagnostics, when `batch` is the marker `errorStream` wrote. */
export function streamErrorOf(batch: A.RecordBatch): VastError | undefined {
  const error = batch.schema.metadata.get(STREAM_ERROR_KEY);
  if (error === undefined) return undefined;
  let diagnostics: unknown;
  try {
    diagnostics = JSON.parse(batch.schema.metadata.get(STREAM_DIAGNOSTICS_KEY) ?? '[]');
  } catch {}
  return new VastError(error, parseErrorBody({ error, diagnostics })?.diagnostics);
}
