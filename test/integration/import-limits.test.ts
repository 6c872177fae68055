/**
 * Decompression bombs against a real node (issue 9, finding 4): the import
 * limit `max-import-bytes` counts decompressed bytes, so a few megabytes of
 * gzip or zstd holding a gigabyte are refused with 413 while the node's memory
 * stays bounded; batches acknowledged before the limit stay stored.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import zstd from 'zstd-napi';
import { tempDb, vast } from './cli.js';
import { type RunningNode, startNode } from './node-helpers.js';

const MB = 1 << 20;
const LIMIT = 64 * MB;

/** `total` bytes made of `block` repeated, compressed as a stream (the plain text is never held whole). */
async function compressed(kind: 'gzip' | 'zstd', block: Buffer, total: number): Promise<Buffer> {
  const z = kind === 'gzip' ? createGzip({ level: 1 }) : new zstd.CompressStream();
  const out: Buffer[] = [];
  z.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((resolve, reject) => z.on('end', resolve).on('error', reject));
  for (let n = 0; n < total; n += block.length)
    if (!z.write(block)) await new Promise((r) => z.once('drain', r));
  z.end();
  await done;
  return Buffer.concat(out);
}

/** The node's peak resident set size in bytes (Linux: VmHWM). */
function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error('no VmHWM in /proc/<pid>/status');
  return Number(m[1]) * 1024;
}

/** A response body as loosely typed JSON (tests check its shape with expect). */
// biome-ignore lint/suspicious/noExplicitAny: JSON bodies checked by the assertions
const json = (r: Response): Promise<any> => r.json();

describe('import limits count decompressed bytes', () => {
  const t = tempDb();
  let node: RunningNode;
  let zeros: Buffer;
  beforeAll(async () => {
    const config = join(t.dir, 'vast.yaml');
    writeFileSync(config, `max-import-bytes: ${LIMIT}\n`);
    node = await startNode(t.db, ['--config', config]);
    zeros = Buffer.alloc(MB);
  });
  afterAll(async () => {
    await node?.stop();
    t.cleanup();
  });

  const post = (format: string, body: Buffer) =>
    fetch(node.url(`/api/v0/import?format=${format}`), {
      method: 'POST',
      headers: { authorization: `Bearer ${node.token}`, 'content-type': 'application/octet-stream' },
      body,
    });
  const status = async () =>
    (await fetch(node.url('/api/v0/status'), { headers: { authorization: `Bearer ${node.token}` } })).status;

  for (const kind of ['gzip', 'zstd'] as const)
    it(`refuses a ${kind} bomb of 1 GiB of zeros with 413, in bounded memory`, async () => {
      const bomb = await compressed(kind, zeros, 1024 * MB);
      expect(bomb.length).toBeLessThan(8 * MB);
      for (const format of ['json', 'zeek', 'csv', 'parquet']) {
        const r = await post(format, bomb);
        expect(r.status, format).toBe(413);
        const body = await json(r);
        expect(body.error).toBe(`input exceeds ${LIMIT} bytes after decompression (max-import-bytes)`);
        expect(body.events).toBe(0);
      }
      // Generous: the limit is 64 MiB; the unbounded original went past 2.5 GB.
      expect(peakRss(node.proc.pid!)).toBeLessThan(400 * MB);
      expect(await status()).toBe(200);
    }, 120_000);

  it('keeps the batches acknowledged before a newline-rich bomb hit the limit', async () => {
    const line = Buffer.from(`{"n":1,"s":"${'a'.repeat(100)}"}\n`);
    const block = Buffer.concat(Array.from({ length: Math.floor(MB / line.length) }, () => line));
    const bomb = await compressed('gzip', block, 512 * MB);
    expect(bomb.length).toBeLessThan(8 * MB);
    const before = Number(vast(['count'], { env: node.env() }).stdout.trim());
    const r = await post('json', bomb);
    expect(r.status).toBe(413);
    const body = await json(r);
    expect(body.error).toBe(`input exceeds ${LIMIT} bytes after decompression (max-import-bytes)`);
    // Whole batches went in before the limit; no more than the limit's worth of lines.
    expect(body.events).toBeGreaterThan(0);
    expect(body.events).toBeLessThanOrEqual(Math.floor(LIMIT / line.length));
    expect(body.events % 65_536).toBe(0);
    expect(Number(vast(['count'], { env: node.env() }).stdout.trim())).toBe(before + body.events);
    expect(peakRss(node.proc.pid!)).toBeLessThan(400 * MB);
    expect(await status()).toBe(200);
  }, 120_000);

  it('still imports an input within the limit that is compressed', async () => {
    const line = Buffer.from('{"n":2}\n');
    const small = await compressed('gzip', Buffer.concat(Array.from({ length: 1000 }, () => line)), 8000);
    const r = await post('json', small);
    expect(r.status).toBe(200);
    expect((await json(r)).events).toBe(1000);
  });
});
