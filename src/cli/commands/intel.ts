/**
 * `vast intel add|list|show|remove` (threat intelligence matched live and
 * retro) and `vast sightings [--follow]` (what it found). Both modes: a
 * database in this process, or a node's API.
 */
import { buffer } from 'node:stream/consumers';
import { type Command, Option } from 'commander';
import type { IntelShow } from '../../detect/detection.js';
import { FEED_FORMATS, type FeedFormat, type FeedProblem } from '../../detect/feeds/index.js';
import type { IndicatorType } from '../../detect/indicator.js';
import type { IntelAddResult } from '../../detect/intel-api.js';
import type { IntelSetSummary } from '../../detect/intel-sets.js';
import { UsageError, VastError } from '../../diagnostics.js';
import { fileInput } from '../../formats/read.js';
import { contentStream, huntLine, huntReportLine, printResult } from '../content.js';
import { backendOf } from '../flags/endpoint.js';
import { textTable } from '../table.js';

const INDICATOR_TYPES: readonly IndicatorType[] = [
  'ip',
  'subnet',
  'domain',
  'url',
  'md5',
  'sha1',
  'sha256',
  'string',
];

interface AddFlags {
  read: string;
  format?: FeedFormat;
  type?: IndicatorType;
  field?: string;
  subdomains?: boolean;
  includeNonIds?: boolean;
  action: string[];
  json?: boolean;
}

const problemLine = (p: FeedProblem, source: string) =>
  `${source}:${p.line}${p.column !== undefined ? `:${p.column}` : ''}: ${p.message}`;

const typeCounts = (types: Record<string, number>) =>
  Object.entries(types)
    .map(([t, n]) => `${n} ${t}`)
    .join(', ') || 'none';

function addReport(name: string, r: IntelAddResult): string {
  const lines = [
    `intel set ${name} revision ${r.set.revision}: ${r.set.indicators} indicators (${typeCounts(r.set.types)}); ${r.added} new, ${r.removed} removed`,
  ];
  if (r.problemCount > 0) lines.push(`${r.problemCount} invalid indicators skipped`);
  if (r.hunt) lines.push(huntReportLine(r.hunt, 'sightings'));
  return lines.join('\n');
}

function listReport(sets: IntelSetSummary[]): string {
  if (sets.length === 0) return 'no intel sets';
  return textTable([
    ['name', 'revision', 'indicators', 'types', 'subdomains', 'actions', 'updated'],
    ...sets.map((s) => [
      s.name,
      String(s.revision),
      String(s.indicators),
      typeCounts(s.types),
      s.subdomains ? 'yes' : 'no',
      s.actions.join(' ') || '-',
      s.updated,
    ]),
  ]);
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function showReport(s: IntelShow): string {
  return [
    `${s.set.name}: revision ${s.set.revision}, updated ${s.set.updated}`,
    `indicators: ${s.set.indicators} (${typeCounts(s.set.types)})`,
    `memory: ${mib(s.memoryBytes)} (matching kernels ${mib(s.kernelBytes)}, indicators ${mib(s.indicatorBytes)})`,
    `subdomains: ${s.set.subdomains ? 'yes' : 'no'}; actions: ${s.set.actions.join(' ') || 'none'}`,
    ...s.hunts.map(huntLine),
    ...(s.sample.length > 0 ? ['first indicators:'] : []),
    ...s.sample.map((i) => `  ${i.type} ${i.field ? `${i.field}=` : ''}${i.value}`),
  ].join('\n');
}

export function registerIntel(program: Command): void {
  const intel = program
    .command('intel')
    .description('threat intelligence sets, matched live on every import and retro on stored events');

  const add = intel
    .command('add')
    .description(
      'load indicators into a set (a set that exists gets its next revision: new indicators are hunted, removed ones stop matching)',
    )
    .argument('<name>', 'the set name')
    .option('-r, --read <file>', 'the feed (default: standard input)', '-')
    .addOption(
      new Option('-f, --format <format>', 'the feed format (default: guessed)').choices(FEED_FORMATS),
    )
    .addOption(
      new Option('--type <type>', 'every indicator has this type (list, csv)').choices(INDICATOR_TYPES),
    )
    .option('--field <name>', 'the field plain-string indicators match (with --type string)')
    .option('--subdomains', 'domain indicators also match their subdomains')
    .option('--include-non-ids', 'MISP: also load attributes not flagged for detection (to_ids: false)')
    .option(
      '--action <action>',
      'for each sighting: webhook=URL (POST JSON), exec=CMD (JSON on stdin), syslog=HOST:PORT (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('--json', 'print the result as JSON');
  add.action(async (name: string, flags: AddFlags) => {
    if (flags.type === 'string' && !flags.field) throw new UsageError('--type string needs --field NAME');
    const source = flags.read === '-' ? '<stdin>' : flags.read;
    const feed = await buffer(fileInput(flags.read));
    const backend = await backendOf(add);
    const r = await backend.intelAdd(name, feed, {
      format: flags.format,
      type: flags.type,
      field: flags.field,
      subdomains: flags.subdomains,
      includeNonIds: flags.includeNonIds,
      actions: flags.action,
      source,
    });
    for (const p of r.problems) process.stderr.write(`${problemLine(p, source)}\n`);
    if (r.problemCount > r.problems.length)
      process.stderr.write(`... and ${r.problemCount - r.problems.length} more\n`);
    printResult(flags.json, r, addReport(name, r));
  });

  const list = intel.command('list').description('the intel sets').option('--json', 'as JSON');
  list.action(async (flags: { json?: boolean }) => {
    const sets = await (await backendOf(list)).intelList();
    printResult(flags.json, sets, listReport(sets));
  });

  const show = intel
    .command('show')
    .description('one set: indicators by type, memory, retro hunts, the first indicators')
    .argument('<name>')
    .option('--json', 'as JSON');
  show.action(async (name: string, flags: { json?: boolean }) => {
    const s = await (await backendOf(show)).intelShow(name);
    printResult(flags.json, s, showReport(s));
  });

  const remove = intel
    .command('remove')
    .description('remove a set: its indicators stop matching; its sightings stay')
    .argument('<name>');
  remove.action(async (name: string) => {
    if (!(await (await backendOf(remove)).intelRemove(name))) throw new VastError(`no intel set '${name}'`);
    process.stdout.write(`removed ${name}\n`);
  });

  contentStream<{ set?: string }>(
    program
      .command('sightings')
      .description(
        'the sightings of intel sets, as JSON lines (with --follow: then new ones, as they happen)',
      )
      .option('--set <name>', 'only the sightings of this set'),
    'vast.sighting',
    (flags) => (flags.set ? [`set == ${JSON.stringify(flags.set)}`] : []),
  );
}
