/**
 * How a VAST layout is laid out in Parquet: one tree of schema nodes, from
 * which the writer takes the footer's schema elements and the column chunks
 * it must write, and the reader the column chunks it must read and how to
 * reassemble nested values (definition and repetition levels). One function
 * serves both, so the two can never disagree.
 *
 * The mapping follows what DuckDB, pyarrow and Spark write, so that each
 * reads our files with the natural types:
 *
 *   bool      BOOLEAN
 *   int64     INT64                        INTEGER(64, signed)
 *   uint64    INT64  (UINT_64)             INTEGER(64, unsigned)
 *   duration  INT64                        (nanoseconds; the Arrow schema says duration)
 *   double    DOUBLE
 *   time      INT64                        TIMESTAMP(NANOS, UTC)
 *   string    BYTE_ARRAY (UTF8)            STRING
 *   enum      BYTE_ARRAY (UTF8)            STRING (the layout says enum)
 *   ip        FIXED_LEN_BYTE_ARRAY(16)     (IPv4 as IPv4-mapped IPv6, as in Arrow)
 *   port      INT32 (UINT_16)              INTEGER(16, unsigned)
 *   subnet    group { address FLBA(16), length INT32 (UINT_8) }
 *   record    group { fields... }
 *   list<T>   group (LIST) { repeated group list { element T } }
 *   map<K,V>  group (MAP)  { repeated group key_value { required key K, value V } }
 *
 * Every field is OPTIONAL (Arrow fields are nullable), except map keys.
 *
 * Parquet has no empty groups (DuckDB and our reader refuse them, arrow-rs
 * drops the field), but JSON's `{}` makes an empty record: it holds one
 * BOOLEAN leaf, EMPTY_RECORD_MARKER, that is always null, so that its
 * definition levels still say whether the record is there.
 */

import type { RecordType, VastType } from '../../types/type.js';
import { unreachable } from '../../types/type.js';
import { ConvertedType, PhysicalType, Repetition } from './format.js';

export type Logical =
  | { kind: 'string' }
  | { kind: 'list' }
  | { kind: 'map' }
  | { kind: 'int'; bits: number; signed: boolean }
  | { kind: 'timestamp-nanos-utc' };

export interface ParquetNode {
  name: string;
  repetition: Repetition;
  /** The VAST type whose values this node holds; undefined for the repeated middle groups of lists and maps. */
  vast: VastType | undefined;
  /** Leaves only. */
  physical?: number;
  typeLength?: number;
  converted?: number;
  logical?: Logical;
  /** Groups only. */
  children?: ParquetNode[];
}

/** A leaf: one column chunk per row group, in this order. */
export interface LeafColumn {
  /** Index among the leaves, which is the column chunk's index in a row group. */
  index: number;
  /** Names from the root's child down to the leaf (`path_in_schema`). */
  path: string[];
  node: ParquetNode;
  /** Nodes from the root's child down to the leaf. */
  ancestry: ParquetNode[];
  /** The definition level of a present value, and the repetition level of a list's further element. */
  maxDef: number;
  maxRep: number;
  /** The index of the top-level field this leaf belongs to. */
  field: number;
}

const leaf = (
  name: string,
  vast: VastType,
  physical: number,
  extra: Partial<ParquetNode> = {},
  repetition: Repetition = Repetition.OPTIONAL,
): ParquetNode => ({ name, repetition, vast, physical, ...extra });

const group = (
  name: string,
  vast: VastType | undefined,
  children: ParquetNode[],
  extra: Partial<ParquetNode> = {},
  repetition: Repetition = Repetition.OPTIONAL,
): ParquetNode => ({ name, repetition, vast, children, ...extra });

const EMPTY_RECORD_MARKER = 'vast_empty_record';

/** Whether a node is an empty record (whose one child is the marker, with no Arrow column behind it). */
export const isEmptyRecord = (n: ParquetNode): boolean =>
  n.vast?.kind === 'record' && n.vast.fields.length === 0;

/** The children of a record's group. */
const recordChildren = (t: RecordType): ParquetNode[] =>
  t.fields.length > 0
    ? t.fields.map((f) => parquetNode(f.name, f.type))
    : [leaf(EMPTY_RECORD_MARKER, { kind: 'bool' }, PhysicalType.BOOLEAN)];

