import { readFileSync } from 'node:fs';
import type * as A from 'apache-arrow';
import type { Diagnostic } from '../../src/diagnostics.js';
import type { FormatDef } from '../../src/formats/format.js';
import { bytesInput, type ReadOptions, readBatches } from '../../src/formats/read.js';
import { loadRegistry } from '../../src/schemas/registry.js';

export const registry = loadRegistry();

/** Reads a whole input with a format; returns the batches and every diagnostic. */
export async function readAll(
  format: FormatDef,
  input: { path: string } | { text: string | Uint8Array; file?: string },
  opts: Partial<ReadOptions> = {},
): Promise<{ batches: A.RecordBatch[]; diagnostics: Diagnostic[]; rows: number }> {
  const diagnostics: Diagnostic[] = [];
  const bytes = 'path' in input ? readFileSync(input.path) : input.text;
  const file = 'path' in input ? input.path : (input.file ?? '<test>');
  const batches: A.RecordBatch[] = [];
  for await (const b of readBatches(format, bytesInput(bytes, 64 * 1024), {
    file,
    schemas: registry,
    onDiagnostic: (d) => diagnostics.push(d),
    ...opts,
  })) {
    batches.push(b);
  }
  return { batches, diagnostics, rows: batches.reduce((n, b) => n + b.numRows, 0) };
}
