/** The remembered batch ids of a tenant: bounded by count and age, persisted across instances. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatchIds } from '../../../src/node/batch-ids.js';

const ack = (id: string, at = Date.now()) => ({ id, at, events: 10, errors: 0 });

describe('BatchIds', () => {
  it('keeps at most `capacity` ids, forgets old ones, and persists what it keeps', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vast-ids-'));
    const limits = { capacity: 3, windowMs: 60_000 };
    const ids = BatchIds.load(dir, limits, () => {});
    ids.add(ack('old', Date.now() - 120_000));
    expect(ids.get('old')).toBeUndefined();
    for (const id of ['a', 'b', 'c', 'd']) ids.add(ack(id));
    expect(ids.size).toBe(3);
    expect(ids.get('a')).toBeUndefined();
    expect(ids.get('d')).toMatchObject({ events: 10 });
    ids.persist();
    const again = BatchIds.load(dir, limits, () => {});
    expect(['b', 'c', 'd'].map((id) => again.get(id)?.id)).toEqual(['b', 'c', 'd']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports a damaged file and starts empty', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vast-ids-'));
    writeFileSync(join(dir, 'batch-ids.json'), '{"version":1,"acks":[["a",1]]}');
    const warnings: string[] = [];
    const ids = BatchIds.load(dir, { capacity: 3, windowMs: 1000 }, (m) => warnings.push(m));
    expect(ids.size).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('batch-ids.json: malformed entry; retries of imports acknowledged before');
    rmSync(dir, { recursive: true, force: true });
  });
});
