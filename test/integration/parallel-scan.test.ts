/**
 * Scans on worker threads (`--threads`, issue 11 "both cores"): the same
 * answers as on one thread, in the same order, with damage found and set
 * aside the same way. The data is the bundled conn.log replayed 64 times
 * (541,568 events, 9 row groups: enough that a scan goes parallel), and the
 * expected counts come from awk over the replayed file.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATA } from '../helpers/datasets.js';
import { type Run, tempDb, vast, vastAsync } from './cli.js';
import { type RunningNode, startNode } from './node-helpers.js';

const CONN = join(TEST_DATA, 'zeek', 'conn.log');
const REPLAYS = 64;

function awk(cond: string, file: string): number {
  const r = spawnSync('awk', ['-F\t', `!/^#/ && (${cond}) {n++} END {print n+0}`, file], {
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return Number(r.stdout.trim());
}

/** A node on `db` scanning with two threads, once its workers are up (`--explain` names them). */
async function parallelNode(
  db: string,
): Promise<{ node: RunningNode; run: (args: string[]) => Promise<Run> }> {
  const node = await startNode(db, ['--threads', '2']);
  const run = (args: string[]) => vastAsync(args, { env: node.env(node.token) });
  const deadline = Date.now() + 20_000;
  while (!(await run(['count', '--explain', 'id.orig_h != 10.1.2.3'])).stderr.includes('threads:    2')) {
    if (Date.now() > deadline) throw new Error(`the node's scan workers did not start:\n${node.stderr()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { node, run };
}

describe('parallel scans agree with one thread and with awk', () => {
  let t: ReturnType<typeof tempDb>;
  let file: string;
  let served: Awaited<ReturnType<typeof parallelNode>>;

  beforeAll(async () => {
    t = tempDb();
    const lines = readFileSync(CONN, 'utf8').split('\n');
    const header = lines.filter((l) => l.startsWith('#') && !l.startsWith('#close'));
    const body = lines.filter((l) => l !== '' && !l.startsWith('#'));
    file = join(t.dir, 'conn-x64.log');
    writeFileSync(file, `${[...header, ...Array.from({ length: REPLAYS }, () => body).flat()].join('\n')}\n`);
    const r = vast(['import', '-d', t.db, 'zeek', '-r', file]);
    expect(r.status, r.stderr).toBe(0);
    // The node serves a copy; the original answers on one thread, embedded.
    cpSync(t.db, join(t.dir, 'served'), { recursive: true });
    served = await parallelNode(join(t.dir, 'served'));
  }, 120_000);
  afterAll(async () => {
    await served?.node.stop();
    t.cleanup();
  });

  const queries: [string, string][] = [
    ['id.orig_h == 192.168.1.102', '$3 == "192.168.1.102"'],
    ['id.resp_h in 192.168.0.0/16 && resp_bytes > 1000', '$5 ~ /^192\\.168\\./ && $11 != "-" && $11 > 1000'],
    ['history == /.*d.*/', '$15 ~ /d/'],
    ['uid ni "Ab"', 'index($2, "Ab") > 0'],
    ['proto == "udp" || duration > 10s', '$7 == "udp" || ($9 != "-" && $9 > 10)'],
  ];

  it.each(queries)('count %s', async (query, cond) => {
    const two = await served.run(['count', '--explain', query]);
    expect(two.status, two.stderr).toBe(0);
    expect(two.stderr).toContain('threads:    2 worker threads read and tested row groups');
    const one = vast(['count', '--explain', '--threads', '1', query, '-d', t.db]);
    expect(one.stderr).not.toContain('threads:');
    expect(Number(two.stdout)).toBe(awk(cond, file));
    expect(two.stdout).toBe(one.stdout);
    // A one-shot command starts workers for later scans, runs this one itself, and still exits.
    const cold = await vastAsync(['count', '--threads', '2', query, '-d', t.db]);
    expect(cold.status, cold.stderr).toBe(0);
    expect(cold.stdout).toBe(one.stdout);
  });

  it('exports the same events in the same order, pipelines included', async () => {
    for (const q of [
      'id.orig_h == 192.168.1.102 && resp_bytes > 100',
      'id.resp_p == 53 | summarize n=count() by id.orig_h | sort n desc | head 3',
      'history == /.*d.*/ | select uid, id.orig_h, history | tail 3',
      'proto == "tcp" | summarize n=count(), b=sum(orig_bytes) by service',
    ]) {
      const two = await served.run(['export', '--explain', 'json', q]);
      const one = vast(['export', '--threads', '1', 'json', q, '-d', t.db]);
      expect(two.status, two.stderr).toBe(0);
      expect(two.stderr).toContain('threads:    2 worker threads');
      expect(two.stdout.length).toBeGreaterThan(0);
      expect(two.stdout).toBe(one.stdout);
    }
  });

  it('sets a damaged partition aside as one thread does', async () => {
    // The damage sits in the column the query tests, in a row group a worker reads.
    const catalog = JSON.parse(readFileSync(join(t.db, 'catalog.json'), 'utf8')) as {
      partitions: { id: string }[];
    };
    const name = join('partitions', `${catalog.partitions[0].id}.parquet`);
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const [chunk] = (
      await duck.runAndReadAll(
        `SELECT data_page_offset AS at, total_compressed_size AS size FROM parquet_metadata('${join(t.db, name)}') ` +
          "WHERE path_in_schema = 'history' AND row_group_id = 5",
      )
    ).getRowObjectsJS() as { at: bigint; size: bigint }[];
    const [embedded, onNode] = [1, 2].map((k) => {
      const db = join(t.dir, `damaged-${k}`);
      cpSync(t.db, db, { recursive: true });
      const bytes = readFileSync(join(db, name));
      bytes[Number(chunk.at + chunk.size / 2n)] ^= 0x10;
      writeFileSync(join(db, name), bytes);
      return db;
    });
    const damaged = await parallelNode(onNode);
    try {
      const results = [
        vast(['count', '--threads', '1', 'history == /.*d.*/', '-d', embedded]),
        await damaged.run(['count', '--explain', 'history == /.*d.*/']),
      ];
      expect(results[1].stderr).toContain('threads:    2 worker threads');
      for (const r of results) {
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout.trim()).toBe('0');
      }
      // The embedded run warns its caller; the node logs it. Either way the partition went to quarantine.
      const warning = /quarantined partition \S+ \(zeek\.conn, 541568 events\).*checksum mismatch/;
      expect(results[0].stderr).toMatch(warning);
      expect(damaged.node.stderr()).toMatch(warning);
      for (const db of [embedded, onNode])
        expect(existsSync(join(db, 'quarantine', basename(name)))).toBe(true);
    } finally {
      await damaged.node.stop();
    }
  }, 60_000);
});

describe('a parallel scan over budget', () => {
  const t = tempDb();
  let node: RunningNode;
  // 600,000 cheap events, then values a pattern grinds through (~0.5 s each): the last worker job runs long.
  const HEAVY = 's == /(?:a+){1,256}$/';

  beforeAll(async () => {
    const file = join(t.dir, 'heavy.json');
    const cheap = Array.from({ length: 600_000 }, (_, n) => `{"n":${n},"s":"ab"}`);
    const heavy = Array.from(
      { length: 40 },
      (_, k) => `{"n":${600_000 + k},"s":"${'a'.repeat(30_000 - k)}b"}`,
    );
    writeFileSync(file, `${[...cheap, ...heavy].join('\n')}\n`);
    const r = vast(['import', '-d', t.db, 'json', '-r', file]);
    expect(r.status, r.stderr).toBe(0);
    writeFileSync(join(t.dir, 'vast.yaml'), 'query-timeout: 3\n');
    node = await startNode(t.db, ['--config', join(t.dir, 'vast.yaml'), '--threads', '2']);
  }, 120_000);
  afterAll(async () => {
    await node?.stop();
    t.cleanup();
  });

  it('ends at the deadline, stops its workers, and the next scan is exact', async () => {
    const started = Date.now();
    const r = await vastAsync(['count', HEAVY], { env: node.env(node.token) });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('query exceeded its time budget of 3 s (query-timeout)');
    expect(Date.now() - started).toBeLessThan(10_000);
    const next = await vastAsync(['count', 'n < 10 || n >= 599990'], { env: node.env(node.token) });
    expect(next.stderr).toBe('');
    expect(next.stdout.trim()).toBe(String(10 + 10 + 40)); // first ten, last ten cheap, all heavy
  }, 60_000);
});
