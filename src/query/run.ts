/**
 * Query execution over the store (DESIGN "Data flow of a query"):
 * text → parse → compile per schema → catalog prune → load partitions →
 * evaluate → filter → pipeline → caller. Results stream: the first batch is
 * handed out as soon as it is found, and `maxEvents` stops the scan early.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type * as A from 'apache-arrow';
import { type Diagnostic, VastError } from '../diagnostics.js';
import type { Expr } from '../expr/ast.js';
import {
  type CompileContext,
  type CompiledQuery,
  compileQuery,
  evaluate,
  type Program,
  programText,
} from '../expr/compile.js';
import { ExpressionError } from '../expr/errors.js';
import { bitmapBytes, countSet } from '../expr/kernels/bitmap.js';
import { printExpression } from '../expr/print.js';
import { prune, SketchCache } from '../expr/prune.js';
import { resolvePaths } from '../expr/resolve.js';
import { filter } from '../pipeline/batch-ops.js';
import type { Operator, WhereCompiler } from '../pipeline/operator.js';
import { parseQuery, pipelineReads, runPipeline } from '../pipeline/parse.js';
import type { SchemaRegistry } from '../schemas/registry.js';
import { entrySchema, type PartitionEntry } from '../store/catalog.js';
import { CorruptionError } from '../store/errors.js';
import { type PartitionReader, withFields } from '../store/partition.js';
import type { Store } from '../store/store.js';
import { arrowSchema, schemaName, vastSchema } from '../types/arrow.js';
import { plainStrings } from '../types/dictionary-strings.js';
import { indexPath, type Schema } from '../types/type.js';
import { hideInternalSchemas, isInternalSchema } from './internal-schemas.js';
import { type ScanJob, type ScanResult, sentRows } from './scan-job.js';
import { ScanPool, scanThreads } from './scan-pool.js';

/** A parsed and compiled query, ready to run (possibly many times). */
export interface PreparedQuery {
  readonly text: string;
  /** The clock relative times were parsed with (`now - 1h`), nanoseconds since the epoch. */
  readonly now: bigint;
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
  /** Partitions a count took from the catalog, unread, because every row matches. */
  countedFromCatalog?: number;
  /** Record batches inside opened partitions that their batch synopses ruled out. */
  batchesSkipped: number;
  rowsScanned: number;
  rowsMatched: number;
  /** Threads that evaluated the expression on row groups in parallel (absent: the query's own thread). */
  threads?: number;
  /** Milliseconds from start to the first result, and to the end. */
  firstResultMs?: number;
  totalMs?: number;
  /** Partitions that failed verification during the run (quarantined and skipped). */
  warnings?: string[];
}

export const emptyStats = (): QueryStats => ({
  considered: 0,
  prunedBySchema: 0,
  prunedBySynopsis: 0,
  opened: 0,
  batchesSkipped: 0,
  rowsScanned: 0,
  rowsMatched: 0,
  warnings: [],
});

/** A query ran longer than its time budget (`query-timeout`). */
export class QueryTimeoutError extends VastError {
  constructor(readonly timeoutMs: number) {
    super(`query exceeded its time budget of ${timeoutMs / 1000} s (query-timeout)`);
    this.name = 'QueryTimeoutError';
  }
}

/** A query was cancelled: its client went away, its cursor was deleted, or Ctrl-C. */
export class QueryCancelledError extends VastError {
  constructor() {
    super('query cancelled');
    this.name = 'QueryCancelledError';
  }
}

/** Synchronous work between two turns of the event loop; other requests wait at most about this long. */
const SLICE_MS = 15;
/**
 * Rows evaluated at once before any timing says how many fit into a slice:
 * one, because a pattern may cost a second a row (`/(?:a+){1,256}$/`), and
 * the budget is checked only between slices.
 */
const FIRST_CHUNK_ROWS = 1;

