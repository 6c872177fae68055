/**
 * What listening sources (netflow, syslog) share: the periodic flush, the
 * stop sequence (on `stop()` or the node's abort signal) and the `done`
 * promise, plus rate-limited diagnostics so a flood of bad packets cannot
 * flood the log.
 */
import type { Diagnostic } from '../diagnostics.js';

export interface LifecycleHooks {
  /** Aborted when the source is killed or the node stops. */
  signal: AbortSignal;
  /** Milliseconds between forced flushes of partial batches. */
  flushInterval: number;
  /** Called every flush interval: mark a flush as due and start emitting. */
  onTick(): void;
  /** Closes the transport (socket, server); no new input after it resolves. */
  close(): Promise<void>;
  /** Emits whatever is still buffered; rejects if emitting failed. */
  drain(): Promise<void>;
}

/** Starts the flush timer and returns the source's `done` promise and `stop`. */
export function lifecycle(h: LifecycleHooks): { done: Promise<void>; stop: () => Promise<void> } {
  const timer = setInterval(h.onTick, h.flushInterval);
  timer.unref();
  let resolveDone!: () => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  done.catch(() => {});
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(timer);
      h.signal.removeEventListener('abort', onAbort);
      await h.close();
      // What is still queued, or half a batch, goes out before we are done.
      await h.drain().then(resolveDone, rejectDone);
    })();
    return stopping;
  };
  const onAbort = () => void stop();
  h.signal.addEventListener('abort', onAbort);
  if (h.signal.aborted) void stop();
  return { done, stop };
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
        report({
          severity: 'warning',
          message: `${suppressed} more diagnostic${suppressed === 1 ? ' was' : 's were'} suppressed in ${windowMs / 1000} s`,
          recoverable: true,
        });
      windowStart = now;
      count = 0;
      suppressed = 0;
    }
    if (count++ < max) report(d);
    else suppressed++;
  };
}
