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

/** Events in the database, as `vast status` reports them. */
function events(db: string): number {
  const s = vast(['status', '--json', '-d', db]);
  expect(s.status, s.stderr).toBe(0);
  return JSON.parse(s.stdout).events;
}

describe('kill -9 during import', () => {
  it('keeps the partitions a killed import committed, whole, and earlier imports intact', async () => {
    const t = tempDb();
    // A finished import first: it must survive everything that follows.
    expect(vast(['import', 'zeek', '-d', t.db], { input: CONN }).status).toBe(0);
    const base = DATA.length;
    expect(events(t.db)).toBe(base);
    const rounds = 3;
    for (let round = 0; round < rounds; round++) {
      const before = events(t.db);
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
      const exited = new Promise((r) => p.once('exit', r));
      p.stdin.write(`${HEADER.join('\n')}\n`);
      const chunk = (i: number) => `${DATA.slice((i * 500) % base, ((i * 500) % base) + 500).join('\n')}\n`;
      // Feed until the import has committed a partition, so that the kill hits an import that
      // stored something and still has rows in flight (a kill before the first commit would
      // make every check below hold trivially).
      let i = 0;
      const deadline = Date.now() + 20_000;
      while (events(t.db) === before) {
        expect(p.exitCode, 'the import ended before it was killed').toBeNull();
        expect(Date.now() < deadline, 'the import committed nothing within 20 s').toBe(true);
        for (let k = 0; k < 4; k++) p.stdin.write(chunk(i++));
        await sleep(100);
      }
      for (let k = 0; k < 4; k++) p.stdin.write(chunk(i++));
      p.kill('SIGKILL');
      await exited;
      const after = events(t.db);
      // The killed import's committed partitions stay, and only whole ones: the count grows
      // by a multiple of the partition size.
      expect(after).toBeGreaterThan(before);
      expect((after - before) % 1000).toBe(0);
      expect(after - before).toBeLessThanOrEqual(i * 500);
    }
    const out = vast(['export', 'zeek', '-d', t.db]);
    expect(out.status, out.stderr).toBe(0);
    const lines = dataLines(out.stdout);
    // The finished import is complete and comes first; the rest are whole partitions of input rows.
    expect(lines.slice(0, base)).toEqual(DATA);
    expect(lines.length).toBe(events(t.db));
    expect(lines.length - base).toBeGreaterThanOrEqual(rounds * 1000);
    const known = new Set(DATA);
    expect(lines.every((l) => known.has(l))).toBe(true);
    const again = vast(['import', 'zeek', '-d', t.db], { input: CONN });
    expect(again.status, again.stderr).toBe(0);
    t.cleanup();
  }, 120_000);
});
