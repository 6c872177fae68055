/** The backend over a database opened in this process (embedded mode). */
import type { RecordBatch } from 'apache-arrow';
import type { Cut, Detection, Hunt, IntelShow } from '../detect/detection.js';
import type { HuntRun } from '../detect/hunt-report.js';
import type { IntelAddOptions, IntelAddResult } from '../detect/intel-api.js';
import type { IntelSetSummary } from '../detect/intel-sets.js';
import type { RuleAddOptions, RuleAddResult, RuleFile, RuleProblem } from '../detect/rule-api.js';
import type { RuleShow, RuleSummary } from '../detect/rules.js';
import { UsageError } from '../diagnostics.js';
import { isInternalSchema, splitStatus } from '../query/internal-schemas.js';
import type { PreparedQuery, QueryStats } from '../query/run.js';
import type { SchemaRegistry } from '../schemas/registry.js';
import { committedPartitions } from '../store/catalog.js';
import { refuseIfServed } from '../store/holder.js';
import type { Store } from '../store/store.js';
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

const warn = (level: 'info' | 'warn' | 'error', message: string) => {
  if (level !== 'info') process.stderr.write(`vast: ${message}\n`);
};

/**
 * The store and the query engine, loaded on first use: with them come apache-arrow, the
 * Parquet reader and the expression compiler, about half of a short command's run time,
 * which a count the catalog answers alone (`vast count` without an expression) never needs.
 */
const engine = async () => {
  const [store, run, get] = await Promise.all([
    import('../store/store.js'),
    import('../query/run.js'),
    import('../query/get.js'),
  ]);
  return { ...store, ...run, ...get };
};

