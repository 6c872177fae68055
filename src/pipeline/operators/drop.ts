/**
 * `drop f1, f2, ...`: removes the named fields (suffix rule; a record name
 * removes the whole record). A record left without fields goes too; events
 * of schemas without any of the fields pass unchanged, and events left with
 * no field at all are dropped.
 */
import type { RecordBatch } from 'apache-arrow';
import { resolvePaths } from '../../expr/resolve.js';
import type { RecordType, Schema } from '../../types/type.js';
import { commaList, fieldName } from '../args.js';
import { layoutKey, normalize, schemaOf } from '../batch-ops.js';
import { Layout, type LayoutNode } from '../layout.js';
import type { Operator, OperatorDef } from '../operator.js';

/** The layout without `names`; 'unchanged' if none matches, undefined if nothing is left. */
function dropNodes(schema: Schema, names: readonly string[]): LayoutNode[] | 'unchanged' | undefined {
  const dropped = new Set(names.flatMap((n) => resolvePaths(schema, n)));
  if (dropped.size === 0) return 'unchanged';
  const below = (path: string) => [...dropped].some((d) => d.startsWith(`${path}.`));
  const walk = (t: RecordType, prefix: string, source: number[]): LayoutNode[] => {
    const out: LayoutNode[] = [];
    t.fields.forEach((f, k) => {
      const path = prefix ? `${prefix}.${f.name}` : f.name;
      if (dropped.has(path)) return;
      const src = [...source, k];
      if (f.type.kind === 'record' && below(path)) {
        const children = walk(f.type, path, src);
        if (children.length > 0) out.push({ name: f.name, source: src, children });
      } else out.push({ name: f.name, source: src });
    });
    return out;
  };
  const nodes = walk(schema.type, '', []);
  return nodes.length === 0 ? undefined : nodes;
}

function dropWith(fields: readonly string[]): Operator {
  return {
    name: 'drop',
    toString: () => `drop ${fields.join(', ')}`,
    async *run(input: AsyncIterable<RecordBatch>): AsyncIterable<RecordBatch> {
      const layouts = new Map<string, Layout | 'unchanged' | null>();
      for await (const raw of input) {
        const key = layoutKey(raw);
        let layout = layouts.get(key);
        if (layout === undefined) {
          const nodes = dropNodes(schemaOf(raw), fields);
          layout = nodes === 'unchanged' ? nodes : nodes ? new Layout(raw.schema, nodes) : null;
          layouts.set(key, layout);
        }
        if (layout === 'unchanged') yield raw;
        else if (layout && raw.numRows > 0) yield layout.apply(normalize(raw));
      }
    },
  };
}

export const drop: OperatorDef = {
  name: 'drop',
  description: 'drop F, ...: removes these fields',
  parse(args, ctx) {
    return dropWith(commaList(args, ctx, 'a field name').map((p) => fieldName(p, ctx)));
  },
};
