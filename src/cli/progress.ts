/** Import progress on a terminal (events/s, bytes); silent when stderr is not a TTY. */
export class Progress {
  private readonly start = performance.now();
  private events = 0;
  /** Input bytes read so far (before decompression). */
  private bytes = 0;
  private last = 0;
  private readonly tty = Boolean(process.stderr.isTTY);

  update(events: number): void {
    this.events += events;
    if (!this.tty) return;
    const now = performance.now();
    if (now - this.last < 250) return;
    this.last = now;
    const secs = (now - this.start) / 1000;
    const rate = secs > 0 ? Math.round(this.events / secs) : 0;
    const rss = (process.memoryUsage.rss() / 2 ** 20).toFixed(0);
    const mib = (this.bytes / 2 ** 20).toFixed(1);
    process.stderr.write(
      `\r\x1b[K${this.events.toLocaleString()} events, ${rate.toLocaleString()} events/s, ${mib} MiB read, ${rss} MiB RSS`,
    );
  }

  /** Counts the bytes of an input as they stream through. */
  async *counting(input: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
    for await (const chunk of input) {
      this.bytes += chunk.length;
      yield chunk;
    }
  }

  done(): void {
    if (this.tty && this.last > 0) process.stderr.write('\r\x1b[K');
  }

  elapsed(): string {
    const secs = (performance.now() - this.start) / 1000;
    const rate = secs > 0 ? Math.round(this.events / secs) : 0;
    return `${secs.toFixed(2)}s (${rate.toLocaleString()} events/s)`;
  }
}
