/**
 * `where EXPR`: keeps the events matching a filter expression. The
 * expression is parsed from the query's tokens by the expression parser;
 * compiling it is the job of the compiler the caller passes in the context;
 * `whereWith` (arquero's `_filter`) takes an already compiled predicate, so
 * detection and live queries reuse the fast path without re-parsing.
 */
import type { RecordBatch } from 'apache-arrow';
import { ExpressionError } from '../../expr/errors.js';
import { parseTokens } from '../../expr/parser.js';
import { fail, sourceOf, withEof } from '../args.js';
import { filter, normalize } from '../batch-ops.js';
import type { Operator, OperatorDef, Predicate } from '../operator.js';

/**
 * The `where` operator for a compiled predicate; `expression` is its text
 * for `toString` (without it the operator cannot round-trip).
 */
export function whereWith(predicate: Predicate, expression?: string): Operator {
  return {
    name: 'where',
    toString: () => `where ${expression ?? '<compiled predicate>'}`,
    async *run(input: AsyncIterable<RecordBatch>): AsyncIterable<RecordBatch> {
      for await (const raw of input) {
        if (raw.numRows === 0) continue;
        // Kernels read columns with the `values.ts` accessors, which expect offset-free data.
        const batch = normalize(raw);
        const kept = filter(batch, predicate(batch));
        if (kept) yield kept;
      }
    },
  };
}

export const where: OperatorDef = {
  name: 'where',
  description: 'where EXPR: keeps the events matching the expression',
  expression: true,
  keepsSchemas: true,
  parse(args, ctx) {
    if (!ctx.compileWhere) fail(ctx, 'where needs an expression compiler', args);
    if (args.length === 0) fail(ctx, 'where needs an expression', ctx.end);
    const parsed = parseTokens(ctx.text, withEof(args, ctx.end), ctx.problems, { now: ctx.now });
    if (!parsed.ok) throw new ExpressionError(ctx.text, parsed.diagnostics);
    return whereWith(ctx.compileWhere(parsed.expr, ctx.text, ctx.inputSchemas), sourceOf(args, ctx));
  },
};
