/**
 * One tenant's data inside a node: its store, write-ahead log, the batches
 * not yet written as partitions, and its live subscriptions. Every batch,
 * whether from a client, the HTTP API or a source, enters through `ingest`:
 *
 *   WAL append + fsync → importer (streams to a staged partition) → intel
 *   matched (sightings staged beside it) → in-memory tail (visible to queries)
 *   → live subscribers → acknowledged
 *
 * Sightings are derived, not logged: a replay of the WAL stages the batches
 * again and matches them again, so they are committed with their events or
 * not at all. Retro hunts (detection.ts) store theirs through `ingestOnce`
 * under a key per hunt and partition, so a hunt resumed after a crash
 * does not store a partition's sightings twice.
 *
 * `flush` turns the in-memory tail into committed partitions: it rotates the
 * WAL, persists the remembered batch ids, commits the importer (tagging the
 * partitions with the last WAL segment they contain), then deletes those
 * segments. A crash at any point either replays a segment that was not
 * committed, or skips one that was (and whose batch ids are in the file).
 *
 * Live subscribers never slow ingest down: a batch is only queued for them,
 * and one that lags too far is dropped (see live.ts).
 */

import { join } from 'node:path';
import type * as A from 'apache-arrow';
import type { Logger } from 'pino';
import {
  type Cut,
  Detection,
  type Hunt,
  type RulesUpdate,
  type SetUpdate,
  storedCut,
} from '../detect/detection.js';
import type { Indicator } from '../detect/indicator.js';
import type { IntelSetOptions } from '../detect/intel-sets.js';
import type { RuleOptions } from '../detect/rules.js';
import type { SigmaDocument } from '../detect/sigma/types.js';
import { isInternalSchema } from '../query/internal-schemas.js';
import type { SchemaRegistry } from '../schemas/registry.js';
import { storageError } from '../store/errors.js';
import { type Importer, type Placement, Store } from '../store/store.js';
import { type BatchAck, Wal } from '../store/wal.js';
import { schemaName } from '../types/arrow.js';
import { DEFAULT_TENANT } from './auth.js';
import { type BatchIdLimits, BatchIds } from './batch-ids.js';
import type { LiveSubscriber } from './live.js';

/** How often live correlation windows are decided by the wall clock. */
const TICK_MS = 10_000;

export interface TenantOptions {
  maxPartitionSize: number;
  batchIds: BatchIdLimits;
  log: Logger;
  /** Schemas and concepts that content compiles against (`net.domain`, Sigma's logsources). */
  registry: SchemaRegistry;
}

/** Where a tenant's data lives: the default tenant is the database itself, so embedded mode sees it. */
function tenantDir(db: string, tenant: string): string {
  return tenant === DEFAULT_TENANT ? db : join(db, 'tenants', tenant);
}

export class Tenant {
  /**
   * The open import, as a promise: concurrent first batches must share one
   * importer (a second one would wait for the writer lock the first holds).
   */
  private importer: Promise<Importer> | undefined;
  /** The import once open: its partitions being written are part of a content change's cut. */
  private opened: Importer | undefined;
  readonly detection: Detection;
  private hunting: Promise<void> | undefined;
  private huntAgain = false;
  private readonly stopHunts = new AbortController();
  private readonly wal: Wal;
  private readonly ticker: NodeJS.Timeout;
  /** Acknowledged batches not yet in committed partitions (queries see them). */
  private tail: A.RecordBatch[] = [];
  private tailEvents = 0;
  private flushing: Promise<void> | undefined;
  /** Ingests between their WAL append and their accept, and who waits for them to finish. */
  private inflight = 0;
  private readonly idle: (() => void)[] = [];
  /** Imports acknowledged under a batch id, and those under way (a retry waits for the original). */
  private readonly batchIds: BatchIds;
  private readonly importing = new Map<string, Promise<BatchAck>>();
  /** A WAL append failed (a full disk) and may have left a torn record: the next append starts a new segment. */
  private walTorn = false;
  /**
   * Writing the staged partition failed (a full disk): the importer is gone,
   * the tail (still in the WAL) is staged again by the next flush.
   */
  private restage = false;
  readonly subscribers = new Set<LiveSubscriber>();
  /** Events ingested since the node started: imported data, and the node's own `vast.*` events apart. */
  ingested = 0;
  ingestedInternal = 0;

