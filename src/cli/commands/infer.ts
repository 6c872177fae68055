/**
 * `vast infer`: the schemas of an input, as schema yaml that `import -s @FILE` (or a
 * schemas directory) accepts, so a user can name, fix and reuse what a reader inferred.
 */
import type { Command } from 'commander';
import YAML from 'yaml';
import { renderDiagnostic } from '../../diagnostics.js';
import { fileInput, readBatches } from '../../formats/read.js';
import { schemaRegistry } from '../../schemas/load.js';
import { vastSchema } from '../../types/arrow.js';
import { leaves, type Schema, typeToString } from '../../types/type.js';
import { dbDir } from '../flags/db.js';
import { addInputFlags, formatExtras, type InputFlags, inputFormat } from '../flags/input.js';
import { positiveInt } from '../flags/positive-int.js';

interface InferFlags extends InputFlags {
  maxEvents: number;
}

/** Schemas in the project's yaml form: `schemas: {name: {timestamp, fields: {dotted.path: type}}}`. */
function schemasYaml(schemas: readonly Schema[]): string {
  const out: Record<string, unknown> = {};
  for (const s of schemas)
    out[s.name] = {
      ...(s.timestamp ? { timestamp: s.timestamp } : {}),
      fields: Object.fromEntries(leaves(s.type).map((l) => [l.path, typeToString(l.type)])),
    };
  return YAML.stringify({ schemas: out });
}

export function registerInfer(program: Command): void {
  const cmd = program
    .command('infer')
    .description('print the schemas of an input (events read from a file or stdin) as schema yaml')
    .argument('[format]', 'input format (default: from the file extension)')
    .option(
      '-n, --max-events <n>',
      'look at this many events at most',
      (v) => positiveInt(v, '--max-events'),
      10_000,
    );
  addInputFlags(cmd).action(async (name: string | undefined, flags: InferFlags) => {
    const format = inputFormat(name, flags.read);
    const registry = schemaRegistry(dbDir(cmd));
    const input = readBatches(format, fileInput(flags.read), {
      file: flags.read === '-' ? '<stdin>' : flags.read,
      schemas: registry,
      onError: flags.onError,
      batchSize: Math.min(flags.batchSize, flags.maxEvents),
      schema: flags.schema,
      selector: flags.selector,
      extra: formatExtras(flags),
      onDiagnostic: (d) => process.stderr.write(`${renderDiagnostic(d)}\n`),
    });
    // One entry per schema name, in order of appearance; a later layout of a name replaces it.
    const seen = new Map<string, Schema>();
    let events = 0;
    for await (const b of input) {
      const s = vastSchema(b.schema);
      seen.set(s.name, s);
      events += b.numRows;
      if (events >= flags.maxEvents) break;
    }
    process.stdout.write(schemasYaml([...seen.values()]));
  });
}
