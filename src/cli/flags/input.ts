import { type Command, Option } from 'commander';
import { UsageError } from '../../diagnostics.js';
import { findFormat, formats } from '../../formats/index.js';
import type { OnError } from '../../formats/read.js';

export interface InputFlags {
  read: string;
  schema?: string;
  selector?: string;
  onError: OnError;
  batchSize: number;
  cutoff?: number;
  maxFlows?: number;
  maxFlowAge?: number;
  flowExpiry?: number;
  payload?: boolean;
}

/** Format-specific options (pcap's flow options, as VAST named them), for `ReaderOptions.extra`. */
export function formatExtras(flags: InputFlags): Record<string, number | boolean | undefined> {
  return {
    cutoff: flags.cutoff,
    'max-flows': flags.maxFlows,
    'max-flow-age': flags.maxFlowAge,
    'flow-expiry': flags.flowExpiry,
    payload: flags.payload,
  };
}

/** Flags shared by everything that reads events: import, infer, exec. */
export function addInputFlags(cmd: Command): Command {
  return cmd
    .option('-r, --read <file>', 'read from a file instead of standard input (- for stdin)', '-')
    .option('--schema <name>', 'type events with this schema (json, csv)')
    .option('--selector <field:prefix>', 'pick the schema by a field, e.g. event_type:suricata (json)')
    .addOption(
      new Option('--on-error <policy>', 'what to do with a malformed event: skip it (and count) or fail')
        .choices(['skip', 'fail'])
        .default('skip'),
    )
    .option('--batch-size <n>', 'events per batch', (v) => positiveInt(v, '--batch-size'), 65_536)
    .option('-c, --cutoff <bytes>', 'pcap: payload bytes per flow after which packets are dropped', (v) =>
      nonNegativeInt(v, '--cutoff'),
    )
    .option('--max-flows <n>', 'pcap: flows tracked for --cutoff', (v) => positiveInt(v, '--max-flows'))
    .option('--max-flow-age <seconds>', 'pcap: forget flows idle this long', (v) =>
      positiveInt(v, '--max-flow-age'),
    )
    .option('--flow-expiry <seconds>', 'pcap: how often idle flows are cleared', (v) =>
      positiveInt(v, '--flow-expiry'),
    )
    .option('--payload', 'pcap: keep packet payloads (base64)');
}

export function nonNegativeInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} expects a non-negative integer, got '${v}'`);
  return n;
}

export function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} expects a positive integer, got '${v}'`);
  return n;
}

/** The input format: given, or by the file's extension (exec, infer). */
export function inputFormat(name: string | undefined, read: string) {
  if (name) return findFormat(name, 'read');
  const byExt = formats.find((f) => f.read && f.extensions.some((e) => read.endsWith(e)));
  if (!byExt)
    throw new UsageError(
      `cannot tell the input format: name it (${formats
        .filter((f) => f.read)
        .map((f) => f.name)
        .join(', ')})`,
    );
  return byExt;
}
