import { basic, type Schema, type VastType } from '../../types/type.js';
import { CorruptionError } from '../errors.js';
import type { ReadNode } from './assemble.js';
import {
  ConvertedType,
  LogicalType,
  PhysicalType,
  Repetition,
  SchemaElement,
  TimestampType,
  TimeUnit,
  VAST_LAYOUT_KEY,
} from './format.js';
import type { LeafColumn, ParquetNode } from './schema.js';
import type { ThriftStruct, ThriftValue } from './thrift.js';

const text = new TextDecoder();

export const isStruct = (v: ThriftValue | undefined): v is ThriftStruct =>
  typeof v === 'object' && !(v instanceof Uint8Array) && !Array.isArray(v);

/** Field accessors that turn a missing or mistyped field into a CorruptionError. */
export class Fields {
  constructor(private readonly file: string) {}

  fail(reason: string): never {
    throw new CorruptionError(this.file, reason);
  }

  int(s: ThriftStruct, id: number, what: string): number {
    const v = s[id];
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) return this.fail(`Parquet footer lacks ${what}`);
    return v;
  }

  optInt(s: ThriftStruct, id: number, what: string): number | undefined {
    return s[id] === undefined ? undefined : this.int(s, id, what);
  }

  str(s: ThriftStruct, id: number, what: string): string {
    const v = s[id];
    if (!(v instanceof Uint8Array)) return this.fail(`Parquet footer lacks ${what}`);
    return text.decode(v);
  }

  list(s: ThriftStruct, id: number, what: string): ThriftStruct[] {
    const v = s[id];
    if (!Array.isArray(v) || !v.every(isStruct)) return this.fail(`Parquet footer lacks ${what}`);
    return v as ThriftStruct[];
  }
}

/** A schema node with the raw element it came from (for annotations the tree does not keep). */
export interface FileSchema {
  root: ParquetNode;
  raw: Map<ParquetNode, ThriftStruct>;
}

export function fileSchema(f: Fields, elements: ThriftStruct[]): FileSchema {
  const raw = new Map<ParquetNode, ThriftStruct>();
  let i = 0;
  const build = (depth: number): ParquetNode => {
    if (i >= elements.length) f.fail('Parquet schema ends before its tree does');
    if (depth > 64) f.fail('Parquet schema nests more than 64 levels');
    const e = elements[i++];
    const name = f.str(e, SchemaElement.name, 'a schema element name');
    const repetition = (f.optInt(e, SchemaElement.repetition_type, 'repetition') ??
      Repetition.REQUIRED) as Repetition;
    if (repetition < 0 || repetition > 2) f.fail(`bad repetition ${repetition} of ${name}`);
    const kids = f.optInt(e, SchemaElement.num_children, 'num_children');
    const physical = f.optInt(e, SchemaElement.type, 'type');
    const node: ParquetNode = { name, repetition, vast: undefined };
    const converted = f.optInt(e, SchemaElement.converted_type, 'converted_type');
    if (converted !== undefined) node.converted = converted;
    if (physical === undefined || (kids !== undefined && kids > 0)) {
      if (kids === undefined || kids < 0 || kids > elements.length) f.fail(`bad child count of ${name}`);
      node.children = [];
      for (let k = 0; k < kids; k++) node.children.push(build(depth + 1));
    } else {
      node.physical = physical;
      const len = f.optInt(e, SchemaElement.type_length, 'type_length');
      if (len !== undefined) node.typeLength = len;
      if (physical === PhysicalType.FIXED_LEN_BYTE_ARRAY && !(len !== undefined && len > 0 && len < 1 << 20))
        f.fail(`bad length of fixed-length column ${name}`);
    }
    raw.set(node, e);
    return node;
  };
  const root = build(0);
  if (i !== elements.length) f.fail('Parquet schema has elements outside its tree');
  if (!root.children) f.fail('Parquet schema root is not a group');
  return { root, raw };
}

/** The logical type's member id, if the element has one. */
function logicalId(e: ThriftStruct | undefined): number | undefined {
  const l = e?.[SchemaElement.logicalType];
  if (!isStruct(l)) return undefined;
  const ids = Object.keys(l).map(Number);
  return ids.length === 1 ? ids[0] : undefined;
}

/** Nanoseconds per stored unit of a timestamp column (1 for NANOS and for anything else). */
function timeScale(e: ThriftStruct | undefined): bigint {
  const l = e?.[SchemaElement.logicalType];
  if (isStruct(l) && isStruct(l[LogicalType.TIMESTAMP])) {
    const unit = (l[LogicalType.TIMESTAMP] as ThriftStruct)[TimestampType.unit];
    if (isStruct(unit)) {
      if (unit[TimeUnit.MILLIS] !== undefined) return 1_000_000n;
      if (unit[TimeUnit.MICROS] !== undefined) return 1000n;
    }
    return 1n;
  }
  const c = e?.[SchemaElement.converted_type];
  if (c === ConvertedType.TIMESTAMP_MILLIS) return 1_000_000n;
  if (c === ConvertedType.TIMESTAMP_MICROS) return 1000n;
  return 1n;
}

