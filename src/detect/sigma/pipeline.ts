/**
 * A correlation rule as a readable VAST pipeline, for `vast sigma convert`:
 *
 *   where (A) || (B) | summarize count=count() by src, window=round(ts, 1h) | where count >= 10
 *
 * It counts in the windows the correlator (`vast rule add`, correlate.ts)
 * uses: `timespan` long, aligned to the epoch (`round` buckets by floor), so
 * `event_count` runs as a query with the correlator's answer over stored
 * events. `value_count` and the temporal types need aggregates the pipeline
 * lacks (a distinct count, a count of distinct rules); `notes` say so.
 */
import { printDuration } from '../../expr/print.js';
import type { SigmaMappings } from './mappings.js';
import type { CountOp, SigmaCorrelation, SigmaRule } from './types.js';

const OPS: Record<CountOp, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '==', neq: '!=' };

/** The pipeline text and what the reader should know about it. */
export function correlationPipeline(
  c: SigmaCorrelation,
  rules: readonly SigmaRule[],
  mappings: SigmaMappings,
): { text: string; notes: string[] } {
  const notes: string[] = [
    'windows of the timespan aligned to the epoch, as the correlator of vast rule add counts them',
  ];
  const found = c.rules.map((ref) => ({ ref, rule: rules.find((r) => r.id === ref || r.name === ref) }));
  const missing = found.filter((f) => !f.rule).map((f) => f.ref);
  if (missing.length > 0) notes.push(`rules not in this text, shown by reference: ${missing.join(', ')}`);
  const where = found.map((f) => `(${f.rule ? f.rule.text : `<rule ${f.ref}>`})`).join(' || ');
  const schema = found.find((f) => f.rule)?.rule?.schemas[0];
  const ts = (schema && mappings.schema(schema)?.timestamp) ?? 'ts';
  const window = `window=round(${ts}, ${printDuration(c.timespanNs)})`;
  const keys = [...c.groupBy, window].join(', ');
  const cond = `${OPS[c.condition.op]} ${c.condition.count}`;
  let text: string;
  switch (c.type) {
    case 'event_count':
      text = `where ${where} | summarize count=count() by ${keys} | where count ${cond}`;
      break;
    case 'value_count':
      text = `where ${where} | summarize values=distinct(${c.condition.field}) by ${keys} | where length(values) ${cond}`;
      notes.push('not executable: the pipeline has no length() to count the distinct values');
      break;
    case 'temporal':
    case 'temporal_ordered':
      text = `where ${where} | summarize rules=distinct(#rule) by ${keys} | where length(rules) ${cond}`;
      notes.push(
        `not executable: the pipeline cannot tell which rule matched an event${c.type === 'temporal_ordered' ? ' nor check their order' : ''}`,
      );
      break;
  }
  if (c.generate) notes.push('generate: the correlated rules raise their own alerts too');
  return { text, notes };
}
