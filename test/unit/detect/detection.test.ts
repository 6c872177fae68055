/**
 * Retro hunts over a real store (the M57 conn.log in partitions of 1,000
 * events): a hunt interrupted after some partitions resumes where it stopped,
 * and the two runs together report each (event, indicator, field) once, as
 * awk counts them. A removed set's hunt ends; a set's update hunts only its
 * new indicators.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as A from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cut, Detection } from '../../../src/detect/detection.js';
import type { Indicator } from '../../../src/detect/indicator.js';
import { findFormat } from '../../../src/formats/index.js';
import { bytesInput, readBatches } from '../../../src/formats/read.js';
import { Store } from '../../../src/store/store.js';
import { TEST_DATA } from '../../helpers/datasets.js';
import { keepPartitions } from '../../helpers/partition-audit.js';
import { registry } from '../../helpers/read.js';

const CONN = join(TEST_DATA, 'zeek', 'conn.log');
const IPS = ['192.168.1.103', '74.125.19.148', '216.240.189.196'];

const ip = (value: string): Indicator => ({ type: 'ip', value, context: {} });

/** Rows of conn.log with the address as originator or responder, by awk: one per (row, field). */
function awkCount(ips: readonly string[]): number {
  const out = execFileSync(
    'awk',
    [
      '-F',
      '\t',
      '-v',
      `ips=${ips.join(',')}`,
      'BEGIN { n = split(ips, a, ","); for (i = 1; i <= n; i++) w[a[i]] = 1 } /^#/ { next } { if ($3 in w) c++; if ($5 in w) c++ } END { print c + 0 }',
      CONN,
    ],
    { encoding: 'utf8' },
  );
  return Number(out.trim());
}

let dir: string;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vast-detect-'));
  store = await Store.open(dir, { create: true });
  const importer = await store.importer({ partitionSize: 1000 });
  for await (const b of readBatches(findFormat('zeek', 'read'), bytesInput(readFileSync(CONN), 1 << 16), {
    file: CONN,
    schemas: registry,
    batchSize: 500,
  }))
    await importer.add(b);
  await importer.commit();
});

afterAll(() => {
  keepPartitions(dir);
  rmSync(dir, { recursive: true, force: true });
});

const everything = (): Cut => ({ partitions: store.partitions().map((e) => e.id), staged: {} });
const opts = { subdomains: false, actions: [] };

/** Rows of sighting batches as `ref|indicator|field`. */
const keys = (batches: readonly A.RecordBatch[]) =>
  batches.flatMap((b) =>
    [...b].map((r) => {
      const row = r as unknown as { ref: string; indicator: string; field: string };
      return `${row.ref}|${row.indicator}|${row.field}`;
    }),
  );

describe('retro hunts', () => {
  it('the store has many partitions', () => {
    expect(store.partitions().length).toBeGreaterThan(5);
  });

  it('resume after an interruption: nothing lost, nothing twice', async () => {
    const first = Detection.open(dir, registry);
    const update = first.updateSet('iocs', IPS.map(ip), opts, everything());
    expect(update).toMatchObject({ added: 3, removed: 0 });
    const found: A.RecordBatch[] = [];
    let writes = 0;
    await expect(
      first.runHunt(store, update.hunt!, async (batches) => {
        if (++writes === 4) throw new Error('crash');
        found.push(...batches);
      }),
    ).rejects.toThrow('crash');
    // A new process: the hunt is still pending, three partitions done.
    const second = Detection.open(dir, registry);
    const [pending] = second.progress();
    expect(pending).toMatchObject({
      set: 'iocs',
      revision: 1,
      done: 3,
      partitions: store.partitions().length,
    });
    const writtenKeys = new Set<string>();
    await second.runHunt(store, second.pendingHunts()[0], async (batches, key) => {
      expect(writtenKeys.has(key)).toBe(false);
      writtenKeys.add(key);
      found.push(...batches);
    });
    expect(second.progress()).toEqual([]);
    const all = keys(found);
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(awkCount(IPS));
  });

  it('an update hunts only its new indicators; a removed set stops hunting', async () => {
    const d = Detection.open(dir, registry);
    d.removeSet('iocs');
    const first = d.updateSet('u', [ip(IPS[0])], opts, everything());
    await d.runHunt(store, first.hunt!, async () => {});
    const second = d.updateSet('u', [ip(IPS[0]), ip(IPS[1])], opts, everything());
    expect(second.hunt?.kind === 'intel' && [...second.hunt.indicators]).toEqual([ip(IPS[1])]);
    const found: A.RecordBatch[] = [];
    await d.runHunt(store, second.hunt!, async (b) => {
      found.push(...b);
    });
    expect(keys(found).length).toBe(awkCount([IPS[1]]));
    const third = d.updateSet('u', [ip(IPS[2])], opts, everything());
    expect(third).toMatchObject({ added: 1, removed: 2 });
    expect(d.removeSet('u')).toBe(true);
    expect(d.progress()).toEqual([]);
    expect(d.active).toBe(false);
  });

  it('live: a batch matched with its placement carries PARTITION:ROW refs', async () => {
    const d = Detection.open(dir, registry);
    d.updateSet('live', [ip(IPS[1])], opts, { partitions: [], staged: {} });
    let total = 0;
    for await (const b of readBatches(findFormat('zeek', 'read'), bytesInput(readFileSync(CONN), 1 << 16), {
      file: CONN,
      schemas: registry,
    })) {
      const s = d.live(b, { partition: 'p', row: total });
      for (const k of keys(s.batches)) expect(k).toMatch(/^p:\d+\|74\.125\.19\.148\|id\.(orig|resp)_h$/);
      total += b.numRows;
      const count = s.batches.reduce((n, x) => n + x.numRows, 0);
      expect(s.sightings).toBe(count);
    }
    d.removeSet('live');
  });
});
