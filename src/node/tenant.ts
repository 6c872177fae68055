/**
 * One tenant's data inside a node: its store, write-ahead log, the batches
 * not yet written as partitions, and its live subscriptions. Every batch,
 * whether from a client, the HTTP API or a source, enters through `ingest`:
 *
 *   WAL append + fsync → acknowledged → in-memory tail (visible to queries)
 *   → importer (streams to a staged partition) → live subscribers
 *
 * `flush` turns the in-memory tail into committed partitions: it rotates the
 * WAL, commits the importer (tagging the partitions with the last WAL segment
 * they contain), then deletes those segments. A crash at any point either
 * replays a segment that was not committed, or skips one that was.
 */

import { join } from 'node:path';
import type * as A from 'apache-arrow';
import type { Logger } from 'pino';
import { type Importer, Store } from '../store/store.js';
import { Wal } from '../store/wal.js';
import { DEFAULT_TENANT } from './auth.js';
import type { LiveSubscriber } from './live.js';

export interface TenantOptions {
  maxPartitionSize: number;
  log: Logger;
}

/** Where a tenant's data lives: the default tenant is the database itself, so embedded mode sees it. */
export function tenantDir(db: string, tenant: string): string {
  return tenant === DEFAULT_TENANT ? db : join(db, 'tenants', tenant);
}

export class Tenant {
  private importer: Importer | undefined;
  private readonly wal: Wal;
  /** Acknowledged batches not yet in committed partitions (queries see them). */
  private tail: A.RecordBatch[] = [];
  private tailEvents = 0;
  private flushing: Promise<void> | undefined;
  readonly subscribers = new Set<LiveSubscriber>();
  ingested = 0;

  private constructor(
    readonly name: string,
    readonly store: Store,
    private readonly opts: TenantOptions,
  ) {
    this.wal = new Wal(join(store.dir, 'wal'));
  }

  /** Opens the tenant's store and replays its write-ahead log. */
  static async open(db: string, name: string, opts: TenantOptions): Promise<Tenant> {
    const store = await Store.open(tenantDir(db, name), { create: true });
    const t = new Tenant(name, store, opts);
    await t.recover();
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
    if (batch.numRows === 0) return;
    while (this.flushing) await this.flushing;
    await this.wal.append(batch);
    await this.accept(batch);
    if (this.tailEvents >= this.opts.maxPartitionSize) await this.flush();
  }

  private async accept(batch: A.RecordBatch): Promise<void> {
    this.importer ??= await this.store.importer({ partitionSize: Number.POSITIVE_INFINITY });
    await this.importer.add(batch);
    this.tail.push(batch);
    this.tailEvents += batch.numRows;
    this.ingested += batch.numRows;
    // Live subscribers see the batch after it is durable; a full queue makes ingestion wait (backpressure).
    for (const s of this.subscribers) await s.offer(batch);
  }

  /** Writes everything buffered as committed partitions. */
  flush(): Promise<void> {
    this.flushing ??= this.doFlush().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async doFlush(): Promise<void> {
    const importer = this.importer;
    if (!importer) return;
    this.importer = undefined;
    const closed = this.wal.rotate();
    importer.walSegment = closed;
    const summary = await importer.commit();
    this.wal.dropThrough(closed);
    this.tail = [];
    this.tailEvents = 0;
    if (summary.events > 0) this.opts.log.info({ tenant: this.name, ...summary }, 'flushed partitions');
  }

  async close(): Promise<void> {
    await this.flush();
    for (const s of this.subscribers) s.close();
    this.wal.close();
  }
}
