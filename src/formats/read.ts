/**
 * Running a reader over an input: decompression, the on-error policy and the
 * diagnostics summary live here once, for the CLI, sources and tests alike.
 */

import { createReadStream } from 'node:fs';
import type * as A from 'apache-arrow';
import { type Diagnostic, InputError } from '../diagnostics.js';
import type { SchemaRegistry } from '../schemas/registry.js';
import type { FormatDef, ReaderContext, ReaderOptions } from './format.js';
import { byteBudget, decompress } from './framing/decompress.js';

export { InputLimitError } from './framing/decompress.js';

export type OnError = 'skip' | 'fail';

export interface ReadOptions extends ReaderOptions {
  /** Name of the input in messages. */
  file: string;
  schemas: SchemaRegistry;
  onError?: OnError;
  batchSize?: number;
  maxLineBytes?: number;
  /**
   * Most bytes of input read, counted after decompression (the node's
   * `max-import-bytes`); more ends the read with `InputLimitError`. Unlimited when unset.
   */
  maxInputBytes?: number;
  /** The setting `maxInputBytes` comes from, for the error message. */
  maxInputBytesName?: string;
  /** Called for every diagnostic (also the ones that end the read under `fail`). */
  onDiagnostic?: (d: Diagnostic) => void;
}

const DEFAULT_BATCH_SIZE = 65_536;
const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

/** Counts of what a read skipped, for the end-of-import summary. */
export interface ReadStats {
  errors: number;
  warnings: number;
}

/**
 * Reads `input` (raw or gzip/zstd-compressed bytes) with the format's reader.
 * Under `onError: 'fail'` the first error diagnostic throws `InputError` from
 * the iteration; under `skip` errors are counted in `stats` and reading goes on.
 */
export function readBatches(
  format: FormatDef,
  input: AsyncIterable<Uint8Array>,
  opts: ReadOptions,
  stats: ReadStats = { errors: 0, warnings: 0 },
): AsyncIterable<A.RecordBatch> {
  if (!format.read) throw new Error(`format '${format.name}' cannot be read`);
  const onError = opts.onError ?? 'skip';
  const ctx: ReaderContext = {
    file: opts.file,
    schemas: opts.schemas,
    batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE,
    maxLineBytes: opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    inputLimit:
      opts.maxInputBytes === undefined
        ? undefined
        : { bytes: opts.maxInputBytes, name: opts.maxInputBytesName ?? 'max-input-bytes' },
    options: { schema: opts.schema, selector: opts.selector, extra: opts.extra },
    report(d) {
      if (d.severity === 'error') stats.errors++;
      else if (d.severity === 'warning') stats.warnings++;
      opts.onDiagnostic?.(d);
      if (d.severity === 'error' && (onError === 'fail' || !d.recoverable)) throw new InputError(d);
    },
  };
  const limit = ctx.inputLimit;
  const budget =
    limit && ((s: AsyncIterable<Uint8Array>) => byteBudget(s, limit.bytes, limit.name, opts.file));
  return readThenRaise(format.read, input, ctx, budget);
}

/** Runs the reader to its end (flushing what it parsed), then raises a decompression error, if any. */
async function* readThenRaise(
  read: NonNullable<FormatDef['read']>,
  input: AsyncIterable<Uint8Array>,
  ctx: ReaderContext,
  budget?: (s: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>,
): AsyncIterable<A.RecordBatch> {
  let corrupt: Error | undefined;
  const bytes = decompress(input, ctx.file, (e) => {
    corrupt = e;
  });
  yield* read(budget ? budget(bytes) : bytes, ctx);
  if (corrupt) throw corrupt;
}

/** The bytes of a file as a stream of chunks (`-` is standard input). */
export function fileInput(path: string): AsyncIterable<Uint8Array> {
  if (path === '-') return process.stdin;
  return createReadStream(path, { highWaterMark: 1 << 20 });
}

/** Wraps bytes already in memory as an input stream (tests, HTTP bodies). */
export async function* bytesInput(
  bytes: Uint8Array | string,
  chunkSize = 1 << 20,
): AsyncIterable<Uint8Array> {
  const b = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  for (let i = 0; i < b.length; i += chunkSize) yield b.subarray(i, i + chunkSize);
}
