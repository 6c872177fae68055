/**
 * Pipeline text: `op args | op args | ...`. This file knows only that shape:
 * it splits at top-level `|` (not inside strings, brackets or regexes), finds
 * each operator by its first word in the registry and lets the operator
 * parse its own arguments (STYLE.md §3).
 *
 * Queries (`vast export json 'EXPR | OP | OP'`) may start with a bare filter
 * expression; `splitQuery` separates it from the pipeline.
 */
import type { RecordBatch } from 'apache-arrow';
import { type Piece, splitTopLevel, sub, suggest, trim } from './args.js';
import { type Operator, OperatorError, type ParseContext } from './operator.js';
import { operatorRegistry } from './operators/index.js';

export interface PipelineOptions {
  /** The expression compiler for `where` (see `ParseContext.compileWhere`). */
  readonly compileWhere?: ParseContext['compileWhere'];
}

const NAME_RE = /^[A-Za-z_][\w-]*/;

/**
 * Parses the pipeline in `text[start, end)` (all of `text` by default);
 * error locations count in the whole `text`, so a pipeline that follows an
 * expression in a query reports columns of the query. Blank text is the
 * empty pipeline. Throws `OperatorError`.
 */
export function parsePipeline(
  text: string,
  options: PipelineOptions = {},
  start = 0,
  end = text.length,
): Operator[] {
  if (text.slice(start, end).trim() === '') return [];
  return splitTopLevel(text, start, end, (c) => c === '|').map((raw) => {
    const stage = trim(raw);
    if (stage.text === '') throw new OperatorError('expected an operator', text, stage.offset, 1);
    const m = NAME_RE.exec(stage.text);
    if (!m)
      throw new OperatorError(
        `expected an operator name, got '${stage.text.split(/\s/)[0]}'`,
        text,
        stage.offset,
        1,
      );
    const name = m[0];
    const def = operatorRegistry.get(name);
    if (!def) {
      const near = suggest(operatorRegistry.keys(), name);
      throw new OperatorError(
        `unknown operator '${name}'`,
        text,
        stage.offset,
        name.length,
        near ? [`did you mean '${near}'?`] : [`known operators: ${[...operatorRegistry.keys()].join(', ')}`],
      );
    }
    const args: Piece = trim(sub(stage, name.length));
    return def.parse(args.text, { text, offset: args.offset, compileWhere: options.compileWhere });
  });
}

/** The canonical text of a pipeline (`parsePipeline` of it gives the same operators). */
export function printPipeline(ops: readonly Operator[]): string {
  return ops.map((op) => op.toString()).join(' | ');
}

/** Runs operators one after the other over `input`. */
export function runPipeline(
  ops: readonly Operator[],
  input: AsyncIterable<RecordBatch>,
): AsyncIterable<RecordBatch> {
  return ops.reduce((stream, op) => op.run(stream), input);
}

export interface SplitQuery {
  /** The leading filter expression, trimmed; '' when the query starts with an operator. */
  readonly expression: string;
  readonly expressionOffset: number;
  /** The rest: a pipeline for `parsePipeline(text, opts, pipelineOffset)`; '' when there is none. */
  readonly pipeline: string;
  readonly pipelineOffset: number;
}

/** After an operator's name, these mean the word was a field in an expression (`head == 1`, `top.x > 2`). */
const EXPRESSION_AFTER_NAME = /^\s*(==|!=|<|>|=~|\.|!?in\b|!?ni\b|&&|\|\||and\b|or\b)/;

/**
 * Splits a query into its leading expression and the pipeline after it. The
 * first `|`-separated segment is an expression unless its first word is a
 * registered operator used as one (`head 5 | ...`).
 */
export function splitQuery(text: string): SplitQuery {
  const segments = splitTopLevel(text, 0, text.length, (c) => c === '|');
  const first = trim(segments[0]);
  const m = NAME_RE.exec(first.text);
  const isOperator =
    m !== null && operatorRegistry.has(m[0]) && !EXPRESSION_AFTER_NAME.test(first.text.slice(m[0].length));
  if (isOperator || first.text === '') {
    const all = trim({ text, offset: 0 });
    return { expression: '', expressionOffset: first.offset, pipeline: all.text, pipelineOffset: all.offset };
  }
  if (segments.length === 1)
    return {
      expression: first.text,
      expressionOffset: first.offset,
      pipeline: '',
      pipelineOffset: text.length,
    };
  const restStart = segments[1].offset;
  const rest = trim({ text: text.slice(restStart), offset: restStart });
  return {
    expression: first.text,
    expressionOffset: first.offset,
    pipeline: rest.text,
    pipelineOffset: rest.offset,
  };
}
