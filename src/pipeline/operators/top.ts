/**
 * `top f [N]`: the N (default 10) most frequent values of `f`, most frequent
 * first, as events of schema `vast.top` with the fields `f` and `count`
 * (uint64). Events where `f` is null or missing are not counted. Ties keep
 * the order in which the values first appeared. It is `summarize count=count()
 * by f | sort count desc | head N`, and buffers the groups like summarize.
 */
import type { RecordBatch } from 'apache-arrow';
import type { Token } from '../../expr/lexer.js';
import { count as countAggregate } from '../aggregates/count.js';
import { count, fail, fieldName, noMore } from '../args.js';
import type { Operator, OperatorDef, ParseContext } from '../operator.js';
import { headWith } from './head.js';
import { sortWith } from './sort.js';
import { summarizeWith } from './summarize.js';

/** `top` (descending) or `rare` (ascending). */
function frequencyWith(name: 'top' | 'rare', field: string, n: number): Operator {
  const summarize = summarizeWith({
    aggregates: [{ name: 'count', alias: true, fn: countAggregate }],
    groups: [{ name: field, alias: false, field }],
    schemaName: `vast.${name}`,
    skipNullKey: true,
  });
  const sort = sortWith([{ field: 'count', desc: name === 'top' }]);
  const head = headWith(n);
  return {
    name,
    toString: () => `${name} ${field} ${n}`,
    // Its input goes straight into summarize.
    dictionaryStrings: summarize.dictionaryStrings,
    reads: summarize.reads,
    run: (input: AsyncIterable<RecordBatch>) => head.run(sort.run(summarize.run(input))),
  };
}

/** Parses `FIELD [N]`. */
export function parseFrequency(name: 'top' | 'rare', args: readonly Token[], ctx: ParseContext): Operator {
  const [f, n, ...rest] = args;
  if (!f) fail(ctx, `${name} needs a field`, ctx.end);
  noMore(rest, ctx);
  const field = fieldName(f, ctx);
  if (field === 'count') fail(ctx, `${name} writes its counts to a field 'count'`, f);
  return frequencyWith(name, field, n ? count(n, ctx) : 10);
}

export const top: OperatorDef = {
  name: 'top',
  description: 'top F [N]: the N most frequent values of F with their counts',
  parse: (args, ctx) => parseFrequency('top', args, ctx),
};