  private constructor(
    readonly name: string,
    readonly store: Store,
    private readonly opts: TenantOptions,
  ) {
    this.wal = new Wal(join(store.dir, 'wal'));
    this.detection = Detection.open(
      store.dir,
      opts.registry,
      (level, message) => opts.log[level]({ tenant: name }, message),
      { resumeActions: true },
    );
    this.batchIds = BatchIds.load(store.dir, opts.batchIds, (message) =>
      opts.log.warn({ tenant: name }, message),
    );
    this.ticker = setInterval(() => void this.tick(), TICK_MS);
    this.ticker.unref();
  }

  /**
   * Decides the live correlation windows the wall clock has passed (a quiet
   * stream's last windows); their alerts are ingested like any batch.
   */
  private async tick(): Promise<void> {
    try {
      for (const b of this.detection.tick().batches) await this.ingest(b);
    } catch (e) {
      this.opts.log.error(
        { tenant: this.name, err: (e as Error).message },
        'storing correlation alerts failed',
      );
    }
  }

  /** Opens the tenant's store and replays its write-ahead log. */
  static async open(db: string, name: string, opts: TenantOptions): Promise<Tenant> {
    const store = await Store.open(tenantDir(db, name), {
      create: true,
      warn: (message) => opts.log.warn({ tenant: name }, message),
    });
    const t = new Tenant(name, store, opts);
    await t.recover();
    // Hunts a restart interrupted resume.
    for (const h of t.detection.progress())
      opts.log.info(
        { tenant: name, hunt: h.id, done: h.done, partitions: h.partitions },
        'resuming retro hunt',
      );
    t.startHunts();
    return t;
  }

  private async recover(): Promise<void> {
    const committed = this.store.committedWalSegment();
    this.wal.dropThrough(committed);
    const replayed = this.wal.replay(committed);
    this.wal.open();
    let events = 0;
    for (const seg of replayed) {
      if (seg.truncated > 0)
        this.opts.log.warn(
          { tenant: this.name, segment: seg.seq, bytes: seg.truncated },
          'dropped a torn record at the end of the WAL',
        );
      for (const ack of seg.acks) this.batchIds.add(ack);
      for (const b of seg.batches) {
        // Replayed batches are already durable in the old segment; they go straight to the importer.
        await this.accept(b);
        events += b.numRows;
      }
    }
    if (events > 0) {
      this.opts.log.info({ tenant: this.name, events }, 'replayed write-ahead log');
      await this.flush();
    }
  }

  /** Events acknowledged but not yet in partitions. */
  get buffered(): number {
    return this.tailEvents;
  }

  /** A snapshot for a query: committed partitions and the in-memory tail, at this instant. */
  snapshot(): { store: Store; tail: readonly A.RecordBatch[] } {
    return { store: this.store, tail: [...this.tail] };
  }

  /** Makes a batch durable and visible; resolves when it may be acknowledged. */
  async ingest(batch: A.RecordBatch): Promise<void> {
    if (batch.numRows > 0) await this.ingestRecord([batch]);
  }

  /**
   * Ingests the batches of one import request under the client's batch id,
   * all or nothing, unless that id was acknowledged before: then nothing is
   * ingested and the original acknowledgement is returned (`duplicate`).
   */
  async ingestOnce(
    id: string,
    batches: readonly A.RecordBatch[],
    errors: number,
  ): Promise<{ ack: BatchAck; duplicate: boolean }> {
    for (;;) {
      const known = this.batchIds.get(id);
      if (known) return { ack: known, duplicate: true };
      const running = this.importing.get(id);
      if (!running) break;
      // A retry that overtook its original (the client timed out): the original decides.
      await running.catch(() => {});
    }
    const events = batches.reduce((n, b) => n + b.numRows, 0);
    const ack: BatchAck = { id, at: Date.now(), events, errors };
    // An empty import leaves nothing to duplicate: no need to remember it.
    if (events === 0) return { ack, duplicate: false };
    const done = this.ingestRecord(batches, ack).then(() => ack);
    this.importing.set(id, done);
    try {
      await done;
    } finally {
      this.importing.delete(id);
    }
    return { ack, duplicate: false };
  }

