/**
 * `where EXPR`: keeps the events matching a filter expression. Parsing
 * delegates to the expression compiler the caller passes in the context;
 * `whereWith` (arquero's `_filter`) takes an already compiled predicate, so
 * detection and live queries reuse the fast path without re-parsing.
 */
import type { RecordBatch } from 'apache-arrow';
import { argsPiece, trim } from '../args.js';
import { filter, normalize } from '../batch-ops.js';
import { type Operator, type OperatorDef, OperatorError, type Predicate } from '../operator.js';

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
  parse(args, ctx) {
    const expr = trim(argsPiece(args, ctx));
    if (!ctx.compileWhere)
      throw new OperatorError('where needs an expression compiler', ctx.text, ctx.offset, 1);
    if (expr.text === '') throw new OperatorError('where needs an expression', ctx.text, expr.offset, 1);
    return whereWith(ctx.compileWhere(expr.text, expr.offset), expr.text);
  },
};
