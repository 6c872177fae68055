import type { Command } from 'commander';
import { findFormat } from '../../formats/index.js';
import { runQuery } from '../../query/run.js';
import { Store } from '../../store/store.js';
import { addDbFlag, dbDir } from '../flags/db.js';
import { positiveInt } from '../flags/input.js';
import { openSink } from '../output.js';

interface ExportFlags {
  maxEvents?: number;
  write?: string;
}

export function registerExport(program: Command): void {
  const cmd = program
    .command('export')
    .description('query the store and print matching events')
    .argument('<format>', 'output format: json, csv, zeek, ascii, arrow, parquet')
    .argument('[expression]', 'which events (default: all)')
    .option('-n, --max-events <n>', 'stop after this many events', (v) => positiveInt(v, '--max-events'))
    .option('-w, --write <file>', 'write to a file instead of standard output');
  addDbFlag(cmd).action(async (formatName: string, expr: string | undefined, flags: ExportFlags) => {
    const format = findFormat(formatName, 'write');
    const store = await Store.open(dbDir(cmd));
    const sink = openSink(flags.write);
    const batches = runQuery(store, expr, { maxEvents: flags.maxEvents });
    for await (const chunk of format.write!(batches, { options: {} })) {
      await sink.write(chunk);
      if (sink.closed) break;
    }
    await sink.close();
  });
}
