import type { Command } from 'commander';
import { countQuery, emptyStats, explain, plan, prepareQuery } from '../../query/run.js';
import { schemaRegistry } from '../../schemas/load.js';
import { Store } from '../../store/store.js';
import { addDbFlag, dbDir } from '../flags/db.js';
import { addEndpointFlags, nodeClient } from '../flags/endpoint.js';

export function registerCount(program: Command): void {
  const cmd = program
    .command('count')
    .description('count the events that match an expression (default: all)')
    .argument('[query]', 'expression (and pipeline)')
    .option('--estimate', 'an upper bound from the catalog alone, without scanning')
    .option('--explain', 'print the query plan and what the run did to standard error');
  addEndpointFlags(addDbFlag(cmd)).action(
    async (query: string | undefined, flags: { estimate?: boolean; explain?: boolean }) => {
      const client = await nodeClient(cmd);
      let n = 0;
      if (client) {
        // Count on the node: only the number travels back.
        const text = `${query?.trim() ? `${query} | ` : ''}summarize n=count()`;
        for await (const b of client.export(text)) n += Number(b.getChild('n')?.get(0) ?? 0);
      } else {
        const db = dbDir(cmd);
        const store = await Store.open(db);
        const q = prepareQuery(query, store.schemas(), schemaRegistry(db));
        const stats = emptyStats();
        if (flags.estimate) for (const p of plan(store, q, stats)) n += p.events;
        else n = await countQuery(store, q, stats);
        if (flags.explain) process.stderr.write(`${explain(store, q, stats)}\n`);
      }
      process.stdout.write(`${n}\n`);
    },
  );
}
