/**
 * Actions: sightings and alerts delivered to webhooks, programs and syslog
 * (issue 12), at least once, in order per action, without blocking ingest.
 *
 * `enqueue` appends the records to a durable outbox per action
 * (`actions/outbox.ts`) and returns; one delivery loop per action sends them
 * one at a time through its transport (`actions/{webhook,exec,syslog}.ts`),
 * retrying failures with exponential backoff and jitter. A slow action delays
 * only itself. What is not delivered when the dispatcher closes (or the
 * process dies) is delivered by the next `ActionDispatcher.open` on the same
 * directory.
 *
 * Durability: when `enqueue` returns, the records are written to the outbox
 * file (they survive the process crashing); an fdatasync follows within
 * `SYNC_INTERVAL_MS` (then they survive the machine crashing). The delivered
 * offset is written after each delivery without fsync, so a crash may deliver
 * a few records again: at least once, not exactly once.
 *
 * @example
 * const d = ActionDispatcher.open({ dir: join(db, 'actions') });
 * d.enqueue([parseAction('webhook=http://127.0.0.1:8080/hook')], [{ kind: 'sighting', ... }]);
 * await d.close();
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createDeliverer, type Deliverer, DeliveryError } from './actions/deliverer.js';
import { Outbox, outboxDir, readOutboxAction } from './actions/outbox.js';
import { type ActionSpec, formatAction, parseAction } from './actions/spec.js';

export { type ActionSpec, formatAction, parseAction } from './actions/spec.js';

export interface DispatcherOptions {
  /** Directory of the durable outbox (created if missing). */
  dir: string;
  /** Upper bound of records waiting (across actions); beyond it the oldest are dropped and counted. Default 100_000. */
  maxPending?: number;
  /** Backoff: first retry after initialMs, doubling up to maxMs, with jitter. Defaults 200 ms / 30 s. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Called for problems (delivery failures are logged at most once per action per backoff step). */
  log?: (level: 'warn' | 'error' | 'info', message: string) => void;
}

/** What `stats()` reports for one action. */
interface ActionStats {
  pending: number;
  delivered: number;
  failures: number;
  lastError?: string;
}

/** How often appended records are fdatasync'ed at the latest. */
const SYNC_INTERVAL_MS = 100;

/** One action: its outbox, transport and delivery loop. */
interface ActionState {
  readonly key: string;
  readonly outbox: Outbox;
  readonly deliverer: Deliverer;
  delivered: number;
  failures: number;
  lastError?: string;
  /** Wakes the loop waiting for records. */
  wake?: () => void;
  /** Ends a backoff sleep early (only `close` does). */
  interrupt?: () => void;
  loop?: Promise<void>;
}

/** JSON.stringify with bigints as numbers (strings when beyond 2^53), so no record throws. */
function toJson(record: Record<string, unknown>): string {
  return JSON.stringify(record, (_k, v) =>
    typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v,
  );
}

export class ActionDispatcher {
  private readonly actions = new Map<string, ActionState>();
  private readonly maxPending: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly log: NonNullable<DispatcherOptions['log']>;
  private readonly abort = new AbortController();
  private readonly drainWaiters = new Set<(drained: boolean) => void>();
  private seq = 0;
  private readonly nextSeq = () => this.seq++;
  private delivered = 0;
  private retries = 0;
  private dropped = 0;
  private closed = false;
  private syncTimer: NodeJS.Timeout | undefined;

  private constructor(private readonly opts: DispatcherOptions) {
    this.maxPending = opts.maxPending ?? 100_000;
    this.initialBackoffMs = opts.initialBackoffMs ?? 200;
    this.maxBackoffMs = opts.maxBackoffMs ?? 30_000;
    this.log = opts.log ?? (() => {});
  }

