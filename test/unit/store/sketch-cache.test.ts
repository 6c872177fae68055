/**
 * Decoded sidecars are kept by the store across queries (store/sketch-cache.ts):
 * a warm query reads no sidecar, answers as a cold one does, the cache stays
 * within its budget, and a quarantined partition's entry goes. Also the
 * benchmark's subnet workload end to end: sites in their own /24s, outliers
 * in every partition, and `in 10.X.0.0/16` opens only the partitions of site X;
 * and subnet counts on a real conn.log equal a scan of the raw file.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findFormat } from '../../../src/formats/index.js';
import { bytesInput, readBatches } from '../../../src/formats/read.js';
import { countOrEstimate, countQuery, emptyStats, prepareQuery } from '../../../src/query/run.js';
import { CorruptionError } from '../../../src/store/errors.js';
import { SidecarCache } from '../../../src/store/sketch-cache.js';
import { Store } from '../../../src/store/store.js';
import type { Sketch } from '../../../src/store/synopsis.js';
import { BatchBuilder } from '../../../src/types/batch-builder.js';
import { parseType } from '../../../src/types/parse-type.js';
import type { RecordType } from '../../../src/types/type.js';
import { dataset, describeDatasets } from '../../helpers/datasets.js';
import { keepPartitions } from '../../helpers/partition-audit.js';
import { registry } from '../../helpers/read.js';

const type = parseType('record{ts: time, id: record{orig_h: ip, resp_h: ip}, uid: string}') as RecordType;
const schema = { name: 'test.conn', type, timestamp: 'ts' };

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) {
    keepPartitions(d);
    rmSync(d, { recursive: true, force: true });
  }
  dirs = [];
});

/**
 * A store with one partition per site `k`: `10.(k>>8).(k&255).y` talking to
 * `8.8.8.8`, plus 8.8.8.8, 224.0.0.251 and an IPv6 link-local host as originators in every partition
 * (as the bench's replays of a real log have them).
 */
async function siteStore(sites: number[]): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'vast-sketch-cache-'));
  dirs.push(dir);
  const store = await Store.open(join(dir, 'db'), { create: true });
  for (const k of sites) {
    const imp = await store.importer();
    const b = new BatchBuilder(schema);
    for (let y = 0; y < 200; y++)
      b.appendJson({
        ts: `2020-01-01T00:00:${String(y % 60).padStart(2, '0')}Z`,
        id: { orig_h: `10.${k >> 8}.${k & 255}.${y}`, resp_h: '8.8.8.8' },
        uid: `C${k}-${y}`,
      });
    b.appendJson({
      ts: '2020-01-01T00:01:00Z',
      id: { orig_h: '8.8.8.8', resp_h: '224.0.0.251' },
      uid: `D${k}`,
    });
    b.appendJson({
      ts: '2020-01-01T00:01:00Z',
      id: { orig_h: '224.0.0.251', resp_h: '8.8.8.8' },
      uid: `F${k}`,
    });
    b.appendJson({ ts: '2020-01-01T00:01:00Z', id: { orig_h: 'fe80::1', resp_h: 'ff02::fb' }, uid: `E${k}` });
    await imp.add(b.finish());
    await imp.commit();
  }
  return store;
}

const SITES = [250, 255, 256, 300, 511, 512, 700];
const count = (store: Store, text: string) =>
  countQuery(store, prepareQuery(text, store.schemas(), registry), emptyStats());

