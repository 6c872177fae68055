/** Writing command output: to stdout or a file, tolerant of closed pipes (`vast export ... | head`). */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { RecordBatch } from 'apache-arrow';
import type { FormatDef, WriterContext } from '../formats/format.js';

interface Sink {
  write(chunk: Uint8Array | string): Promise<void>;
  close(): Promise<void>;
  /** True once the reader went away (EPIPE); producers should stop. */
  readonly closed: boolean;
}

function openSink(path: string | undefined): Sink {
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
        // Whichever comes first removes the other listener: a leftover 'error' listener per
        // drain would pile up over a long export into a slow pipe.
        await new Promise<void>((r) => {
          const done = () => {
            stream.off('drain', done).off('error', done);
            r();
          };
          stream.once('drain', done).once('error', done);
        });
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

/**
 * Writes events in an output format to standard output or `path` (`-w`); stops reading them
 * when the reader goes away (`vast export json | head`). Every command that prints events uses it.
 */
export async function writeEvents(
  batches: AsyncIterable<RecordBatch>,
  format: FormatDef,
  path: string | undefined,
  options: WriterContext['options'] = {},
): Promise<void> {
  const sink = openSink(path);
  for await (const chunk of format.write!(batches, { options })) {
    await sink.write(chunk);
    if (sink.closed) break;
  }
  await sink.close();
}