const isListNode = (n: ParquetNode, e: ThriftStruct | undefined) =>
  n.converted === ConvertedType.LIST || logicalId(e) === LogicalType.LIST;
const isMapNode = (n: ParquetNode, e: ThriftStruct | undefined) =>
  n.converted === ConvertedType.MAP ||
  n.converted === ConvertedType.MAP_KEY_VALUE ||
  logicalId(e) === LogicalType.MAP;

/**
 * A LIST's element: the repeated group's only child (three levels), or the
 * repeated node itself in the legacy two-level forms (LogicalTypes.md,
 * "Backward-compatibility rules").
 */
function listElement(list: ParquetNode): ParquetNode {
  const g = list.children![0];
  const two = g.children?.length !== 1 || g.name === 'array' || g.name === `${list.name}_tuple`;
  return two ? g : g.children![0];
}

/** VAST types of a file written without a layout, from its Parquet types. */
export function deriveType(f: Fields, n: ParquetNode, s: FileSchema, path: string): VastType {
  const e = s.raw.get(n);
  if (n.children) {
    const repeated = n.children[0];
    if (isListNode(n, e)) {
      if (n.children.length !== 1 || repeated.repetition !== Repetition.REPEATED)
        f.fail(`malformed LIST ${path}`);
      return { kind: 'list', element: deriveType(f, listElement(n), s, path) };
    }
    if (isMapNode(n, e)) {
      if (
        n.children.length !== 1 ||
        repeated.repetition !== Repetition.REPEATED ||
        repeated.children?.length !== 2
      )
        f.fail(`malformed MAP ${path}`);
      const [k, v] = repeated.children!;
      return {
        kind: 'map',
        key: deriveType(f, k, s, `${path}.key`),
        value: deriveType(f, v, s, `${path}.value`),
      };
    }
    return {
      kind: 'record',
      fields: n.children.map((c) => {
        if (c.repetition === Repetition.REPEATED)
          f.fail(`unsupported repeated field ${path}.${c.name} outside a LIST`);
        return { name: c.name, type: deriveType(f, c, s, `${path}.${c.name}`) };
      }),
    };
  }
  const logical = logicalId(e);
  const int = e?.[SchemaElement.logicalType];
  const intType =
    isStruct(int) && isStruct(int[LogicalType.INTEGER])
      ? (int[LogicalType.INTEGER] as ThriftStruct)
      : undefined;
  const unsigned = intType ? intType[2] === false : undefined;
  const bits = intType ? (intType[1] as number) : undefined;
  switch (n.physical) {
    case PhysicalType.BOOLEAN:
      return basic('bool');
    case PhysicalType.INT32:
      if (n.converted === ConvertedType.UINT_16 || (unsigned && bits === 16)) return basic('port');
      if (n.converted === ConvertedType.UINT_8 || n.converted === ConvertedType.UINT_32 || unsigned)
        return basic('uint64');
      return basic('int64');
    case PhysicalType.INT64:
      if (
        logical === LogicalType.TIMESTAMP ||
        n.converted === ConvertedType.TIMESTAMP_MICROS ||
        n.converted === ConvertedType.TIMESTAMP_MILLIS
      )
        return basic('time');
      if (n.converted === ConvertedType.UINT_64 || unsigned) return basic('uint64');
      return basic('int64');
    case PhysicalType.FLOAT:
    case PhysicalType.DOUBLE:
      return basic('double');
    case PhysicalType.BYTE_ARRAY:
      return n.converted === ConvertedType.ENUM || logical === LogicalType.ENUM
        ? { kind: 'enum' }
        : basic('string');
    case PhysicalType.FIXED_LEN_BYTE_ARRAY:
      // Our own mapping of ip, when the layout is not there to say so.
      return n.typeLength === 16 && logical === undefined ? basic('ip') : basic('string');
    default:
      return f.fail(`unsupported Parquet physical type ${n.physical} of column ${path}`);
  }
}

