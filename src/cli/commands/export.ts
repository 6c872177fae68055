import type { RecordBatch } from 'apache-arrow';
import type { Command } from 'commander';
import { UsageError } from '../../diagnostics.js';
import { findFormat, formatNames } from '../../formats/index.js';
import { emptyStats, explain, prepareQuery, QueryBudget, runQuery } from '../../query/run.js';
import { schemaRegistry } from '../../schemas/load.js';
import { Store } from '../../store/store.js';
import { addDbFlag, dbDir } from '../flags/db.js';
import { addEndpointFlags, nodeClient } from '../flags/endpoint.js';
import { positiveInt } from '../flags/input.js';
import { addOutputFlags, type OutputFlags, writerOptions } from '../flags/output.js';
import { openSink } from '../output.js';

interface ExportFlags extends OutputFlags {
  maxEvents?: number;
  write?: string;
  explain?: boolean;
  continuous?: boolean;
  unified?: boolean;
}

export function registerExport(program: Command): void {
  const cmd = program
    .command('export')
    .description('query the store and print matching events')
    .argument('<format>', `output format: ${formatNames('write').join(', ')}`)
    .argument(
      '[query]',
      "expression and pipeline, e.g. 'id.orig_h in 10.0.0.0/8 | head 5' (default: all events)",
    )
    .option('-n, --max-events <n>', 'stop after this many events', (v) => positiveInt(v, '--max-events'))
    .option('-w, --write <file>', 'write to a file instead of standard output')
    .option(
      '--continuous',
      'live query: print new matching events as they arrive, until interrupted (needs a node)',
    )
    .option('--unified', 'historical matches, then live ones, without gaps or duplicates (needs a node)')
    .option('--explain', 'print the query plan and what the run did to standard error');
  addEndpointFlags(addDbFlag(addOutputFlags(cmd))).action(
    async (formatName: string, query: string | undefined, flags: ExportFlags) => {
      const format = findFormat(formatName, 'write');
      const client = await nodeClient(cmd);
      let batches: AsyncIterable<RecordBatch>;
      let report: (() => string) | undefined;
      // Ctrl-C cancels a local scan between two slices of work (the scan yields, so the handler runs).
      const abort = new AbortController();
      if (client) {
        batches = client.export(query, {
          maxEvents: flags.maxEvents,
          continuous: flags.continuous,
          unified: flags.unified,
        });
      } else {
        if (flags.continuous || flags.unified)
          throw new UsageError('--continuous and --unified need a running node (vast start)');
        const db = dbDir(cmd);
        const store = await Store.open(db);
        const q = prepareQuery(query, store.schemas(), schemaRegistry(db));
        const stats = emptyStats();
        batches = runQuery(
          store,
          q,
          { maxEvents: flags.maxEvents, budget: new QueryBudget(undefined, abort.signal) },
          stats,
        );
        report = () => explain(store, q, stats);
      }
      const sink = openSink(flags.write);
      // A live query ends on Ctrl-C: what was printed stays, and the exit is clean.
      process.once('SIGINT', () => {
        abort.abort();
        process.stdout.write('', () => process.exit(0));
      });
      for await (const chunk of format.write!(batches, { options: writerOptions(flags) })) {
        await sink.write(chunk);
        if (sink.closed) break;
      }
      await sink.close();
      if (flags.explain)
        process.stderr.write(
          `${report ? report() : 'explain: the plan of a query on a node is in its log'}\n`,
        );
    },
  );
}
