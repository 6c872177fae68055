/**
 * The contract every format implements (STYLE.md, "Formats"). A format is one
 * file in this folder exporting a `FormatDef`, plus one line in `index.ts`.
 */
import type * as A from 'apache-arrow';
import type { Diagnostic } from '../diagnostics.js';
import type { SchemaRegistry } from '../schemas/registry.js';
import type { OptionDefs } from './options.js';

export interface ReaderContext {
  /** The input's name for messages: the path given with `-r`, or `<stdin>`. */
  readonly file: string;
  /** Known schemas (shipped `schemas/*.yaml` plus user additions). */
  readonly schemas: SchemaRegistry;
  /** Rows per batch a reader should aim for. */
  readonly batchSize: number;
  /** Longest line a line-based reader accepts, in bytes; longer lines are skipped with an error. */
  readonly maxLineBytes: number;
  /**
   * Most bytes of input after decompression and the setting it comes from,
   * when the caller set a limit. The input stream is already cut there; readers
   * that decompress internally (Parquet pages) count their decoded bytes too.
   */
  readonly inputLimit?: { readonly bytes: number; readonly name: string };
  /** Format options from the command line (`--schema`, `--selector`, ...). */
  readonly options: Readonly<ReaderOptions>;
  /**
   * Reports a problem. Under `--on-error=fail` this throws an `InputError` for
   * an error diagnostic, which ends the read; under `skip` it records and returns.
   */
  report(d: Diagnostic): void;
}

export interface ReaderOptions {
  /** Force every event into this schema name (`--schema`). */
  schema?: string;
  /** `field:prefix`: the schema name is `prefix.<value of field>` (`--selector event_type:suricata`). */
  selector?: string;
  /** Format-specific options by their command-line name (`cutoff`, `max-flows` for pcap); each format documents its own. */
  extra?: Readonly<Record<string, string | number | boolean | undefined>>;
}

/**
 * Turns bytes into record batches. A reader never throws for bad input it can
 * report: it reports and skips (the context decides whether that stops the
 * read). Each yielded batch carries its schema name in the Arrow schema
 * metadata (`types/arrow.ts`). Batches of one schema from one reader share
 * enum dictionaries (they only grow). An empty input chunk means the input is
 * idle (a source waiting for more): the reader yields the rows it has, so that
 * live data does not wait for a full batch.
 */
export type Reader = (input: AsyncIterable<Uint8Array>, ctx: ReaderContext) => AsyncIterable<A.RecordBatch>;

export interface WriterContext {
  /** Format options from the command line. */
  readonly options: Readonly<Record<string, string | boolean | undefined>>;
}

/** Turns batches into bytes (strings are written as UTF-8). */
export type Writer = (
  batches: AsyncIterable<A.RecordBatch>,
  ctx: WriterContext,
) => AsyncIterable<Uint8Array | string>;

export interface FormatDef {
  /** The word users type: `vast import zeek`, `vast export json`. */
  readonly name: string;
  readonly description: string;
  /** File name endings that select this format when none is given. */
  readonly extensions: readonly string[];
  /** Whether the first bytes of an input look like this format. */
  readonly detect?: (head: Uint8Array) => boolean;
  /**
   * The reader's own options (pcap's `--cutoff`), declared once: `vast import`
   * flags, HTTP import parameters and `vast spawn source` arguments come from
   * here, and the reader gets their values in `ReaderOptions.extra`.
   */
  readonly options?: OptionDefs;
  readonly read?: Reader;
  readonly write?: Writer;
}
