import type { Command } from 'commander';
import { dbDir } from '../flags/db.js';
import { backendOf } from '../flags/endpoint.js';
import { queryText } from '../query-text.js';

export function registerCount(program: Command): void {
  const cmd = program
    .command('count')
    .description('count the events that match an expression (default: all; the query may come on stdin)')
    .argument('[query]', 'expression (and pipeline)')
    .option('--estimate', 'an upper bound from the catalog alone, without scanning')
    .option('--explain', 'print the query plan and what the run did to standard error');
  cmd.action(async (arg: string | undefined, flags: { estimate?: boolean; explain?: boolean }) => {
    const backend = await backendOf(cmd);
    const r = await backend.count(await queryText(arg, dbDir(cmd)), {
      estimate: flags.estimate,
      explain: flags.explain,
    });
    process.stdout.write(`${r.count}\n`);
    if (flags.explain && r.explain !== undefined) process.stderr.write(`${r.explain}\n`);
  });
}