/** Checks the file's schema against the layout's (names, physical types, repetition, shape). */
export function checkShape(
  f: Fields,
  got: ParquetNode,
  want: ParquetNode,
  path: string,
  layout: string,
  inner = false,
): void {
  const bad = (what: string) =>
    f.fail(`Parquet schema does not match layout ${layout}: ${path || 'root'} ${what}`);
  // The nodes inside a list or map are named by the writer (`list`/`element`, arrow-rs's
  // `item`, the legacy `array`): only record fields must match by name.
  if (path && !inner && got.name !== want.name) bad(`is named ${got.name}, expected ${want.name}`);
  // A required column where the layout has an optional one only means it has no nulls (DuckDB's NOT NULL).
  const rep =
    got.repetition === want.repetition ||
    (got.repetition === Repetition.REQUIRED && want.repetition === Repetition.OPTIONAL);
  if (path && !rep) bad(`has repetition ${got.repetition}, expected ${want.repetition}`);
  if (!!got.children !== !!want.children)
    bad(want.children ? 'is a column, expected a group' : 'is a group, expected a column');
  if (want.children) {
    if (got.children!.length !== want.children.length)
      bad(`has ${got.children!.length} children, expected ${want.children.length}`);
    const structural = want.vast === undefined || want.vast.kind === 'list' || want.vast.kind === 'map';
    got.children!.forEach((c, i) => {
      checkShape(
        f,
        c,
        want.children![i],
        path ? `${path}.${want.children![i].name}` : want.children![i].name,
        layout,
        structural,
      );
    });
    return;
  }
  if (got.physical !== want.physical) bad(`has physical type ${got.physical}, expected ${want.physical}`);
  if (want.typeLength !== undefined && got.typeLength !== want.typeLength)
    bad(`has length ${got.typeLength}, expected ${want.typeLength}`);
}

/** Builds the reader's tree of a file node holding values of `t`, consuming its leaves in order. */
export function readTree(
  n: ParquetNode,
  t: VastType,
  parentDef: number,
  s: FileSchema,
  leaves: Iterator<LeafColumn>,
  f: Fields,
): ReadNode {
  const def = n.repetition === Repetition.REQUIRED ? parentDef : parentDef + 1;
  const scale = 1n;
  const node = (kind: ReadNode['kind'], children: ReadNode[], itemDef = 0, itemRep = 0): ReadNode => ({
    node: n,
    kind,
    def,
    children,
    itemDef,
    itemRep,
    leaves: children.flatMap((c) => c.leaves),
    scale,
  });
  switch (t.kind) {
    case 'record':
    case 'subnet': {
      const types: VastType[] =
        t.kind !== 'record'
          ? [basic('ip'), basic('uint64')]
          : t.fields.length > 0
            ? t.fields.map((x) => x.type)
            : [basic('bool')]; // the empty record's marker (see schema.ts)
      if (n.children?.length !== types.length) f.fail(`Parquet group ${n.name} does not hold a ${t.kind}`);
      return node(
        'struct',
        n.children.map((c, i) => readTree(c, types[i], def, s, leaves, f)),
      );
    }
    case 'list':
    case 'map': {
      const g = n.children?.[0];
      if (!g || g.repetition !== Repetition.REPEATED)
        f.fail(`Parquet group ${n.name} does not hold a ${t.kind}`);
      const itemDef = def + 1;
      const itemRep = repLevels.get(g) ?? f.fail(`Parquet group ${n.name} has no columns`);
      if (t.kind === 'list') {
        const e = listElement(n);
        // Two-level lists: the repeated node is the element (its levels are the item's).
        const child =
          e === g ? readTree(g, t.element, def, s, leaves, f) : readTree(e, t.element, itemDef, s, leaves, f);
        return node('list', [child], itemDef, itemRep);
      }
      if (g.children?.length !== 2) f.fail(`Parquet group ${n.name} does not hold a map`);
      return node(
        'map',
        [
          readTree(g.children[0], t.key, itemDef, s, leaves, f),
          readTree(g.children[1], t.value, itemDef, s, leaves, f),
        ],
        itemDef,
        itemRep,
      );
    }
    default: {
      const next = leaves.next();
      if (next.done || next.value.node !== n) f.fail(`Parquet column ${n.name} does not hold a ${t.kind}`);
      return {
        node: n,
        kind: 'leaf',
        def,
        children: [],
        itemDef: 0,
        itemRep: 0,
        leaves: [next.value],
        scale: timeScale(s.raw.get(n)),
      };
    }
  }
}

/** The repetition level of each repeated node (the count of repeated nodes down to it). */
const repLevels = new WeakMap<ParquetNode, number>();

/** Records the repetition level of every repeated node from the leaves' ancestry. */
export function noteRepLevels(leaves: readonly LeafColumn[]): void {
  for (const l of leaves) {
    let r = 0;
    for (const a of l.ancestry) {
      if (a.repetition === Repetition.REPEATED) repLevels.set(a, ++r);
    }
  }
}

export function parseLayout(f: Fields, json: string): Schema {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return f.fail(`${VAST_LAYOUT_KEY} is not JSON`);
  }
  const s = v as Schema;
  if (typeof s?.name !== 'string' || s.type?.kind !== 'record' || !Array.isArray(s.type.fields))
    return f.fail(`${VAST_LAYOUT_KEY} is not a VAST schema`);
  return s;
}
