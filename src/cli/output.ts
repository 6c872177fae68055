/** Writing command output: to stdout or a file, tolerant of closed pipes (`vast export ... | head`). */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';

export interface Sink {
  write(chunk: Uint8Array | string): Promise<void>;
  close(): Promise<void>;
  /** True once the reader went away (EPIPE); producers should stop. */
  readonly closed: boolean;
}

export function openSink(path: string | undefined): Sink {
  const stream: Writable = path && path !== '-' ? createWriteStream(path) : process.stdout;
  let closed = false;
  let failure: Error | undefined;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') closed = true;
    else failure = e;
  });
  return {
    get closed() {
      return closed;
    },
    async write(chunk) {
      if (failure) throw failure;
      if (closed) return;
      if (!stream.write(chunk))
        await new Promise<void>((r) => stream.once('drain', r).once('error', () => r()));
    },
    async close() {
      if (failure) throw failure;
      if (stream === process.stdout || closed) return;
      await new Promise<void>((resolve, reject) =>
        stream.end((e?: Error | null) => (e ? reject(e) : resolve())),
      );
    },
  };
}
