/**
 * Crash test of the node: kill -9 it repeatedly while a client imports batch
 * by batch. After each restart (which replays the WAL), every batch the client
 * saw acknowledged is present exactly once, and no batch is partly present.
 */

import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as A from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { zeek } from '../../src/formats/zeek/index.js';
import { TEST_DATA } from '../helpers/datasets.js';
import { readAll } from '../helpers/read.js';
import { tempDb, vast } from './cli.js';
import { freePort, startNode } from './node-helpers.js';

describe('kill -9 of a node during a client import', () => {
  it('keeps every acknowledged batch, exactly once, and never part of a batch', async () => {
    const { batches } = await readAll(
      zeek,
      { path: join(TEST_DATA, 'zeek', 'conn.log') },
      { batchSize: 250 },
    );
    const uidsOf = (b: A.RecordBatch) => {
      const col = b.getChild('uid')!;
      return Array.from({ length: b.numRows }, (_, i) => String(col.get(i)));
    };
    const t = tempDb();
    const port = await freePort();
    let node = await startNode(t.db, [], port);
    const token = node.token!;
    const acked = new Set<number>();
    const uncertain = new Set<number>();
    const kills = 4;
    const killAt = new Set(
      Array.from({ length: kills }, (_, k) => Math.floor(((k + 1) * batches.length) / (kills + 1))),
    );
    let killing: Promise<void> | undefined;
    for (let i = 0; i < batches.length; i++) {
      const body = A.tableToIPC(new A.Table([batches[i]]), 'stream');
      if (killAt.has(i)) {
        // Kill while this batch is on its way: its fate is unknown to the client.
        killing = sleep(Math.random() * 5).then(() => node.kill());
      }
      try {
        const r = await fetch(node.url('/api/v0/import'), {
          method: 'POST',
          body,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/vnd.apache.arrow.stream',
          },
        });
        await r.json();
        if (r.ok) acked.add(i);
        else uncertain.add(i);
      } catch {
        uncertain.add(i);
      }
      if (killing) {
        await killing;
        killing = undefined;
        if (!acked.has(i)) uncertain.add(i); // else: acknowledged before the kill landed
        node = await startNode(t.db, [], port);
      }
    }
    await node.stop();
    // Everything is in partitions now; read it back in embedded mode.
    const out = vast(['export', 'json', '-d', t.db]);
    expect(out.status, out.stderr).toBe(0);
    const present = new Map<string, number>();
    for (const line of out.stdout.trim().split('\n')) {
      const uid = JSON.parse(line).uid as string;
      present.set(uid, (present.get(uid) ?? 0) + 1);
    }
    let expected = 0;
    for (let i = 0; i < batches.length; i++) {
      const uids = uidsOf(batches[i]);
      const found = uids.filter((u) => present.has(u)).length;
      if (acked.has(i)) {
        expect(found, `acknowledged batch ${i}`).toBe(uids.length);
        expected += uids.length;
      } else {
        expect([0, uids.length], `batch ${i} is whole or absent`).toContain(found);
        expected += found;
      }
    }
    // conn.log uids are unique, so exactly-once is: every uid once, and nothing else.
    expect([...present.values()].every((n) => n === 1)).toBe(true);
    expect(present.size).toBe(expected);
    expect(acked.size).toBeGreaterThan(batches.length - kills - 1);
    t.cleanup();
  });
});

describe('flushes while several clients import', () => {
  it('loses and duplicates nothing across frequent flushes and a kill -9', async () => {
    const { readFileSync, writeFileSync } = await import('node:fs');
    const { vastAsync, dataLines } = await import('./cli.js');
    const conn = readFileSync(join(TEST_DATA, 'zeek', 'conn.log'), 'utf8');
    const header = conn.split('\n').filter((l) => l.startsWith('#') && !l.startsWith('#close'));
    const data = dataLines(conn);
    const t = tempDb();
    // Tiny partitions: the node flushes many times while the clients are sending.
    const cfg = join(t.dir, 'vast.yaml');
    writeFileSync(cfg, 'max-partition-size: 700\nflush-interval: 0.2\n');
    const port = await freePort();
    let node = await startNode(t.db, ['--config', cfg], port);
    const parts = 4;
    const size = Math.ceil(data.length / parts);
    const runs = await Promise.all(
      Array.from({ length: parts }, (_, k) =>
        vastAsync(['import', 'zeek', '--batch-size', '250'], {
          env: node.env(),
          input: [...header, ...data.slice(k * size, (k + 1) * size)].join('\n'),
        }),
      ),
    );
    for (const r of runs) expect(r.status, r.stderr).toBe(0);
    // Every client saw all its batches acknowledged; now crash and recover.
    const token = node.token;
    await node.kill();
    node = await startNode(t.db, ['--config', cfg], port);
    expect(node.token).toBeUndefined();
    await node.stop();
    const out = vast(['export', 'zeek', '-d', t.db]);
    expect(out.status, out.stderr).toBe(0);
    expect(dataLines(out.stdout).sort()).toEqual([...data].sort());
    expect(token).toMatch(/^vast_/);
    t.cleanup();
  });
});
