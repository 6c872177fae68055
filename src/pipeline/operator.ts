/**
 * The operator contract (STYLE.md §3). A pipeline is text `op args | op args`;
 * `parse.ts` splits it and hands each operator its own argument text, and the
 * operator's `OperatorDef.parse` turns that into a runnable `Operator`.
 *
 * An operator is a transform from a stream of record batches to a stream of
 * record batches (tenzir's generator-in, generator-out shape). Batches hold
 * events of one schema each; operators never mix schemas in one batch.
 */
import type { RecordBatch } from 'apache-arrow';
import { errorDiagnostic, locate, spanIn, VastError } from '../diagnostics.js';
import { QUERY_SOURCE } from '../expr/errors.js';

/**
 * A compiled expression: one bit per row of `batch`, LSB-first like Arrow
 * validity bitmaps, set where the row matches. Bit `i` is row `i` of the
 * batch (no Arrow offset applies). The bitmap has at least `ceil(rows / 8)` bytes.
 */
export type Predicate = (batch: RecordBatch) => Uint8Array;

/** What an operator's parser gets besides its argument text. */
export interface ParseContext {
  /** The whole pipeline text, for error locations. */
  readonly text: string;
  /** Offset of the argument text in `text`. */
  readonly offset: number;
  /**
   * Compiles a filter expression (from `src/expr/`); `offset` is where the
   * expression starts in `text`, so that its errors point into the pipeline.
   */
  readonly compileWhere?: (expr: string, offset: number) => Predicate;
}

export interface Operator {
  readonly name: string;
  /** Canonical pipeline text: parsing it yields an equivalent operator (queries ship as text, DESIGN §6). */
  toString(): string;
  /**
   * Runs the operator over `input`. Each call starts from fresh state, so one
   * parsed operator may run many times. Operators that need only a prefix of
   * their input (`head`) stop pulling as soon as they are done, which
   * finishes the upstream iterators.
   */
  run(input: AsyncIterable<RecordBatch>): AsyncIterable<RecordBatch>;
}

export interface OperatorDef {
  readonly name: string;
  /** One line for `vast help`, with the argument syntax. */
  readonly description: string;
  /** Parses the argument text (everything after the name); throws `OperatorError` on bad arguments. */
  parse(args: string, ctx: ParseContext): Operator;
}

/**
 * A problem in pipeline text: its diagnostic points at `offset` (in the whole
 * pipeline text) and spans `length` characters, with the source line, so it
 * renders with carets under the span.
 */
export class OperatorError extends VastError {
  constructor(
    message: string,
    readonly text: string,
    readonly offset: number,
    readonly length = 1,
    notes: readonly string[] = [],
  ) {
    const { line, column } = locate(text, offset);
    const hint = notes.length > 0 ? ` (${notes.join('; ')})` : '';
    super(
      `${message} at ${line}:${column}${hint}`,
      errorDiagnostic(message, { ...spanIn(QUERY_SOURCE, text, offset, length), notes }),
    );
    this.name = 'OperatorError';
  }
}

/** A failure while an operator runs (e.g. a field whose type differs between schemas). */
export class OperatorRuntimeError extends VastError {
  constructor(operator: string, message: string) {
    super(`${operator}: ${message}`);
    this.name = 'OperatorRuntimeError';
  }
}
