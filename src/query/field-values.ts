/**
 * Values of one field of a batch, as literals for a follow-up query: `pivot`
 * and `explore` read their matches and ask for related events by value. The
 * field is found by the suffix rule (`orig_h` finds `id.orig_h`), as in a query.
 */
import * as A from 'apache-arrow';
import type { Literal } from '../expr/ast.js';
import { resolveFields } from '../expr/resolve.js';
import { dataAt, indexPath, normalize, schemaOf } from '../pipeline/batch-ops.js';
import type { VastType } from '../types/type.js';

/** A field's column in a batch and its VAST type; undefined when the batch's schema lacks the field. */
export interface FieldColumn {
  readonly path: string;
  readonly type: VastType;
  /** The literal at row `i`; undefined for a null (or a value with no literal syntax, see `literalAt`). */
  at(i: number): Literal | undefined;
}

/** The column of `name` in `batch` (the first match of the suffix rule, as VAST's pivoter takes). */
export function fieldColumn(batch: A.RecordBatch, name: string): FieldColumn | undefined {
  const schema = schemaOf(batch);
  const leaf = resolveFields(schema, name)[0];
  if (!leaf) return undefined;
  const path = indexPath(schema.type, leaf.segments);
  if (!path) return undefined;
  const data = dataAt(normalize(batch), path);
  const vector = A.makeVector(data);
  return {
    path: leaf.path,
    type: leaf.type,
    at: (i) => (vector.isValid(i) ? literalAt(data, vector, leaf.type, i) : undefined),
  };
}

/**
 * The value at row `i` as a literal. Types without a literal syntax for
 * equality (lists, records, maps, doubles that are not finite) give undefined:
 * callers skip such rows, as VAST's explorer skips rows without a value.
 */
function literalAt(data: A.Data, vector: A.Vector, t: VastType, i: number): Literal | undefined {
  switch (t.kind) {
    case 'bool':
      return { type: 'bool', value: Boolean(vector.get(i)) };
    case 'int64':
      return { type: 'int64', value: BigInt(vector.get(i)) };
    case 'uint64':
      return { type: 'uint64', value: BigInt(vector.get(i)) };
    case 'port':
      return { type: 'uint64', value: BigInt(vector.get(i)) };
    case 'double': {
      const x = Number(vector.get(i));
      return Number.isFinite(x) ? { type: 'double', value: x } : undefined;
    }
    case 'duration':
      return { type: 'duration', ns: BigInt((data.values as BigInt64Array)[data.offset + i]) };
    case 'time':
      return { type: 'time', ns: BigInt((data.values as BigInt64Array)[data.offset + i]) };
    case 'string':
    case 'enum':
      return { type: 'string', value: String(vector.get(i)) };
    case 'ip':
      return { type: 'ip', bytes: (vector.get(i) as Uint8Array).slice() };
    default:
      return undefined;
  }
}
