/**
 * What every workload file uses: the workload shape, rates per second and
 * per core, the peak-RSS row with the memory bound, and running the
 * vast command measured.
 */
import { type BenchContext, VAST_BIN } from './context.js';
import { check, type ProcessRun, runMeasured } from './measure.js';
import { type Row, row, type WorkloadResult } from './report.js';

export interface Workload {
  id: string;
  title: string;
  run(ctx: BenchContext): Promise<Omit<WorkloadResult, 'id' | 'title'>>;
}

const MIB = 2 ** 20;
export const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
/** The bound on the peak RSS of any import or query. */
const RSS_LIMIT_MIB = 512;

/** Events per second of wall time. */
export const perSecond = (events: number, r: ProcessRun) => events / (r.wallMs / 1000);
/**
 * Events per CPU-second (events/s ÷ CPU/wall): the throughput of one busy core,
 * whether the process used helper threads or lost the CPU to other processes.
 * Falls back to wall time when CPU time is unknown.
 */
export const perCore = (events: number, r: ProcessRun) => events / ((r.cpuMs ?? r.wallMs) / 1000);
export const cpuShare = (r: ProcessRun) =>
  r.cpuMs === undefined ? 'unknown' : (r.cpuMs / r.wallMs).toFixed(2);

export const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;

/** A peak RSS row with the memory target: vast's process against a baseline's. */
export function rssRow(metric: string, vast: ProcessRun, baseline: string, baselineRun: ProcessRun): Row {
  const inMib = (r: ProcessRun) => (r.maxRssBytes === undefined ? undefined : r.maxRssBytes / MIB);
  return row({
    metric,
    unit: 'MB',
    better: 'lower',
    vast: inMib(vast) ?? Number.NaN,
    baseline,
    baselineValue: inMib(baselineRun),
    target: `≤ ${RSS_LIMIT_MIB} MB`,
    met: (inMib(vast) ?? Number.POSITIVE_INFINITY) <= RSS_LIMIT_MIB,
  });
}

/** `vast ARGS` with the run's thread flags, measured; a failure throws with `what`. */
export async function vast(ctx: BenchContext, args: string[], what: string): Promise<ProcessRun> {
  return check(await runMeasured(process.execPath, [VAST_BIN, ...ctx.vastThreadArgs(), ...args]), what);
}

/**
 * The rows of an import with content loaded (`content.with`: "with the sets",
 * `content.without`: "no sets") against
 * the plain import of the same file in the same run: events/s per core and
 * wall, each held to `share` of the plain import's, and the peak RSS.
 */
export function importShareRows(
  ctx: BenchContext,
  events: number,
  runs: { loaded: ProcessRun; plain: ProcessRun },
  content: { with: string; without: string },
  share: number,
): Row[] {
  const threads = ctx.vastThreadsLabel();
  const what = content.with;
  const plainLabel = `plain vast import (${content.without}), ${threads}`;
  const held = (r: Row) => {
    r.target = `≥ ${share * 100}% of the plain import`;
    r.met = (r.ratio ?? 0) >= share;
    return r;
  };
  const base = { unit: 'events/s', better: 'higher', baseline: plainLabel } as const;
  return [
    held(
      row({
        ...base,
        metric: `events/s per core (events ÷ CPU seconds), ${what}, ${threads}`,
        vast: perCore(events, runs.loaded),
        baselineValue: perCore(events, runs.plain),
      }),
    ),
    held(
      row({
        ...base,
        metric: `events/s (wall), ${what}, ${threads}`,
        vast: perSecond(events, runs.loaded),
        baselineValue: perSecond(events, runs.plain),
      }),
    ),
    rssRow(`peak RSS of the import ${what}`, runs.loaded, plainLabel, runs.plain),
  ];
}
