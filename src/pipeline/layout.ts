/**
 * New layouts for batches: rebuilding an input layout without copying
 * columns (select, drop, rename), and assembling batches from new columns
 * (summarize, extend).
 */
import * as A from 'apache-arrow';
import { VastError } from '../diagnostics.js';
import { arrowField, SCHEMA_TIMESTAMP_KEY, vastSchema } from '../types/arrow.js';
import {
  type ColumnBuilder,
  type IpColumnBuilder,
  isInt64Builder,
  type ListBuilder,
  makeColumnBuilder,
  type RecordBuilder,
} from '../types/builder.js';
import { formatSubnet } from '../types/subnet.js';
import { type RecordType, typeToString, type VastType } from '../types/type.js';
import type { Value } from '../types/values.js';
import { dataAt, indexPath } from './batch-ops.js';

/**
 * One field of a rebuilt layout: the input field at child-index path
 * `source`, renamed to `name`, either whole or (with `children`) as a record
 * rebuilt from some of its fields.
 */
export interface LayoutNode {
  readonly name: string;
  readonly source: readonly number[];
  readonly children?: readonly LayoutNode[];
}

interface Planned {
  readonly node: LayoutNode;
  readonly field: A.Field;
  readonly children?: readonly Planned[];
}

/**
 * A rebuilt layout for batches of one input schema (select, drop, rename):
 * columns are reused, never copied; only records on the way to a changed field
 * get a new struct around the old children. The schema's timestamp path
 * follows renames and is dropped with its field.
 */
export class Layout {
  readonly schema: A.Schema;
  private readonly planned: readonly Planned[];

  constructor(input: A.Schema, nodes: readonly LayoutNode[], name?: string) {
    const fieldAt = (path: readonly number[]): A.Field => {
      let f = input.fields[path[0]];
      for (const k of path.slice(1)) f = f.type.children[k];
      return f;
    };
    const plan = (node: LayoutNode): Planned => {
      const f = fieldAt(node.source);
      if (!node.children) return { node, field: new A.Field(node.name, f.type, f.nullable, f.metadata) };
      const children = node.children.map(plan);
      const type = new A.Struct(children.map((c) => c.field));
      return { node, field: new A.Field(node.name, type, f.nullable, f.metadata), children };
    };
    this.planned = nodes.map(plan);
    const metadata = new Map(input.metadata);
    if (name !== undefined) metadata.set('vast.schema', name);
    const ts = input.metadata.get(SCHEMA_TIMESTAMP_KEY);
    if (ts !== undefined) {
      const moved = movedPath(input, nodes, ts);
      if (moved === undefined) metadata.delete(SCHEMA_TIMESTAMP_KEY);
      else metadata.set(SCHEMA_TIMESTAMP_KEY, moved);
    }
    this.schema = new A.Schema(
      this.planned.map((p) => p.field),
      metadata,
    );
  }

  /** Applies the layout to a normalized batch of the input schema. */
  apply(batch: A.RecordBatch): A.RecordBatch {
    const build = (p: Planned): A.Data => {
      const d = dataAt(batch, p.node.source);
      if (!p.children) return d;
      return A.makeData({
        type: p.field.type as A.Struct,
        offset: d.offset,
        length: d.length,
        nullCount: d.nullCount,
        nullBitmap: d.nullBitmap,
        children: p.children.map(build),
      });
    };
    const children = this.planned.map(build);
    const data = A.makeData({
      type: new A.Struct(this.schema.fields),
      length: batch.numRows,
      nullCount: 0,
      children,
    });
    return new A.RecordBatch(this.schema, data);
  }
}

