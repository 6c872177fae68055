import { type Command, Option } from 'commander';
import { UsageError } from '../../diagnostics.js';
import { findFormat, formatNames, formats, readerOptions } from '../../formats/index.js';
import {
  addOptionFlags,
  type OptionDefs,
  type OptionValues,
  optionFlagValues,
} from '../../formats/options.js';
import type { OnError } from '../../formats/read.js';
import { positiveInt } from './positive-int.js';

export interface InputFlags {
  read: string;
  schema?: string;
  selector?: string;
  onError: OnError;
  batchSize: number;
}

/** Every reader's declared options, one flat set for `vast import` (formats/index.ts). */
const readerOptionDefs: OptionDefs = Object.fromEntries([...readerOptions].map(([n, { def }]) => [n, def]));

/** Format-specific options (pcap's flow options, as VAST named them), for `ReaderOptions.extra`. */
export function formatExtras(flags: InputFlags): OptionValues {
  return optionFlagValues(readerOptionDefs, flags as unknown as Record<string, unknown>);
}

/** Flags shared by everything that reads events: import, infer, exec. */
export function addInputFlags(cmd: Command): Command {
  cmd
    .option('-r, --read <file>', 'read from a file instead of standard input (- for stdin)', '-')
    .option('--schema <name>', 'type events with this schema (json, csv)')
    .option('--selector <field:prefix>', 'pick the schema by a field, e.g. event_type:suricata (json)')
    .addOption(
      new Option('--on-error <policy>', 'what to do with a malformed event: skip it (and count) or fail')
        .choices(['skip', 'fail'])
        .default('skip'),
    )
    .option('--batch-size <n>', 'events per batch', (v) => positiveInt(v, '--batch-size'), 65_536);
  // Each reader's own options, from its declaration, with the formats they belong to.
  for (const [name, { def, formats }] of readerOptions)
    addOptionFlags(cmd, { [name]: def }, `format '${formats.join("' and '")}'`, `${formats.join(', ')}: `);
  return cmd;
}

/** The input format: given, or by the file's extension (exec, infer). */
export function inputFormat(name: string | undefined, read: string) {
  if (name) return findFormat(name, 'read');
  const byExt = formats.find((f) => f.read && f.extensions.some((e) => read.endsWith(e)));
  if (!byExt)
    throw new UsageError(`cannot tell the input format: name it (${formatNames('read').join(', ')})`);
  return byExt;
}
