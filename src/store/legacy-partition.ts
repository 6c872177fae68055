/**
 * The first partition format (Arrow IPC files with zstd buffers, `.feather`),
 * read only to convert a database of that format to Parquet partitions
 * (`vast rebuild`, see store.ts). Nothing writes it any more.
 */

import { readFileSync } from 'node:fs';
import * as A from 'apache-arrow';
import { type FileChecksums, verifyFile } from './checksum.js';
import { CorruptionError } from './errors.js';
import { registerZstd } from './zstd.js';

/**
 * Decoding errors of a partition file become a CorruptionError; errors of
 * the file system (EIO, EMFILE, ...) pass unchanged, they are not the file's fault.
 */
export function corrupt(path: string, e: unknown): unknown {
  if (e instanceof CorruptionError) return e;
  if (
    typeof (e as NodeJS.ErrnoException)?.code === 'string' &&
    (e as NodeJS.ErrnoException).code !== 'ERR_INVALID_ARG_VALUE'
  )
    return e;
  return new CorruptionError(path, `cannot decode partition: ${(e as Error)?.message ?? String(e)}`, {
    cause: e,
  });
}

/** A legacy partition file's batches; with `sums` (from its sidecar), the whole file is verified first. */
export function* readLegacyPartition(path: string, sums?: FileChecksums): Generator<A.RecordBatch> {
  registerZstd();
  const bytes = readFileSync(path);
  if (sums) verifyFile(path, bytes, sums);
  let reader: A.RecordBatchFileReader;
  let count: number;
  try {
    const opened = A.RecordBatchReader.from(bytes).open();
    if (!opened.isFile()) throw new CorruptionError(path, 'not an Arrow IPC file');
    reader = opened;
    count = reader.numRecordBatches;
  } catch (e) {
    throw corrupt(path, e);
  }
  for (let i = 0; i < count; i++) {
    let batch: A.RecordBatch | null;
    try {
      batch = reader.readRecordBatch(i) as A.RecordBatch | null;
    } catch (e) {
      throw corrupt(path, e);
    }
    if (batch) yield batch;
  }
}