/**
 * The time budget and cancellation of one query run, and its cooperative
 * scheduling. Scans run on the main thread but give the event loop a turn
 * (`setImmediate`) every ~SLICE_MS of work, so other tenants' requests, signal
 * handlers and timers keep running; what remains synchronous is bounded
 * (evaluation in adaptive row chunks, and `PATTERN_LIMITS.work` for a single
 * pattern test). Large scans also hand row groups to worker threads
 * (`ScanPool`); waiting for them is bounded by `race`, and the workers of an
 * abandoned scan are stopped.
 */
export class QueryBudget {
  private deadline = Number.POSITIVE_INFINITY;
  private sliceStart = performance.now();
  /**
   * @param timeoutMs total wall-clock time for the run (undefined or 0: none, for live queries)
   * @param signal aborts the run between two slices
   */
  constructor(
    readonly timeoutMs?: number,
    readonly signal?: AbortSignal,
  ) {
    this.restart();
  }

  /** Starts the budget over (a cursor's next page gets a fresh budget). */
  restart(): void {
    this.deadline = this.timeoutMs ? performance.now() + this.timeoutMs : Number.POSITIVE_INFINITY;
  }

  /** Throws if cancelled or over budget. */
  check(): void {
    if (this.signal?.aborted) throw new QueryCancelledError();
    if (performance.now() > this.deadline) throw new QueryTimeoutError(this.timeoutMs ?? 0);
  }

  /** `work` (done on another thread), or this budget's error if it runs out or is cancelled first. */
  race<T>(work: Promise<T>): Promise<T> {
    this.check();
    return new Promise<T>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.signal?.removeEventListener('abort', onAbort);
      };
      const stop = (e: Error) => {
        done();
        reject(e);
      };
      const onAbort = () => stop(new QueryCancelledError());
      const timer = Number.isFinite(this.deadline)
        ? setTimeout(
            () => stop(new QueryTimeoutError(this.timeoutMs ?? 0)),
            Math.max(0, this.deadline - performance.now()),
          )
        : undefined;
      this.signal?.addEventListener('abort', onAbort, { once: true });
      work.then(
        (v) => {
          done();
          resolve(v);
        },
        (e) => {
          done();
          reject(e);
        },
      );
    });
  }

  /** Checks, and yields to the event loop when the current slice of synchronous work is used up. */
  async checkpoint(): Promise<void> {
    this.check();
    if (performance.now() - this.sliceStart < SLICE_MS) return;
    await nextTurn();
    this.sliceStart = performance.now();
    this.check();
  }
}

/** A budget that never runs out and cannot be cancelled, but still yields. */
const unlimited = () => new QueryBudget();

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

/**
 * Compiles `where` expressions inside pipelines, lazily per batch schema.
 * Where the input still has the stored schemas (`inputSchemas`), the
 * expression is type-checked against `schemas` like the leading expression:
 * unknown fields and type mismatches are errors located in the query.
 */
export function whereCompiler(ctx: CompileContext, schemas: readonly Schema[] = []): WhereCompiler {
  return (expr, text, inputSchemas) => {
    const compiled = compileQuery(expr, text, inputSchemas ? schemas : [], ctx);
    if (compiled.diagnostics.length > 0) fail(text, compiled.diagnostics);
    const programOf = programCache(compiled);
    return (batch) => evaluate(programOf(batch), batch);
  };
}

/**
 * Parses `EXPR | OP | OP` and compiles the expression (and every `where`
 * that sees the stored events) against the schemas the query may touch; type
 * errors (unknown fields, mismatches) throw with the offending position in
 * the whole query.
 */
export function prepareQuery(
  text: string | undefined,
  schemas: readonly Schema[],
  registry: SchemaRegistry,
  opts: { now?: bigint } = {},
): PreparedQuery {
  const full = text ?? '';
  const now = opts.now ?? BigInt(Date.now()) * 1_000_000n;
  const parsed = parseQuery(full, { now, compileWhere: whereCompiler(registry, schemas) });
  const expr: Expr = parsed.expr ?? { kind: 'true', span: { start: 0, end: 0 } };
  const compiled = hideInternalSchemas(compileQuery(expr, full, schemas, registry));
  if (compiled.diagnostics.length > 0) fail(full, compiled.diagnostics);
  return { text: full, now, expr, compiled, pipeline: parsed.pipeline };
}