describe('sketch cache', () => {
  it('serves warm queries without reading a sidecar, with the same answers', async () => {
    const store = await siteStore(SITES);
    const queries = [
      'id.orig_h in 10.1.0.0/16',
      'id.orig_h == 10.1.44.7',
      'uid == "C300-5"',
      'id.resp_h in 8.0.0.0/8',
    ];
    const cold = [];
    for (const q of queries) cold.push(await count(store, q));
    expect(cold).toEqual([600, 1, 1, SITES.length * 201]);
    const before = store.sketchCacheStats();
    expect(before.entries).toBe(SITES.length);
    const warm = [];
    for (const q of queries) warm.push(await count(store, q));
    expect(warm).toEqual(cold);
    const after = store.sketchCacheStats();
    expect(after.misses).toBe(before.misses);
    expect(after.hits).toBeGreaterThan(before.hits);
  });

  it('counts partitions the predicate always matches from the catalog, reading none', async () => {
    const store = await siteStore(SITES);
    const stats = emptyStats();
    const q = prepareQuery(undefined, store.schemas(), registry);
    expect(await countQuery(store, q, stats)).toBe(SITES.length * 203);
    expect(stats.opened).toBe(0);
    expect(stats.countedFromCatalog).toBe(SITES.length);
    expect(stats.rowsScanned).toBe(0);
    expect(stats.rowsMatched).toBe(SITES.length * 203);
  });

  it('prunes the bench subnet workload: only the partitions of the site /16 are opened', async () => {
    const store = await siteStore(SITES);
    for (const [text, opened, n] of [
      ['id.orig_h in 10.1.0.0/16', 3, 600],
      ['id.orig_h in 10.2.0.0/16', 2, 400],
      ['id.orig_h in 10.9.0.0/16', 0, 0],
      ['id.orig_h in 10.0.250.0/24', 1, 200],
      ['id.orig_h in fe80::/64', SITES.length, SITES.length],
      ['id.orig_h in 2001:db8::/32', 0, 0],
    ] as const) {
      const stats = emptyStats();
      expect(await countQuery(store, prepareQuery(text, store.schemas(), registry), stats), text).toBe(n);
      expect(stats.opened, text).toBe(opened);
      const est = emptyStats();
      await countOrEstimate(store, prepareQuery(text, store.schemas(), registry), est, { estimate: true });
      expect(est.prunedBySynopsis, text).toBe(SITES.length - opened);
    }
  });

  it('drops the entry of a quarantined partition', async () => {
    const store = await siteStore(SITES.slice(0, 3));
    expect(await count(store, 'id.orig_h in 10.0.0.0/16')).toBe(400);
    expect(store.sketchCacheStats().entries).toBe(3);
    const victim = store.partitions()[0];
    await store.quarantine(victim, new CorruptionError(store.partitionPath(victim), 'test damage'));
    expect(store.sketchCacheStats().entries).toBe(2);
    expect(await count(store, 'id.orig_h in 10.0.0.0/16')).toBe(200);
  });

  it('stays within its byte budget, evicting the least recently used', () => {
    const sketch = { batches: [], blob: new Uint8Array(0) } as Sketch;
    const cache = new SidecarCache(1000);
    const id = (n: number) => ({ id: `p${n}`, sketchCrc: n, sketchBytes: 10 });
    for (let n = 0; n < 3; n++) cache.put(id(n), sketch, 400);
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 800, evictions: 1 });
    expect(cache.get(id(0))).toBeUndefined();
    // p1 is used, so p2 goes when p3 comes.
    expect(cache.get(id(1))).toBe(sketch);
    cache.put(id(3), sketch, 400);
    expect(cache.get(id(2))).toBeUndefined();
    expect(cache.get(id(1))).toBe(sketch);
    // A sidecar the catalog now describes differently (a rebuild) is not served.
    expect(cache.get({ ...id(1), sketchCrc: 99 })).toBeUndefined();
    // One larger than the whole budget is not kept.
    cache.put(id(4), sketch, 5000);
    expect(cache.get(id(4))).toBeUndefined();
    expect(cache.stats().bytes).toBeLessThanOrEqual(1000);
  });
});

describeDatasets('subnet and address counts on a real Zeek conn.log', () => {
  it('equal awk over the raw file, in partitions of 1,000 events (pruned and opened)', async () => {
    const path = dataset('zeek', 'conn.log');
    const dir = mkdtempSync(join(tmpdir(), 'vast-sketch-real-'));
    dirs.push(dir);
    const store = await Store.open(join(dir, 'db'), { create: true });
    const imp = await store.importer({ partitionSize: 1000 });
    for await (const b of readBatches(findFormat('zeek', 'read'), bytesInput(readFileSync(path), 1 << 16), {
      file: path,
      schemas: registry,
    }))
      await imp.add(b);
    await imp.commit();
    const rows = readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => l.split('\t'));
    const awk = (col: number, re: RegExp) => rows.filter((r) => re.test(r[col])).length;
    let pruned = 0;
    for (const [field, col] of [
      ['id.orig_h', 2],
      ['id.resp_h', 4],
    ] as const) {
      for (const [net, re] of [
        ['192.168.1.0/24', /^192\.168\.1\./],
        ['169.254.0.0/16', /^169\.254\./],
        ['10.0.0.0/8', /^10\./],
        ['224.0.0.0/4', /^2(2[4-9]|3\d)\./],
        ['fe80::/10', /^fe80:/],
        ['2001:db8::/32', /^2001:db8:/],
      ] as const) {
        const stats = emptyStats();
        const n = await countQuery(
          store,
          prepareQuery(`${field} in ${net}`, store.schemas(), registry),
          stats,
        );
        expect(n, `${field} in ${net}`).toBe(awk(col, re));
        pruned += stats.prunedBySynopsis;
      }
      const stats = emptyStats();
      const one = await countQuery(
        store,
        prepareQuery(`${field} == 169.254.173.77`, store.schemas(), registry),
        stats,
      );
      expect(one).toBe(rows.filter((r) => r[col] === '169.254.173.77').length);
    }
    expect(pruned).toBeGreaterThan(0);
  });
});
