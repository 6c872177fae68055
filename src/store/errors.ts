/**
 * The store's two environmental failures, as classes so that callers can
 * answer them differently from bad input: a full disk (a node answers 507 and
 * stops acknowledging) and a corrupt file (the partition is quarantined and
 * the query goes on over the rest).
 */
import { StoreError } from '../diagnostics.js';

/** The disk (or quota) is full: nothing was acknowledged by the write that failed. */
export class StorageFullError extends StoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageFullError';
  }
}

/** A stored file failed verification (checksum, size) or could not be decoded. */
export class CorruptionError extends StoreError {
  constructor(
    /** The file, as a path. */
    readonly file: string,
    /** What failed, for the quarantine reason and the warning. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${reason}`, options);
    this.name = 'CorruptionError';
  }
}

const FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

/** Whether `e` is a full-disk error from the file system. */
function isDiskFull(e: unknown): boolean {
  return FULL_CODES.has((e as NodeJS.ErrnoException)?.code ?? '');
}

/** Turns a file system's full-disk error into a StorageFullError saying what was being written; others pass. */
export function storageError(e: unknown, writing: string): unknown {
  if (e instanceof StorageFullError || !isDiskFull(e)) return e;
  return new StorageFullError(
    `storage full: no space left while writing ${writing}; nothing further is acknowledged until space is freed`,
    { cause: e },
  );
}
