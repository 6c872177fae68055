/**
 * Bytes pushed by a socket, read as an input stream by a format's reader.
 * When no bytes came for `idleMs`, the stream yields one empty chunk: the
 * reader contract's "idle" signal, on which readers hand out the rows they
 * have, so that live events do not wait for a full batch. `push` answers
 * false once `highWater` chunks wait: the socket should pause until `onDrain`.
 */
export class ByteChannel implements AsyncIterable<Uint8Array> {
  private readonly chunks: Uint8Array[] = [];
  private ended = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly idleMs: number,
    private readonly onDrain: () => void = () => {},
    private readonly highWater = 64,
  ) {}

  /** Queues a chunk; false when the producer should pause. */
  push(chunk: Uint8Array): boolean {
    if (this.ended) return false;
    this.chunks.push(chunk);
    this.wake?.();
    return this.chunks.length < this.highWater;
  }

  /** Chunks waiting to be read. */
  get pending(): number {
    return this.chunks.length;
  }

  /** No more input: the stream ends once the queued chunks are read. */
  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    let idleSent = true;
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk !== undefined) {
        if (this.chunks.length === 0) this.onDrain();
        idleSent = false;
        yield chunk;
        continue;
      }
      if (this.ended) return;
      const idle = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(true), this.idleMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve(false);
        };
      });
      this.wake = undefined;
      if (idle && !idleSent) {
        idleSent = true;
        yield new Uint8Array(0);
      }
    }
  }
}
