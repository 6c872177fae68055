/**
 * Query execution over the store (DESIGN "Data flow of a query"):
 * text → parse → compile per schema → catalog prune → load partitions →
 * evaluate → filter → pipeline → caller. Results stream: the first batch is
 * handed out as soon as it is found, and `maxEvents` stops the scan early.
 */
import type * as A from 'apache-arrow';
import type { Diagnostic } from '../diagnostics.js';
import type { Expr } from '../expr/ast.js';
import { type CompiledQuery, compileQuery, evaluate, type Program, programText } from '../expr/compile.js';
import { ExpressionError } from '../expr/errors.js';
import { countSet } from '../expr/kernels/bitmap.js';
import { parseExpression } from '../expr/parser.js';
import { printExpression } from '../expr/print.js';
import { prune, SketchCache } from '../expr/prune.js';
import { filter } from '../pipeline/batch-ops.js';
import type { Operator, Predicate } from '../pipeline/operator.js';
import { parsePipeline, runPipeline, splitQuery } from '../pipeline/parse.js';
import type { PartitionEntry } from '../store/catalog.js';
import type { Store } from '../store/store.js';
import { vastSchema } from '../types/arrow.js';
import type { SchemaRegistry } from '../types/registry.js';
import type { Schema } from '../types/type.js';
import { hideInternalSchemas } from './internal-schemas.js';

/** A parsed and compiled query, ready to run (possibly many times). */
export interface PreparedQuery {
  readonly text: string;
  readonly expr: Expr;
  readonly compiled: CompiledQuery;
  readonly pipeline: readonly Operator[];
}

/** What a run did, for `--explain`. */
export interface QueryStats {
  considered: number;
  prunedBySchema: number;
  prunedBySynopsis: number;
  opened: number;
  /** Record batches inside opened partitions that their batch synopses ruled out. */
  batchesSkipped: number;
  rowsScanned: number;
  rowsMatched: number;
  /** Milliseconds from start to the first result, and to the end. */
  firstResultMs?: number;
  totalMs?: number;
}

export const emptyStats = (): QueryStats => ({
  considered: 0,
  prunedBySchema: 0,
  prunedBySynopsis: 0,
  opened: 0,
  batchesSkipped: 0,
  rowsScanned: 0,
  rowsMatched: 0,
});

function fail(text: string, diagnostics: readonly Diagnostic[]): never {
  throw new ExpressionError(text, diagnostics);
}

/** The program for a batch's schema, compiled on first sight of each Arrow schema. */
function programCache(compiled: CompiledQuery): (batch: A.RecordBatch) => Program {
  const programs = new WeakMap<A.Schema, Program>();
  return (batch) => {
    let p = programs.get(batch.schema);
    if (!p) {
      p = compiled.program(vastSchema(batch.schema));
      programs.set(batch.schema, p);
    }
    return p;
  };
}

/** Compiles filter expressions inside pipelines (`where`), lazily per batch schema. */
export function whereCompiler(registry: SchemaRegistry, now?: bigint) {
  return (text: string, _offset: number): Predicate => {
    const parsed = parseExpression(text, { now });
    if (!parsed.ok) fail(text, parsed.diagnostics);
    const compiled = compileQuery(parsed.expr, text, [], { aliases: registry.aliases });
    const programOf = programCache(compiled);
    return (batch) => evaluate(programOf(batch), batch);
  };
}

/**
 * Parses `EXPR | OP | OP` and compiles the expression against the schemas the
 * query may touch; type errors (unknown fields, mismatches) throw with the
 * offending position.
 */
