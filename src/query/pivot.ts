/**
 * `vast pivot TYPE EXPR` (VAST 2's pivoter): the events of schema TYPE related
 * to the matches of EXPR. The link is Zeek's `uid` when both sides are Zeek
 * logs, else the Community ID (`community_id`, written by Suricata, by Zeek with
 * the community-id package, and by pcap). For each batch of matches, the
 * values not asked for yet become one follow-up query
 * `#schema == "TYPE" && FIELD in [v1, v2, ...]`; matches without the field
 * or with a null there are skipped, as in VAST.
 */
import type { RecordBatch } from 'apache-arrow';
import type { Literal } from '../expr/ast.js';
import { printLiteral } from '../expr/print.js';
import { schemaOf } from '../pipeline/batch-ops.js';
import { fieldColumn } from './field-values.js';

/** Runs a query (expression and pipeline text) and streams its result batches: the CLI's local or remote backend. */
export type RunQuery = (query: string, opts?: { maxEvents?: number }) => AsyncIterable<RecordBatch>;

/** Values per follow-up query: bounds the query text (VAST asked once per result batch). */
const MAX_VALUES_PER_QUERY = 1024;

/** The field that links events of schema `source` to events of schema `target`. */
function pivotField(source: string, target: string): 'uid' | 'community_id' {
  return source.startsWith('zeek') && target.startsWith('zeek') ? 'uid' : 'community_id';
}

/** The follow-up query for events of `target` whose `field` is one of `values`. */
function pivotQuery(target: string, field: string, values: readonly Literal[]): string {
  return `#schema == ${JSON.stringify(target)} && ${field} in [${values.map(printLiteral).join(', ')}]`;
}

/**
 * The events of schema `target` related to the matches of `expr`, each at most
 * once. The matches are read to the end before the related events stream.
 */
export async function* pivot(run: RunQuery, target: string, expr: string): AsyncIterable<RecordBatch> {
  const asked = new Map<string, Set<string>>();
  const queries: string[] = [];
  for await (const batch of run(expr)) {
    const field = pivotField(schemaOf(batch).name, target);
    const column = fieldColumn(batch, field);
    if (!column) continue;
    const seen = asked.get(field) ?? new Set<string>();
    asked.set(field, seen);
    let values: Literal[] = [];
    for (let i = 0; i < batch.numRows; i++) {
      const v = column.at(i);
      if (!v) continue;
      const key = printLiteral(v);
      if (seen.has(key)) continue;
      seen.add(key);
      values.push(v);
      if (values.length === MAX_VALUES_PER_QUERY) {
        queries.push(pivotQuery(target, field, values));
        values = [];
      }
    }
    if (values.length > 0) queries.push(pivotQuery(target, field, values));
  }
  for (const q of queries) yield* run(q);
}
