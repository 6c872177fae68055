/**
 * The upgrade path of store v2: a database written in the first partition
 * format (Arrow IPC) is refused with an error naming `vast rebuild`, and
 * `vast rebuild` converts it to Parquet partitions losing nothing: the
 * converted database exports exactly what a fresh import of the same files
 * exports.
 */
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_DATA } from '../helpers/datasets.js';
import { tempDb, vast } from './cli.js';

const LEGACY = join(TEST_DATA, 'store', 'legacy-v1');
/** The files the fixture was imported from, in its order (see test/data/README.md). */
const SOURCES: [string, string][] = [
  ['zeek', join(TEST_DATA, 'zeek', 'small_conn.log')],
  ['zeek', join(TEST_DATA, 'zeek', 'dns.log')],
  ['suricata', join(TEST_DATA, 'suricata', 'example-pcap_eve.json')],
];

describe('upgrading a database of the first format', () => {
  const dirs: ReturnType<typeof tempDb>[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) d.cleanup();
  });

  it('refuses to open it with an error naming vast rebuild; rebuild converts it and loses nothing', () => {
    const old = tempDb();
    const fresh = tempDb();
    dirs.push(old, fresh);
    cpSync(LEGACY, old.db, { recursive: true });

    const refused = vast(['count', '-d', old.db]);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(`run 'vast rebuild -d ${old.db}'`);

    const rebuilt = vast(['rebuild', '-d', old.db]);
    expect(rebuilt.status, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout).toBe('rebuilt catalog: 4 partitions, 1235 events\n');
    const files = readdirSync(join(old.db, 'partitions'));
    expect(files.filter((f) => f.endsWith('.feather'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.parquet'))).toHaveLength(4);

    for (const [format, file] of SOURCES) {
      const r = vast(['import', '-d', fresh.db, format, '-r', file]);
      expect(r.status, r.stderr).toBe(0);
    }
    const converted = vast(['export', '-d', old.db, 'json']);
    const imported = vast(['export', '-d', fresh.db, 'json']);
    expect(converted.status, converted.stderr).toBe(0);
    const lines = converted.stdout.trim().split('\n');
    expect(lines).toHaveLength(1235);
    expect(lines).toEqual(imported.stdout.trim().split('\n'));
    // Queries use the rebuilt synopses.
    expect(vast(['count', '-d', old.db, 'id.resp_p == 53']).stdout).toBe(
      vast(['count', '-d', fresh.db, 'id.resp_p == 53']).stdout,
    );
  });
});
