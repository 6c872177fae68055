import type { Command } from 'commander';
import { runQuery, selectPartitions } from '../../query/run.js';
import { Store } from '../../store/store.js';
import { addDbFlag, dbDir } from '../flags/db.js';

export function registerCount(program: Command): void {
  const cmd = program
    .command('count')
    .description('count the events that match an expression (default: all)')
    .argument('[expression]', 'which events')
    .option('--estimate', 'an upper bound from the catalog alone, without scanning');
  addDbFlag(cmd).action(async (expr: string | undefined, flags: { estimate?: boolean }) => {
    const store = await Store.open(dbDir(cmd));
    let n = 0;
    if (flags.estimate) for (const p of selectPartitions(store, expr)) n += p.events;
    else for await (const b of runQuery(store, expr)) n += b.numRows;
    process.stdout.write(`${n}\n`);
  });
}
