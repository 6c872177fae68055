import * as A from 'apache-arrow';

/**
 * Each batch as a complete Arrow IPC stream (schema, batch, end-of-stream).
 * Readers see a batch as soon as it arrives: arrow-js reads ahead one message,
 * so inside one long stream a live batch would wait for the next one.
 */
export async function* selfContainedStreams(
  batches: AsyncIterable<A.RecordBatch>,
): AsyncIterable<Uint8Array> {
  for await (const b of batches) yield A.tableToIPC(new A.Table([b]), 'stream');
}
