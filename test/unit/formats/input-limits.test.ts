/**
 * Input limits count decompressed bytes (issue 9, finding 4): the budget in
 * `readBatches`, zstd decompression that follows the reader's pace, and
 * Parquet pages, which compress internally.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import zstd from 'zstd-napi';
import { decompress } from '../../../src/formats/framing/decompress.js';
import { json } from '../../../src/formats/json/index.js';
import { encodeParquet, parquet } from '../../../src/formats/parquet.js';
import { bytesInput, InputLimitError } from '../../../src/formats/read.js';
import { readAll } from '../../helpers/read.js';
import { smallBatch } from './fixtures/all-types.js';

const MB = 1 << 20;
const limit = { maxInputBytes: MB, maxInputBytesName: 'max-import-bytes' };
const message = `input exceeds ${MB} bytes after decompression (max-import-bytes)`;

describe('the input byte budget', () => {
  const lines = Buffer.from('{"n":1}\n'.repeat(MB / 4)); // 2 MiB of events

  test('counts decompressed bytes of gzip and zstd', async () => {
    for (const bytes of [gzipSync(lines), zstd.compress(lines)]) {
      expect(bytes.length).toBeLessThan(64 * 1024);
      const err = await readAll(json, { text: bytes }, { ...limit, batchSize: 1000 }).catch((e) => e);
      expect(err).toBeInstanceOf(InputLimitError);
      expect(err.message).toBe(`<test>: ${message}`);
      expect(err.diagnostic.message).toBe(message);
    }
  });

  test('passes input within the budget', async () => {
    const r = await readAll(json, { text: gzipSync('{"n":1}\n'.repeat(1000)) }, limit);
    expect(r.rows).toBe(1000);
  });

  test('zstd output follows the reader: the frame is not decompressed ahead of it', async () => {
    const bomb = zstd.compress(Buffer.alloc(256 * MB));
    const before = process.memoryUsage().arrayBuffers;
    const it = decompress(bytesInput(bomb), '<test>')[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    // zstd-napi's DecompressStream queued all 256 MiB here.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * MB);
    await it.return?.();
  });

  test('a truncated zstd stream is still reported as such', async () => {
    const cut = zstd.compress(lines).subarray(0, 100);
    await expect(readAll(json, { text: cut })).rejects.toThrow(/corrupt or truncated zstd input/);
  });
});

describe('Parquet input', () => {
  test('counts decoded pages against the budget: a small file of repetitive rows is refused', async () => {
    const rows = Array.from({ length: 20_000 }, (_, n) => ({ n, s: 'x'.repeat(100) }));
    const file = encodeParquet([smallBatch(rows)]);
    expect(file.length).toBeLessThan(MB);
    const err = await readAll(parquet, { text: file }, limit).catch((e) => e);
    expect(err).toBeInstanceOf(InputLimitError);
    expect(err.diagnostic.message).toBe(message);
    // Without a limit the same file reads whole.
    expect((await readAll(parquet, { text: file })).rows).toBe(20_000);
  });
});
