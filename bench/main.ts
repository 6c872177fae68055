/**
 * `npm run bench [-- FLAGS]`: generates (or reuses) the scaled-up data, runs
 * the selected workloads on vast and its baselines, prints a Markdown table
 * and writes the full result as JSON to bench/results/<timestamp>.json.
 * See bench/README.md.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchContext, type BenchOptions, ROOT, SkipError } from './context.js';
import { machine, toolVersion } from './measure.js';
import { markdown, type Results, type WorkloadResult } from './report.js';
import { workloads } from './workloads.js';

const USAGE = `usage: npm run bench -- [flags]

  --quick              small data (200,000 conn and 50,000 EVE events), for CI smoke runs
  --events N           Zeek conn events (default 10,000,000)
  --eve-events N       Suricata EVE events (default 2,000,000)
  --only W1,W2         run only these workloads (${workloads.map((w) => w.id).join(', ')})
  --repeat N           warm runs per query, reported as their median (default 5)
  --threads N          threads of the multi-core figures (default 2, the issue's "both cores"):
                       DuckDB's queries, and vast's --threads once vast has that option
  --keep               keep the databases and Parquet files (and print where they are)
  --cache-dir DIR      generated data (default bench/cache)
  --work-dir DIR       databases and Parquet files (default a fresh directory in $TMPDIR)
  --results-dir DIR    where the JSON result goes (default bench/results)
  --datasets DIR       the real logs (default $VAST_DATASETS or ../shared/datasets)
`;

function count(v: string | undefined, flag: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v.replaceAll('_', ''));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} wants a positive integer, got '${v}'`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      events: { type: 'string' },
      'eve-events': { type: 'string' },
      only: { type: 'string' },
      repeat: { type: 'string' },
      threads: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'cache-dir': { type: 'string' },
      'work-dir': { type: 'string' },
      'results-dir': { type: 'string' },
      datasets: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const only = values.only?.split(',').map((s) => s.trim());
  const unknown = only?.filter((id) => !workloads.some((w) => w.id === id)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown workload ${unknown.join(', ')}\n${USAGE}`);
  const selected = workloads.filter((w) => !only || only.includes(w.id));

  const quick = values.quick ?? false;
  const workDir = values['work-dir']
    ? resolve(values['work-dir'])
    : mkdtempSync(join(tmpdir(), 'vast-bench-'));
  mkdirSync(workDir, { recursive: true });
  const opts: BenchOptions = {
    quick,
    events: count(values.events, '--events', quick ? 200_000 : 10_000_000),
    eveEvents: count(values['eve-events'], '--eve-events', quick ? 50_000 : 2_000_000),
    repeat: count(values.repeat, '--repeat', 5),
    threads: count(values.threads, '--threads', 2),
    cacheDir: resolve(values['cache-dir'] ?? join(ROOT, 'bench', 'cache')),
    workDir,
    datasets: resolve(values.datasets ?? process.env.VAST_DATASETS ?? join(ROOT, '..', 'shared', 'datasets')),
  };
  const resultsDir = resolve(values['results-dir'] ?? join(ROOT, 'bench', 'results'));

  const startedAt = new Date();
  const t0 = performance.now();
  const ctx = new BenchContext(opts);
  const host = machine();
  const tools: Record<string, string | null> = {};
  for (const t of ['grep', 'rg', 'jq', 'gzip']) tools[t] = toolVersion(t) ?? null;
  const results: WorkloadResult[] = [];
  try {
    for (const w of selected) {
      process.stderr.write(`[bench] workload ${w.id}\n`);
      try {
        results.push({ id: w.id, title: w.title, ...(await w.run(ctx)) });
      } catch (e) {
        if (!(e instanceof SkipError)) throw e;
        results.push({ id: w.id, title: w.title, rows: [], notes: [], skipped: e.message, details: {} });
      }
    }
  } finally {
    if (!values.keep) rmSync(workDir, { recursive: true, force: true });
  }

  const notes = [...ctx.notes];
  const loadEnd = loadavg()[0];
  if (host.loadAverage[0] > host.cores / 2 || loadEnd > host.cores / 2)
    notes.push(
      `the machine was busy (1-minute load average ${host.loadAverage[0].toFixed(1)} at the start, ` +
        `${loadEnd.toFixed(1)} at the end, on ${host.cores} cores): wall-clock figures are pessimistic; per-core figures divide by CPU time`,
    );
  if (quick)
    notes.push('quick mode: small data; the targets are about the full data set (10M conn, 2M EVE events)');
  if (!tools.rg) notes.push('ripgrep (rg) is not installed: its baseline was skipped');
  if (!tools.jq) notes.push('jq is not installed: its baseline was skipped');
  notes.push(
    'every measurement is a separate process, run one at a time; files are in the page cache (warm OS cache) for every system',
  );
  const res: Results = {
    version: 1,
    startedAt: startedAt.toISOString(),
    durationMs: performance.now() - t0,
    argv,
    options: { ...opts, only: only ?? null, keep: values.keep ?? false },
    machine: host,
    tools,
    data: ctx.prepared.map(({ meta, cached }) => ({
      kind: meta.kind,
      file: meta.file,
      source: meta.source,
      events: meta.events,
      bytes: meta.bytes,
      replays: meta.replays,
      generateMs: meta.generateMs,
      cached,
    })),
    notes,
    workloads: results,
  };
  mkdirSync(resultsDir, { recursive: true });
  const out = join(resultsDir, `${res.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, `${JSON.stringify(res, null, 2)}\n`);
  process.stdout.write(markdown(res));
  process.stderr.write(`[bench] results: ${out}\n`);
  if (values.keep) process.stderr.write(`[bench] databases and Parquet files kept in ${workDir}\n`);
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
}