/** The node of one field of type `t`. */
function parquetNode(name: string, t: VastType, repetition: Repetition = Repetition.OPTIONAL): ParquetNode {
  switch (t.kind) {
    case 'bool':
      return leaf(name, t, PhysicalType.BOOLEAN, {}, repetition);
    case 'int64':
      return leaf(
        name,
        t,
        PhysicalType.INT64,
        { logical: { kind: 'int', bits: 64, signed: true } },
        repetition,
      );
    case 'uint64':
      return leaf(
        name,
        t,
        PhysicalType.INT64,
        { converted: ConvertedType.UINT_64, logical: { kind: 'int', bits: 64, signed: false } },
        repetition,
      );
    case 'duration':
      return leaf(name, t, PhysicalType.INT64, {}, repetition);
    case 'double':
      return leaf(name, t, PhysicalType.DOUBLE, {}, repetition);
    case 'time':
      return leaf(name, t, PhysicalType.INT64, { logical: { kind: 'timestamp-nanos-utc' } }, repetition);
    case 'string':
    case 'enum':
      return leaf(
        name,
        t,
        PhysicalType.BYTE_ARRAY,
        { converted: ConvertedType.UTF8, logical: { kind: 'string' } },
        repetition,
      );
    case 'ip':
      return leaf(name, t, PhysicalType.FIXED_LEN_BYTE_ARRAY, { typeLength: 16 }, repetition);
    case 'port':
      return leaf(
        name,
        t,
        PhysicalType.INT32,
        { converted: ConvertedType.UINT_16, logical: { kind: 'int', bits: 16, signed: false } },
        repetition,
      );
    case 'subnet':
      return group(
        name,
        t,
        [
          leaf('address', { kind: 'ip' }, PhysicalType.FIXED_LEN_BYTE_ARRAY, { typeLength: 16 }),
          leaf('length', { kind: 'uint64' }, PhysicalType.INT32, {
            converted: ConvertedType.UINT_8,
            logical: { kind: 'int', bits: 8, signed: false },
          }),
        ],
        {},
        repetition,
      );
    case 'record':
      return group(name, t, recordChildren(t), {}, repetition);
    case 'list':
      return group(
        name,
        t,
        [group('list', undefined, [parquetNode('element', t.element)], {}, Repetition.REPEATED)],
        { converted: ConvertedType.LIST, logical: { kind: 'list' } },
        repetition,
      );
    case 'map':
      return group(
        name,
        t,
        [
          group(
            'key_value',
            undefined,
            [parquetNode('key', t.key, Repetition.REQUIRED), parquetNode('value', t.value)],
            {},
            Repetition.REPEATED,
          ),
        ],
        { converted: ConvertedType.MAP, logical: { kind: 'map' } },
        repetition,
      );
    default:
      return unreachable(t);
  }
}

/** The root of a layout's Parquet schema (REQUIRED, named `schema` as most writers do). */
export function parquetSchema(layout: RecordType): ParquetNode {
  return group('schema', layout, recordChildren(layout), {}, Repetition.REQUIRED);
}

/** The root and its descendants in pre-order: the footer's list of schema elements. */
export function schemaNodes(root: ParquetNode): ParquetNode[] {
  const out: ParquetNode[] = [];
  const walk = (n: ParquetNode) => {
    out.push(n);
    for (const c of n.children ?? []) walk(c);
  };
  walk(root);
  return out;
}

/** The leaves of a schema, in column-chunk order, with their levels. */
export function leafColumns(root: ParquetNode): LeafColumn[] {
  const out: LeafColumn[] = [];
  const walk = (n: ParquetNode, ancestry: ParquetNode[], def: number, rep: number, field: number) => {
    const d = n.repetition === Repetition.REQUIRED ? def : def + 1;
    const r = n.repetition === Repetition.REPEATED ? rep + 1 : rep;
    const here = [...ancestry, n];
    if (!n.children) {
      out.push({
        index: out.length,
        path: here.map((x) => x.name),
        node: n,
        ancestry: here,
        maxDef: d,
        maxRep: r,
        field,
      });
      return;
    }
    for (const c of n.children) walk(c, here, d, r, field);
  };
  (root.children ?? []).forEach((c, i) => {
    walk(c, [], 0, 0, i);
  });
  return out;
}
