import type { Command } from 'commander';
import { findFormat } from '../../formats/index.js';
import { emptyStats, explain, prepareQuery, runQuery } from '../../query/run.js';
import { Store } from '../../store/store.js';
import { addDbFlag, dbDir } from '../flags/db.js';
import { positiveInt } from '../flags/input.js';
import { openSink } from '../output.js';
import { schemaRegistry } from '../schemas.js';

interface ExportFlags {
  maxEvents?: number;
  write?: string;
  explain?: boolean;
}

export function registerExport(program: Command): void {
  const cmd = program
    .command('export')
    .description('query the store and print matching events')
    .argument('<format>', 'output format: json, csv, zeek, ascii, arrow, parquet')
    .argument('[query]', "expression and pipeline, e.g. 'id.orig_h in 10.0.0.0/8 | head 5' (default: all events)")
    .option('-n, --max-events <n>', 'stop after this many events', (v) => positiveInt(v, '--max-events'))
    .option('-w, --write <file>', 'write to a file instead of standard output')
    .option('--explain', 'print the query plan and what the run did to standard error');
  addDbFlag(cmd).action(async (formatName: string, query: string | undefined, flags: ExportFlags) => {
    const format = findFormat(formatName, 'write');
    const db = dbDir(cmd);
    const store = await Store.open(db);
    const q = prepareQuery(query, store.schemas(), schemaRegistry(db));
    const stats = emptyStats();
    const sink = openSink(flags.write);
    const batches = runQuery(store, q, { maxEvents: flags.maxEvents }, stats);
    for await (const chunk of format.write!(batches, { options: {} })) {
      await sink.write(chunk);
      if (sink.closed) break;
    }
    await sink.close();
    if (flags.explain) process.stderr.write(`${explain(store, q, stats)}\n`);
  });
}