/** A partition whose files failed verification during a query. */
interface Broken {
  entry: PartitionEntry;
  error: CorruptionError;
}

const sketchCacheOf = (store: Store) => new SketchCache((e) => store.sketchOf(e.id));

/**
 * Decides for each partition whether it must be opened. Partitions whose
 * sidecar fails verification go to `broken` (or, without it, are skipped
 * with a warning in `stats`).
 */
function plan(
  store: Store,
  q: PreparedQuery,
  stats: QueryStats,
  sketches = sketchCacheOf(store),
  broken?: Broken[],
): PartitionEntry[] {
  const out: PartitionEntry[] = [];
  for (const e of store.partitions()) {
    stats.considered++;
    const program = q.compiled.program(entrySchema(e));
    if (program.kind === 'const' && !program.value) {
      stats.prunedBySchema++;
      continue;
    }
    let verdict: ReturnType<typeof prune>;
    try {
      verdict = prune(program, e, sketches, q.compiled.hints);
    } catch (error) {
      if (!(error instanceof CorruptionError)) throw error;
      if (broken) broken.push({ entry: e, error });
      else warnIn(stats, `skipped partition ${e.id}: ${error.message}`);
      continue;
    }
    if (verdict === 'never') {
      stats.prunedBySynopsis++;
      continue;
    }
    out.push(e);
  }
  return out;
}

/** Quarantines a partition that failed verification; the query goes on without it. */
async function setAside(store: Store, b: Broken, stats: QueryStats): Promise<void> {
  warnIn(stats, await store.quarantine(b.entry, b.error));
}