  /** Appends batches to the WAL as one record (with their batch id) and makes them visible. */
  private async ingestRecord(batches: readonly A.RecordBatch[], ack?: BatchAck): Promise<void> {
    const nonEmpty = batches.filter((b) => b.numRows > 0);
    while (this.flushing) await this.flushing;
    // WAL append and accept belong together: a flush must not fall between them, or the
    // batch's WAL segment could be dropped before the batch is in a committed partition.
    this.inflight++;
    try {
      try {
        // A torn record ends its segment on replay: later records must go to a new one.
        if (this.walTorn) {
          this.walTorn = false;
          this.wal.rotate();
        }
        await this.wal.append(nonEmpty, ack && { id: ack.id, at: ack.at, errors: ack.errors });
      } catch (e) {
        this.walTorn = true;
        throw storageError(e, 'the write-ahead log');
      }
      // Durable from here: a retry must find the id even if accepting fails.
      if (ack) this.batchIds.add(ack);
      for (const b of nonEmpty) await this.accept(b);
    } finally {
      if (--this.inflight === 0) for (const w of this.idle.splice(0)) w();
    }
    // The batch is durable (acknowledged); a failing flush is retried later, not the client's error.
    if (this.tailEvents >= this.opts.maxPartitionSize)
      await this.flush().catch((e: Error) =>
        this.opts.log.error({ tenant: this.name, err: e.message }, 'flush failed'),
      );
  }

  /** Resolves when no ingest is between its WAL append and its accept. */
  private quiesce(): Promise<void> {
    return this.inflight === 0 ? Promise.resolve() : new Promise((r) => this.idle.push(r));
  }

  private openImporter(): Promise<Importer> {
    // Atomic: a flush commits the partitions of every schema in one catalog write, or none. They all
    // carry the same WAL segment, so committing them one by one and crashing in between would make
    // the restart skip that segment and lose the schemas not yet committed (found by bench/torture.ts).
    const importer = this.store.importer({ atomic: true, partitionSize: Number.POSITIVE_INFINITY });
    importer.then(
      (i) => {
        this.opened = i;
      },
      () => {},
    );
    return importer;
  }

  /**
   * Streams a batch to the staged partition and, with `match`, its live
   * findings (sightings, alerts) beside it, returning those; on failure (in `error`), leaves it
   * to the next flush to stage the tail again.
   */
  private async stage(
    batch: A.RecordBatch,
    match: boolean,
  ): Promise<{ findings: A.RecordBatch[]; error?: unknown }> {
    if (this.restage) return { findings: match ? this.detection.live(batch, undefined).batches : [] };
    this.importer ??= this.openImporter();
    try {
      const importer = await this.importer;
      // Placement and match in one synchronous step: a content change (updateIntel) cannot fall between.
      const placement: Placement | undefined = importer.addNow(batch);
      const findings = match ? this.detection.live(batch, placement).batches : [];
      for (const s of findings) importer.addNow(s);
      return { findings };
    } catch (e) {
      this.restage = true;
      const failed = this.importer;
      this.importer = undefined;
      await failed?.then((i) => i.abort()).catch(() => {});
      this.opts.log.error(
        { tenant: this.name, err: (e as Error).message },
        'staging a partition failed; the batches stay in the write-ahead log and are staged again at the next flush',
      );
      return { findings: [], error: e };
    }
  }

  private async accept(batch: A.RecordBatch): Promise<void> {
    const { findings } = await this.stage(batch, true);
    for (const b of [batch, ...findings]) {
      this.tail.push(b);
      this.tailEvents += b.numRows;
      if (isInternalSchema(schemaName(b))) this.ingestedInternal += b.numRows;
      else this.ingested += b.numRows;
      // Live subscribers see the batch after it is durable; offering never waits, a laggard is dropped.
      for (const s of this.subscribers)
        if (!s.offer(b)) {
          this.subscribers.delete(s);
          if (s.dropReason) this.opts.log.warn({ tenant: this.name }, s.dropReason);
        }
    }
  }