/** Where the input field at dotted `path` ends up under `nodes`; undefined if it is gone. */
function movedPath(input: A.Schema, nodes: readonly LayoutNode[], path: string): string | undefined {
  const target = indexPath(vastSchema(input).type, path);
  if (!target) return undefined;
  const walk = (ns: readonly LayoutNode[], prefix: string): string | undefined => {
    for (const n of ns) {
      const out = prefix ? `${prefix}.${n.name}` : n.name;
      const isPrefix = n.source.every((k, i) => target[i] === k);
      if (!isPrefix || n.source.length > target.length) continue;
      if (!n.children) {
        // Kept whole: the rest of the path keeps its input names.
        let f = input.fields[target[0]];
        const names: string[] = [];
        for (let i = 1; i < target.length; i++) {
          f = f.type.children[target[i]];
          if (i >= n.source.length) names.push(f.name);
        }
        return [out, ...names].join('.');
      }
      const found = walk(n.children, out);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return walk(nodes, '');
}

/** The layout that keeps every field as it is, for operators that rebuild only some records. */
export function identityNodes(type: RecordType, prefix: readonly number[] = []): LayoutNode[] {
  return type.fields.map((f, k) => ({ name: f.name, source: [...prefix, k] }));
}

function appendValue(b: ColumnBuilder, t: VastType, v: Value): void {
  if (v === null) {
    b.appendNull();
    return;
  }
  let ok: boolean;
  switch (t.kind) {
    case 'int64':
    case 'uint64':
    case 'time':
    case 'duration':
      ok = isInt64Builder(b) && b.appendBigInt(typeof v === 'bigint' ? v : BigInt(v as number));
      break;
    case 'double':
    case 'port':
      ok = b.appendJson(Number(v as number | bigint));
      break;
    case 'bool':
      ok = b.appendJson(v);
      break;
    case 'string':
    case 'enum':
      ok = b.appendText(v as string);
      break;
    case 'ip':
      ok = (b as IpColumnBuilder).appendRaw((v as { ip: Uint8Array }).ip, 0);
      break;
    case 'subnet': {
      const s = v as { subnet: Uint8Array; length: number };
      ok = b.appendText(formatSubnet(s.subnet, s.length));
      break;
    }
    case 'list': {
      const lb = b as ListBuilder;
      for (const x of v as Value[]) appendValue(lb.child, t.element, x);
      ok = lb.closeList();
      break;
    }
    case 'record': {
      const rb = b as RecordBuilder;
      const obj = v as { [k: string]: Value };
      t.fields.forEach((f, k) => {
        appendValue(rb.children[k], f.type, obj[f.name] ?? null);
      });
      ok = rb.closeRecord();
      break;
    }
    default:
      ok = false;
  }
  if (!ok) throw new VastError(`cannot build a ${typeToString(t)} column from ${String(v)}`);
}

/** A column of type `t` holding `values` (plain values as `valueAt` returns them; maps unsupported). */
export function buildColumn(t: VastType, values: readonly Value[]): A.Data {
  const b = makeColumnBuilder(t);
  for (const v of values) appendValue(b, t, v);
  return b.finish();
}

/** A column of a batch being assembled: a dotted `path` nests it into records. */
export interface OutputColumn {
  /** Dotted path; with `flat` the whole path is one field name (`sum(id.orig_bytes)`). */
  readonly path: string;
  readonly flat?: boolean;
  readonly type: VastType;
  readonly data: A.Data;
}

/**
 * A batch of schema `name` from columns; dotted paths become nested records
 * (`id.orig_h` → `id: record{orig_h}`), fields in first-mention order. The
 * Arrow field types are the columns' own (their dictionary ids included).
 */
export function makeBatch(name: string, columns: readonly OutputColumn[], length: number): A.RecordBatch {
  interface Node {
    name: string;
    column?: OutputColumn;
    children?: Node[];
  }
  const root: Node[] = [];
  for (const c of columns) {
    const parts = c.flat ? [c.path] : c.path.split('.');
    let level = root;
    for (const part of parts.slice(0, -1)) {
      let node = level.find((n) => n.name === part && n.children);
      if (!node) {
        node = { name: part, children: [] };
        level.push(node);
      }
      level = node.children!;
    }
    const leaf = parts[parts.length - 1];
    if (level.some((n) => n.name === leaf)) throw new VastError(`duplicate output field '${c.path}'`);
    level.push({ name: leaf, column: c });
  }
  const build = (n: Node): { field: A.Field; data: A.Data } => {
    if (n.column) {
      const meta = arrowField(n.name, n.column.type).metadata;
      return { field: new A.Field(n.name, n.column.data.type, true, meta), data: n.column.data };
    }
    const kids = n.children!.map(build);
    const type = new A.Struct(kids.map((k) => k.field));
    return {
      field: new A.Field(n.name, type, true),
      data: A.makeData({ type, length, nullCount: 0, children: kids.map((k) => k.data) }),
    };
  };
  const built = root.map(build);
  const schema = new A.Schema(
    built.map((b) => b.field),
    new Map([['vast.schema', name]]),
  );
  const data = A.makeData({
    type: new A.Struct(schema.fields),
    length,
    nullCount: 0,
    children: built.map((b) => b.data),
  });
  return new A.RecordBatch(schema, data);
}
