/**
 * One unit of a parallel scan (see `ScanPool`): some row groups of one
 * partition, the expression as it applies to the partition's schema, and
 * what to send back. Everything here crosses a thread boundary, so it is
 * plain structured-clone data; the worker compiles the expression again,
 * because compiled kernels are closures.
 */
import * as A from 'apache-arrow';
import { compileQuery, evaluate, type Program, programText } from '../expr/compile.js';
import { countSet } from '../expr/kernels/bitmap.js';
import { parseExpression } from '../expr/parser.js';
import { filter } from '../pipeline/batch-ops.js';
import type { FileChecksums } from '../store/checksum.js';
import { CorruptionError } from '../store/errors.js';
import { nullData } from '../store/parquet/assemble.js';
import { type FooterCache, PartitionReader, withFields } from '../store/partition.js';
import type { Schema } from '../types/type.js';

export interface ScanJob {
  readonly path: string;
  readonly sums: FileChecksums | undefined;
  readonly schema: Schema;
  /** `programText` of the compiled expression for `schema`: field paths resolved, no concepts or aliases left. */
  readonly program: string;
  /** The clock the query was parsed with (`now - 1h`), nanoseconds since the epoch. */
  readonly now: bigint;
  readonly rowGroups: readonly number[];
  /** The top-level fields the program tests. */
  readonly fields: readonly number[];
  /** The top-level fields the consumer reads besides (`want: 'rows'`). */
  readonly rest: readonly number[];
  /**
   * What to send back: the number of matching rows only, or the matching
   * rows themselves, their `fields` and `rest` only, as Arrow IPC streams
   * (`sentRows` turns them back into batches).
   */
  readonly want: 'count' | 'rows';
}

export type ScanResult =
  | {
      readonly ok: true;
      /** Rows of each row group. */
      readonly rows: number[];
      /** Matching rows of each row group. */
      readonly matches: number[];
      /** With `want: 'rows'`: each row group's matching rows (empty when none match). */
      readonly ipc?: Uint8Array[];
    }
  /** The partition failed verification: the caller quarantines it. */
  | { readonly ok: false; readonly corrupt: true; readonly message: string }
  /** The worker could not take this job (the program did not compile back): the caller runs it itself. */
  | { readonly ok: false; readonly corrupt: false; readonly message: string };

const NO_CONTEXT = { aliases: new Map() };

/** The program a job's text compiles to, or an error if it does not mean the same program any more. */
function compileJob(job: ScanJob): Program {
  const parsed = parseExpression(job.program, { now: job.now });
  if (!parsed.ok) throw new Error(`cannot parse '${job.program}'`);
  const compiled = compileQuery(parsed.expr, job.program, [job.schema], NO_CONTEXT);
  if (compiled.diagnostics.length > 0) throw new Error(`cannot compile '${job.program}'`);
  const program = compiled.program(job.schema);
  if (programText(program) !== job.program)
    throw new Error(`'${job.program}' compiles to '${programText(program)}'`);
  return program;
}

/**
 * Runs a job: reads the tested fields of its row groups, evaluates the
 * program on them, and for `rows` reads the other fields of the row groups
 * with a match (late materialization, as on the query's own thread).
 */
export async function runScanJob(job: ScanJob, footers: FooterCache): Promise<ScanResult> {
  let program: Program;
  try {
    program = compileJob(job);
  } catch (e) {
    return { ok: false, corrupt: false, message: (e as Error).message };
  }
  const rows: number[] = [];
  const matches: number[] = [];
  const ipc: Uint8Array[] = [];
  const { fields, rest } = job;
  let reader: PartitionReader | undefined;
  try {
    reader = await PartitionReader.open(job.path, job.sums, footers);
    for (const i of job.rowGroups) {
      const first = await reader.read(i, fields.length === 0 ? rest : fields);
      const b = program.kind === 'const' && program.value ? undefined : evaluate(program, first);
      const n = b ? countSet(b) : first.numRows;
      rows.push(first.numRows);
      matches.push(n);
      if (job.want !== 'rows') continue;
      if (n === 0) {
        ipc.push(new Uint8Array(0));
        continue;
      }
      const batch =
        fields.length > 0 && rest.length > 0 ? withFields(first, await reader.read(i, rest), rest) : first;
      const selected = b ? filter(batch, b)! : batch;
      ipc.push(
        A.tableToIPC(new A.Table([projected(selected, [...new Set([...fields, ...rest])])]), 'stream'),
      );
    }
  } catch (e) {
    if (e instanceof CorruptionError) return { ok: false, corrupt: true, message: e.reason };
    throw e;
  } finally {
    await reader?.close();
  }
  if (job.want === 'rows') return { ok: true, rows, matches, ipc };
  return { ok: true, rows, matches };
}

