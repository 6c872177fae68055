/**
 * A bounded queue between producers (readers, ingest) and one consumer (an
 * uploader, a live query): `push` waits while the queue is full, which is how
 * a slow consumer applies backpressure.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private closed = false;
  private wakeConsumer: (() => void) | undefined;
  private readonly waitingProducers: (() => void)[] = [];

  constructor(private readonly capacity = 4) {}

  /** Adds an item, waiting for room; after `close` items are dropped. */
  async push(item: T): Promise<void> {
    while (this.items.length >= this.capacity && !this.closed)
      await new Promise<void>((r) => this.waitingProducers.push(r));
    if (this.closed) return;
    this.items.push(item);
    this.wakeConsumer?.();
  }

  close(): void {
    this.closed = true;
    this.wakeConsumer?.();
    for (const p of this.waitingProducers.splice(0)) p();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) {
        this.waitingProducers.shift()?.();
        yield item;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((r) => {
        this.wakeConsumer = r;
      });
      this.wakeConsumer = undefined;
    }
  }
}
