/**
 * Live queries: a subscriber sees every batch a tenant ingests after it
 * subscribed, filtered by the same compiled predicate that runs over stored
 * partitions (DESIGN principle 2: live and retro answers are identical by
 * construction).
 *
 * Ingest never waits for a subscriber: `offer` only queues. A consumer that
 * falls more than a bound behind (`live-max-lag` batches or
 * `live-max-lag-bytes` bytes queued) is dropped: its queue is freed at once
 * and its stream ends with a `LiveDroppedError`, which the HTTP layer turns
 * into a final error line (NDJSON) or error stream (Arrow, see
 * `errorStream` in stream-error.ts). A slow reader thus costs bounded memory and never
 * slows down its tenant's imports.
 */
import type * as A from 'apache-arrow';
import { VastError } from '../diagnostics.js';

export interface LiveLimits {
  /** Matching batches a subscriber may have queued before it is dropped. */
  maxLagBatches: number;
  /** Bytes of matching batches a subscriber may have queued before it is dropped. */
  maxLagBytes: number;
}

/** Why a live query's stream ended early; the message is what the client prints. */
export class LiveDroppedError extends VastError {
  constructor(message: string) {
    super(message);
    this.name = 'LiveDroppedError';
  }
}

/** The reason a queue of `batches` batches and `bytes` bytes exceeds the limits, or undefined. */
function lagExceeded(batches: number, bytes: number, limits: LiveLimits): string | undefined {
  if (batches > limits.maxLagBatches)
    return `live query dropped: it fell ${batches} batches behind (live-max-lag ${limits.maxLagBatches})`;
  if (bytes > limits.maxLagBytes)
    return `live query dropped: it fell ${bytes} bytes behind (live-max-lag-bytes ${limits.maxLagBytes})`;
  return undefined;
}

export class LiveSubscriber implements AsyncIterable<A.RecordBatch> {
  private queue: A.RecordBatch[] = [];
  private queuedBytes = 0;
  private closed = false;
  private dropped: LiveDroppedError | undefined;
  private wake: (() => void) | undefined;

  constructor(
    /** Returns the matching rows of a batch, or undefined when none match. */
    private readonly select: (batch: A.RecordBatch) => A.RecordBatch | undefined,
    private readonly limits: LiveLimits,
  ) {}

  /** Why this subscriber was dropped, if it was. */
  get dropReason(): string | undefined {
    return this.dropped?.message;
  }

  /**
   * Called by the tenant for each ingested batch; never waits. Returns false
   * when the subscriber is finished (closed, or dropped just now for lagging)
   * and should be removed.
   */
  offer(batch: A.RecordBatch): boolean {
    if (this.closed) return false;
    const selected = this.select(batch);
    if (!selected || selected.numRows === 0) return true;
    this.queue.push(selected);
    this.queuedBytes += selected.data.byteLength;
    const reason = lagExceeded(this.queue.length, this.queuedBytes, this.limits);
    if (reason) {
      this.dropped = new LiveDroppedError(reason);
      this.finish();
      return false;
    }
    this.wake?.();
    return true;
  }

  /** Ends the stream normally after what is queued (node stopping, client gone). */
  close(): void {
    this.closed = true;
    this.wake?.();
  }

  /** Frees the queue at once: a dropped consumer gets the error, not the backlog. */
  private finish(): void {
    this.queue = [];
    this.queuedBytes = 0;
    this.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<A.RecordBatch> {
    for (;;) {
      if (this.dropped) throw this.dropped;
      const batch = this.queue.shift();
      if (batch) {
        this.queuedBytes -= batch.data.byteLength;
        yield batch;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((r) => {
        this.wake = r;
      });
      this.wake = undefined;
    }
  }
}
