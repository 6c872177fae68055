/**
 * Query text: `[EXPR] | op args | op args ...`. The whole text is lexed once
 * by the expression lexer (in pipeline mode, where `|` separates stages), so
 * quoting, patterns, values and error positions follow one set of rules.
 * This file knows only the shape: it cuts the token stream at `|`, parses a
 * leading expression with the expression parser, finds each operator by its
 * first word in the registry and lets the operator parse its own argument
 * tokens (STYLE.md §3).
 */
import type { RecordBatch } from 'apache-arrow';
import type { Expr } from '../expr/ast.js';
import { ExpressionError, type Problem } from '../expr/errors.js';
import { type Token, tokenize } from '../expr/lexer.js';
import { parseTokens } from '../expr/parser.js';
import { fail, suggest, withEof } from './args.js';
import { type Operator, OperatorError, type ParseContext, type WhereCompiler } from './operator.js';
import { operatorRegistry } from './operators/index.js';

export interface PipelineOptions {
  /** The expression compiler for `where` (see `WhereCompiler`). */
  readonly compileWhere?: WhereCompiler;
  /** The clock for relative times (`now - 1h`), in nanoseconds since the epoch. */
  readonly now?: bigint;
}

export interface ParsedQuery {
  /** The leading filter expression; undefined when the query starts with an operator or is blank. */
  readonly expr?: Expr;
  readonly pipeline: Operator[];
}

/** The tokens of one `|`-separated stage, and where it ends in the text. */
interface Stage {
  readonly tokens: Token[];
  readonly end: number;
  readonly problems: Problem[];
}

function stages(text: string): Stage[] {
  const lexed = tokenize(text, { pipeline: true });
  const out: Stage[] = [];
  let tokens: Token[] = [];
  let from = 0;
  for (const t of lexed.tokens) {
    if (t.kind !== 'pipe' && t.kind !== 'eof') {
      tokens.push(t);
      continue;
    }
    const end = t.kind === 'pipe' ? t.start : text.length;
    const problems = lexed.problems.filter((p) => p.offset >= from && p.offset < end);
    out.push({ tokens, end, problems });
    tokens = [];
    from = t.end;
  }
  return out;
}

/** After an operator's name, these mean the word was a field in an expression (`head == 1`, `top in [...]`). */
function continuesExpression(t: Token | undefined): boolean {
  if (!t) return false;
  if (t.kind === 'relop' || t.kind === 'and' || t.kind === 'or' || t.kind === 'assign') return true;
  return t.kind === 'word' && ['in', 'ni', 'not', 'and', 'or'].includes(t.name!);
}

const isOperatorStage = (s: Stage) =>
  s.tokens[0]?.kind === 'word' &&
  operatorRegistry.has(s.tokens[0].name!) &&
  !continuesExpression(s.tokens[1]);

/**
 * Parses a query: an optional leading expression, then operators. Error
 * locations count in the whole `text`. Throws `ExpressionError` for a bad
 * leading expression (or `where`), `OperatorError` for a bad operator.
 */
export function parseQuery(text: string, options: PipelineOptions = {}): ParsedQuery {
  const all = stages(text);
  if (all.length === 1 && all[0].tokens.length === 0) return { pipeline: [] };
  let expr: Expr | undefined;
  let rest = all;
  if (!isOperatorStage(all[0])) {
    const [first] = all;
    const parsed = parseTokens(text, withEof(first.tokens, first.end), first.problems, { now: options.now });
    if (!parsed.ok) throw new ExpressionError(text, parsed.diagnostics);
    expr = parsed.expr;
    rest = all.slice(1);
  }
  return { expr, pipeline: operatorsOf(text, rest, options) };
}

/** Parses text that is only a pipeline (`op args | ...`, no leading expression); blank text is the empty pipeline. */
export function parsePipeline(text: string, options: PipelineOptions = {}): Operator[] {
  const all = stages(text);
  if (all.length === 1 && all[0].tokens.length === 0) return [];
  return operatorsOf(text, all, options);
}

function operatorsOf(text: string, all: readonly Stage[], options: PipelineOptions): Operator[] {
  let inputSchemas = true;
  return all.map((stage) => {
    const [name, ...args] = stage.tokens;
    const ctx: ParseContext = {
      text,
      end: stage.end,
      problems: stage.problems,
      inputSchemas,
      now: options.now,
      compileWhere: options.compileWhere,
    };
    if (!name) throw new OperatorError('expected an operator', text, stage.end, 1);
    if (name.kind !== 'word') fail(ctx, `expected an operator name, got '${name.text}'`, name);
    const def = operatorRegistry.get(name.name!);
    if (!def) {
      const near = suggest(operatorRegistry.keys(), name.name!);
      fail(
        ctx,
        `unknown operator '${name.name}'`,
        name,
        near ? [`did you mean '${near}'?`] : [`known operators: ${[...operatorRegistry.keys()].join(', ')}`],
      );
    }
    if (!def.expression && stage.problems.length > 0) {
      const [p] = stage.problems;
      throw new OperatorError(p.message, text, p.offset, 1, p.notes);
    }
    inputSchemas &&= def.keepsSchemas === true;
    return def.parse(args, ctx);
  });
}

/** The canonical text of a pipeline (`parsePipeline` of it gives the same operators). */
export function printPipeline(ops: readonly Operator[]): string {
  return ops.map((op) => op.toString()).join(' | ');
}

/** Runs operators one after the other over `input`. */
/**
 * The input fields a pipeline reads, when it is known to read no others:
 * the `reads` of its operators up to the first that outputs only those
 * (`summarize`, `select`, `top`), through operators that pass every field on
 * (`head`, `sort`). Undefined: the pipeline may read (or output) any field.
 */
export function pipelineReads(ops: readonly Operator[]): readonly string[] | undefined {
  const reads: string[] = [];
  for (const op of ops) {
    if (op.reads === undefined) return undefined;
    reads.push(...op.reads);
    if (!op.passesFields) return reads;
  }
  return undefined;
}

export function runPipeline(
  ops: readonly Operator[],
  input: AsyncIterable<RecordBatch>,
): AsyncIterable<RecordBatch> {
  return ops.reduce((stream, op) => op.run(stream), input);
}
