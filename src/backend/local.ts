/** The backend over a database opened in this process (embedded mode). */
import type { RecordBatch } from 'apache-arrow';
import { eventsById } from '../query/get.js';
import { isInternalSchema, splitStatus } from '../query/internal-schemas.js';
import {
  countOrEstimate,
  emptyStats,
  explain,
  type PreparedQuery,
  prepareQuery,
  QueryBudget,
  type QueryStats,
  runQuery,
} from '../query/run.js';
import type { SchemaRegistry } from '../schemas/registry.js';
import { refuseIfServed } from '../store/holder.js';
import { Store } from '../store/store.js';
import type { Schema } from '../types/type.js';
import type {
  Backend,
  BatchSink,
  CountOptions,
  CountResult,
  ImportOptions,
  QueryOptions,
  Status,
} from './backend.js';
import { UnsupportedError } from './unsupported.js';

export class LocalBackend implements Backend {
  readonly description: string;
  private store: Promise<Store> | undefined;
  /** What the last run of each query text did, for `explain` after `query`. */
  private readonly runs = new Map<string, { q: PreparedQuery; stats: QueryStats }>();

  constructor(
    readonly db: string,
    private readonly registry: SchemaRegistry,
  ) {
    this.description = `database ${db}`;
  }

  private open(): Promise<Store> {
    this.store ??= Store.open(this.db);
    return this.store;
  }

  private async prepare(text: string | undefined): Promise<{ store: Store; q: PreparedQuery }> {
    const store = await this.open();
    return { store, q: prepareQuery(text, store.schemas(), this.registry) };
  }

  async *query(text: string | undefined, opts: QueryOptions = {}): AsyncIterable<RecordBatch> {
    if (opts.continuous || opts.unified)
      throw new UnsupportedError('--continuous and --unified', 'live queries follow what a node ingests');
    const { store, q } = await this.prepare(text);
    const stats = emptyStats();
    this.runs.set(q.text, { q, stats });
    yield* runQuery(
      store,
      q,
      { maxEvents: opts.maxEvents, budget: new QueryBudget(undefined, opts.signal) },
      stats,
    );
  }

  async count(
    text: string | undefined,
    opts: CountOptions & { explain?: boolean } = {},
  ): Promise<CountResult> {
    const { store, q } = await this.prepare(text);
    const stats = emptyStats();
    const count = await countOrEstimate(store, q, stats, { estimate: opts.estimate });
    return { count, ...(opts.explain ? { explain: explain(store, q, stats) } : {}) };
  }

  async explain(text: string | undefined): Promise<string> {
    const { store, q } = await this.prepare(text);
    const run = this.runs.get(q.text);
    return explain(store, run?.q ?? q, run?.stats ?? emptyStats());
  }

  async *get(ids: readonly number[]): AsyncIterable<RecordBatch> {
    yield* eventsById(await this.open(), ids);
  }

  async importer(opts: ImportOptions = {}): Promise<BatchSink> {
    refuseIfServed(this.db, 'import into');
    const store = await Store.open(this.db, { create: true });
    // Reads after this import see its partitions.
    this.store = Promise.resolve(store);
    // A local import is queryable once committed: `blocking` is what it always does.
    return store.importer({ atomic: opts.atomic, partitionSize: opts.partitionSize });
  }

  async schemas(): Promise<readonly Schema[]> {
    return (await this.open()).schemas();
  }

  async status(opts: { detailed?: boolean } = {}): Promise<Status> {
    const store = await this.open();
    // Internal events (the audit log) are not counted as data; `vast export json '#schema == "vast.audit"'` shows them.
    const data = splitStatus(store.status()).data;
    return {
      where: `database: ${this.db}`,
      database: this.db,
      ...data,
      ...(opts.detailed
        ? {
            partitionList: store
              .partitions()
              .filter((p) => !isInternalSchema(p.schema))
              .map((p) => ({ id: p.id, schema: p.schema, events: p.events, bytes: p.bytes })),
          }
        : {}),
    };
  }

  async close(): Promise<void> {}
}
