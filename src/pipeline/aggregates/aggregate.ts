/**
 * The aggregate contract for `summarize`, after arquero's
 * `src/op/aggregate-functions.js` (`create(params)` → `{add, value}`), but
 * vectorised: one aggregator holds the state of every group in typed arrays
 * and folds in a whole Arrow column at a time.
 */
import type * as A from 'apache-arrow';
import { typeToString, type VastType } from '../../types/type.js';
import { OperatorRuntimeError } from '../operator.js';

/** A column of one batch (offset-free, see `normalize`) with its VAST type. */
export interface AggregateColumn {
  readonly data: A.Data;
  readonly type: VastType;
}

export interface Aggregator {
  /**
   * Folds in one batch: row `r < rows` belongs to group `groups[r]`, and all
   * group ids are below `numGroups`. `column` is undefined when the batch's
   * schema has no such field; its rows then count as nulls.
   * Throws `OperatorRuntimeError` for values it cannot aggregate.
   */
  add(column: AggregateColumn | undefined, groups: Int32Array, rows: number, numGroups: number): void;
  /** The result of groups `0..numGroups-1`, in group order; a group without values is null (count: 0). */
  value(numGroups: number): AggregateColumn;
}

export interface AggregateParams {
  /** The field argument as written (`sum(bytes)` → `bytes`), if any. */
  readonly field?: string;
}

export interface AggregateDef {
  readonly name: string;
  readonly description: string;
  /** `none`: no argument; `optional`: `count()` or `count(f)`; `required`: `sum(f)`. */
  readonly field: 'none' | 'optional' | 'required';
  create(params: AggregateParams): Aggregator;
}

/** `fn(field)`, as errors and default output names show an aggregation. */
function aggregateText(name: string, params: AggregateParams): string {
  return `${name}(${params.field ?? ''})`;
}

export function aggregateError(name: string, params: AggregateParams, message: string): OperatorRuntimeError {
  return new OperatorRuntimeError('summarize', `${aggregateText(name, params)}: ${message}`);
}

/** `arr` grown to at least `n` entries (doubling), new entries zero. */
export function grow<T extends Float64Array | Int32Array | Uint8Array>(arr: T, n: number): T {
  if (arr.length >= n) return arr;
  const next = new (arr.constructor as new (n: number) => T)(Math.max(n, arr.length * 2, 16));
  next.set(arr);
  return next;
}

const NUMERIC = new Set(['int64', 'uint64', 'double', 'port']);

/**
 * The result type when one aggregate sees `next` after `current` in another
 * schema: equal types stay; strings and enums give string; mixed numbers give
 * double; anything else is an error.
 */
export function unifyTypes(
  current: VastType | undefined,
  next: VastType,
  fail: (msg: string) => Error,
): VastType {
  if (!current) return next;
  const a = typeToString(current);
  const b = typeToString(next);
  if (a === b) return current;
  if ((a === 'string' || a === 'enum') && (b === 'string' || b === 'enum')) return { kind: 'string' };
  if (NUMERIC.has(a) && NUMERIC.has(b)) return { kind: 'double' };
  throw fail(`the field is ${a} in one schema and ${b} in another`);
}

/** Whether row `i` of an offset-free column is valid. */
export function validRow(data: A.Data, i: number): boolean {
  const bits = data.nullBitmap;
  return data.nullCount === 0 || !bits || bits.length === 0 || (bits[i >> 3] & (1 << (i & 7))) !== 0;
}
