/**
 * `vast explore` (VAST 2's explorer): the events around the matches of a
 * query. Every match with a timestamp opens a time box from `before` ahead of
 * it to `after` behind it (one side given: the other is 0; neither: no time
 * limit, which needs `by`); with `by FIELD`, only events whose FIELD equals the
 * match's value count (an equi-join; matches without the field or with a null
 * there open no box). Every event in any box is printed once.
 *
 * VAST ran one query per match and removed duplicates by event id; we merge
 * the boxes into one query (overlapping boxes of one `by` value joined), which
 * prints each event once by construction and keeps the store's order.
 */
import type { RecordBatch } from 'apache-arrow';
import { UsageError } from '../diagnostics.js';
import type { Literal } from '../expr/ast.js';
import { printLiteral } from '../expr/print.js';
import { schemaOf } from '../pipeline/batch-ops.js';
import type { Schema } from '../types/type.js';
import { fieldColumn } from './field-values.js';
import type { RunQuery } from './pivot.js';

export interface ExploreOptions {
  /** Nanoseconds before each match (`-B/--before`). */
  readonly before?: bigint;
  /** Nanoseconds after each match (`-A/--after`). */
  readonly after?: bigint;
  /** The join field (`--by`). */
  readonly by?: string;
  /** At most this many matches of the query open boxes (`--max-events-query`). */
  readonly maxEventsQuery?: number;
  /** At most this many events in all (`--max-events`). */
  readonly maxEvents?: number;
}

/** VAST 2's defaults (`vast.explore.max-events`, `vast.explore.max-events-query`). */
export const EXPLORE_DEFAULTS = { maxEvents: 100, maxEventsQuery: 100 } as const;

/** A time box in nanoseconds since the epoch, inclusive at both ends. */
interface Box {
  from: bigint;
  to: bigint;
}

/** Sorted, overlapping or touching boxes joined. */
function merge(boxes: Box[]): Box[] {
  const sorted = [...boxes].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  const out: Box[] = [];
  for (const b of sorted) {
    const last = out[out.length - 1];
    if (last && b.from <= last.to) {
      if (b.to > last.to) last.to = b.to;
    } else out.push({ ...b });
  }
  return out;
}

const time = (ns: bigint): string => printLiteral({ type: 'time', ns });

/**
 * The context query: for each timestamp field name of `schemas`, the boxes on
 * it, restricted to the schemas whose timestamp it is. Undefined: no box.
 */
function exploreQuery(
  boxesByValue: ReadonlyMap<string, { value?: Literal; boxes: Box[] }>,
  schemas: readonly Schema[],
  by: string | undefined,
): string | undefined {
  const byTimestamp = new Map<string, string[]>();
  for (const s of schemas) {
    if (!s.timestamp) continue;
    const names = byTimestamp.get(s.timestamp) ?? [];
    names.push(s.name);
    byTimestamp.set(s.timestamp, names);
  }
  const terms: string[] = [];
  for (const { value, boxes } of boxesByValue.values()) {
    const join = by && value ? `${by} == ${printLiteral(value)}` : undefined;
    const unbounded = boxes.length === 0;
    if (unbounded) {
      if (join) terms.push(join);
      continue;
    }
    for (const [field, names] of byTimestamp) {
      const inSchema = names.map((n) => `#schema == ${JSON.stringify(n)}`).join(' || ');
      const inBoxes = merge(boxes)
        .map((b) => `${field} >= ${time(b.from)} && ${field} <= ${time(b.to)}`)
        .join(' || ');
      terms.push([`(${inSchema})`, `(${inBoxes})`, ...(join ? [join] : [])].join(' && '));
    }
  }
  return terms.length > 0 ? terms.map((t) => `(${t})`).join(' || ') : undefined;
}

/**
 * The events around the matches of `expr`; `schemas` are the schemas the store
 * holds (their timestamp fields bound the boxes).
 */
export async function* explore(
  run: RunQuery,
  expr: string,
  schemas: readonly Schema[],
  opts: ExploreOptions,
): AsyncIterable<RecordBatch> {
  const timed = opts.before !== undefined || opts.after !== undefined;
  if (!timed && !opts.by) throw new UsageError('explore needs --after, --before, --context or --by');
  const before = opts.before ?? 0n;
  const after = opts.after ?? 0n;
  const groups = new Map<string, { value?: Literal; boxes: Box[] }>();
  const maxQuery = opts.maxEventsQuery ?? EXPLORE_DEFAULTS.maxEventsQuery;
  // The matches' own schemas count too: a node lists only flushed schemas in its status.
  const known = new Map(schemas.map((s) => [s.name, s]));
  for await (const batch of run(expr, { maxEvents: maxQuery })) {
    const s = schemaOf(batch);
    if (!known.has(s.name)) known.set(s.name, s);
    const ts = s.timestamp ? fieldColumn(batch, s.timestamp) : undefined;
    if (timed && !ts) continue;
    const join = opts.by ? fieldColumn(batch, opts.by) : undefined;
    if (opts.by && !join) continue;
    for (let i = 0; i < batch.numRows; i++) {
      const t = ts?.at(i);
      if (timed && t?.type !== 'time') continue;
      const value = join?.at(i);
      if (opts.by && !value) continue;
      const key = value ? printLiteral(value) : '';
      const g = groups.get(key) ?? { value, boxes: [] };
      groups.set(key, g);
      if (t?.type === 'time') g.boxes.push({ from: t.ns - before, to: t.ns + after });
    }
  }
  const query = exploreQuery(groups, [...known.values()], opts.by);
  if (!query) return;
  yield* run(query, { maxEvents: opts.maxEvents ?? EXPLORE_DEFAULTS.maxEvents });
}
