/**
 * Transparent decompression: gzip and zstd inputs are recognised by their
 * magic bytes, so `gzcat`-free `vast import zeek -r conn.log.gz` and piped
 * `.zst` files just work. `byteBudget` bounds what comes out of it: limits
 * on input size are about memory and work, so they count decompressed bytes
 * (a 4 MB gzip of zeros is 1 GB of input).
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import zstd from 'zstd-napi/binding.js';
import { errorDiagnostic, VastError } from '../../diagnostics.js';

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
  try {
    yield* kind === 'gzip' ? gunzip(rest) : unzstd(rest);
  } catch (e) {
    const what = (e as Error).message;
    onCorrupt(
      new VastError(
        `${file}: corrupt or truncated ${kind} input: ${what}`,
        errorDiagnostic(`corrupt or truncated ${kind} input: ${what}`),
      ),
    );
  }
}

/** gzip through zlib's stream, which honours backpressure: output is made as it is read. */
async function* gunzip(input: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  const stream = createGunzip();
  const source = Readable.from(input);
  source.on('error', (e) => stream.destroy(e));
  source.pipe(stream);
  for await (const chunk of stream) yield chunk as Uint8Array;
}

/**
 * zstd, pulled one output buffer at a time. zstd-napi's DecompressStream
 * pushes all output of an input chunk at once, whatever the reader's pace: a
 * 30 KB chunk of a bomb became a gigabyte in memory.
 */
async function* unzstd(input: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  const dctx = new zstd.DCtx();
  const size = zstd.dStreamOutSize();
  let inFrame = false;
  for await (const chunk of input) {
    let src = chunk;
    for (;;) {
      const dst = Buffer.allocUnsafe(size);
      const [ret, produced, consumed] = dctx.decompressStream(dst, src);
      src = src.subarray(consumed);
      if (produced > 0) yield dst.subarray(0, produced);
      // Done with this chunk once it is consumed and the decoder has nothing left to flush.
      if (src.length === 0 && (produced < size || ret === 0)) {
        inFrame = ret !== 0;
        break;
      }
    }
  }
  if (inFrame) throw new Error('stream ended in the middle of a compressed frame');
}

/** An input grew past a byte budget (counted after decompression); names the limit that was hit. */
export class InputLimitError extends VastError {
  constructor(
    readonly file: string,
    readonly maxBytes: number,
    /** The setting that set the budget, e.g. `max-import-bytes`. */
    readonly limitName: string,
  ) {
    const message = `input exceeds ${maxBytes} bytes after decompression (${limitName})`;
    super(`${file}: ${message}`, errorDiagnostic(message));
    this.name = 'InputLimitError';
  }
}

/**
 * Passes chunks through until more than `maxBytes` have gone by, then throws
 * `InputLimitError` instead of the chunk that crosses it. Streaming: nothing is
 * held, and the consumer's pace sets the decompressor's (no read-ahead here).
 */
export async function* byteBudget(
  input: AsyncIterable<Uint8Array>,
  maxBytes: number,
  limitName: string,
  file: string,
): AsyncIterable<Uint8Array> {
  let seen = 0;
  for await (const chunk of input) {
    seen += chunk.length;
    if (seen > maxBytes) throw new InputLimitError(file, maxBytes, limitName);
    yield chunk;
  }
}
