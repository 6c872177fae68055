/**
 * The VAST type system: a small closed union of types, each mapped onto Arrow
 * in `arrow.ts`. Types are plain data so that schemas can be loaded from YAML,
 * compared structurally and shipped across the network.
 */

export type BasicKind =
  | 'bool'
  | 'int64'
  | 'uint64'
  | 'double'
  | 'duration'
  | 'time'
  | 'string'
  | 'ip'
  | 'subnet'
  | 'port';

/**
 * A type named by the schemas (`type timestamp = time`): `alias` is its name,
 * `aliasOf` the names it aliases in turn, innermost last
 * (`type event_time = timestamp` gives alias `event_time`, aliasOf `[timestamp]`).
 */
interface Named {
  alias?: string;
  aliasOf?: readonly string[];
}

export type VastType =
  | ({ kind: BasicKind } & Named)
  | ({ kind: 'enum' } & Named)
  | ({ kind: 'list'; element: VastType } & Named)
  | ({ kind: 'record'; fields: readonly RecordField[] } & Named)
  | ({ kind: 'map'; key: VastType; value: VastType } & Named);

/** Every name a type goes by, outermost first (`event_time`, `timestamp`); empty for unnamed types. */
export function aliasNames(t: VastType): readonly string[] {
  return t.alias ? [t.alias, ...(t.aliasOf ?? [])] : [];
}

export type RecordType = Extract<VastType, { kind: 'record' }>;
export type ListType = Extract<VastType, { kind: 'list' }>;

export interface RecordField {
  readonly name: string;
  readonly type: VastType;
}

/**
 * A named schema: the layout of one kind of event (`zeek.conn`, `suricata.alert`).
 * `timestamp` is the dotted path of the field that carries the event time, if any.
 */
export interface Schema {
  readonly name: string;
  readonly type: RecordType;
  readonly timestamp?: string;
}

export const BASIC_KINDS: readonly BasicKind[] = [
  'bool',
  'int64',
  'uint64',
  'double',
  'duration',
  'time',
  'string',
  'ip',
  'subnet',
  'port',
];

const basicCache = new Map<BasicKind, VastType>();
/** Returns the shared instance of a basic type. */
export function basic(kind: BasicKind): VastType {
  let t = basicCache.get(kind);
  if (!t) {
    t = { kind };
    basicCache.set(kind, t);
  }
  return t;
}

export const list = (element: VastType): VastType => ({ kind: 'list', element });
export const record = (fields: readonly RecordField[]): RecordType => ({ kind: 'record', fields });

/** A leaf of a record: a non-record field with its dotted path. */
export interface Leaf {
  readonly path: string;
  readonly segments: readonly string[];
  readonly type: VastType;
}

/** Flattens nested records into their leaves in schema order (`id.orig_h`, ...). */
export function leaves(type: RecordType, prefix: readonly string[] = []): Leaf[] {
  const out: Leaf[] = [];
  for (const f of type.fields) {
    const segments = [...prefix, f.name];
    if (f.type.kind === 'record') out.push(...leaves(f.type, segments));
    else out.push({ path: segments.join('.'), segments, type: f.type });
  }
  return out;
}

/**
 * Builds a nested record from dotted leaf paths, as VAST does for Zeek's
 * `id.orig_h`: consecutive fields with a common prefix become one record.
 */
export function unflatten(flat: readonly RecordField[]): RecordType {
  interface Node {
    name: string;
    type?: VastType;
    children?: Node[];
  }
  const root: Node[] = [];
  for (const f of flat) {
    const parts = f.name.split('.');
    let level = root;
    for (let i = 0; i < parts.length - 1; i++) {
      let node = level.find((n) => n.name === parts[i] && n.children);
      if (!node) {
        node = { name: parts[i], children: [] };
        level.push(node);
      }
      level = node.children!;
    }
    level.push({ name: parts[parts.length - 1], type: f.type });
  }
  const build = (nodes: Node[]): RecordType =>
    record(nodes.map((n) => ({ name: n.name, type: n.children ? build(n.children) : n.type! })));
  return build(root);
}

/** Looks up a field by dotted path. */
export function fieldAt(type: RecordType, path: string): VastType | undefined {
  let cur: VastType = type;
  for (const seg of path.split('.')) {
    if (cur.kind !== 'record') return undefined;
    const f: RecordField | undefined = cur.fields.find((x) => x.name === seg);
    if (!f) return undefined;
    cur = f.type;
  }
  return cur;
}

/**
 * Child indices from the top level down to the field at dotted `path` (or at
 * the given segments, for names that themselves contain dots, as JSON keys
 * may); undefined if there is none.
 */
export function indexPath(type: RecordType, path: string | readonly string[]): number[] | undefined {
  const out: number[] = [];
  let cur: VastType = type;
  for (const seg of typeof path === 'string' ? path.split('.') : path) {
    if (cur.kind !== 'record') return undefined;
    const k: number = cur.fields.findIndex((f) => f.name === seg);
    if (k < 0) return undefined;
    out.push(k);
    cur = cur.fields[k].type;
  }
  return out;
}

/** Canonical text of a type, as in VAST: `list<ip>`, `record{a: int64}`. */
export function typeToString(t: VastType): string {
  return typeText(t, false);
}

/** A type as schema files write it: named types by their name (`list<timestamp>`). */
export function typeToNamedString(t: VastType): string {
  return typeText(t, true);
}

function typeText(t: VastType, byAlias: boolean): string {
  if (byAlias && t.alias) return t.alias;
  const text = (x: VastType) => typeText(x, byAlias);
  switch (t.kind) {
    case 'list':
      return `list<${text(t.element)}>`;
    case 'map':
      return `map<${text(t.key)}, ${text(t.value)}>`;
    case 'record':
      return `record{${t.fields.map((f) => `${f.name}: ${text(f.type)}`).join(', ')}}`;
    default:
      return t.kind;
  }
}

export function typesEqual(a: VastType, b: VastType): boolean {
  return typeToString(a) === typeToString(b);
}

/** Exhaustiveness helper for switches over unions. */
export function unreachable(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)}`);
}
