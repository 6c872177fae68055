/**
 * Writer flags shared by the commands that print events (`export`, `exec`):
 * declared once here, handed to the writer as `WriterContext.options`.
 * VAST 2 names where VAST had the option (`--omit-nulls`, `--numeric-durations`).
 */
import type { Command } from 'commander';
import type { WriterContext } from '../../formats/format.js';

export interface OutputFlags {
  nested?: boolean;
  omitNulls?: boolean;
  numericDurations?: boolean;
}

export function addOutputFlags(cmd: Command): Command {
  return cmd
    .option('--nested', 'json: records as nested objects instead of flattened dotted keys ("id.orig_h")')
    .option('--omit-nulls', 'json: leave out fields whose value is null')
    .option(
      '--numeric-durations',
      'json: durations as seconds (a number) instead of VAST literals ("1.63ms")',
    );
}

/** The writer options the flags ask for. */
export function writerOptions(flags: OutputFlags): WriterContext['options'] {
  return {
    nested: flags.nested === true,
    'omit-nulls': flags.omitNulls === true,
    'numeric-durations': flags.numericDurations === true,
  };
}
