/**
 * The shape of a benchmark result (written as JSON to bench/results/) and its
 * Markdown rendering. Every figure is a `Row`: vast's value, the baseline it
 * is compared with, the ratio, and the issue's target where there is one.
 */
import type { Machine } from './measure.js';

/** One measured figure of vast, compared with one baseline. */
export interface Row {
  metric: string;
  unit: Unit;
  /** Whether a higher value is better (throughput) or a lower one (latency, size). */
  better: 'higher' | 'lower';
  vast: number;
  baseline?: string;
  baselineValue?: number;
  /** How many times better vast is than the baseline: > 1 means vast wins. */
  ratio?: number;
  /** The target from the issue, in words. */
  target?: string;
  met?: boolean;
  note?: string;
}

type Unit = 'events/s' | 'ms' | 'bytes/event' | 'bytes' | 'MB';

export interface WorkloadResult {
  id: string;
  title: string;
  rows: Row[];
  /** Result checks, hit counts, pruning statistics, skipped baselines. */
  notes: string[];
  /** Set when the workload could not run (missing data, a failure); `rows` is then empty. */
  skipped?: string;
  /** Raw measurements (process runs, per-run milliseconds) for whoever wants to dig. */
  details: Record<string, unknown>;
}

interface DataDescription {
  kind: string;
  file: string;
  source: string;
  events: number;
  bytes: number;
  replays: number;
  generateMs: number;
  cached: boolean;
}

export interface Results {
  version: 1;
  startedAt: string;
  durationMs: number;
  argv: string[];
  options: Record<string, unknown>;
  machine: Machine;
  tools: Record<string, string | null>;
  data: DataDescription[];
  notes: string[];
  workloads: WorkloadResult[];
}

/** The ratio "how many times better is vast", given which direction is better. */
function ratioOf(better: Row['better'], vast: number, baseline: number): number | undefined {
  if (!(vast > 0) || !(baseline > 0)) return undefined;
  return better === 'higher' ? vast / baseline : baseline / vast;
}

/** A row with its ratio filled in. */
export function row(r: Omit<Row, 'ratio'>): Row {
  const ratio = r.baselineValue === undefined ? undefined : ratioOf(r.better, r.vast, r.baselineValue);
  return { ...r, ...(ratio === undefined ? {} : { ratio }) };
}

function formatValue(v: number | undefined, unit: Unit): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  switch (unit) {
    case 'events/s':
      return v >= 1e6 ? `${(v / 1e6).toFixed(2)} M/s` : `${(v / 1e3).toFixed(1)} k/s`;
    case 'ms':
      return v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 2 : 1)} ms`;
    case 'bytes/event':
      return `${v.toFixed(1)} B/ev`;
    case 'bytes':
      return v >= 1 << 30 ? `${(v / 2 ** 30).toFixed(2)} GiB` : `${(v / 2 ** 20).toFixed(1)} MiB`;
    case 'MB':
      return `${v.toFixed(0)} MB`;
    default: {
      const never: never = unit;
      return String(never);
    }
  }
}

const fmtRatio = (r: number | undefined) =>
  r === undefined ? '–' : `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}×`;
const escapeCell = (s: string) => s.replaceAll('|', '\\|');

/** The whole result as Markdown: machine, data, one table of every figure, then notes. */
export function markdown(res: Results): string {
  const m = res.machine;
  const out: string[] = [];
  out.push(`# vast benchmark — ${res.startedAt}`, '');
  out.push(
    `Machine: ${m.cores} × ${m.cpuModel}, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB RAM, node ${m.node}, ${m.os}; ` +
      `load average ${m.loadAverage.join(' ')} at the start; duration ${(res.durationMs / 1000).toFixed(0)} s.`,
  );
  out.push(
    `Tools: ${Object.entries(res.tools)
      .map(([k, v]) => `${k} ${v ?? '(absent)'}`)
      .join('; ')}`,
    '',
  );
  for (const d of res.data)
    out.push(
      `- ${d.kind}: ${d.events.toLocaleString('en-US')} events, ${formatValue(d.bytes, 'bytes')} ` +
        `(${d.replays} replays of ${d.source}${d.cached ? ', cached' : `, generated in ${(d.generateMs / 1000).toFixed(1)} s`})`,
    );
  out.push('');
  out.push('| workload | metric | vast | baseline | baseline value | vast vs baseline | target | met |');
  out.push('|---|---|---:|---|---:|---:|---|---|');
  for (const w of res.workloads) {
    if (w.skipped) {
      out.push(`| ${w.title} | skipped: ${escapeCell(w.skipped)} | | | | | | |`);
      continue;
    }
    for (const r of w.rows) {
      const met = r.met === undefined ? '' : r.met ? 'yes' : '**NO**';
      out.push(
        `| ${escapeCell(w.title)} | ${escapeCell(r.metric)} | ${formatValue(r.vast, r.unit)} | ${escapeCell(r.baseline ?? '')} | ` +
          `${formatValue(r.baselineValue, r.unit)} | ${fmtRatio(r.ratio)} | ${escapeCell(r.target ?? '')} | ${met} |`,
      );
    }
  }
  out.push(
    '',
    '"vast vs baseline" is how many times better vast is (> 1: vast wins; for sizes and times, baseline ÷ vast).',
  );
  const notes = [...res.notes, ...res.workloads.flatMap((w) => w.notes.map((n) => `${w.title}: ${n}`))];
  if (notes.length > 0) out.push('', 'Notes:', ...notes.map((n) => `- ${n}`));
  return `${out.join('\n')}\n`;
}
