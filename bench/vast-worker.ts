/**
 * Runs one vast query several times in a process of its own, through the
 * library (Store.open, prepareQuery, runQuery), as the CLI does. The first
 * run is cold (it also opens the store and loads the schema registry); the
 * later runs are warm.
 *
 * Usage: `node vast-worker.js '<JSON VastJob>'`; prints one VastResult as JSON.
 * The modules come from the main build (dist/), so this measures exactly the
 * code that `bin/vast.js` runs.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import type * as Run from '../src/query/run.js';
import type * as Pool from '../src/query/scan-pool.js';
import type * as Schemas from '../src/schemas/load.js';
import type * as StoreModule from '../src/store/store.js';

export interface VastJob {
  db: string;
  query: string;
  /** Runs in all: one cold, then warm ones. */
  repeat: number;
  /** Warm runs stop early (after at least one) once they have taken this many milliseconds. */
  budgetMs?: number;
  /** Threads a scan may use, as `vast --threads`. */
  threads: number;
}

export interface VastResult {
  /** Milliseconds of every run; the first includes opening the store. */
  ms: number[];
  /** Events (or, after `summarize`, rows) returned by the first run. */
  rows: number;
  stats: Run.QueryStats;
}

const dist = new URL('../../../dist/', import.meta.url);
const load = async <T>(path: string) => (await import(new URL(path, dist).href)) as T;

async function main(job: VastJob): Promise<VastResult> {
  const { Store } = await load<typeof StoreModule>('store/store.js');
  const { prepareQuery, countQuery, emptyStats } = await load<typeof Run>('query/run.js');
  const { schemaRegistry } = await load<typeof Schemas>('schemas/load.js');
  const { ScanPool, setScanThreads } = await load<typeof Pool>('query/scan-pool.js');
  setScanThreads(job.threads);
  const ms: number[] = [];
  let rows = 0;
  let stats = emptyStats();
  const t1 = performance.now();
  const store = await Store.open(job.db);
  const registry = schemaRegistry(job.db);
  let warmStart = 0;
  for (let i = 0; i < job.repeat; i++) {
    if (i === 1) {
      // Warm means a long-running process (a node): the scan workers the cold run started are up.
      const pool = ScanPool.get(job.threads);
      for (let waited = 0; pool && !pool.ready && waited < 5000; waited += 20) await sleep(20);
      warmStart = performance.now();
    }
    if (i > 1 && job.budgetMs !== undefined && performance.now() - warmStart > job.budgetMs) break;
    const t = i === 0 ? t1 : performance.now();
    const q = prepareQuery(job.query, store.schemas(), registry);
    stats = emptyStats();
    const n = await countQuery(store, q, stats);
    ms.push(performance.now() - t);
    if (i === 0) rows = n;
  }
  return { ms, rows, stats };
}

process.stdout.write(`${JSON.stringify(await main(JSON.parse(process.argv[2]) as VastJob))}\n`);
