/**
 * Live queries: a subscriber sees every batch a tenant ingests after it
 * subscribed, filtered by the same compiled predicate that runs over stored
 * partitions (DESIGN principle 2: live and retro answers are identical by
 * construction). The queue is bounded: a consumer that falls behind makes
 * ingestion wait instead of growing memory without limit.
 */
import type * as A from 'apache-arrow';
import { AsyncQueue } from '../util/async-queue.js';

export class LiveSubscriber implements AsyncIterable<A.RecordBatch> {
  private readonly queue: AsyncQueue<A.RecordBatch>;

  constructor(
    /** Returns the matching rows of a batch, or undefined when none match. */
    private readonly select: (batch: A.RecordBatch) => A.RecordBatch | undefined,
    maxQueue: number,
  ) {
    this.queue = new AsyncQueue(maxQueue);
  }

  /** Called by the tenant for each ingested batch; resolves when there is room in the queue. */
  async offer(batch: A.RecordBatch): Promise<void> {
    const selected = this.select(batch);
    if (selected && selected.numRows > 0) await this.queue.push(selected);
  }

  close(): void {
    this.queue.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<A.RecordBatch> {
    return this.queue[Symbol.asyncIterator]();
  }
}
