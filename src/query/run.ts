/**
 * Query execution over the store: choose partitions from the catalog, scan
 * them, filter, and stream batches out.
 *
 * TODO(issue 4): the full VAST expression language (src/expr/) replaces the
 * schema-only selection below; until then an expression may only select
 * schemas: `#schema == "zeek.conn"` (alias `#type`), `#schema != "..."`, or `true`.
 */
import type * as A from 'apache-arrow';
import { UsageError } from '../diagnostics.js';
import type { PartitionEntry } from '../store/catalog.js';
import type { Store } from '../store/store.js';

export interface QueryOptions {
  /** Stop after this many events (`-n`). */
  maxEvents?: number;
}

type SchemaTest = (schema: string) => boolean;

function parseSchemaSelection(expr: string | undefined): SchemaTest {
  const text = (expr ?? '').trim();
  if (text === '' || text === 'true') return () => true;
  const m = /^#(?:schema|type)\s*(==|!=)\s*"([^"]*)"$/.exec(text);
  if (!m) throw new UsageError(`unsupported expression '${text}': only '#schema == "NAME"' is supported yet`);
  return m[1] === '==' ? (s) => s === m[2] : (s) => s !== m[2];
}

export function selectPartitions(store: Store, expr: string | undefined): PartitionEntry[] {
  const test = parseSchemaSelection(expr);
  return store.partitions().filter((p) => test(p.schema));
}

/** Streams the matching events as batches, stopping early at `maxEvents`. */
export async function* runQuery(store: Store, expr: string | undefined, opts: QueryOptions = {}): AsyncIterable<A.RecordBatch> {
  let remaining = opts.maxEvents ?? Number.POSITIVE_INFINITY;
  for (const batch of store.batches(selectPartitions(store, expr))) {
    if (remaining <= 0) return;
    if (batch.numRows > remaining) {
      yield batch.slice(0, remaining);
      return;
    }
    remaining -= batch.numRows;
    yield batch;
  }
}
