/** `vast explore [-A/-B/-C DURATION] [--by FIELD] EXPR`: the events around the matches (see query/explore.ts). */
import type { Command } from 'commander';
import { UsageError } from '../../diagnostics.js';
import { findFormat } from '../../formats/index.js';
import { EXPLORE_DEFAULTS, explore } from '../../query/explore.js';
import { parseDuration } from '../../types/duration.js';
import { backendOf } from '../flags/endpoint.js';
import { positiveInt } from '../flags/positive-int.js';
import { writeEvents } from '../output.js';

interface ExploreFlags {
  after?: bigint;
  before?: bigint;
  context?: bigint;
  by?: string;
  maxEvents: number;
  maxEventsQuery: number;
  format: string;
  write?: string;
}

function duration(flag: string) {
  return (text: string): bigint => {
    const ns = parseDuration(text);
    if (ns === undefined || ns < 0n)
      throw new UsageError(`${flag} expects a duration such as 30s, 3min or 1h, got '${text}'`);
    return ns;
  };
}

export function registerExplore(program: Command): void {
  const cmd = program
    .command('explore')
    .description(
      'the events in a time box around each match of EXPR (and with the same --by value), e.g. vast explore --after=3min \'uid == "Yaix3QBP3Xg"\'',
    )
    .argument('<expr>', 'expression selecting the events to explore from')
    .option('-A, --after <duration>', 'include events up to this long after each match', duration('--after'))
    .option(
      '-B, --before <duration>',
      'include events up to this long before each match',
      duration('--before'),
    )
    .option('-C, --context <duration>', 'both --before and --after', duration('--context'))
    .option('--by <field>', "only events whose FIELD equals the match's FIELD")
    .option(
      '-n, --max-events <n>',
      'at most this many events in all',
      (v) => positiveInt(v, '--max-events'),
      EXPLORE_DEFAULTS.maxEvents,
    )
    .option(
      '--max-events-query <n>',
      'at most this many matches of EXPR open a time box',
      (v) => positiveInt(v, '--max-events-query'),
      EXPLORE_DEFAULTS.maxEventsQuery,
    )
    .option('-f, --format <name>', 'output format', 'json')
    .option('-w, --write <file>', 'write to a file instead of standard output');
  cmd.action(async (expr: string, flags: ExploreFlags) => {
    const before = flags.before ?? flags.context;
    const after = flags.after ?? flags.context;
    if (before === undefined && after === undefined && !flags.by)
      throw new UsageError('explore needs --after, --before, --context or --by');
    const format = findFormat(flags.format, 'write');
    const backend = await backendOf(cmd);
    const batches = explore((q, o) => backend.query(q, o), expr, await backend.schemas(), {
      before,
      after,
      by: flags.by,
      maxEvents: flags.maxEvents,
      maxEventsQuery: flags.maxEventsQuery,
    });
    await writeEvents(batches, format, flags.write);
  });
}
