/**
 * `file`: follows a growing file (a Zeek log being written, an EVE file) and
 * reads what is appended with any reader, like `tail -F`. Rotation (the file
 * replaced or truncated) starts over from the beginning of the new file.
 *
 * The file must lie in a directory the operator allows (`source-paths`). It
 * is checked by its real path on every open, not only at the start: a
 * rotation that puts a symlink in its place cannot lead out of the allowed
 * directories.
 */
import { constants } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { findFormat } from '../formats/index.js';
import { option } from '../formats/options.js';
import { readBatches } from '../formats/read.js';
import type { RunningSource, SourceDef } from './source.js';

const CHUNK = 1 << 20;
const NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW;

export const fileSource: SourceDef = {
  name: 'file',
  description: 'follow a growing file and read appended events with a format (like tail -F)',
  options: {
    read: option.path('the file to follow', { short: 'r', required: true }),
    format: option.string('the reader: any import format', { short: 'f', default: 'zeek' }),
    // Below 50 ms the source would spin instead of waiting.
    poll: option.integer('milliseconds between checks for new data', { default: 250, min: 50, max: 60_000 }),
    'from-start': option.boolean('read what is already in the file first', { default: true }),
  },
  async start(options, ctx): Promise<RunningSource> {
    const path = String(options.read);
    const format = findFormat(String(options.format ?? 'zeek'), 'read');
    const poll = Number(options.poll ?? 250);
    // Refuses a path outside the allowed directories before the source counts as started.
    await ctx.policy.readable('file', path);
    let events = 0;
    let bytes = 0;
    let errors = 0;
    const stop = new AbortController();
    const signal = AbortSignal.any([stop.signal, ctx.signal]);

    /** The bytes of the file as they grow; ends when the source stops. */
    async function* follow(): AsyncIterable<Uint8Array> {
      let fh: FileHandle | undefined;
      let pos = 0;
      let ino = -1;
      try {
        while (!signal.aborted) {
          if (!fh) {
            try {
              // O_NOFOLLOW: a symlink swapped in after the check is refused, not followed.
              fh = await open(await ctx.policy.readable('file', path), NO_FOLLOW);
              const s = await fh.stat();
              ino = s.ino;
              pos = options['from-start'] === false ? s.size : 0;
            } catch {
              await sleep(poll, undefined, { signal }).catch(() => {});
              continue;
            }
          }
          const buf = Buffer.allocUnsafe(CHUNK);
          const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
          if (bytesRead > 0) {
            pos += bytesRead;
            bytes += bytesRead;
            yield buf.subarray(0, bytesRead);
            continue;
          }
          // At the end: tell the reader we are idle (it flushes), check for rotation or truncation, wait.
          yield new Uint8Array(0);
          const now = await stat(path).catch(() => undefined);
          if (!now || now.ino !== ino || now.size < pos) {
            await fh.close();
            fh = undefined;
            continue;
          }
          await sleep(poll, undefined, { signal }).catch(() => {});
        }
      } finally {
        await fh?.close();
      }
    }

    const done = (async () => {
      const batches = readBatches(format, follow(), {
        file: path,
        schemas: ctx.schemas,
        onError: 'skip',
        onDiagnostic: (d) => {
          errors++;
          ctx.report(d);
        },
      });
      for await (const b of batches) {
        events += b.numRows;
        await ctx.emit(b);
      }
    })();

    return {
      status: () => ({ events, bytes, errors, endpoint: `file://${path}` }),
      async stop() {
        stop.abort();
        await done.catch(() => {});
      },
      done,
    };
  },
};
