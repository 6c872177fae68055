/**
 * Runs DuckDB statements in a process of their own, so that every baseline is
 * measured like vast is: a fresh process, its CPU time and peak RSS seen from
 * outside (measure.ts), its first query cold and later ones warm.
 *
 * Usage: `node duckdb-worker.js '<JSON DuckJob>'`; prints one DuckResult as JSON.
 */
import { DuckDBInstance, version } from '@duckdb/node-api';

/** What to run: each step `repeat` times (default 1) on one connection. */
export interface DuckJob {
  /** DuckDB's `threads` setting; omitted = DuckDB's default (all cores). */
  threads?: number;
  /** `budgetMs`: later runs stop early (after at least two runs) once they have taken this long. */
  steps: { name: string; sql: string; repeat?: number; budgetMs?: number }[];
}

export interface DuckResult {
  version: string;
  threads: number;
  /** Creating the instance and connecting, in milliseconds. */
  initMs: number;
  /** Per step: milliseconds of every run, and the rows of the first run (JSON values). */
  steps: { name: string; ms: number[]; rows: unknown[][] }[];
}

async function main(job: DuckJob): Promise<DuckResult> {
  const t0 = performance.now();
  const instance = await DuckDBInstance.create(
    ':memory:',
    job.threads ? { threads: String(job.threads) } : {},
  );
  const conn = await instance.connect();
  const initMs = performance.now() - t0;
  const steps: DuckResult['steps'] = [];
  for (const step of job.steps) {
    const ms: number[] = [];
    let rows: unknown[][] = [];
    const start = performance.now();
    for (let i = 0; i < (step.repeat ?? 1); i++) {
      if (i > 1 && step.budgetMs !== undefined && performance.now() - start > step.budgetMs) break;
      const t = performance.now();
      const reader = await conn.runAndReadAll(step.sql);
      ms.push(performance.now() - t);
      if (i === 0) rows = reader.getRowsJson();
    }
    steps.push({ name: step.name, ms, rows });
  }
  const threads = Number((await conn.runAndReadAll("SELECT current_setting('threads')")).getRowsJson()[0][0]);
  conn.closeSync();
  instance.closeSync();
  return { version: version(), threads, initMs, steps };
}

process.stdout.write(`${JSON.stringify(await main(JSON.parse(process.argv[2]) as DuckJob))}\n`);
