/**
 * Worker threads that evaluate a query's expression on row groups in
 * parallel: a query on one core decodes and tests one row group at a time,
 * so with N cores N row groups are in flight (issue 11, "both cores").
 *
 * The main thread still plans (catalog, synopses), orders and merges: jobs
 * are small (a few row groups), results come back in order, and only the
 * selection travels back (a count, or a bitmap of the rows), never the data.
 * The pool starts on first use and lives as long as the process; idle
 * workers do not keep the process alive.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ScanJob, ScanResult } from './scan-job.js';

let threads = availableParallelism();

/** Threads a scan may use (`--threads`, default every core); 1 keeps every scan on its own thread. */
export const scanThreads = (): number => threads;

export function setScanThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`threads must be a positive integer, got ${n}`);
  threads = n;
}

const WORKER = new URL('./scan-worker.js', import.meta.url);

interface Pending {
  resolve: (r: ScanResult) => void;
  reject: (e: Error) => void;
}

class Slot {
  readonly pending = new Map<number, Pending>();
  /** The worker has loaded its modules (it says so once, see scan-worker.ts). */
  ready = false;
  constructor(readonly worker: Worker) {}
}

export class ScanPool {
  private static shared: ScanPool | undefined;
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private next = 0;

  private constructor(private readonly size: number) {}

  /**
   * The process's pool of `threads` workers, or undefined where workers
   * cannot run: one thread asked for, or the worker script not built (tests
   * that import the TypeScript sources run every scan on their own thread).
   */
  static get(threads: number): ScanPool | undefined {
    if (threads <= 1 || !existsSync(fileURLToPath(WORKER))) return undefined;
    if (ScanPool.shared?.size !== threads) {
      void ScanPool.shared?.close();
      ScanPool.shared = new ScanPool(threads);
    }
    return ScanPool.shared;
  }

  /** Every worker has started and loaded its modules: jobs run at once. */
  get ready(): boolean {
    return Array.from({ length: this.size }, (_, k) => this.slots[k]?.ready === true).every(Boolean);
  }

  /** Starts the workers that are not running, without waiting for them. */
  warm(): void {
    for (let k = 0; k < this.size; k++) this.slot(k);
  }

  /** Runs a job on the next worker, round robin (jobs are of similar size). */
  run(job: ScanJob): Promise<ScanResult> {
    const slot = this.slot(this.next++ % this.size);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      // While a job is out the worker keeps the process alive; idle, it does not.
      slot.worker.ref();
      slot.worker.postMessage({ id, job });
    });
  }

  /** Stops the workers that still have jobs (their results are not wanted any more); new ones start on next use. */
  abandon(): void {
    for (const slot of this.slots) if (slot && slot.pending.size > 0) void slot.worker.terminate();
  }

  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s?.worker.terminate()));
  }

  private slot(k: number): Slot {
    const existing = this.slots[k];
    if (existing) return existing;
    const worker = new Worker(WORKER);
    const slot = new Slot(worker);
    worker.on('message', (m: { ready: true } | { id: number; result: ScanResult }) => {
      if ('ready' in m) {
        slot.ready = true;
        return;
      }
      const { id, result } = m;
      const p = slot.pending.get(id);
      slot.pending.delete(id);
      if (slot.pending.size === 0) worker.unref();
      p?.resolve(result);
    });
    const fail = (e: Error) => {
      // A dead worker fails its jobs (the caller runs them itself) and is replaced on next use.
      if (this.slots[k] === slot) delete this.slots[k];
      for (const p of slot.pending.values()) p.reject(e);
      slot.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`scan worker exited with code ${code}`)));
    // After the listeners: adding a 'message' listener refs the worker's port again.
    worker.unref();
    this.slots[k] = slot;
    return slot;
  }
}
