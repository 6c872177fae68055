/**
 * Idempotent imports: a batch id (`X-VAST-Batch-Id`) sent again is not
 * ingested again — while the batch is in the WAL, after a flush dropped the
 * WAL segment, and across kill -9 of the node. The CLI retries a batch with
 * its id when the node goes away, so an import across node crashes ends with
 * every event exactly once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as A from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { zeek } from '../../src/formats/zeek/index.js';
import { TEST_DATA } from '../helpers/datasets.js';
import { readAll } from '../helpers/read.js';
import { dataLines, tempDb, vast, vastProcess } from './cli.js';
import { freePort, type RunningNode, startNode } from './node-helpers.js';

const CONN = join(TEST_DATA, 'zeek', 'conn.log');

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes, checked by the assertions
const json = (r: Response): Promise<any> => r.json();

function importArrow(node: RunningNode, body: Uint8Array, batchId?: string): Promise<Response> {
  return fetch(node.url('/api/v0/import'), {
    method: 'POST',
    body,
    headers: {
      authorization: `Bearer ${node.token}`,
      'content-type': 'application/vnd.apache.arrow.stream',
      ...(batchId ? { 'x-vast-batch-id': batchId } : {}),
    },
  });
}

async function storedEvents(node: RunningNode, token: string): Promise<number> {
  const s = await json(
    await fetch(node.url('/api/v0/status'), { headers: { authorization: `Bearer ${token}` } }),
  );
  return s.events + s.buffered;
}

describe('imports with a batch id', () => {
  it('ingest a repeated id once: from the WAL, after a flush, and across kill -9', async () => {
    const { batches } = await readAll(zeek, { path: CONN }, { batchSize: 300 });
    const [first, second] = batches;
    const bodyA = A.tableToIPC(new A.Table([first]), 'stream');
    const bodyB = A.tableToIPC(new A.Table([second]), 'stream');
    const t = tempDb();
    const port = await freePort();
    let node = await startNode(t.db, [], port);
    const token = node.token!;
    const restart = async (how: 'kill' | 'stop') => {
      if (how === 'kill') await node.kill();
      else expect(await node.stop()).toBe(0);
      node = await startNode(t.db, [], port);
      node.token = token;
    };

    const a1 = await importArrow(node, bodyA, 'batch-a');
    expect(a1.status).toBe(200);
    expect(await json(a1)).toMatchObject({ events: 300, duplicate: false });
    const a2 = await importArrow(node, bodyA, 'batch-a');
    expect(a2.status).toBe(200);
    expect(await json(a2)).toMatchObject({ events: 300, duplicate: true });
    expect(await storedEvents(node, token)).toBe(300);

    // The id is only in the WAL record now: kill -9, and the replayed WAL still knows it.
    await restart('kill');
    expect(await json(await importArrow(node, bodyA, 'batch-a'))).toMatchObject({
      events: 300,
      duplicate: true,
    });
    expect(await storedEvents(node, token)).toBe(300);

    // After a flush the WAL segment is gone: the persisted id set still knows B.
    expect(await json(await importArrow(node, bodyB, 'batch-b'))).toMatchObject({ duplicate: false });
    const flushed = await fetch(node.url('/api/v0/flush'), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(flushed.status).toBe(200);
    await restart('kill');
    expect(await json(await importArrow(node, bodyB, 'batch-b'))).toMatchObject({
      events: 300,
      duplicate: true,
    });
    await restart('stop');
    expect(await json(await importArrow(node, bodyA, 'batch-a'))).toMatchObject({ duplicate: true });
    expect(await storedEvents(node, token)).toBe(600);

    // A different id is a different import, and a malformed id is refused.
    expect(await json(await importArrow(node, bodyA, 'batch-c'))).toMatchObject({
      events: 300,
      duplicate: false,
    });
    const bad = await importArrow(node, bodyA, 'no/slashes here');
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toBe('X-VAST-Batch-Id must be 1-128 characters of A-Z a-z 0-9 . _ : -');
    expect(await storedEvents(node, token)).toBe(900);
    await node.stop();
    t.cleanup();
  });

  it('a text import with a batch id is all or nothing, and a repeat returns the original report', async () => {
    const t = tempDb();
    const node = await startNode(t.db);
    const text = readFileSync(CONN, 'utf8');
    const post = (body: string, id: string) =>
      fetch(node.url('/api/v0/import?format=zeek&on-error=fail'), {
        method: 'POST',
        body,
        headers: { authorization: `Bearer ${node.token}`, 'x-vast-batch-id': id },
      });
    // A fatal error in the middle of the body: nothing of this request is kept.
    const lines = text.split('\n');
    const broken = [...lines.slice(0, 5000), 'not\ta\tconn\tline', ...lines.slice(5000)].join('\n');
    const failed = await post(broken, 'text-1');
    expect(failed.status).toBe(400);
    expect(await json(failed)).toMatchObject({ events: 0 });
    expect(await storedEvents(node, node.token!)).toBe(0);
    const ok = await json(await post(text, 'text-1'));
    const n = dataLines(text).length;
    expect(ok).toMatchObject({ events: n, errors: 0, duplicate: false });
    expect(await json(await post(text, 'text-1'))).toMatchObject({ events: n, duplicate: true });
    expect(await storedEvents(node, node.token!)).toBe(n);
    await node.stop();
    t.cleanup();
  });
});

describe('a CLI import while the node is killed -9 and restarted', () => {
  it('ends with every event exactly once', async () => {
    const text = readFileSync(CONN, 'utf8');
    const header = text.split('\n').filter((l) => l.startsWith('#') && !l.startsWith('#close'));
    const data = dataLines(text);
    const t = tempDb();
    const port = await freePort();
    let node = await startNode(t.db, [], port);
    const token = node.token!;
    const client = vastProcess(['import', 'zeek', '--node', '--batch-size', '100'], node.env());
    let stderr = '';
    client.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    client.stdout!.resume();
    client.stdin!.on('error', () => {}); // a client that failed early is reported by its exit code
    const exited = new Promise<number | null>((r) => client.once('close', (code) => r(code)));
    client.stdin!.write(`${header.join('\n')}\n`);
    const chunks = 12;
    const size = Math.ceil(data.length / chunks);
    for (let k = 0; k < chunks; k++) {
      client.stdin!.write(`${data.slice(k * size, (k + 1) * size).join('\n')}\n`);
      // The client decides at start whether a node runs: let it connect before the first crash.
      if (k === 0)
        while ((await storedEvents(node, token)) === 0) {
          if (client.exitCode !== null) throw new Error(`client exited early: ${stderr}`);
          await sleep(50);
        }
      if (k === 3 || k === 7) {
        // Crash while the client is sending this chunk; it keeps sending into the void meanwhile.
        await sleep(30 + Math.random() * 50);
        await node.kill();
        await sleep(300);
        node = await startNode(t.db, [], port);
        node.token = token;
      } else await sleep(40);
    }
    client.stdin!.end();
    expect(await exited, stderr).toBe(0);
    expect(await node.stop()).toBe(0);
    const out = vast(['export', 'zeek', '-d', t.db]);
    expect(out.status, out.stderr).toBe(0);
    const stored = dataLines(out.stdout);
    expect(stored).toHaveLength(data.length);
    expect(stored.sort()).toEqual([...data].sort());
    t.cleanup();
  });
});
