/**
 * The operator contract (STYLE.md §3). A pipeline is text `op args | op args`;
 * `parse.ts` lexes the whole query once and hands each operator the tokens of
 * its arguments, and the operator's `OperatorDef.parse` turns them into a
 * runnable `Operator`.
 *
 * An operator is a transform from a stream of record batches to a stream of
 * record batches (tenzir's generator-in, generator-out shape). Batches hold
 * events of one schema each; operators never mix schemas in one batch.
 */
import type { RecordBatch } from 'apache-arrow';
import { errorDiagnostic, locate, spanIn, VastError } from '../diagnostics.js';
import type { Expr } from '../expr/ast.js';
import { type Problem, QUERY_SOURCE } from '../expr/errors.js';
import type { Token } from '../expr/lexer.js';

/**
 * A compiled expression: one bit per row of `batch`, LSB-first like Arrow
 * validity bitmaps, set where the row matches. Bit `i` is row `i` of the
 * batch (no Arrow offset applies). The bitmap has at least `ceil(rows / 8)` bytes.
 */
export type Predicate = (batch: RecordBatch) => Uint8Array;

/**
 * Compiles a `where` expression parsed from `text` (the whole query: spans
 * and errors count in it). `inputSchemas` is true when every operator before
 * keeps its input's schemas, so the expression can be type-checked against
 * the schemas the query reads, as the leading expression is.
 */
export type WhereCompiler = (expr: Expr, text: string, inputSchemas: boolean) => Predicate;

/** What an operator's parser gets besides its argument tokens. */
export interface ParseContext {
  /** The whole query text, for error locations. */
  readonly text: string;
  /** Where the operator's stage ends in `text` (at its `|` or the end): errors about missing arguments point here. */
  readonly end: number;
  /** The lexer's problems within the arguments (operators whose arguments are an expression report them). */
  readonly problems: readonly Problem[];
  /** Whether every operator before this one keeps its input's schemas (see `WhereCompiler`). */
  readonly inputSchemas: boolean;
  /** The clock for relative times in expressions (`now - 1h`), in nanoseconds. */
  readonly now?: bigint;
  readonly compileWhere?: WhereCompiler;
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
  /**
   * The operator takes string columns dictionary-encoded (`DICTIONARY_STRING_KEY`)
   * as they come out of a scan, and hands out plain Utf8 only. Operators
   * without it get plain Utf8 (`plainStrings`).
   */
  readonly dictionaryStrings?: boolean;
  /**
   * The input fields (names as the user wrote them) the operator looks at.
   * Undefined: any field. With it, a store scan decodes only these fields for
   * the operator (projection pushdown, see `pipelineReads`); the others
   * arrive all-null.
   */
  readonly reads?: readonly string[];
  /**
   * The output carries every input field unchanged (`head`, `sort`), so the
   * fields read after it must be read before it too. Without it, the output
   * is made of the fields in `reads` only (`summarize`, `select`).
   */
  readonly passesFields?: boolean;
}

export interface OperatorDef {
  readonly name: string;
  /** One line for `vast help`, with the argument syntax. */
  readonly description: string;
  /**
   * Its arguments are an expression: the lexer's problems in them are the
   * operator's to report (with the expression's own), not an `OperatorError`.
   */
  readonly expression?: boolean;
  /** The operator passes events through with their schemas unchanged (`where`, `head`, `sort`). */
  readonly keepsSchemas?: boolean;
  /** Parses the argument tokens (everything after the name); throws `OperatorError` on bad arguments. */
  parse(args: readonly Token[], ctx: ParseContext): Operator;
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