export function prepareQuery(
  text: string | undefined,
  schemas: readonly Schema[],
  registry: SchemaRegistry,
  opts: { now?: bigint } = {},
): PreparedQuery {
  const full = text ?? '';
  const split = splitQuery(full);
  // Leading padding keeps error columns relative to the whole query text.
  const exprText =
    split.expression.trim() === '' ? 'true' : ' '.repeat(split.expressionOffset) + split.expression;
  const parsed = parseExpression(exprText, { now: opts.now });
  if (!parsed.ok) fail(exprText, parsed.diagnostics);
  const compiled = hideInternalSchemas(
    compileQuery(parsed.expr, exprText, schemas, { aliases: registry.aliases }),
  );
  if (compiled.diagnostics.length > 0) fail(exprText, compiled.diagnostics);
  const pipeline = split.pipeline
    ? parsePipeline(full, { compileWhere: whereCompiler(registry, opts.now) }, split.pipelineOffset)
    : [];
  return { text: full, expr: parsed.expr, compiled, pipeline };
}

const schemaOfEntry = (e: PartitionEntry): Schema => ({
  name: e.schema,
  type: e.layout,
  timestamp: e.timestamp,
});

/** Decides for each partition whether it must be opened. */
export function plan(
  store: Store,
  q: PreparedQuery,
  stats: QueryStats,
  sketches = new SketchCache((e) => store.sketchPath(e)),
): PartitionEntry[] {
  const out: PartitionEntry[] = [];
  for (const e of store.partitions()) {
    stats.considered++;
    const program = q.compiled.program(schemaOfEntry(e));
    if (program.kind === 'const' && !program.value) {
      stats.prunedBySchema++;
      continue;
    }
    if (prune(program, e, sketches, q.compiled.hints) === 'never') {
      stats.prunedBySynopsis++;
      continue;
    }
    out.push(e);
  }
  return out;
}

/**
 * A predicate for batches of any schema, compiled lazily per layout: for
 * batches that are not in partitions (a node's unflushed tail, live data).
 */
export function batchSelector(q: PreparedQuery): (batch: A.RecordBatch) => A.RecordBatch | undefined {
  const programOf = programCache(q.compiled);
  return (batch) => {
    const p = programOf(batch);
    if (p.kind === 'const') return p.value ? batch : undefined;
    return filter(batch, evaluate(p, batch));
  };
}

/** A batch and its selection bitmap (undefined: every row matches). */
interface Selection {
  batch: A.RecordBatch;
  bits: Uint8Array | undefined;
}

/**
 * Every candidate batch with the rows the expression selects: partitions the
 * catalog cannot rule out, batches their synopses cannot rule out, then the
 * unflushed tail. The evaluation happens here once, for scans and counts alike.
 */
async function* selections(
  store: Store,
  q: PreparedQuery,
  stats: QueryStats,
  tail: readonly A.RecordBatch[],
): AsyncIterable<Selection> {
  const sketches = new SketchCache((e) => store.sketchPath(e));
  for (const e of plan(store, q, stats, sketches)) {
    stats.opened++;
    const program = q.compiled.program(schemaOfEntry(e));
    // Inside the partition, read only the batches whose own synopses may match.
    const batchSynopses = sketches.get(e).batches;
    const want = (i: number) => {
      const b = batchSynopses[i];
      const target = b && { id: e.id, events: b.rows, importTime: e.importTime, fields: b.fields };
      if (!target || prune(program, target, sketches, q.compiled.hints) !== 'never') return true;
      stats.batchesSkipped++;
      return false;
    };
    for await (const batch of store.selectedBatches(e, want)) {
      stats.rowsScanned += batch.numRows;
      yield { batch, bits: program.kind === 'const' && program.value ? undefined : evaluate(program, batch) };
    }
  }
  const programOf = programCache(q.compiled);
  for (const batch of tail) {
    stats.rowsScanned += batch.numRows;
    const p = programOf(batch);
    yield { batch, bits: p.kind === 'const' && p.value ? undefined : evaluate(p, batch) };
  }
}

/** The events matching the expression, before any pipeline operator. */
async function* scan(
  store: Store,
  q: PreparedQuery,
  stats: QueryStats,
  tail: readonly A.RecordBatch[],
): AsyncIterable<A.RecordBatch> {
  for await (const { batch, bits } of selections(store, q, stats, tail)) {
    const selected = bits ? filter(batch, bits) : batch;
    if (!selected) continue;
    stats.rowsMatched += selected.numRows;
    yield selected;
    // Give consumers (a closed pipe, `head`) a chance to stop us between batches.
    await Promise.resolve();
  }
}

