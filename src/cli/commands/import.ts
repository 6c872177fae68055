import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Backend } from '../../backend/backend.js';
import { importFilter, keptBatches } from '../../backend/import-filter.js';
import { RemoteBackend } from '../../backend/remote.js';
import {
  type Diagnostic,
  InputError,
  renderDiagnostic,
  renderError,
  UsageError,
  VastError,
} from '../../diagnostics.js';
import { findFormat, formatNames } from '../../formats/index.js';
import { fileInput, type ReadStats, readBatches } from '../../formats/read.js';
import { schemaRegistry } from '../../schemas/load.js';
import type { SchemaRegistry } from '../../schemas/registry.js';
import { dbDir } from '../flags/db.js';
import { backendOf } from '../flags/endpoint.js';
import { addInputFlags, formatExtras, type InputFlags } from '../flags/input.js';
import { positiveInt } from '../flags/positive-int.js';
import { Progress } from '../progress.js';

/** How many skipped-event errors are printed before they are only counted. */
const MAX_PRINTED_ERRORS = 20;

export function registerImport(program: Command): void {
  const cmd = program
    .command('import')
    .description('parse events from stdin or a file and store them (gzip and zstd inputs are detected)')
    .argument('<format>', `input format: ${formatNames('read').join(', ')}`)
    .argument('[expression]', 'store only the events that match, e.g. \'#type != "suricata.stats"\'')
    .option('-t, --type <schema>', 'type events with this schema (as --schema), e.g. -t argus.record')
    .option('-s, --schema-file <file>', 'schema definitions (yaml) to use for this import; also -s @FILE')
    .option('-n, --max-events <n>', 'stop after this many events', (v) => positiveInt(v, '--max-events'))
    .option('-b, --blocking', 'return only when the events are queryable (on a node: flushed to partitions)');
  addInputFlags(cmd).action(async (format: string, expression: string | undefined, flags: ImportFlags) => {
    const all = { ...flags, maxPartitionSize: cmd.optsWithGlobals().maxPartitionSize as number | undefined };
    process.exitCode = await runImport(format, expression, all, await backendOf(cmd), dbDir(cmd));
  });
}

interface ImportFlags extends InputFlags {
  maxPartitionSize?: number;
  type?: string;
  schemaFile?: string;
  maxEvents?: number;
  blocking?: boolean;
}

/** The schemas of an import: the database's, plus a `--schema-file` given for this import. */
function importSchemas(db: string, file: string | undefined): SchemaRegistry {
  const registry = schemaRegistry(db);
  if (file === undefined) return registry;
  const path = file.startsWith('@') ? file.slice(1) : file;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read --schema-file ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  registry.loadYaml(text, path);
  return registry;
}

async function runImport(
  formatName: string,
  expression: string | undefined,
  flags: ImportFlags,
  backend: Backend,
  db: string,
): Promise<number> {
  const format = findFormat(formatName, 'read');
  const schemas = importSchemas(db, flags.schemaFile);
  const select = importFilter(expression, schemas);
  const importer = await backend.importer({
    atomic: flags.onError === 'fail',
    partitionSize: flags.maxPartitionSize,
    blocking: flags.blocking,
  });
  const remote = backend instanceof RemoteBackend;
  const file = flags.read === '-' ? '<stdin>' : flags.read;
  const stats: ReadStats = { errors: 0, warnings: 0 };
  let printed = 0;
  const onDiagnostic = (d: Diagnostic) => {
    if (printed++ < MAX_PRINTED_ERRORS || flags.onError === 'fail' || !d.recoverable)
      process.stderr.write(`${renderDiagnostic(d)}\n`);
  };
  const progress = new Progress();
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  process.once('SIGINT', onSigint);
  let failure: unknown;
  try {
    const read = readBatches(
      format,
      progress.counting(fileInput(flags.read)),
      {
        file,
        schemas,
        onError: flags.onError,
        batchSize: flags.batchSize,
        schema: flags.schema ?? flags.type,
        selector: flags.selector,
        extra: formatExtras(flags),
        onDiagnostic,
      },
      stats,
    );
    for await (const batch of keptBatches(read, select, flags.maxEvents)) {
      await importer.add(batch);
      progress.update(batch.numRows);
      if (interrupted) break;
    }
  } catch (e) {
    failure = e;
  } finally {
    process.off('SIGINT', onSigint);
    progress.done();
  }
  // Under --on-error=fail nothing is kept; otherwise whatever was read before a fatal error is.
  if (failure && flags.onError === 'fail') {
    await importer.abort();
    if (!(failure instanceof InputError)) process.stderr.write(`${renderError(failure)}\n`);
    process.stderr.write(
      remote
        ? 'error: import aborted; batches the node acknowledged before the error are kept\n'
        : 'error: import aborted, nothing was stored (--on-error=fail)\n',
    );
    return 1;
  }
  const summary = await importer.commit();
  if (failure && !(failure instanceof VastError)) throw failure;
  if (failure && !(failure instanceof InputError)) process.stderr.write(`${renderError(failure)}\n`);
  const schemasText = Object.entries(summary.schemas)
    .map(([n, c]) => `${n}: ${c}`)
    .join(', ');
  const skipped =
    stats.errors > 0 ? `; skipped ${stats.errors} invalid event${stats.errors === 1 ? '' : 's'}` : '';
  if (process.stderr.isTTY || stats.errors > 0 || failure)
    process.stderr.write(
      `imported ${summary.events} events${schemasText ? ` (${schemasText})` : ''} in ${progress.elapsed()}${skipped}\n`,
    );
  return failure ? 1 : 0;
}