/** Security content and matching, loaded by the commands that need them. */
const detect = async () => {
  const [detection, intel, rules] = await Promise.all([
    import('../detect/detection.js'),
    import('../detect/intel-api.js'),
    import('../detect/rule-api.js'),
  ]);
  return { ...detection, ...intel, ...rules };
};

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
    this.store ??= engine().then(({ Store }) => Store.open(this.db));
    return this.store;
  }

  private async prepare(text: string | undefined): Promise<{ store: Store; q: PreparedQuery }> {
    const [store, { prepareQuery }] = await Promise.all([this.open(), engine()]);
    return { store, q: prepareQuery(text, store.schemas(), this.registry) };
  }

  async *query(text: string | undefined, opts: QueryOptions = {}): AsyncIterable<RecordBatch> {
    if (opts.continuous || opts.unified)
      throw new UnsupportedError('--continuous and --unified', 'live queries follow what a node ingests');
    const [{ store, q }, { emptyStats, runQuery, QueryBudget }] = await Promise.all([
      this.prepare(text),
      engine(),
    ]);
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
    if (text === undefined && !opts.explain && this.store === undefined) {
      // Every event matches and none is read: the catalog knows how many there are
      // (as the query engine would find, without loading it).
      const entries = committedPartitions(this.db);
      if (entries)
        return { count: entries.reduce((n, e) => (isInternalSchema(e.schema) ? n : n + e.events), 0) };
    }
    const [{ store, q }, { countOrEstimate, emptyStats, explain }] = await Promise.all([
      this.prepare(text),
      engine(),
    ]);
    const stats = emptyStats();
    const count = await countOrEstimate(store, q, stats, { estimate: opts.estimate });
    return { count, ...(opts.explain ? { explain: explain(store, q, stats) } : {}) };
  }

  async explain(text: string | undefined): Promise<string> {
    const [{ store, q }, { emptyStats, explain }] = await Promise.all([this.prepare(text), engine()]);
    const run = this.runs.get(q.text);
    return explain(store, run?.q ?? q, run?.stats ?? emptyStats());
  }

  async *get(ids: readonly number[]): AsyncIterable<RecordBatch> {
    const [store, { eventsById }] = await Promise.all([this.open(), engine()]);
    yield* eventsById(store, ids);
  }

  /**
   * Imports into the database, matching the database's intel live: each
   * batch's sightings are stored beside it. (Committed with it when the import
   * is atomic; otherwise a crash may lose the sightings of a partition that
   * was committed before theirs.)
   */
  async importer(opts: ImportOptions = {}): Promise<BatchSink> {
    refuseIfServed(this.db, 'import into');
    const [{ Store }, { Detection }] = await Promise.all([engine(), detect()]);
    const store = await Store.open(this.db, { create: true });
    // Reads after this import see its partitions.
    this.store = Promise.resolve(store);
    const detection = Detection.open(this.db, this.registry, warn, { windowsAtEnd: true });
    // A local import is queryable once committed: `blocking` is what it always does.
    const importer = await store.importer({ atomic: opts.atomic, partitionSize: opts.partitionSize });
    return {
      add: async (batch) => {
        const placement = await importer.add(batch);
        if (detection.active) for (const s of detection.live(batch, placement).batches) await importer.add(s);
      },
      commit: async () => {
        // Correlation windows the wall clock has passed are decided now (historical data imported in one go).
        for (const b of detection.tick().batches) await importer.add(b);
        const summary = await importer.commit();
        await detection.close();
        return summary;
      },
      abort: async () => {
        await importer.abort();
        await detection.close();
      },
    };
  }

  private async detection(): Promise<Detection> {
    const { Detection } = await detect();
    return Detection.open(this.db, this.registry, warn);
  }

  /** Loads the set, then hunts the stored events (and any hunt an earlier run left unfinished). */
  async intelAdd(name: string, feed: Uint8Array, opts: IntelAddOptions): Promise<IntelAddResult> {
    refuseIfServed(this.db, 'change the intel of');
    const { readFeed, addResult } = await detect();
    const { indicators, problems } = readFeed(feed, opts);
    const { update, run } = await this.changeContent((detection, cut) =>
      detection.updateSet(
        name,
        indicators,
        { subdomains: opts.subdomains ?? false, actions: opts.actions ?? [] },
        cut,
      ),
    );
    return addResult(update, problems, run);
  }

  /** Loads the rules, then hunts the stored events with those new or changed (and any unfinished hunt). */
  async ruleAdd(files: readonly RuleFile[], opts: RuleAddOptions): Promise<RuleAddResult> {
    refuseIfServed(this.db, 'change the rules of');
    const { readRules, ruleOptions, ruleAddResult } = await detect();
    const options = ruleOptions(opts);
    let problems: RuleProblem[] = [];
    const { update, run } = await this.changeContent((detection, cut) => {
      const read = readRules(files, detection.sigmaMappings);
      problems = read.problems;
      return detection.addRules(read.docs, options, cut);
    });
    return ruleAddResult(update, problems, run);
  }

  /**
   * A content change, given the cut of what is stored; then the hunts it (and
   * an earlier, interrupted run) left, each partition's findings committed
   * before the hunt marks it done. Returns how this change's hunt went.
   */
  private async changeContent<U extends { hunt?: Hunt }>(
    apply: (detection: Detection, cut: Cut) => U,
  ): Promise<{ update: U; run: HuntRun }> {
    const [{ Store }, { storedCut }] = await Promise.all([engine(), detect()]);
    const store = await Store.open(this.db, { create: true });
    this.store = Promise.resolve(store);
    const detection = await this.detection();
    const update = apply(detection, storedCut(store));
    const run: HuntRun = { done: true, found: 0, skipped: 0, skippedGroups: 0 };
    try {
      for (const hunt of detection.pendingHunts()) {
        const ran = await detection.runHunt(store, hunt, async (batches) => {
          if (batches.length === 0) return;
          const importer = await store.importer({ atomic: true });
          try {
            for (const b of batches) {
              await importer.add(b);
              if (hunt === update.hunt) run.found = (run.found ?? 0) + b.numRows;
            }
          } catch (e) {
            await importer.abort();
            throw e;
          }
          await importer.commit();
        });
        if (hunt === update.hunt) {
          run.skipped = ran.skipped;
          run.skippedGroups = ran.groups;
        }
      }
    } finally {
      await detection.close();
    }
    return { update, run };
  }

  async intelList(): Promise<IntelSetSummary[]> {
    const [{ summarize }, detection] = await Promise.all([
      import('../detect/intel-sets.js'),
      this.detection(),
    ]);
    return detection.sets.list().map(summarize);
  }

  async intelShow(name: string): Promise<IntelShow> {
    const shown = (await this.detection()).show(name);
    if (!shown) throw new UsageError(`no intel set '${name}' in ${this.description} (vast intel list)`);
    return shown;
  }

  async intelRemove(name: string): Promise<boolean> {
    refuseIfServed(this.db, 'change the intel of');
    return (await this.detection()).removeSet(name);
  }

  async ruleList(): Promise<RuleSummary[]> {
    const [{ summarizeRule }, detection] = await Promise.all([
      import('../detect/rules.js'),
      this.detection(),
    ]);
    return detection.rules.list().map(summarizeRule);
  }

  async ruleShow(id: string): Promise<RuleShow> {
    const shown = (await this.detection()).showRule(id);
    if (!shown) throw new UsageError(`no rule '${id}' in ${this.description} (vast rule list)`);
    return shown;
  }

  async ruleRemove(id: string): Promise<boolean> {
    refuseIfServed(this.db, 'change the rules of');
    return (await this.detection()).removeRule(id);
  }

  async schemas(): Promise<readonly Schema[]> {
    return (await this.open()).schemas();
  }

  async status(opts: { detailed?: boolean } = {}): Promise<Status> {
    const store = await this.open();
    // Internal events (the audit log) are not counted as data; `vast export json '#schema == "vast.audit"'` shows them.
    const data = splitStatus(store.status()).data;
    const { intelStatus } = await detect();
    return {
      where: `database: ${this.db}`,
      database: this.db,
      ...data,
      intel: intelStatus(await this.detection()),
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
