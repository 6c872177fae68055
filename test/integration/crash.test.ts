/**
 * Durability: kill -9 an import while it runs, repeatedly; the database must
 * stay readable, hold only whole committed partitions, and lose nothing that
 * an earlier, finished import stored.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { TEST_DATA } from '../helpers/datasets.js';
import { dataLines, tempDb, vast, vastProcess } from './cli.js';

const CONN = readFileSync(join(TEST_DATA, 'zeek', 'conn.log'), 'utf8');
const HEADER = CONN.split('\n').filter((l) => l.startsWith('#') && !l.startsWith('#close'));
const DATA = dataLines(CONN);

describe('kill -9 during import', () => {
  it('leaves whole partitions only, and earlier imports intact', async () => {
    const t = tempDb();
    // A finished import first: it must survive everything that follows.
    expect(vast(['import', 'zeek', '-d', t.db], { input: CONN }).status).toBe(0);
    const base = DATA.length;
    const rounds = 5;
    for (let round = 0; round < rounds; round++) {
      const p = vastProcess([
        'import',
        'zeek',
        '--max-partition-size',
        '1000',
        '--batch-size',
        '500',
        '-d',
        t.db,
      ]);
      p.stdin.on('error', () => {});
      p.stdin.write(`${HEADER.join('\n')}\n`);
      // Feed slowly so that some partitions commit before the kill.
      for (let i = 0; i < 40 && p.exitCode === null; i++) {
        p.stdin.write(`${DATA.slice((i * 500) % base, ((i * 500) % base) + 500).join('\n')}\n`);
        await sleep(10 + round * 5);
      }
      p.kill('SIGKILL');
      await new Promise((r) => p.once('exit', r));
      const s = vast(['status', '--json', '-d', t.db]);
      expect(s.status, s.stderr).toBe(0);
      const status = JSON.parse(s.stdout);
      // Every partition of the killed imports is whole: the count grows in multiples of the partition size.
      expect(status.events).toBeGreaterThanOrEqual(base);
      expect((status.events - base) % 1000).toBe(0);
    }
    const out = vast(['export', 'zeek', '-d', t.db]);
    expect(out.status, out.stderr).toBe(0);
    const lines = dataLines(out.stdout);
    // The finished import is complete and comes first; the rest are whole partitions of input rows.
    expect(lines.slice(0, base)).toEqual(DATA);
    expect((lines.length - base) % 1000).toBe(0);
    const known = new Set(DATA);
    expect(lines.every((l) => known.has(l))).toBe(true);
    const again = vast(['import', 'zeek', '-d', t.db], { input: CONN });
    expect(again.status, again.stderr).toBe(0);
    t.cleanup();
  });
});
