/**
 * What the commands of security content (`vast intel`, `vast rule`) print in
 * common: how a retro hunt went or goes, and the stream of what content
 * found (`vast sightings`, `vast alerts`).
 */
import type { Command } from 'commander';
import type { HuntProgress } from '../detect/detection.js';
import type { HuntReport } from '../detect/hunt-report.js';
import { findFormat } from '../formats/index.js';
import { backendOf } from './flags/endpoint.js';
import { addOutputFlags, type OutputFlags, writerOptions } from './flags/output.js';
import { positiveInt } from './flags/positive-int.js';
import { writeEvents } from './output.js';

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What the synopses spared a hunt, for its report line. */
function prunedNote(partitions: number, groups: number): string {
  const parts = [
    ...(partitions > 0 ? [plural(partitions, 'partition')] : []),
    ...(groups > 0 ? [plural(groups, 'row group')] : []),
  ];
  return parts.length > 0 ? ` (${parts.join(' and ')} ruled out by their synopses, not read)` : '';
}

/** The line for the hunt an addition started: its result, or where to see its progress. */
export const huntReportLine = (h: HuntReport, found: 'sightings' | 'alerts') =>
  h.done
    ? `retro hunt: ${h.found ?? 0} ${found} in ${plural(h.partitions, 'partition')}${prunedNote(h.skipped ?? 0, h.skippedGroups ?? 0)}`
    : `retro hunt ${h.id} started over ${h.partitions} partitions ('vast status' shows its progress)`;

/** A hunt under way, as `vast status` and `show` print it. */
export const huntLine = (h: HuntProgress) =>
  `retro hunt ${h.id}: ${h.done}/${h.partitions} partitions, ` +
  (h.kind === 'intel'
    ? `${h.sightings} sightings, ${h.indicators} indicators`
    : `${h.alerts} alerts, ${plural(h.rules.length, 'rule')}`);

export const printResult = (json: boolean | undefined, value: unknown, text: string) =>
  process.stdout.write(`${json ? JSON.stringify(value, null, 2) : text}\n`);

/**
 * A command printing the events of an internal schema that content writes
 * (`vast.sighting`, `vast.alert`) as JSON lines, narrowed by `filter` of its
 * flags; with `--follow`, then the new ones as they happen.
 */
export function contentStream<F extends object>(
  cmd: Command,
  schema: string,
  filter: (flags: F) => string[],
): void {
  cmd
    .option('--follow', 'keep printing new ones until interrupted (needs a node)')
    .option('-n, --max-events <n>', 'stop after this many', (v) => positiveInt(v, '--max-events'));
  addOutputFlags(cmd).action(async (flags: F & OutputFlags & { follow?: boolean; maxEvents?: number }) => {
    const backend = await backendOf(cmd);
    const query = [`#schema == ${JSON.stringify(schema)}`, ...filter(flags)].join(' && ');
    const abort = new AbortController();
    process.once('SIGINT', () => {
      abort.abort();
      process.stdout.write('', () => process.exit(0));
    });
    const batches = backend.query(query, {
      unified: flags.follow,
      maxEvents: flags.maxEvents,
      signal: abort.signal,
    });
    await writeEvents(batches, findFormat('json', 'write'), undefined, writerOptions(flags));
  });
}
