/**
 * `count` without an expression on a local database: answered from the catalog alone
 * (`committedPartitions`), without loading the store and the query engine. It must give
 * what the engine gives (`--explain` runs the engine), and leave every case the catalog
 * cannot settle alone to the store (its errors, its rebuild of a damaged catalog).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalBackend } from '../../../src/backend/local.js';
import { loadRegistry } from '../../../src/schemas/registry.js';
import { committedPartitions, LEGACY_PARTITION_EXT } from '../../../src/store/catalog.js';
import { Store } from '../../../src/store/store.js';
import { BatchBuilder } from '../../../src/types/batch-builder.js';
import { parseType } from '../../../src/types/parse-type.js';
import type { RecordType } from '../../../src/types/type.js';
import { keepPartitions } from '../../helpers/partition-audit.js';

const type = parseType('record{ts: time, n: int64}') as RecordType;
const registry = loadRegistry();

let dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'vast-local-'));
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

/** A database with `rows` events of each schema, one import per schema. */
async function database(rows: Record<string, number>): Promise<string> {
  const db = tmp();
  const store = await Store.open(db, { create: true });
  for (const [name, n] of Object.entries(rows)) {
    const b = new BatchBuilder({ name, type, timestamp: 'ts' });
    for (let i = 0; i < n; i++) expect(b.appendJson({ ts: '2020-01-01T00:00:00Z', n: i })).toBe(true);
    const imp = await store.importer();
    await imp.add(b.finish());
    await imp.commit();
  }
  return db;
}

const count = (db: string, explain = false) =>
  new LocalBackend(db, registry).count(undefined, { explain }).then((r) => r.count);

describe('LocalBackend count without an expression', () => {
  it('counts what the query engine counts, internal events (vast.*) left out', async () => {
    const db = await database({ 'test.a': 5, 'test.b': 7, 'vast.test': 3 });
    expect(committedPartitions(db)).toHaveLength(3);
    expect(await count(db)).toBe(12);
    expect(await count(db, true)).toBe(12);
  });

  it('leaves a damaged catalog to the store, which rebuilds it', async () => {
    const db = await database({ 'test.a': 4 });
    const catalog = join(db, 'catalog.json');
    writeFileSync(catalog, readFileSync(catalog, 'utf8').replace('"events":4', '"events":5'));
    expect(committedPartitions(db)).toBeUndefined();
    expect(await count(db)).toBe(4);
  });

  it('leaves a missing database and partitions of the first format to the store, which refuses them', async () => {
    const missing = join(tmp(), 'nothing');
    expect(committedPartitions(missing)).toBeUndefined();
    await expect(count(missing)).rejects.toThrow(/no database at/);
    const db = await database({ 'test.a': 1 });
    writeFileSync(join(db, 'partitions', `old${LEGACY_PARTITION_EXT}`), '');
    expect(committedPartitions(db)).toBeUndefined();
    await expect(count(db)).rejects.toThrow(/old format/);
  });
});
