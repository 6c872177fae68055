/**
 * A tenant's flush writes one partition per schema. Found by `npm run torture`
 * (kill -9 during a flush of a tenant holding two schemas lost an acknowledged
 * batch): if the partitions are committed one by one, each tagged with the
 * WAL segment they came from, a crash after the first commit makes the
 * restart skip the whole segment, and the other schemas' events are gone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Tenant } from '../../../src/node/tenant.js';
import { loadRegistry } from '../../../src/schemas/registry.js';
import { BatchBuilder } from '../../../src/types/batch-builder.js';
import { parseType } from '../../../src/types/parse-type.js';
import type { RecordType } from '../../../src/types/type.js';

const opts = {
  maxPartitionSize: 1_000_000,
  batchIds: { windowMs: 3_600_000, capacity: 1024 },
  log: pino({ level: 'silent' }),
  registry: loadRegistry(),
};

function batch(name: string, type: string, rows: Record<string, unknown>[]) {
  const b = new BatchBuilder({ name, type: parseType(type) as RecordType, timestamp: 'ts' });
  for (const r of rows) expect(b.appendJson(r)).toBe(true);
  return b.finish();
}

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

describe('a crash in the middle of a tenant flush', () => {
  it('loses no acknowledged event of any schema', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vast-tenant-'));
    dirs.push(dir);
    const db = join(dir, 'db');
    const t = await Tenant.open(db, 'default', opts);
    await t.ingest(batch('test.a', 'record{ts: time, a: int64}', [{ ts: '2020-01-01', a: 1 }]));
    await t.ingest(
      batch('test.b', 'record{ts: time, b: string}', [
        { ts: '2020-01-01', b: 'x' },
        { ts: '2020-01-02', b: 'y' },
      ]),
    );
    // Both batches are acknowledged (in the WAL). The process "dies" right after the flush's first catalog write.
    const commit = t.store.commit.bind(t.store);
    t.store.commit = (staged) => {
      commit(staged);
      throw new Error('simulated crash after a catalog write');
    };
    await expect(t.flush()).rejects.toThrow('simulated crash');
    const restarted = await Tenant.open(db, 'default', opts);
    expect(restarted.store.status()).toMatchObject({ events: 3 });
  });
});
