/**
 * The embedding API: vast inside another Node program.
 *
 *   import { open } from 'vast';
 *   const db = await open({ db: './events.db' });          // or { endpoint: '127.0.0.1:42000', token }
 *   await db.import('zeek', { file: 'conn.log' });
 *   for await (const batch of db.query('proto == "udp" | head 5')) console.log(batch.numRows);
 *   console.log(await db.count('id.resp_p == 53'), await db.status());
 *   await db.close();
 *
 * The same Backend as the `vast` command (src/backend/): a local database, or a node.
 */
import type { RecordBatch } from 'apache-arrow';
import type { Backend, CountOptions, ImportSummary, QueryOptions, Status } from './backend/backend.js';
import { importFilter, keptBatches } from './backend/import-filter.js';
import { type BackendOptions, dbOf, openBackend } from './backend/open.js';
import type { Diagnostic } from './diagnostics.js';
import { findFormat } from './formats/index.js';
import { bytesInput, fileInput, type ReadStats, readBatches } from './formats/read.js';
import { schemaRegistry } from './schemas/load.js';

export type { RecordBatch } from 'apache-arrow';
export type { CountOptions, ImportSummary, QueryOptions, Status } from './backend/backend.js';
export type { Diagnostic } from './diagnostics.js';
export { VastError } from './diagnostics.js';

export interface OpenOptions extends Omit<BackendOptions, 'mode'> {}

/** Where an import's events come from: a file, bytes in memory, a byte stream, or Arrow batches. */
export type ImportInput =
  | { file: string }
  | { bytes: Uint8Array | string }
  | { stream: AsyncIterable<Uint8Array> }
  | { batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch> };

export interface ImportOptions {
  /** Type events with this schema (`vast import -t`). */
  schema?: string;
  /** Store only matching events (`vast import FORMAT EXPR`). */
  filter?: string;
  /** Stop after this many events (`-n`). */
  maxEvents?: number;
  /** Return when the events are in partitions (`-b`; embedded imports always are). */
  blocking?: boolean;
  /** Keep nothing when the input has an error (`--on-error=fail`); by default bad events are skipped. */
  atomic?: boolean;
  /** Called for each problem in the input (skipped events). */
  onDiagnostic?: (d: Diagnostic) => void;
}

export interface ImportResult extends ImportSummary {
  /** Events skipped as invalid. */
  skipped: number;
}

export interface Vast {
  /** `embedded` (a database in this process) or `node`. */
  readonly mode: 'embedded' | 'node';
  import(format: string, input: ImportInput, opts?: ImportOptions): Promise<ImportResult>;
  /** Matching events as Arrow record batches, through the pipeline. */
  query(text?: string, opts?: Omit<QueryOptions, 'continuous' | 'unified'>): AsyncIterable<RecordBatch>;
  count(text?: string, opts?: CountOptions): Promise<number>;
  status(): Promise<Status>;
  close(): Promise<void>;
}

async function* asAsync(
  batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch>,
): AsyncIterable<RecordBatch> {
  yield* batches;
}

/**
 * Opens a database (`db`, default ./vast.db) in this process, or with `endpoint` a
 * running node; the API is the same either way.
 */
export async function open(opts: OpenOptions = {}): Promise<Vast> {
  const registry = opts.schemas ?? schemaRegistry(dbOf(opts));
  const backend: Backend = await openBackend({
    ...opts,
    schemas: registry,
    mode: opts.endpoint ? 'node' : 'local',
  });
  return {
    mode: opts.endpoint ? 'node' : 'embedded',
    async import(format, input, o = {}) {
      const stats: ReadStats = { errors: 0, warnings: 0 };
      const select = importFilter(o.filter, registry);
      const batches =
        'batches' in input
          ? asAsync(input.batches)
          : readBatches(
              findFormat(format, 'read'),
              'file' in input
                ? fileInput(input.file)
                : 'bytes' in input
                  ? bytesInput(input.bytes)
                  : input.stream,
              {
                file: 'file' in input ? input.file : '<input>',
                schemas: registry,
                schema: o.schema,
                onError: o.atomic ? 'fail' : 'skip',
                onDiagnostic: o.onDiagnostic,
              },
              stats,
            );
      const sink = await backend.importer({ atomic: o.atomic, blocking: o.blocking });
      try {
        for await (const b of keptBatches(batches, select, o.maxEvents)) await sink.add(b);
      } catch (e) {
        await sink.abort();
        throw e;
      }
      const summary = await sink.commit();
      return { events: summary.events, schemas: summary.schemas, skipped: stats.errors };
    },
    query: (text, o) => backend.query(text, o),
    count: async (text, o) => (await backend.count(text, o)).count,
    status: () => backend.status(),
    close: () => backend.close(),
  };
}