/**
 * Counts matching events. Without a pipeline it only counts selection bits,
 * never building the matching rows.
 */
export async function countQuery(
  store: Store,
  q: PreparedQuery,
  stats: QueryStats = emptyStats(),
  tail: readonly A.RecordBatch[] = [],
): Promise<number> {
  let n = 0;
  if (q.pipeline.length > 0) {
    for await (const b of runQuery(store, q, { tail }, stats)) n += b.numRows;
    return n;
  }
  const start = performance.now();
  for await (const { batch, bits } of selections(store, q, stats, tail)) {
    const k = bits ? countSet(bits) : batch.numRows;
    stats.rowsMatched += k;
    n += k;
  }
  stats.totalMs = performance.now() - start;
  return n;
}

/** Runs a prepared query: matching events through the pipeline, at most `maxEvents`. */
export async function* runQuery(
  store: Store,
  q: PreparedQuery,
  opts: {
    maxEvents?: number;
    /** Batches not in partitions yet (a node's buffered tail), scanned after them. */
    tail?: readonly A.RecordBatch[];
    /** Live batches to continue with after the historical ones (`--unified`, `--continuous`). */
    live?: AsyncIterable<A.RecordBatch>;
    /** Skip history: only live batches (`--continuous`). */
    liveOnly?: boolean;
  } = {},
  stats: QueryStats = emptyStats(),
): AsyncIterable<A.RecordBatch> {
  const start = performance.now();
  let remaining = opts.maxEvents ?? Number.POSITIVE_INFINITY;
  const live = opts.live;
  const history = opts.liveOnly ? empty() : scan(store, q, stats, opts.tail ?? []);
  const source = live ? concatStreams(history, live) : history;
  const batches = q.pipeline.length > 0 ? runPipeline(q.pipeline, source) : source;
  try {
    for await (const batch of batches) {
      if (remaining <= 0) return;
      stats.firstResultMs ??= performance.now() - start;
      if (batch.numRows > remaining) {
        yield batch.slice(0, remaining);
        return;
      }
      remaining -= batch.numRows;
      yield batch;
      if (remaining <= 0) return;
    }
  } finally {
    stats.totalMs = performance.now() - start;
  }
}

async function* empty(): AsyncIterable<A.RecordBatch> {}

async function* concatStreams(...streams: AsyncIterable<A.RecordBatch>[]): AsyncIterable<A.RecordBatch> {
  for (const s of streams) yield* s;
}

/** The plan as text for `--explain`: the compiled predicate per schema, pruning, and what the run did. */
export function explain(store: Store, q: PreparedQuery, stats: QueryStats): string {
  const lines = [`expression: ${printExpression(q.expr)}`];
  if (q.pipeline.length > 0) lines.push(`pipeline:   ${q.pipeline.map((o) => o.toString()).join(' | ')}`);
  lines.push('per schema:');
  const seen = new Set<string>();
  for (const e of store.partitions()) {
    if (seen.has(e.fingerprint)) continue;
    seen.add(e.fingerprint);
    lines.push(`  ${e.schema}: ${programText(q.compiled.program(schemaOfEntry(e)))}`);
  }
  lines.push(
    `partitions: ${stats.considered} considered, ${stats.prunedBySchema + stats.prunedBySynopsis} pruned ` +
      `(${stats.prunedBySchema} by schema, ${stats.prunedBySynopsis} by synopsis), ${stats.opened} opened`,
  );
  lines.push(`batches:    ${stats.batchesSkipped} skipped by batch synopses inside opened partitions`);
  lines.push(`rows:       ${stats.rowsScanned} scanned, ${stats.rowsMatched} matched`);
  if (stats.totalMs !== undefined)
    lines.push(
      `time:       ${stats.totalMs.toFixed(1)} ms total` +
        (stats.firstResultMs !== undefined
          ? `, first result after ${stats.firstResultMs.toFixed(1)} ms`
          : ''),
    );
  return lines.join('\n');
}
