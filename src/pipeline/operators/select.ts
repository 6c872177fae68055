/**
 * `select f1, f2, ...`: keeps only the named fields, in the order given.
 * Names follow the suffix rule (`orig_h` finds `id.orig_h`); a record name
 * keeps the whole record; nested fields keep their records (`select
 * id.orig_h, ts` gives `id: record{orig_h}, ts`), and fields of one record
 * gather in that record at its first mention.
 *
 * As in Tenzir, events of a schema with none of the fields are dropped.
 * Columns are reused, not copied.
 */
import type { RecordBatch } from 'apache-arrow';
import { resolvePaths } from '../../expr/resolve.js';
import type { Schema } from '../../types/type.js';
import { commaList, fieldName } from '../args.js';
import { indexPath, layoutKey, normalize, schemaOf } from '../batch-ops.js';
import { Layout, type LayoutNode } from '../layout.js';
import type { Operator, OperatorDef } from '../operator.js';

interface Trie {
  name: string;
  source: number[];
  whole: boolean;
  children: Trie[];
}

/** The layout keeping `names` of `type`; undefined when none of them exists. */
function selectNodes(schema: Schema, names: readonly string[]): LayoutNode[] | undefined {
  const root: Trie[] = [];
  for (const name of names) {
    for (const path of resolvePaths(schema, name)) {
      const idx = indexPath(schema.type, path)!;
      const segs = path.split('.');
      let level = root;
      for (let d = 0; d < idx.length; d++) {
        let node = level.find((n) => n.source[d] === idx[d]);
        if (!node) {
          node = { name: segs[d], source: idx.slice(0, d + 1), whole: false, children: [] };
          level.push(node);
        }
        if (node.whole) break;
        if (d === idx.length - 1) {
          node.whole = true;
          node.children = [];
        }
        level = node.children;
      }
    }
  }
  const convert = (t: Trie): LayoutNode =>
    t.whole
      ? { name: t.name, source: t.source }
      : { name: t.name, source: t.source, children: t.children.map(convert) };
  return root.length === 0 ? undefined : root.map(convert);
}

function selectWith(fields: readonly string[]): Operator {
  return {
    name: 'select',
    toString: () => `select ${fields.join(', ')}`,
    reads: fields,
    async *run(input: AsyncIterable<RecordBatch>): AsyncIterable<RecordBatch> {
      const layouts = new Map<string, Layout | null>();
      for await (const raw of input) {
        const key = layoutKey(raw);
        let layout = layouts.get(key);
        if (layout === undefined) {
          const nodes = selectNodes(schemaOf(raw), fields);
          layout = nodes ? new Layout(raw.schema, nodes) : null;
          layouts.set(key, layout);
        }
        if (layout && raw.numRows > 0) yield layout.apply(normalize(raw));
      }
    },
  };
}

export const select: OperatorDef = {
  name: 'select',
  description: 'select F, ...: keeps only these fields (events with none of them are dropped)',
  parse(args, ctx) {
    return selectWith(commaList(args, ctx, 'a field name').map((p) => fieldName(p, ctx)));
  },
};
