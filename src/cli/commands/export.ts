import type { Command } from 'commander';
import { findFormat, formatNames } from '../../formats/index.js';
import { dbDir } from '../flags/db.js';
import { backendOf } from '../flags/endpoint.js';
import { addOutputFlags, type OutputFlags, writerOptions } from '../flags/output.js';
import { positiveInt } from '../flags/positive-int.js';
import { writeEvents } from '../output.js';
import { queryText } from '../query-text.js';

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
    .description('query the store and print matching events (the query may come on stdin)')
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
  addOutputFlags(cmd).action(async (formatName: string, arg: string | undefined, flags: ExportFlags) => {
    const format = findFormat(formatName, 'write');
    const query = await queryText(arg, dbDir(cmd));
    const backend = await backendOf(cmd);
    // Ctrl-C cancels the query (a local scan between two slices of work; a node's request).
    const abort = new AbortController();
    const batches = backend.query(query, {
      maxEvents: flags.maxEvents,
      continuous: flags.continuous,
      unified: flags.unified,
      signal: abort.signal,
    });
    // A live query ends on Ctrl-C: what was printed stays, and the exit is clean.
    process.once('SIGINT', () => {
      abort.abort();
      process.stdout.write('', () => process.exit(0));
    });
    await writeEvents(batches, format, flags.write, writerOptions(flags));
    if (flags.explain) process.stderr.write(`${await backend.explain(query)}\n`);
  });
}
