import type { RecordBatch } from 'apache-arrow';
import type { Command } from 'commander';
import { type Diagnostic, InputError, renderDiagnostic, renderError, VastError } from '../../diagnostics.js';
import { findFormat, formatNames } from '../../formats/index.js';
import { fileInput, type ReadStats, readBatches } from '../../formats/read.js';
import type { NodeClient } from '../../node/client.js';
import { schemaRegistry } from '../../schemas/load.js';
import { refuseIfServed } from '../../store/holder.js';
import { Store } from '../../store/store.js';
import { schemaName } from '../../types/arrow.js';
import { AsyncQueue } from '../../util/async-queue.js';
import { addDbFlag, dbDir } from '../flags/db.js';
import { addEndpointFlags, nodeClient } from '../flags/endpoint.js';
import { addInputFlags, formatExtras, type InputFlags, positiveInt } from '../flags/input.js';
import { Progress } from '../progress.js';

/** How many skipped-event errors are printed before they are only counted. */
const MAX_PRINTED_ERRORS = 20;

export function registerImport(program: Command): void {
  const cmd = program
    .command('import')
    .description('parse events from stdin or a file and store them (gzip and zstd inputs are detected)')
    .argument('<format>', `input format: ${formatNames('read').join(', ')}`);
  cmd.option('--max-partition-size <n>', 'events per partition', (v) =>
    positiveInt(v, '--max-partition-size'),
  );
  addEndpointFlags(addDbFlag(addInputFlags(cmd))).action(async (format: string, flags: ImportFlags) => {
    const client = await nodeClient(cmd);
    process.exitCode = await runImport(format, flags, dbDir(cmd), client);
  });
}

interface ImportFlags extends InputFlags {
  maxPartitionSize?: number;
}

/** Where parsed batches go: the local store, or a node (each batch acknowledged once durable there). */
interface BatchSink {
  add(batch: RecordBatch): Promise<void>;
  commit(): Promise<{ events: number; schemas: Record<string, number> }>;
  abort(): Promise<void>;
}

function remoteSink(client: NodeClient): BatchSink {
  const queue = new AsyncQueue<RecordBatch>();
  const acked = { events: 0, schemas: {} as Record<string, number> };
  const sending = client.importBatches(queue, (b) => {
    acked.events += b.numRows;
    const name = schemaName(b);
    acked.schemas[name] = (acked.schemas[name] ?? 0) + b.numRows;
  });
  sending.catch(() => queue.close());
  return {
    add: (b) => queue.push(b),
    commit: async () => {
      queue.close();
      await sending;
      return acked;
    },
    abort: async () => {
      queue.close();
      await sending.catch(() => {});
    },
  };
}

/** The local database, for an import without a node (refused while a node serves it). */
function openForEmbeddedWrite(db: string): Promise<Store> {
  refuseIfServed(db, 'import into');
  return Store.open(db, { create: true });
}

async function runImport(
  formatName: string,
  flags: ImportFlags,
  db: string,
  client?: NodeClient,
): Promise<number> {
  const format = findFormat(formatName, 'read');
  const schemas = schemaRegistry(db);
  const importer: BatchSink = client
    ? remoteSink(client)
    : await (await openForEmbeddedWrite(db)).importer({
        atomic: flags.onError === 'fail',
        partitionSize: flags.maxPartitionSize,
      });
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
    const batches = readBatches(
      format,
      progress.counting(fileInput(flags.read)),
      {
        file,
        schemas,
        onError: flags.onError,
        batchSize: flags.batchSize,
        schema: flags.schema,
        selector: flags.selector,
        extra: formatExtras(flags),
        onDiagnostic,
      },
      stats,
    );
    for await (const batch of batches) {
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
      client
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
