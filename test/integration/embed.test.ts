/**
 * The embedding API as the README shows it: the example is taken from the README and run as
 * a program importing 'vast' (the package by its name), against numbers awk finds in the log.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ROOT, TEST_DATA } from '../helpers/datasets.js';
import { tempDb } from './cli.js';

const CONN = join(TEST_DATA, 'zeek', 'conn.log');
const t = tempDb();
afterAll(() => t.cleanup());

const awk = (cond: string) =>
  spawnSync('awk', ['-F\t', `!/^#/ && (${cond}) {n++} END {print n+0}`, CONN], {
    encoding: 'utf8',
  }).stdout.trim();

/** The first js block after the README's embedding-example marker. */
function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /<!-- embedding-example[^>]*-->\s*```js\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('README has no embedding example');
  return m[1];
}

it('the README example runs and prints what awk counts', () => {
  // Inside the checkout, so that 'vast' resolves to this package (self-reference through "exports").
  const program = join(ROOT, `.embed-example-${process.pid}.mjs`);
  writeFileSync(program, readmeExample());
  try {
    const r = spawnSync(process.execPath, [program], {
      encoding: 'utf8',
      env: { ...process.env, VAST_EXAMPLE_DB: t.db, VAST_EXAMPLE_LOG: CONN, VAST_ENDPOINT: '127.0.0.1:1' },
    });
    expect(r.status, r.stderr).toBe(0);
    const udp = awk('$7 == "udp"');
    expect(r.stdout).toBe(
      `imported ${udp} events\n3 rows\ndns: ${awk('$7 == "udp" && $6 == 53')}, stored: ${udp}\n`,
    );
  } finally {
    spawnSync('rm', ['-f', program]);
  }
});

it('a bad filter fails with a located diagnostic, and nothing is stored', async () => {
  const { open } = await import('../../src/index.js');
  const db = await open({ db: join(t.dir, 'bad') });
  await expect(db.import('zeek', { file: CONN }, { filter: 'proto ==' })).rejects.toThrow(/ --> query:1:\d+/);
  await expect(db.import('zeek', { file: CONN }, { filter: 'nope == 1' })).rejects.toThrow(
    /unknown field 'nope'/,
  );
  await expect(db.count()).resolves.toBe(0);
  await db.close();
});
