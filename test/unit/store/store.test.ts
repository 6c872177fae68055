import { mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../../src/store/store.js';
import { vastSchema } from '../../../src/types/arrow.js';
import { BatchBuilder } from '../../../src/types/batch-builder.js';
import { parseType } from '../../../src/types/parse-type.js';
import type { RecordType } from '../../../src/types/type.js';
import { valueAt } from '../../../src/types/values.js';
import { keepPartitions } from '../../helpers/partition-audit.js';

const type = parseType(
  'record{ts: time, id: record{orig_h: ip, orig_p: port}, proto: enum, bytes: uint64, note: string, tags: list<string>}',
) as RecordType;
const schema = { name: 'test.conn', type, timestamp: 'ts' };

function batchOf(rows: Record<string, unknown>[]) {
  const b = new BatchBuilder(schema);
  for (const r of rows) expect(b.appendJson(r)).toBe(true);
  return b.finish();
}

const row = (i: number, proto = 'tcp') => ({
  ts: `2020-01-01T00:00:${String(i % 60).padStart(2, '0')}Z`,
  id: { orig_h: `10.0.0.${i % 256}`, orig_p: 1000 + i },
  proto,
  bytes: i * 10,
  note: i % 3 === 0 ? null : `n${i}`,
  tags: [`t${i % 2}`],
});

let dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'vast-store-'));
  dirs.push(d);
  return join(d, 'db');
};
afterEach(() => {
  for (const d of dirs) {
    keepPartitions(d);
    rmSync(d, { recursive: true, force: true });
  }
  dirs = [];
});

async function importRows(db: string, batches: Record<string, unknown>[][], opts = {}) {
  const store = await Store.open(db, { create: true });
  const imp = await store.importer(opts);
  for (const rows of batches) await imp.add(batchOf(rows));
  return imp.commit();
}

async function allRows(store: Store) {
  const out: unknown[] = [];
  for await (const b of store.batches()) {
    const s = vastSchema(b.schema);
    for (let i = 0; i < b.numRows; i++) out.push(valueAt(b.data, s.type, i));
  }
  return out;
}

describe('store', () => {
  it('stores batches durably and reads them back exactly', async () => {
    const db = tmp();
    const summary = await importRows(db, [[row(1), row(2)], [row(3, 'udp')]]);
    expect(summary).toMatchObject({ events: 3, partitions: 1, schemas: { 'test.conn': 3 } });
    const store = await Store.open(db);
    const rows = (await allRows(store)) as Record<string, unknown>[];
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => r.proto)).toEqual(['tcp', 'tcp', 'udp']);
    expect(rows[2].note).toBeNull();
    expect(rows[0].bytes).toBe(10n);
    expect(rows[1].ts).toBe(1577836802000000000n);
  });

  it('records synopses: time range, min/max, enum values, bloom sketches', async () => {
    const db = tmp();
    await importRows(db, [[row(5), row(7, 'udp'), row(6)]]);
    const [p] = (await Store.open(db)).partitions();
    expect(p.schema).toBe('test.conn');
    expect(p.minTime).toBe('1577836805000000000');
    expect(p.maxTime).toBe('1577836807000000000');
    expect(p.fields.bytes).toMatchObject({ min: '50', max: '70', nulls: 0 });
    expect(p.fields['id.orig_p']).toMatchObject({ min: 1005, max: 1007 });
    expect(p.fields.proto.values).toEqual(['tcp', 'udp']);
    expect(p.fields.note.bloom).toBeDefined();
    expect(p.fields['id.orig_h'].bloom).toBeDefined();
  });

  it('keeps enum values right when partitions mix batches from different builders', async () => {
    const db = tmp();
    const store = await Store.open(db, { create: true });
    const imp = await store.importer();
    await imp.add(batchOf([row(1, 'tcp'), row(2, 'udp')]));
    await imp.add(batchOf([row(3, 'icmp'), row(4, 'tcp')])); // a second builder: unrelated dictionary
    await imp.commit();
    const rows = (await allRows(await Store.open(db))) as Record<string, unknown>[];
    expect(rows.map((r) => r.proto)).toEqual(['tcp', 'udp', 'icmp', 'tcp']);
  });

  it('splits partitions at the size limit and commits each', async () => {
    const db = tmp();
    const rows = Array.from({ length: 25 }, (_, i) => row(i));
    const summary = await importRows(db, [rows.slice(0, 10), rows.slice(10, 20), rows.slice(20)], {
      partitionSize: 10,
    });
    expect(summary.partitions).toBe(3);
    const store = await Store.open(db);
    expect(store.status()).toMatchObject({ partitions: 3, events: 25 });
  });

  it('an aborted atomic import leaves nothing behind', async () => {
    const db = tmp();
    await importRows(db, [[row(1)]]);
    const store = await Store.open(db);
    const imp = await store.importer({ atomic: true, partitionSize: 2 });
    await imp.add(batchOf([row(2), row(3), row(4)])); // fills and stages a partition
    await imp.abort();
    const again = await Store.open(db);
    expect(again.status().events).toBe(1);
    expect(readdirSync(join(db, 'staging'))).toEqual([]);
  });

  it('rolls an interrupted commit forward and rebuilds a lost catalog', async () => {
    const db = tmp();
    await importRows(db, [[row(1), row(2)]]);
    const store = await Store.open(db);
    const [p] = store.partitions();
    const before = { ...p };
    // Crash after the catalog write but before the rename: the file is still staged.
    renameSync(join(db, 'partitions', `${p.id}.parquet`), join(db, 'staging', `${p.id}.parquet`));
    expect(await allRows(await Store.open(db))).toHaveLength(2); // readers find staged files
    const imp = await (await Store.open(db)).importer();
    await imp.commit();
    expect(readdirSync(join(db, 'partitions'))).toContain(`${p.id}.parquet`);
    // Lose the catalog: opening rebuilds it from the partition files.
    rmSync(join(db, 'catalog.json'));
    const rebuilt = await Store.open(db);
    expect(rebuilt.partitions()).toHaveLength(1);
    const q = rebuilt.partitions()[0];
    expect(q).toEqual(before);
  });

  it('refuses to open a database that does not exist', async () => {
    await expect(Store.open(join(tmpdir(), 'no-such-vast-db'))).rejects.toThrow(/no database/);
  });
});
