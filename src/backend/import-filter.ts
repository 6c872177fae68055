/** What an import keeps: events matching an import filter (`vast import FORMAT EXPR`), at most N (`-n`). */
import type { RecordBatch } from 'apache-arrow';
import { UsageError } from '../diagnostics.js';
import { batchSelector, type PreparedQuery, prepareQuery } from '../query/run.js';
import type { SchemaRegistry } from '../schemas/registry.js';
import { vastSchema } from '../types/arrow.js';

export type BatchFilter = (b: RecordBatch) => RecordBatch | undefined;

/**
 * A query over events read from an input (`vast exec`, import filters): syntax errors throw
 * now; field names are checked once the input's first schema is known (with the known
 * schemas, for inputs of several), as a query on the store checks them against its
 * partitions, so an unknown field is an error and not an empty result.
 */
export function inputQuery(
  text: string,
  registry: SchemaRegistry,
): { select: BatchFilter; pipeline: PreparedQuery['pipeline'] } {
  const q = prepareQuery(text, [], registry);
  let select: BatchFilter | undefined;
  return {
    pipeline: q.pipeline,
    select: (b) => {
      select ??= batchSelector(prepareQuery(text, [...registry.all(), vastSchema(b.schema)], registry));
      return select(b);
    },
  };
}

/** The selector of an import filter; an expression only (pipelines belong to queries). */
export function importFilter(
  expression: string | undefined,
  registry: SchemaRegistry,
): BatchFilter | undefined {
  if (expression === undefined || expression.trim() === '') return undefined;
  const q = inputQuery(expression, registry);
  if (q.pipeline.length > 0)
    throw new UsageError('an import filter is an expression only: pipelines run at export');
  return q.select;
}

/** The batches to store: the matching rows, and no more than `max` events in all. */
export async function* keptBatches(
  batches: AsyncIterable<RecordBatch>,
  select: BatchFilter | undefined,
  max: number | undefined,
): AsyncIterable<RecordBatch> {
  let left = max ?? Number.POSITIVE_INFINITY;
  for await (const b of batches) {
    const kept = select ? select(b) : b;
    if (!kept || kept.numRows === 0) continue;
    const out = kept.numRows > left ? kept.slice(0, left) : kept;
    left -= out.numRows;
    yield out;
    if (left <= 0) return;
  }
}
