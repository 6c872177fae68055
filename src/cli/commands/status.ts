import type { Command } from 'commander';
import type { Status } from '../../backend/backend.js';
import type { IntelStatus } from '../../detect/detection.js';
import { huntLine } from '../content.js';
import { backendOf } from '../flags/endpoint.js';
import { vastVersion } from '../version.js';

interface SourceLine {
  id: string;
  state: string;
  events: number;
  eventsPerSecond: number;
  endpoint?: string;
}

/** The security content (intel sets, rules) and its retro hunts under way. */
function intelLines(s: Status): string[] {
  const intel = s.intel as IntelStatus | undefined;
  if (!intel) return [];
  return [
    ...(intel.sets > 0
      ? [
          `intel: ${intel.sets} sets, ${intel.indicators} indicators, ${(intel.memoryBytes / 1024 / 1024).toFixed(1)} MiB`,
        ]
      : []),
    ...(intel.rules > 0
      ? [
          `rules: ${intel.rules}${intel.brokenRules > 0 ? ` (${intel.brokenRules} no longer compile: vast rule list)` : ''}`,
        ]
      : []),
    ...intel.hunts.map(huntLine),
  ];
}

/** One line per quarantined file: what failed, so an operator can act on it. */
function quarantineLines(s: Pick<Status, 'quarantined'>): string[] {
  return (s.quarantined ?? []).map(
    (q) =>
      `quarantined: ${q.id}${q.schema ? ` (${q.schema}${q.events !== undefined ? `, ${q.events} events` : ''})` : ''}: ${q.file}: ${q.reason}`,
  );
}

function table(s: Status, extra: string[]): string {
  const rows = s.schemas.map((x) => [x.name, x.partitions, x.events, x.bytes, x.bytesPerEvent.toFixed(1)]);
  rows.push(['total', s.partitions, s.events, s.bytes, s.events ? (s.bytes / s.events).toFixed(1) : '0']);
  const header = ['schema', 'partitions', 'events', 'bytes', 'bytes/event'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r: (string | number)[]) =>
    r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [s.where, line(header), ...rows.map(line), ...extra].join('\n');
}

/**
 * VAST 2's keys (`vast status --json`): `catalog.num-events`, `catalog.num-partitions`,
 * `catalog.schemas.<name>.{num-events,num-partitions}`, with `--detailed` also
 * `catalog.partitions`; `version.VAST`; `system.database-path` where the caller may see it.
 */
function vastStatusKeys(s: Status): Record<string, unknown> {
  const schemas = Object.fromEntries(
    s.schemas.map((x) => [x.name, { 'num-events': x.events, 'num-partitions': x.partitions }]),
  );
  return {
    catalog: {
      'num-events': s.events,
      'num-partitions': s.partitions,
      schemas,
      ...(s.partitionList ? { partitions: s.partitionList } : {}),
    },
    version: { VAST: vastVersion() },
    ...(typeof s.database === 'string' ? { system: { 'database-path': s.database } } : {}),
  };
}

export function registerStatus(program: Command): void {
  const cmd = program
    .command('status')
    .description('partitions, events and bytes per schema (and sources, on a node)')
    .option('--json', "machine-readable output (today's keys and VAST 2's catalog/version/system keys)")
    .option('--detailed', 'also list every partition');
  cmd.action(async (flags: { json?: boolean; detailed?: boolean }) => {
    const backend = await backendOf(cmd);
    const s = await backend.status({ detailed: flags.detailed });
    if (flags.json) {
      const { where: _, partitionList, ...rest } = s;
      const out = { ...rest, ...(partitionList ? { partitions: partitionList } : {}), ...vastStatusKeys(s) };
      return void process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    }
    const sources = ((s.sources as SourceLine[] | undefined) ?? []).map(
      (x) =>
        `source ${x.id}  ${x.state}  ${x.events} events  ${x.eventsPerSecond} events/s  ${x.endpoint ?? ''}`,
    );
    const detail = (s.partitionList ?? []).map(
      (p) => `${p.id}  ${p.schema}  ${p.events} events  ${p.bytes} bytes`,
    );
    process.stdout.write(`${table(s, [...detail, ...sources, ...intelLines(s), ...quarantineLines(s)])}\n`);
  });
}
