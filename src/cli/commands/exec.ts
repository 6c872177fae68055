/**
 * `vast exec`: run a query (expression and pipeline) over events read from a
 * file or stdin, without storing them; the same evaluator as queries on the
 * store.
 */
import type { RecordBatch } from 'apache-arrow';
import type { Command } from 'commander';
import { formatDiagnostic, UsageError } from '../../diagnostics.js';
import { findFormat, formats } from '../../formats/index.js';
import { fileInput, readBatches } from '../../formats/read.js';
import { runPipeline } from '../../pipeline/parse.js';
import { batchSelector, prepareQuery } from '../../query/run.js';
import { vastSchema } from '../../types/arrow.js';
import { dbDir } from '../flags/db.js';
import { addInputFlags, formatExtras, type InputFlags } from '../flags/input.js';
import { openSink } from '../output.js';
import { schemaRegistry } from '../schemas.js';

interface ExecFlags extends InputFlags {
  format?: string;
  output: string;
  write?: string;
}

/** The input format: given, or by the file's extension. */
function inputFormat(flags: ExecFlags) {
  if (flags.format) return findFormat(flags.format, 'read');
  const byExt = formats.find((f) => f.read && f.extensions.some((e) => flags.read.endsWith(e)));
  if (!byExt)
    throw new UsageError(
      'cannot tell the input format: pass --format (zeek, suricata, json, csv, pcap, ...)',
    );
  return byExt;
}

export function registerExec(program: Command): void {
  const cmd = program
    .command('exec')
    .description(
      'run a query over events from a file or stdin without storing them, e.g. vast exec -r conn.log \'proto == "udp" | top service\'',
    )
    .argument('<query>', 'expression and/or pipeline')
    .option('-f, --format <name>', 'input format (default: from the file extension)')
    .option('-o, --output <name>', 'output format', 'json')
    .option('-w, --write <file>', 'write to a file instead of standard output');
  addInputFlags(cmd).action(async (query: string, flags: ExecFlags) => {
    const format = inputFormat(flags);
    const writer = findFormat(flags.output, 'write');
    const registry = schemaRegistry(dbDir(cmd));
    // Syntax errors before any input is read.
    const q = prepareQuery(query, [], registry);
    const input = readBatches(format, fileInput(flags.read), {
      file: flags.read === '-' ? '<stdin>' : flags.read,
      schemas: registry,
      onError: flags.onError,
      batchSize: flags.batchSize,
      schema: flags.schema,
      selector: flags.selector,
      extra: formatExtras(flags),
      onDiagnostic: (d) => process.stderr.write(`${formatDiagnostic(d)}\n`),
    });
    async function* filtered(): AsyncIterable<RecordBatch> {
      let select: ReturnType<typeof batchSelector> | undefined;
      for await (const b of input) {
        // Field names are checked once the input's first schema is known (with the known
        // schemas, for inputs of several), as a query on the store checks them against its
        // partitions: an unknown field is an error, not an empty result.
        select ??= batchSelector(prepareQuery(query, [...registry.all(), vastSchema(b.schema)], registry));
        const s = select(b);
        if (s) yield s;
      }
    }
    const sink = openSink(flags.write);
    for await (const chunk of writer.write!(runPipeline(q.pipeline, filtered()), { options: {} })) {
      await sink.write(chunk);
      if (sink.closed) break;
    }
    await sink.close();
  });
}
