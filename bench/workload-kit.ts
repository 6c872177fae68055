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
