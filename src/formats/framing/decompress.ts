/**
 * Transparent decompression: gzip and zstd inputs are recognised by their
 * magic bytes, so `gzcat`-free `vast import zeek -r conn.log.gz` and piped
 * `.zst` files just work.
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import zstd from 'zstd-napi';
import { VastError } from '../../diagnostics.js';

const GZIP = [0x1f, 0x8b];
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];

const startsWith = (b: Uint8Array, magic: number[]) => magic.every((m, i) => b[i] === m);

/**
 * Peeks at the first chunk and decompresses if it is gzip or zstd; otherwise
 * passes bytes through. A corrupt or truncated compressed stream does not
 * throw from here: the stream ends (so that readers flush the events they
 * already parsed) and the error goes to `onCorrupt`, for the caller to raise
 * once the reader is done.
 */
export async function* decompress(
  input: AsyncIterable<Uint8Array>,
  file: string,
  onCorrupt: (e: VastError) => void = (e) => {
    throw e;
  },
): AsyncIterable<Uint8Array> {
  const it = input[Symbol.asyncIterator]();
  let first = await it.next();
  // Magic numbers need 4 bytes; a tiny first chunk (pipes) is joined with the next.
  while (!first.done && first.value.length < 4) {
    const next = await it.next();
    if (next.done) break;
    first = { done: false, value: Buffer.concat([first.value, next.value]) };
  }
  if (first.done) return;
  const head = first.value;
  const rest: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => {
      let sentHead = false;
      return {
        next: async () => {
          if (!sentHead) {
            sentHead = true;
            return { done: false, value: head };
          }
          return it.next();
        },
      };
    },
  };
  const kind = startsWith(head, GZIP) ? 'gzip' : startsWith(head, ZSTD) ? 'zstd' : undefined;
  if (!kind) {
    yield* rest;
    return;
  }
  const stream = kind === 'gzip' ? createGunzip() : new zstd.DecompressStream();
  const source = Readable.from(rest);
  source.on('error', (e) => stream.destroy(e));
  source.pipe(stream);
  try {
    for await (const chunk of stream) yield chunk as Uint8Array;
  } catch (e) {
    const what = (e as Error).message;
    onCorrupt(
      new VastError(`${file}: corrupt or truncated ${kind} input: ${what}`, {
        severity: 'error',
        message: `corrupt or truncated ${kind} input: ${what}`,
        recoverable: false,
      }),
    );
  }
}