  /**
   * Stores an intel set's new revision and starts its retro hunt over what
   * was stored before this instant (detection.ts): the committed partitions
   * and the rows staged so far, taken in the same synchronous step that swaps
   * the live matcher.
   */
  updateIntel(name: string, indicators: readonly Indicator[], opts: IntelSetOptions): SetUpdate {
    return this.changeContent((cut) => this.detection.updateSet(name, indicators, opts, cut));
  }

  /** Stores rules and starts the retro hunt of those new or changed, as `updateIntel` does for a set. */
  addRules(
    docs: readonly { doc: SigmaDocument; source: string; file?: string }[],
    opts: RuleOptions,
  ): RulesUpdate {
    return this.changeContent((cut) => this.detection.addRules(docs, opts, cut));
  }

  /** A content change, given the cut taken in the same synchronous step; then its hunt starts. */
  private changeContent<U extends { hunt?: Hunt }>(apply: (cut: Cut) => U): U {
    const update = apply(storedCut(this.store, Object.fromEntries(this.opened?.activeRows() ?? [])));
    if (update.hunt) this.startHunts();
    return update;
  }

  /** Runs the pending retro hunts in the background, one at a time; never blocks ingest. */
  private startHunts(): void {
    if (this.detection.pendingHunts().length === 0) return;
    if (this.hunting) {
      this.huntAgain = true;
      return;
    }
    this.hunting = this.runHunts()
      .catch((e: Error) =>
        this.opts.log.error(
          { tenant: this.name, err: e.message },
          'retro hunt failed; it resumes at the next start',
        ),
      )
      .finally(() => {
        this.hunting = undefined;
        if (this.huntAgain && !this.stopHunts.signal.aborted) {
          this.huntAgain = false;
          this.startHunts();
        }
      });
  }

  private async runHunts(): Promise<void> {
    for (const hunt of this.detection.pendingHunts()) {
      if (this.stopHunts.signal.aborted) return;
      // The partitions being written at the cut are hunted once committed.
      if (Object.keys(hunt.cut.staged).length > 0) await this.flush();
      await this.detection.runHunt(
        this.store,
        hunt,
        async (batches, key) => {
          if (batches.length > 0) await this.ingestOnce(key, batches, 0);
        },
        this.stopHunts.signal,
      );
    }
  }

  /** Resolves when the retro hunts started so far have ended (tests, `vast intel add --wait`). */
  async huntsDone(): Promise<void> {
    while (this.hunting) await this.hunting;
  }

  /** Writes everything buffered as committed partitions. */
  flush(): Promise<void> {
    this.flushing ??= this.doFlush().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async doFlush(): Promise<void> {
    // New ingests wait for `flushing`; the ones already under way finish first.
    await this.quiesce();
    if (this.restage) {
      this.restage = false;
      this.importer = undefined;
      for (const b of this.tail) {
        // The tail holds its sightings already: staged again, not matched again.
        const { error } = await this.stage(b, false);
        if (error) throw storageError(error, 'a partition');
      }
    }
    const pending = this.importer;
    if (!pending) return;
    this.importer = undefined;
    const importer = await pending;
    const closed = this.wal.rotate();
    // Before the commit: once committed, recovery skips the segments that hold these ids.
    this.batchIds.persist();
    importer.walSegment = closed;
    let summary: Awaited<ReturnType<Importer['commit']>>;
    try {
      summary = await importer.commit();
    } catch (e) {
      // The tail is still acknowledged and in the WAL (segments up to `closed` stay): stage it again next time.
      this.restage = true;
      throw storageError(e, 'a partition');
    }
    this.wal.dropThrough(closed);
    this.tail = [];
    this.tailEvents = 0;
    if (summary.events > 0) this.opts.log.info({ tenant: this.name, ...summary }, 'flushed partitions');
  }

  async close(): Promise<void> {
    clearInterval(this.ticker);
    // An unfinished hunt resumes at the next start (its progress is on disk).
    this.stopHunts.abort();
    await this.hunting;
    await this.flush();
    await this.detection.close();
    for (const s of this.subscribers) s.close();
    this.wal.close();
  }
}