  /** Opens the outbox in dir and resumes delivery of what a previous process left undelivered. */
  static open(opts: DispatcherOptions): ActionDispatcher {
    const d = new ActionDispatcher(opts);
    mkdirSync(opts.dir, { recursive: true });
    for (const entry of readdirSync(opts.dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const text = readOutboxAction(join(opts.dir, entry.name));
      if (text === undefined) continue;
      let spec: ActionSpec;
      try {
        spec = parseAction(text);
      } catch (e) {
        d.log('error', `outbox ${entry.name}: cannot resume '${text}': ${(e as Error).message}`);
        continue;
      }
      const state = d.state(spec);
      if (state.outbox.pending > 0) d.log('info', `${state.key}: resuming ${state.outbox.pending} records`);
    }
    d.enforceLimit();
    return d;
  }

  /**
   * Queues records for actions and returns at once; each (action, record) is
   * delivered at least once, in order per action. The records are written to
   * the outbox before this returns (fdatasync'ed within 100 ms). Throws only
   * after `close`; a failure to write the outbox is logged and the records
   * counted as dropped.
   */
  enqueue(actions: readonly ActionSpec[], records: readonly Record<string, unknown>[]): void {
    if (this.closed) throw new Error('ActionDispatcher.enqueue after close');
    if (actions.length === 0 || records.length === 0) return;
    const jsons = records.map(toJson);
    const seen = new Set<string>();
    for (const spec of actions) {
      const key = formatAction(spec);
      if (seen.has(key)) continue;
      seen.add(key);
      try {
        const state = this.state(spec);
        state.outbox.append(jsons, this.nextSeq);
        state.wake?.();
      } catch (e) {
        this.dropped += jsons.length;
        this.log('error', `${key}: cannot queue ${jsons.length} records: ${(e as Error).message}`);
      }
    }
    this.enforceLimit();
    this.syncTimer ??= setTimeout(() => {
      this.syncTimer = undefined;
      for (const s of this.actions.values()) void s.outbox.sync();
    }, SYNC_INTERVAL_MS).unref();
  }

  /** Counters per action (by formatAction text) and overall, since this dispatcher opened. */
  stats(): {
    pending: number;
    delivered: number;
    retries: number;
    dropped: number;
    perAction: Record<string, ActionStats>;
  } {
    const perAction: Record<string, ActionStats> = {};
    let pending = 0;
    for (const s of this.actions.values()) {
      pending += s.outbox.pending;
      perAction[s.key] = {
        pending: s.outbox.pending,
        delivered: s.delivered,
        failures: s.failures,
        ...(s.lastError !== undefined ? { lastError: s.lastError } : {}),
      };
    }
    return { pending, delivered: this.delivered, retries: this.retries, dropped: this.dropped, perAction };
  }

  /** Resolves true when nothing is pending, false when `timeoutMs` passes first or the dispatcher closes. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.pending() === 0) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      // Not unref'ed: a caller awaiting drain keeps the process alive until it answers.
      const timer = setTimeout(() => finish(false), timeoutMs);
      const finish = (drained: boolean) => {
        clearTimeout(timer);
        this.drainWaiters.delete(finish);
        resolve(drained);
      };
      this.drainWaiters.add(finish);
    });
  }

  /** Stops delivering; what is pending stays in the outbox for the next open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    if (this.syncTimer) clearTimeout(this.syncTimer);
    for (const s of this.actions.values()) {
      s.wake?.();
      s.interrupt?.();
    }
    await Promise.all([...this.actions.values()].map((s) => s.loop));
    for (const s of this.actions.values()) {
      s.deliverer.close();
      await s.outbox.close();
    }
    for (const finish of [...this.drainWaiters]) finish(false);
  }

  private pending(): number {
    let n = 0;
    for (const s of this.actions.values()) n += s.outbox.pending;
    return n;
  }

  private state(spec: ActionSpec): ActionState {
    const key = formatAction(spec);
    let s = this.actions.get(key);
    if (s) return s;
    s = {
      key,
      outbox: new Outbox(outboxDir(this.opts.dir, key), key, this.nextSeq),
      deliverer: createDeliverer(spec),
      delivered: 0,
      failures: 0,
    };
    this.actions.set(key, s);
    const state = s;
    s.loop = this.run(state).catch((e) => this.log('error', `${key}: delivery loop stopped: ${String(e)}`));
    return s;
  }

  /** Drops the oldest records (across actions) while more than `maxPending` wait. */
  private enforceLimit(): void {
    let excess = this.pending() - this.maxPending;
    if (excess <= 0) return;
    const before = this.dropped;
    while (excess > 0) {
      let oldest: ActionState | undefined;
      for (const s of this.actions.values()) {
        const seq = s.outbox.oldestDroppable;
        if (seq !== undefined && (oldest === undefined || seq < oldest.outbox.oldestDroppable!)) oldest = s;
      }
      if (!oldest?.outbox.dropOldest()) break;
      this.dropped++;
      excess--;
    }
    // Logged when the total reaches 1, 10, 100, ... so a sustained overflow does not flood the log.
    if (this.dropped > before && (before === 0 || String(before).length !== String(this.dropped).length))
      this.log('warn', `more than ${this.maxPending} records pending: ${this.dropped} oldest dropped so far`);
    this.checkDrained();
  }

  private checkDrained(): void {
    if (this.drainWaiters.size > 0 && this.pending() === 0)
      for (const finish of [...this.drainWaiters]) finish(true);
  }

  /** Sleeps `ms` unless woken (close); the timer does not keep the process alive. */
  private sleep(state: ActionState, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms).unref();
      function done() {
        clearTimeout(timer);
        state.interrupt = undefined;
        resolve();
      }
      state.interrupt = done;
    });
  }

  /** The delivery loop of one action: one record at a time, oldest first, retrying with backoff. */
  private async run(s: ActionState): Promise<void> {
    let step = 0;
    let failing = 0;
    let loggedCeiling = false;
    while (!this.closed) {
      const entry = s.outbox.next();
      if (!entry) {
        await new Promise<void>((resolve) => {
          s.wake = () => {
            s.wake = undefined;
            resolve();
          };
        });
        continue;
      }
      try {
        await s.deliverer.deliver(entry.json, this.abort.signal);
      } catch (e) {
        if (this.closed) break;
        const message = (e as Error).message;
        s.failures++;
        s.lastError = message;
        if (e instanceof DeliveryError && e.permanent) {
          this.log('error', `${s.key}: dropping a record that cannot be delivered: ${message}`);
          s.outbox.complete();
          this.dropped++;
          this.checkDrained();
          continue;
        }
        this.retries++;
        failing++;
        const base = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** step);
        // Log once per backoff step; at the ceiling once until a delivery succeeds.
        const atCeiling = base >= this.maxBackoffMs;
        if (!atCeiling || !loggedCeiling)
          this.log('warn', `${s.key}: delivery failed (${message}); retrying in about ${base} ms`);
        if (atCeiling) loggedCeiling = true;
        else step++;
        // Equal jitter: between half and all of the backoff.
        await this.sleep(s, base / 2 + (Math.random() * base) / 2);
        continue;
      }
      if (failing > 0) this.log('info', `${s.key}: delivering again after ${failing} failed attempts`);
      step = 0;
      failing = 0;
      loggedCeiling = false;
      s.outbox.complete();
      s.delivered++;
      this.delivered++;
      this.checkDrained();
    }
  }
}
