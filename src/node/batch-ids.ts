/**
 * Idempotent imports: a client sends a batch id (`X-VAST-Batch-Id`) with each
 * import request and keeps it across retries. The tenant remembers the ids it
 * made durable, with their acknowledgement, and answers a repeated id with the
 * original acknowledgement instead of ingesting again. So a client that timed
 * out, or lost its connection to a node that crashed, can simply retry.
 *
 * Where an id is durable: with its batches in the WAL record (until the
 * segment is dropped at flush), and in `batch-ids.json` in the tenant's
 * directory, which a flush rewrites *before* it commits partitions (a commit
 * lets recovery skip the WAL segments that held the ids). Recovery unions the
 * file with the acks replayed from the WAL. The set is bounded: ids older than
 * `batch-id-window` seconds, and the oldest beyond `batch-id-capacity`, are
 * forgotten (a retry after that would ingest again).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/fs-util.js';
import type { BatchAck } from '../store/wal.js';

/** The request header carrying a batch id. */
export const BATCH_ID_HEADER = 'x-vast-batch-id';
/** What a batch id may look like (a UUID fits; no path or control characters). */
export const BATCH_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

export interface BatchIdLimits {
  /** How long an id is remembered, in milliseconds. */
  windowMs: number;
  /** How many ids a tenant remembers at most. */
  capacity: number;
}

const FILE = 'batch-ids.json';

export class BatchIds {
  /** Insertion order is acknowledgement order: the first entries are the oldest. */
  private readonly acks = new Map<string, BatchAck>();
  private dirty = false;

  private constructor(
    private readonly path: string,
    private readonly limits: BatchIdLimits,
  ) {}

  /** Loads the persisted ids of a tenant; a damaged file is reported through `warn` and ignored. */
  static load(dir: string, limits: BatchIdLimits, warn: (message: string) => void): BatchIds {
    const ids = new BatchIds(join(dir, FILE), limits);
    if (!existsSync(ids.path)) return ids;
    try {
      for (const ack of parseAcks(readFileSync(ids.path, 'utf8'))) ids.acks.set(ack.id, ack);
    } catch (e) {
      warn(
        `${ids.path}: ${(e as Error).message}; retries of imports acknowledged before may be ingested again`,
      );
    }
    ids.prune(Date.now());
    return ids;
  }

  /** The acknowledgement of an id still remembered. */
  get(id: string, now = Date.now()): BatchAck | undefined {
    const ack = this.acks.get(id);
    return ack && now - ack.at <= this.limits.windowMs ? ack : undefined;
  }

  add(ack: BatchAck): void {
    this.acks.delete(ack.id);
    this.acks.set(ack.id, ack);
    this.dirty = true;
    this.prune(Date.now());
  }

  /** Writes the set (atomically) if it changed since the last write. */
  persist(): void {
    if (!this.dirty) return;
    this.prune(Date.now());
    const rows = [...this.acks.values()].map((a) => [a.id, a.at, a.events, a.errors]);
    writeFileAtomic(this.path, JSON.stringify({ version: 1, acks: rows }));
    this.dirty = false;
  }

  get size(): number {
    return this.acks.size;
  }

  private prune(now: number): void {
    for (const [id, ack] of this.acks) {
      if (this.acks.size <= this.limits.capacity && now - ack.at <= this.limits.windowMs) break;
      this.acks.delete(id);
      this.dirty = true;
    }
  }
}

/** The acks in a `batch-ids.json` text; throws on anything malformed. */
function parseAcks(text: string): BatchAck[] {
  const doc = JSON.parse(text) as { version?: unknown; acks?: unknown };
  if (doc?.version !== 1 || !Array.isArray(doc.acks)) throw new Error('not a batch id file (version 1)');
  return doc.acks.map((row: unknown) => {
    if (!Array.isArray(row) || row.length !== 4) throw new Error('malformed entry');
    const [id, at, events, errors] = row as unknown[];
    if (
      typeof id !== 'string' ||
      !BATCH_ID_RE.test(id) ||
      typeof at !== 'number' ||
      !Number.isInteger(events) ||
      !Number.isInteger(errors)
    )
      throw new Error('malformed entry');
    return { id, at, events: events as number, errors: errors as number };
  });
}
