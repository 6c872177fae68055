/**
 * Smoke test of the benchmark suite: `npm run bench -- --quick` on small data
 * must run every workload against every baseline and write a result JSON
 * with positive numbers. No timing is asserted: this checks that the harness
 * works, not how fast vast is.
 *
 * It builds only bench/ (into dist/bench/), not the main dist/ that other
 * integration tests run concurrently; `npm test` has built that already.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Results } from '../../bench/report.js';
import { HAVE_DATASETS, ROOT } from '../helpers/datasets.js';

const WORKLOADS = [
  'ingest-zeek',
  'ingest-eve',
  'at-rest',
  'needle',
  'subnet',
  'time-range',
  'regex',
  'substring',
  'aggregate',
  'cold-count',
  'rss',
  'intel-ingest',
  'sigma-ingest',
  'intel-hunt',
];
/** Workloads whose result is compared with DuckDB's (hits or groups must agree). */
const QUERIES = [
  'needle',
  'subnet',
  'time-range',
  'regex',
  'substring',
  'aggregate',
  'cold-count',
  // Sightings counted by vast against the same matches as a DuckDB join.
  'intel-ingest',
  'intel-hunt',
  // Alerts of 100 Sigma rules against the rules written as SQL.
  'sigma-ingest',
];

const canRun = HAVE_DATASETS || existsSync(join(ROOT, 'test', 'data', 'zeek', 'conn.log'));
const suite = canRun ? describe : describe.skip;

suite(`bench --quick${canRun ? '' : ' (skipped: no Zeek conn.log in ../shared/datasets or test/data)'}`, () => {
  const results = mkdtempSync(join(tmpdir(), 'vast-bench-smoke-'));
  afterAll(() => rmSync(results, { recursive: true, force: true }));

  it('writes a result with every workload, positive figures and agreeing answers', () => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const build = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'bench', 'tsconfig.json')], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(build.status, build.stdout + build.stderr).toBe(0);

    const main = join(ROOT, 'dist', 'bench', 'bench', 'main.js');
    const run = spawnSync(process.execPath, [main, '--quick', '--repeat', '2', '--results-dir', results], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('| workload | metric | vast |');

    const files = readdirSync(results).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    const res = JSON.parse(readFileSync(join(results, files[0]), 'utf8')) as Results;
    expect(res.machine.cores).toBeGreaterThan(0);
    expect(res.workloads.map((w) => w.id)).toEqual(WORKLOADS);
    for (const w of res.workloads) {
      if (w.skipped) {
        // Only the EVE ingest may be missing, and only without the shared corpus.
        expect(HAVE_DATASETS, `${w.id} skipped: ${w.skipped}`).toBe(false);
        expect(w.id).toBe('ingest-eve');
        continue;
      }
      expect(w.rows.length, w.id).toBeGreaterThan(0);
      for (const r of w.rows) {
        expect(r.vast, `${w.id}: ${r.metric}`).toBeGreaterThan(0);
        if (r.baseline !== undefined) expect(r.baselineValue, `${w.id}: ${r.baseline}`).toBeGreaterThan(0);
        if (r.baselineValue !== undefined) expect(r.ratio, `${w.id}: ${r.metric} ratio`).toBeGreaterThan(0);
        if (r.target !== undefined) expect(typeof r.met, `${w.id}: ${r.metric} met`).toBe('boolean');
      }
      if (QUERIES.includes(w.id)) expect(w.details.agree, `${w.id}: ${w.notes.join('; ')}`).toBe(true);
    }
    const zeek = res.data.find((d) => d.kind === 'zeek-conn');
    expect(zeek?.events).toBe(200_000);
  }, 600_000);
});
