/**
 * What listening sources (netflow, syslog) share: the periodic flush, the
 * stop sequence (on `stop()` or the node's abort signal) and the `done`
 * promise, plus rate-limited diagnostics so a flood of bad packets cannot
 * flood the log.
 */
import type { RecordBatch } from 'apache-arrow';
import { type Diagnostic, warningDiagnostic } from '../diagnostics.js';

export interface PumpHooks {
  /** Aborted when the source is killed or the node stops. */
  signal: AbortSignal;
  /** Milliseconds between forced flushes of partial batches. */
  flushInterval: number;
  /** Parses the input that queued up while batches were being handed over. */
  drain(): void;
  /** Batches that are full. */
  takeFull(): RecordBatch[];
  /** Every row parsed so far, as batches (the partial one too). */
  flush(): RecordBatch[];
  /** Hands a batch to the node; resolves when it was taken. */
  emit(batch: RecordBatch): Promise<void>;
  /** Closes the transport (socket, server); no new input after it resolves. */
  close(): Promise<void>;
  /** Called with true before a hand-over and false after it (syslog pauses its TCP sockets). */
  busy?(busy: boolean): void;
}

/**
 * Hands a listening source's batches to the node one at a time, flushes
 * partial batches every interval, and stops on `stop()` or the abort signal,
 * emitting what is still buffered first. While a hand-over runs (`busy`),
 * sources queue or pause their input: that is their backpressure.
 */
export class BatchPump {
  /** Set once stopping began: sources drop new input. */
  stopped = false;
  readonly done: Promise<void>;
  private pumping: Promise<void> | undefined;
  private flushDue = false;
  private failure: unknown;
  private stopping: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private resolveDone!: () => void;
  private rejectDone!: (e: unknown) => void;
  private readonly onAbort = () => void this.stop();

  constructor(private readonly h: PumpHooks) {
    this.done = new Promise<void>((res, rej) => {
      this.resolveDone = res;
      this.rejectDone = rej;
    });
    this.done.catch(() => {});
  }

  /** Starts the flush timer and watches the abort signal; call once the transport is up. */
  start(): void {
    this.timer = setInterval(() => {
      this.flushDue = true;
      void this.pump();
    }, this.h.flushInterval);
    this.timer.unref();
    this.h.signal.addEventListener('abort', this.onAbort);
    if (this.h.signal.aborted) void this.stop();
  }

  /** Whether a hand-over is running (input should queue or pause). */
  get busy(): boolean {
    return this.pumping !== undefined;
  }

  /** Emits full batches (and, when a flush is due or we stop, the partial one). */
  pump(): Promise<void> {
    if (this.pumping) return this.pumping;
    // Started on a microtask, so that `pumping` is set before any of it runs (draining may call pump()).
    this.pumping = Promise.resolve().then(async () => {
      this.h.busy?.(true);
      try {
        for (;;) {
          this.h.drain();
          let batches = this.h.takeFull();
          if (batches.length === 0 && (this.flushDue || this.stopped)) {
            this.flushDue = false;
            batches = this.h.flush();
          }
          if (batches.length === 0) break;
          for (const b of batches) await this.h.emit(b);
        }
      } catch (e) {
        this.failure = e;
        void this.stop();
      } finally {
        this.pumping = undefined;
        if (!this.stopped) this.h.busy?.(false);
      }
    });
    return this.pumping;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopped = true;
      clearInterval(this.timer);
      this.h.signal.removeEventListener('abort', this.onAbort);
      await this.h.close();
      // What is still queued, or half a batch, goes out before we are done.
      while (this.pumping) await this.pumping;
      if (this.failure === undefined) await this.pump();
      if (this.failure === undefined) this.resolveDone();
      else this.rejectDone(this.failure);
    })();
    return this.stopping;
  }
}

/** Passes at most `max` diagnostics per window on, then one line with how many were suppressed. */
export function rateLimited(
  report: (d: Diagnostic) => void,
  max = 20,
  windowMs = 10_000,
): (d: Diagnostic) => void {
  let windowStart = 0;
  let count = 0;
  let suppressed = 0;
  return (d) => {
    const now = Date.now();
    if (now - windowStart >= windowMs) {
      if (suppressed > 0)
        report(
          warningDiagnostic(
            `${suppressed} more diagnostic${suppressed === 1 ? ' was' : 's were'} suppressed in ${windowMs / 1000} s`,
          ),
        );
      windowStart = now;
      count = 0;
      suppressed = 0;
    }
    if (count++ < max) report(d);
    else suppressed++;
  };
}
