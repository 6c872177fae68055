/**
 * `rename new=old, ...`: gives fields new names in place. `old` follows the
 * suffix rule and may name a record; `new` replaces only the last segment
 * (`rename src=id.orig_h` gives `id.src`; `id.src=id.orig_h` says the same).
 * `rename new=:old` renames the schema `old`. A rename that would give two
 * fields of one record the same name is an error.
 */
import type { RecordBatch } from 'apache-arrow';
import { resolvePaths } from '../../expr/resolve.js';
import type { RecordType, Schema } from '../../types/type.js';
import { assignment, commaList, fail, fieldName, sourceOf } from '../args.js';
import { layoutKey, normalize, schemaOf } from '../batch-ops.js';
import { identityNodes, Layout, type LayoutNode } from '../layout.js';
import { type Operator, type OperatorDef, OperatorRuntimeError } from '../operator.js';

interface Renaming {
  /** The new last segment (for fields) or schema name. */
  readonly to: string;
  /** The field as written, or the schema name for `schema: true`. */
  readonly from: string;
  readonly schema?: boolean;
  /** The new name as written (`id.src` or `src`), for `toString`. */
  readonly text: string;
}

function renameNodes(schema: Schema, renamings: readonly Renaming[]): LayoutNode[] | undefined {
  const to = new Map<string, string>();
  for (const r of renamings) if (!r.schema) for (const p of resolvePaths(schema, r.from)) to.set(p, r.to);
  if (to.size === 0) return undefined;
  const below = (path: string) => [...to.keys()].some((p) => p.startsWith(`${path}.`));
  const walk = (t: RecordType, prefix: string, source: number[]): LayoutNode[] => {
    const nodes = t.fields.map((f, k): LayoutNode => {
      const path = prefix ? `${prefix}.${f.name}` : f.name;
      const name = to.get(path) ?? f.name;
      const src = [...source, k];
      if (f.type.kind === 'record' && below(path))
        return { name, source: src, children: walk(f.type, path, src) };
      return { name, source: src };
    });
    const seen = new Set<string>();
    for (const n of nodes) {
      if (seen.has(n.name))
        throw new OperatorRuntimeError(
          'rename',
          `two fields would be named '${prefix ? `${prefix}.` : ''}${n.name}'`,
        );
      seen.add(n.name);
    }
    return nodes;
  };
  return walk(schema.type, '', []);
}

function renameWith(renamings: readonly Renaming[]): Operator {
  return {
    name: 'rename',
    toString: () => `rename ${renamings.map((r) => `${r.text}=${r.schema ? ':' : ''}${r.from}`).join(', ')}`,
    async *run(input: AsyncIterable<RecordBatch>): AsyncIterable<RecordBatch> {
      const layouts = new Map<string, Layout | null>();
      for await (const raw of input) {
        const key = layoutKey(raw);
        let layout = layouts.get(key);
        if (layout === undefined) {
          const schema = schemaOf(raw);
          const newName = renamings.find((r) => r.schema && r.from === schema.name)?.to;
          const nodes = renameNodes(schema, renamings);
          layout =
            nodes || newName !== undefined
              ? new Layout(raw.schema, nodes ?? identityNodes(schema.type), newName)
              : null;
          layouts.set(key, layout);
        }
        yield layout && raw.numRows > 0 ? layout.apply(normalize(raw)) : raw;
      }
    },
  };
}

export const rename: OperatorDef = {
  name: 'rename',
  description: 'rename NEW=OLD, ...: renames fields in place (NEW=:OLD renames a schema)',
  parse(args, ctx) {
    const renamings = commaList(args, ctx, 'NEW=OLD').map((p): Renaming => {
      const a = assignment(p);
      if (!a) fail(ctx, `expected NEW=OLD, got '${sourceOf(p, ctx)}'`, p);
      // `NEW=:OLD` renames a schema; the lexer read `:OLD` as a type extractor.
      if (a.value.length === 1 && a.value[0].kind === 'type') {
        const to = fieldName(a.name, ctx);
        return { to, from: a.value[0].text.slice(1), schema: true, text: to };
      }
      const text = fieldName(a.name, ctx);
      const from = fieldName(a.value, ctx);
      const dot = text.lastIndexOf('.');
      if (dot >= 0 && (from.lastIndexOf('.') !== dot || from.slice(0, dot) !== text.slice(0, dot)))
        fail(
          ctx,
          `the new name replaces the last segment of '${from}' and cannot move it to another record`,
          a.name,
        );
      return { to: text.slice(dot + 1), from, text };
    });
    return renameWith(renamings);
  },
};