function warnIn(stats: QueryStats, message: string): void {
  stats.warnings = [...(stats.warnings ?? []), message];
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

/** Rows that all match, counted without reading them (a partition whose schema makes the predicate true). */
interface Counted {
  counted: number;
}

/**
 * What the consumer of a scan reads of the matching rows: every field
 * (export), none (a count, which needs only the selection), or the top-level
 * fields (indexes) a pipeline reads of a schema (projection pushdown).
 */
type Columns = 'all' | 'none' | ((schema: Schema) => readonly number[]);

/**
 * Every candidate batch with the rows the expression selects: partitions the
 * catalog cannot rule out, row groups their synopses cannot rule out, then the
 * unflushed tail. The evaluation happens here once, for scans and counts alike.
 *
 * Row groups are read column by column (late materialization): first only the
 * fields the expression tests; the other fields only when some row matches
 * and the consumer reads them. A needle thus decodes one column of the row
 * groups it cannot skip, and a count decodes nothing but its predicate.
 */
async function* selections(
  store: Store,
  q: PreparedQuery,
  stats: QueryStats,
  tail: readonly A.RecordBatch[],
  budget: QueryBudget,
  opts: ScanOptions,
): AsyncIterable<Selection | Counted> {
  const chunk = { rows: FIRST_CHUNK_ROWS };
  const sketches = sketchCacheOf(store);
  const broken: Broken[] = [];
  const planned = plan(store, q, stats, sketches, broken);
  const work: Candidate[] = [];
  for (const e of planned) {
    const schema = entrySchema(e);
    const program = q.compiled.program(schema);
    if (opts.columns === 'none' && program.kind === 'const') {
      // Every row matches and nobody reads them: the catalog knows how many there are.
      stats.countedFromCatalog = (stats.countedFromCatalog ?? 0) + 1;
      yield { counted: e.events };
      continue;
    }
    let groups: ReturnType<typeof candidateGroups>;
    try {
      groups = candidateGroups(e, program, sketches, q, stats);
    } catch (error) {
      if (!(error instanceof CorruptionError)) throw error;
      broken.push({ entry: e, error });
      continue;
    }
    stats.opened++;
    const tested = programFields(program);
    const rest = restFields(opts.columns, schema, tested);
    work.push({ entry: e, program, tested, rest, groups: groups?.groups, rows: groups?.rows ?? e.events });
  }
  for (const b of broken) await setAside(store, b, stats);
  const pool = workerPool(work);
  if (pool) stats.threads = scanThreads();
  const units = pool ? scanUnits(store, work, q, opts) : new Map<Candidate, Unit[]>();
  const queue = [...units.values()].flat();
  let started = 0;
  let consumed = 0;
  // Jobs run ahead of the consumer by a few per thread, in the order they are consumed.
  const startAhead = () => {
    for (; started < Math.min(queue.length, consumed + 2 * scanThreads()); started++) {
      const u = queue[started];
      u.result = pool!.run(u.job).catch((e: Error) => ({ ok: false, corrupt: false, message: e.message }));
    }
  };
  try {
    for (const c of work) {
      startAhead();
      const mine = units.get(c);
      if (!mine) {
        yield* partitionSelections(store, c, c.groups, stats, budget, chunk, opts);
        continue;
      }
      yield* fromWorkers(store, c, mine, stats, budget, chunk, opts, async (u) => {
        startAhead();
        await budget.checkpoint();
        const r = await budget.race(u.result!);
        consumed++;
        return r;
      });
    }
  } finally {
    // Over budget, cancelled, or the consumer has enough (`head`): nobody wants what is still running.
    if (started > consumed) pool?.abandon();
  }
  const programOf = programCache(q.compiled);
  for (const batch of tail) {
    await budget.checkpoint();
    stats.rowsScanned += batch.numRows;
    yield { batch, bits: await evaluateInSlices(programOf(batch), batch, budget, chunk) };
  }
}

interface ScanOptions {
  columns: Columns;
  /** Hold a partition's selections until all of it verified (exact counts despite a damaged file). */
  whole?: boolean;
}

/** A partition the scan opens. */
interface Candidate {
  readonly entry: PartitionEntry;
  readonly program: Program;
  /** The top-level fields the program tests, and those the consumer reads besides. */
  readonly tested: readonly number[];
  readonly rest: readonly number[];
  /** The row groups its batch synopses leave; undefined when they do not say (every row group is read). */
  readonly groups: readonly number[] | undefined;
  /** The rows of those row groups. */
  readonly rows: number;
}

/**
 * The row groups of a partition whose own synopses may match (one batch
 * synopsis per row group); undefined when the synopses do not cover the
 * partition's rows, so every row group must be read.
 */
function candidateGroups(
  e: PartitionEntry,
  program: Program,
  sketches: SketchCache,
  q: PreparedQuery,
  stats: QueryStats,
): { groups: number[]; rows: number } | undefined {
  const batches = sketches.get(e).batches;
  if (batches.reduce((n, b) => n + b.rows, 0) !== e.events) return undefined;
  const groups: number[] = [];
  let rows = 0;
  batches.forEach((b, i) => {
    const target = { id: e.id, events: b.rows, importTime: e.importTime, fields: b.fields ?? {} };
    if (prune(program, target, sketches, q.compiled.hints) === 'never') stats.batchesSkipped++;
    else {
      groups.push(i);
      rows += b.rows;
    }
  });
  return { groups, rows };
}

/**
 * A partition's selections, evaluated on this thread: its row groups (all
 * when `groups` is undefined) read column by column, as `selections` says.
 */
async function* partitionSelections(
  store: Store,
  c: Candidate,
  groups: readonly number[] | undefined,
  stats: QueryStats,
  budget: QueryBudget,
  chunk: { rows: number },
  opts: ScanOptions,
): AsyncIterable<Selection> {
  const { entry: e, program, tested, rest } = c;
  const held: Selection[] = [];
  let reader: PartitionReader | undefined;
  try {
    reader = await store.openPartition(e);
    for (const i of groups ?? Array.from({ length: reader.rowGroups }, (_, k) => k)) {
      await budget.checkpoint();
      const first = await reader.read(i, tested.length === 0 ? rest : tested);
      stats.rowsScanned += first.numRows;
      const bits = await evaluateInSlices(program, first, budget, chunk);
      const any = bits === undefined || countSet(bits) > 0;
      const batch =
        any && tested.length > 0 && rest.length > 0
          ? withFields(first, await reader.read(i, rest), rest)
          : first;
      const sel = { batch, bits };
      if (opts.whole) held.push(sel);
      else yield sel;
    }
  } catch (error) {
    if (!(error instanceof CorruptionError)) throw error;
    await setAside(store, { entry: e, error }, stats);
    return;
  } finally {
    await reader?.close();
  }
  yield* held;
}

/** A few row groups of a partition, evaluated by a worker. */
interface Unit {
  readonly groups: readonly number[];
  readonly job: ScanJob;
  result?: Promise<ScanResult>;
}

/** Row groups per worker job: small jobs balance the threads, each costs a message and a file open. */
const JOB_ROW_GROUPS = 2;
/** Below this many rows to test, a scan stays on its thread: it takes ~50 ms there. */
const MIN_PARALLEL_ROWS = 1 << 19;
/**
 * Workers load their modules for ~300-400 ms before their first job (measured
 * in the bench: a cold regex scan of 1M events took 527 ms waiting for them,
 * 257 ms on one thread). A scan this large waits for them; a smaller one
 * starts them for the scans after it and runs on its own thread meanwhile.
 */
const WAIT_FOR_WORKERS_ROWS = 1 << 22;

/** The worker pool a scan uses, if any (see MIN_PARALLEL_ROWS and WAIT_FOR_WORKERS_ROWS). */
function workerPool(work: readonly Candidate[]): ScanPool | undefined {
  const rows = work.reduce((n, c) => n + (onWorkers(c) ? c.rows : 0), 0);
  if (rows < MIN_PARALLEL_ROWS) return undefined;
  const pool = ScanPool.get(scanThreads());
  if (!pool || pool.ready || rows >= WAIT_FOR_WORKERS_ROWS) return pool;
  pool.warm();
  return undefined;
}

/**
 * Whether workers take a partition: only to test an expression. Without one,
 * decoding on a worker and sending the rows back over IPC cost more than
 * decoding here (`summarize count() by service` on 1M events: 116 ms on two
 * threads against 34 ms on one).
 */
const onWorkers = (c: Candidate): boolean =>
  c.program.kind !== 'const' && c.groups !== undefined && c.groups.length > 0;

/** The worker jobs of each candidate whose expression a worker can evaluate. */
function scanUnits(
  store: Store,
  work: readonly Candidate[],
  q: PreparedQuery,
  opts: ScanOptions,
): Map<Candidate, Unit[]> {
  const units = new Map<Candidate, Unit[]>();
  for (const c of work) {
    if (!onWorkers(c)) continue;
    let file: ReturnType<Store['partitionFile']>;
    try {
      file = store.partitionFile(c.entry);
    } catch (error) {
      if (error instanceof CorruptionError) continue; // found again, and set aside, when scanned here
      throw error;
    }
    const { path, sums } = file;
    const all = c.groups!;
    const mine: Unit[] = [];
    for (let k = 0; k < all.length; k += JOB_ROW_GROUPS) {
      const groups = all.slice(k, k + JOB_ROW_GROUPS);
      const job: ScanJob = {
        path,
        sums,
        schema: entrySchema(c.entry),
        program: programText(c.program),
        now: q.now,
        rowGroups: groups,
        fields: c.tested,
        rest: c.rest,
        want: opts.columns === 'none' ? 'count' : 'rows',
      };
      mine.push({ groups, job });
    }
    units.set(c, mine);
  }
  return units;
}

/**
 * A partition's selections from its workers' results, unit by unit in
 * order: counts (held until the whole partition verified, as `whole` asks),
 * or the matching rows the workers read. A worker that found damage has the
 * partition set aside, as a scan on this thread would; a job a worker could
 * not take is scanned on this thread instead.
 */
async function* fromWorkers(
  store: Store,
  c: Candidate,
  units: readonly Unit[],
  stats: QueryStats,
  budget: QueryBudget,
  chunk: { rows: number },
  opts: ScanOptions,
  result: (u: Unit) => Promise<ScanResult>,
): AsyncIterable<Selection | Counted> {
  const schema = arrowSchema(entrySchema(c.entry));
  const held: (Selection | Counted)[] = [];
  for (const u of units) {
    const r = await result(u);
    if (!r.ok && r.corrupt) {
      await setAside(store, { entry: c.entry, error: new CorruptionError(u.job.path, r.message) }, stats);
      return;
    }
    if (!r.ok) {
      // setAside warns: a warning more means this thread found damage and set the partition aside.
      const warned = stats.warnings?.length ?? 0;
      for await (const sel of partitionSelections(store, c, u.groups, stats, budget, chunk, opts)) {
        if (opts.whole) held.push(sel);
        else yield sel;
      }
      if ((stats.warnings?.length ?? 0) > warned) return;
      continue;
    }
    for (const rows of r.rows) stats.rowsScanned += rows;
    if (!r.ipc) held.push({ counted: r.matches.reduce((a, b) => a + b, 0) });
    else
      for (const bytes of r.ipc)
        for (const batch of sentRows(bytes, schema)) {
          if (opts.whole) held.push({ batch, bits: undefined });
          else yield { batch, bits: undefined };
        }
  }
  yield* held;
}

/** The top-level fields (indexes, ascending) a compiled expression reads. */
function programFields(p: Program): number[] {
  const out = new Set<number>();
  const walk = (x: Program): void => {
    if (x.kind === 'column') out.add(x.indices[0]);
    else if (x.kind === 'fields') for (const i of x.indices) out.add(i[0]);
    else if (x.kind === 'and' || x.kind === 'or') x.children.forEach(walk);
    else if (x.kind === 'not') walk(x.child);
  };
  walk(p);
  return [...out].sort((a, b) => a - b);
}

/** The top-level fields (indexes, ascending) the consumer reads of `schema` besides the `tested` ones. */
function restFields(columns: Columns, schema: Schema, tested: readonly number[]): number[] {
  if (columns === 'none') return [];
  const wanted = columns === 'all' ? schema.type.fields.map((_, k) => k) : columns(schema);
  return [...new Set(wanted)].filter((k) => !tested.includes(k)).sort((a, b) => a - b);
}

/** The top-level fields (indexes) of `schema` that the field names `reads` may refer to. */
function topLevelFields(schema: Schema, reads: readonly string[]): number[] {
  return reads.flatMap((name) => resolvePaths(schema, name).map((p) => indexPath(schema.type, p)![0]));
}

/**
 * A batch's selection bits, evaluated in row chunks sized so that each takes
 * about SLICE_MS, with a checkpoint between chunks: an expensive pattern over
 * a 64k-row batch must neither hold the event loop nor outlive its budget.
 * `chunk` carries the learnt chunk size from batch to batch; it starts at one
 * row because the first timing is all we know about the program's cost.
 * Undefined: every row is selected.
 */
async function evaluateInSlices(
  program: Program,
  batch: A.RecordBatch,
  budget: QueryBudget,
  chunk: { rows: number },
): Promise<Uint8Array | undefined> {
  if (program.kind === 'const') return program.value ? undefined : new Uint8Array(bitmapBytes(batch.numRows));
  const rows = batch.numRows;
  let out: Uint8Array | undefined;
  for (let at = 0; at < rows; ) {
    if (at > 0) await budget.checkpoint();
    const n = Math.min(chunk.rows, rows - at);
    const t = performance.now();
    const bits = evaluate(program, n === rows ? batch : batch.slice(at, at + n));
    chunk.rows = nextChunkRows(chunk.rows, n, performance.now() - t);
    if (n === rows) return bits;
    out ??= new Uint8Array(bitmapBytes(rows));
    copyBits(out, at, bits, n);
    at += n;
  }
  return out ?? new Uint8Array(0);
}

/** Copies bits 0..n of `src` to `dst` from bit `at` on (bytewise when aligned). */
function copyBits(dst: Uint8Array, at: number, src: Uint8Array, n: number): void {
  if ((at & 7) === 0) {
    dst.set(src.subarray(0, bitmapBytes(n)), at >> 3);
    return;
  }
  for (let r = 0; r < n; r++) if (src[r >> 3] & (1 << (r & 7))) dst[(at + r) >> 3] |= 1 << ((at + r) & 7);
}

/** The chunk size that makes the next evaluation take about SLICE_MS, from how long `rows` rows took. */
function nextChunkRows(current: number, rows: number, ms: number): number {
  if (rows < current && ms < SLICE_MS) return current;
  const perRow = ms / Math.max(rows, 1);
  const fit = perRow > 0 ? Math.floor(SLICE_MS / 2 / perRow) : current * 2;
  return Math.max(1, Math.min(fit, current * 2, 1 << 20));
}

/** The events matching the expression, before any pipeline operator. */
async function* scan(
  store: Store,
  q: PreparedQuery,
  stats: QueryStats,
  tail: readonly A.RecordBatch[],
  budget: QueryBudget,
): AsyncIterable<A.RecordBatch> {
  // Past the scan, dictionary-encoded strings reach only an operator that declares it takes them.
  const plain = !q.pipeline[0]?.dictionaryStrings;
  const reads = pipelineReads(q.pipeline);
  const columns: Columns = reads ? (schema) => topLevelFields(schema, reads) : 'all';
  for await (const s of selections(store, q, stats, tail, budget, { columns })) {
    if ('counted' in s) continue; // never when the consumer reads columns
    const { batch, bits } = s;
    const selected = bits ? filter(batch, bits) : batch;
    if (!selected) continue;
    stats.rowsMatched += selected.numRows;
    yield plain ? plainStrings(selected) : selected;
    // Give consumers (a closed pipe, `head`) a chance to stop us between batches.
    await budget.checkpoint();
  }
}

/**
 * `vast count`: the exact count, or with `estimate` an upper bound from the catalog alone
 * (no partition is opened). Rows a node still buffers (`tail`) have no synopses yet, so an
 * estimate counts all of them, except the node's own events, which no query sees unasked.
 */
export async function countOrEstimate(
  store: Store,
  q: PreparedQuery,
  stats: QueryStats,
  opts: { estimate?: boolean; tail?: readonly A.RecordBatch[]; budget?: QueryBudget } = {},
): Promise<number> {
  if (!opts.estimate) return countQuery(store, q, stats, opts.tail, opts.budget);
  let n = 0;
  for (const e of plan(store, q, stats)) n += e.events;
  for (const b of opts.tail ?? []) if (!isInternalSchema(schemaName(b))) n += b.numRows;
  return n;
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
  budget: QueryBudget = unlimited(),
): Promise<number> {
  let n = 0;
  if (q.pipeline.length > 0) {
    for await (const b of runQuery(store, q, { tail, budget }, stats)) n += b.numRows;
    return n;
  }
  const start = performance.now();
  for await (const s of selections(store, q, stats, tail, budget, { columns: 'none', whole: true })) {
    const k = 'counted' in s ? s.counted : s.bits ? countSet(s.bits) : s.batch.numRows;
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
    /** Time budget and cancellation; live queries pass one without a total (they still yield). */
    budget?: QueryBudget;
  } = {},
  stats: QueryStats = emptyStats(),
): AsyncIterable<A.RecordBatch> {
  const start = performance.now();
  let remaining = opts.maxEvents ?? Number.POSITIVE_INFINITY;
  const live = opts.live;
  const budget = opts.budget ?? unlimited();
  const history = opts.liveOnly ? empty() : scan(store, q, stats, opts.tail ?? [], budget);
  const source = live ? concatStreams(history, live) : history;
  const batches =
    q.pipeline.length > 0
      ? runPipeline(
          q.pipeline,
          q.pipeline.some(unboundedPerRow) ? inSlices(source, budget, { rows: FIRST_CHUNK_ROWS }) : source,
        )
      : source;
  try {
    for await (const batch of batches) {
      if (remaining <= 0) return;
      // Pipeline operators (sort, summarize) may have worked since the last scan checkpoint.
      await budget.checkpoint();
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

/**
 * Operators whose work per row has no fixed bound: a `where` may test a costly
 * pattern on every row. Only pipelines with one get their input in slices; the
 * others (summarize, sort, select, ...) take whole batches, because slicing
 * costs them a fixed overhead per call (summarize ran 1.8x slower sliced).
 */
const unboundedPerRow = (op: { name: string }) => op.name === 'where';

/**
 * Feeds a pipeline slices of batches sized so that the pipeline's work on
 * one slice (a `where` with an expensive pattern) takes about SLICE_MS: the
 * time until the pipeline asks for the next slice is its work on this one.
 */
async function* inSlices(
  source: AsyncIterable<A.RecordBatch>,
  budget: QueryBudget,
  chunk: { rows: number },
): AsyncIterable<A.RecordBatch> {
  for await (const batch of source) {
    for (let at = 0; at < batch.numRows; ) {
      const n = Math.min(chunk.rows, batch.numRows - at);
      const t = performance.now();
      yield n === batch.numRows ? batch : batch.slice(at, at + n);
      chunk.rows = nextChunkRows(chunk.rows, n, performance.now() - t);
      at += n;
      await budget.checkpoint();
    }
  }
}

async function* empty(): AsyncIterable<A.RecordBatch> {}

async function* concatStreams(...streams: AsyncIterable<A.RecordBatch>[]): AsyncIterable<A.RecordBatch> {
  for (const s of streams) yield* s;
}

/** The plan as text for `--explain`: the compiled predicate per schema, pruning, and what the run did. */
export function explain(store: Store, q: PreparedQuery, stats: QueryStats): string {
  const lines = [`expression: ${printExpression(q.expr)}`];
  if (q.pipeline.length > 0) {
    lines.push(`pipeline:   ${q.pipeline.map((o) => o.toString()).join(' | ')}`);
    const reads = pipelineReads(q.pipeline);
    lines.push(
      `fields:     ${reads ? `the pipeline reads ${reads.length > 0 ? reads.join(', ') : 'no field'}; no other field is decoded` : 'the pipeline may read every field'}`,
    );
  }
  lines.push('per schema:');
  const seen = new Set<string>();
  for (const e of store.partitions()) {
    if (seen.has(e.fingerprint)) continue;
    seen.add(e.fingerprint);
    lines.push(`  ${e.schema}: ${programText(q.compiled.program(entrySchema(e)))}`);
  }
  lines.push(
    `partitions: ${stats.considered} considered, ${stats.prunedBySchema + stats.prunedBySynopsis} pruned ` +
      `(${stats.prunedBySchema} by schema, ${stats.prunedBySynopsis} by synopsis), ${stats.opened} opened` +
      (stats.countedFromCatalog ? `, ${stats.countedFromCatalog} counted from the catalog` : ''),
  );
  lines.push(`batches:    ${stats.batchesSkipped} skipped by batch synopses inside opened partitions`);
  if (stats.threads) lines.push(`threads:    ${stats.threads} worker threads read and tested row groups`);
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
