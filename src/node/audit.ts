/**
 * The audit log: every security-relevant action on a node (queries, imports,
 * token creation and revocation, source spawn and kill, node stop, refused
 * tokens) becomes a `vast.audit` event in the admin's tenant. Events are
 * collected briefly and written as one batch, so a burst of queries costs one
 * WAL append, not one per query. Refused tokens are rate-limited per remote
 * address: a flood of bad tokens cannot flood the log.
 */
import type * as A from 'apache-arrow';
import type { Logger } from 'pino';
import { BatchBuilder } from '../types/batch-builder.js';
import type { Schema } from '../types/type.js';
import type { Principal } from './auth.js';

export const AUDIT_SCHEMA = 'vast.audit';

type AuditOutcome = 'success' | 'failure' | 'denied';

export interface AuditFields {
  /** What the action was on: an expression, a format, a token or source id, a request path. */
  target?: string;
  /** Further facts, stored as a JSON object text. */
  details?: Record<string, unknown>;
  outcome?: AuditOutcome;
  /** The client's address. */
  remote?: string;
}

/** How long audit events wait to be written together. */
const BATCH_DELAY_MS = 200;
/** Events held while a write is slow; beyond this they are dropped (and the drop is logged). */
const MAX_PENDING = 10_000;
/** One refused-token event per remote address per window; the others are counted in the next one. */
const FAILURE_WINDOW_MS = 60_000;
/** Remote addresses tracked for rate limiting; past this the table starts over (bounded memory). */
const MAX_TRACKED_REMOTES = 10_000;

export class AuditLog {
  private pending: Record<string, unknown>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private dropped = 0;
  private closed = false;
  private readonly failures = new Map<string, { since: number; suppressed: number }>();

  constructor(
    private readonly schema: Schema,
    private readonly sink: (batch: A.RecordBatch) => Promise<void>,
    private readonly log: Logger,
  ) {}

  record(principal: Principal | undefined, action: string, fields: AuditFields = {}): void {
    if (this.closed) return;
    if (this.pending.length >= MAX_PENDING) {
      this.dropped++;
      return;
    }
    this.pending.push({
      time: new Date().toISOString(),
      token_id: principal?.tokenId ?? null,
      tenant: principal?.tenant ?? null,
      role: principal?.role ?? null,
      action,
      target: fields.target ?? null,
      details: fields.details ? JSON.stringify(fields.details) : null,
      remote: fields.remote ?? null,
      outcome: fields.outcome ?? 'success',
    });
    this.timer ??= setTimeout(() => void this.flush(), BATCH_DELAY_MS);
  }

  /**
   * A refused request (bad token, or a role that does not allow it): recorded
   * once per `key` (a remote address, a token id) and window, with the count
   * of those left out before it.
   */
  authFailure(
    key: string,
    principal: Principal | undefined,
    what: { reason: string; path: string; remote?: string },
    now = Date.now(),
  ): void {
    const seen = this.failures.get(key);
    if (seen && now - seen.since < FAILURE_WINDOW_MS) {
      seen.suppressed++;
      return;
    }
    if (this.failures.size >= MAX_TRACKED_REMOTES) this.failures.clear();
    this.failures.set(key, { since: now, suppressed: 0 });
    this.record(principal, 'auth.failure', {
      target: what.path,
      details: { reason: what.reason, suppressed: seen?.suppressed ?? 0 },
      outcome: 'denied',
      remote: what.remote,
    });
  }

  /** Writes what is pending; resolves when it is durable. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.pending.splice(0);
    const dropped = this.dropped;
    this.dropped = 0;
    this.writing = this.writing.then(async () => {
      if (dropped > 0) this.log.error({ dropped }, 'audit events dropped: the audit log could not keep up');
      if (rows.length === 0) return;
      try {
        await this.sink(this.toBatch(rows));
      } catch (e) {
        this.log.error({ err: (e as Error).message, events: rows.length }, 'cannot write audit events');
      }
    });
    return this.writing;
  }

  /** Flushes and stops accepting events (the node is stopping). */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private toBatch(rows: Record<string, unknown>[]): A.RecordBatch {
    const b = new BatchBuilder(this.schema);
    for (const row of rows) {
      // An address the ip type does not take (a unix socket path) must not lose the event.
      if (!b.appendJson(row)) b.appendJson({ ...row, remote: null });
    }
    return b.finish();
  }
}
