/**
 * `vast exec`: run a query (expression and pipeline) over events read from a
 * file or stdin, without storing them; the same evaluator as queries on the
 * store.
 */
import type { RecordBatch } from 'apache-arrow';
import type { Command } from 'commander';
import { inputQuery } from '../../backend/import-filter.js';
import { renderDiagnostic } from '../../diagnostics.js';
import { findFormat } from '../../formats/index.js';
import { fileInput, readBatches } from '../../formats/read.js';
import { runPipeline } from '../../pipeline/parse.js';
import { schemaRegistry } from '../../schemas/load.js';
import { dbDir } from '../flags/db.js';
import { addInputFlags, formatExtras, type InputFlags, inputFormat } from '../flags/input.js';
import { addOutputFlags, type OutputFlags, writerOptions } from '../flags/output.js';
import { writeEvents } from '../output.js';

interface ExecFlags extends InputFlags, OutputFlags {
  format?: string;
  output: string;
  write?: string;
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
  addOutputFlags(addInputFlags(cmd)).action(async (query: string, flags: ExecFlags) => {
    const format = inputFormat(flags.format, flags.read);
    const writer = findFormat(flags.output, 'write');
    const registry = schemaRegistry(dbDir(cmd));
    const q = inputQuery(query, registry);
    const input = readBatches(format, fileInput(flags.read), {
      file: flags.read === '-' ? '<stdin>' : flags.read,
      schemas: registry,
      onError: flags.onError,
      batchSize: flags.batchSize,
      schema: flags.schema,
      selector: flags.selector,
      extra: formatExtras(flags),
      onDiagnostic: (d) => process.stderr.write(`${renderDiagnostic(d)}\n`),
    });
    async function* filtered(): AsyncIterable<RecordBatch> {
      for await (const b of input) {
        const s = q.select(b);
        if (s) yield s;
      }
    }
    await writeEvents(runPipeline(q.pipeline, filtered()), writer, flags.write, writerOptions(flags));
  });
}