/**
 * The batch with only `fields` (top-level indexes, any order): the
 * all-null others would cost as much to send as the data. Their indexes go
 * along in the schema metadata for `sentRows`.
 */
function projected(batch: A.RecordBatch, fields: readonly number[]): A.RecordBatch {
  const keep = [...fields].sort((a, b) => a - b);
  const meta = new Map(batch.schema.metadata);
  meta.set(SENT_FIELDS_KEY, keep.join(','));
  const schema = new A.Schema(
    keep.map((k) => batch.schema.fields[k]),
    meta,
  );
  const data = A.makeData({
    type: new A.Struct(schema.fields),
    length: batch.numRows,
    nullCount: 0,
    children: keep.map((k) => batch.data.children[k]),
  });
  return new A.RecordBatch(schema, data);
}

const SENT_FIELDS_KEY = 'vast.scan.fields';

/**
 * The batches of an IPC stream a worker sent (`want: 'rows'`), with every
 * field of `schema` again: the ones not sent all-null, as a read of only
 * some fields hands them out.
 */
export function sentRows(bytes: Uint8Array, schema: A.Schema): A.RecordBatch[] {
  if (bytes.length === 0) return [];
  return A.tableFromIPC(bytes).batches.map((part) => {
    const sent = (part.schema.metadata.get(SENT_FIELDS_KEY) ?? '').split(',').map(Number);
    const meta = new Map(part.schema.metadata);
    meta.delete(SENT_FIELDS_KEY);
    const fields: A.Field[] = [];
    const children = schema.fields.map((f, k) => {
      const j = sent.indexOf(k);
      if (j < 0) {
        fields.push(f);
        return nullData(f.type, part.numRows);
      }
      const g = part.schema.fields[j];
      const fresh = withFreshDictionaryIds(g.type, part.data.children[j]);
      fields.push(new A.Field(g.name, fresh.type, g.nullable, g.metadata));
      return fresh.data;
    });
    const full = new A.Schema(fields, meta);
    const data = A.makeData({ type: new A.Struct(fields), length: part.numRows, nullCount: 0, children });
    return new A.RecordBatch(full, data);
  });
}

/**
 * The column with every dictionary type replaced by an equal one of a fresh
 * id: the ids an IPC stream carries come from the worker's counter and may
 * be those of this thread's own types, which one Arrow schema cannot hold.
 */
function withFreshDictionaryIds(type: A.DataType, data: A.Data): { type: A.DataType; data: A.Data } {
  if (A.DataType.isDictionary(type)) {
    const t = new A.Dictionary(type.dictionary, type.indices, null, type.isOrdered);
    return { type: t, data: data.clone(t) };
  }
  if (!type.children?.length) return { type, data };
  const kids = type.children.map((f: A.Field, k: number) => {
    const r = withFreshDictionaryIds(f.type, data.children[k]);
    return { field: new A.Field(f.name, r.type, f.nullable, f.metadata), data: r.data };
  });
  const fields = kids.map((c: { field: A.Field }) => c.field);
  const t = A.DataType.isStruct(type)
    ? new A.Struct(fields)
    : A.DataType.isList(type)
      ? new A.List(fields[0])
      : A.DataType.isMap(type)
        ? new A.Map_(fields[0], type.keysSorted)
        : undefined;
  if (!t) return { type, data };
  const children = kids.map((c: { data: A.Data }) => c.data);
  return { type: t, data: data.clone(t, data.offset, data.length, data.nullCount, undefined, children) };
}
