/**
 * One unit of a parallel scan (see `ScanPool`): some row groups of one
 * partition, the expression as it applies to the partition's schema, and
 * what to send back. Everything here crosses a thread boundary, so it is
 * plain structured-clone data; the worker compiles the expression again,
 * because compiled kernels are closures.
 */
import { compileQuery, evaluate, type Program, programText } from '../expr/compile.js';
import { countSet } from '../expr/kernels/bitmap.js';
import { parseExpression } from '../expr/parser.js';
import type { FileChecksums } from '../store/checksum.js';
import { CorruptionError } from '../store/errors.js';
import { type FooterCache, PartitionReader } from '../store/partition.js';
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
  /** Send back the number of matching rows only, or each row group's selection bitmap. */
  readonly want: 'count' | 'bits';
}

export type ScanResult =
  | {
      readonly ok: true;
      /** Rows of each row group. */
      readonly rows: number[];
      /** Matching rows of each row group. */
      readonly matches: number[];
      /** With `want: 'bits'`: each row group's selection bitmap. */
      readonly bits?: Uint8Array[];
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

/** Runs a job: reads the tested fields of its row groups and evaluates the program on them. */
export async function runScanJob(job: ScanJob, footers: FooterCache): Promise<ScanResult> {
  let program: Program;
  try {
    program = compileJob(job);
  } catch (e) {
    return { ok: false, corrupt: false, message: (e as Error).message };
  }
  const rows: number[] = [];
  const matches: number[] = [];
  const bits: Uint8Array[] = [];
  let reader: PartitionReader | undefined;
  try {
    reader = await PartitionReader.open(job.path, job.sums, footers);
    for (const i of job.rowGroups) {
      const batch = await reader.read(i, job.fields);
      const b = evaluate(program, batch);
      rows.push(batch.numRows);
      matches.push(countSet(b));
      if (job.want === 'bits') bits.push(b);
    }
  } catch (e) {
    if (e instanceof CorruptionError) return { ok: false, corrupt: true, message: e.reason };
    throw e;
  } finally {
    await reader?.close();
  }
  return job.want === 'bits' ? { ok: true, rows, matches, bits } : { ok: true, rows, matches };
}
