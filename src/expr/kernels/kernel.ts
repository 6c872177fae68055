import type * as A from 'apache-arrow';

/**
 * A kernel evaluates one predicate over one column: it sets the bit of every
 * row of `col` (rows `0..rows`, relative to `col.offset`) that matches, in
 * `out`, which the caller zeroed. Kernels never set bits for null rows, except
 * the null tests themselves. One kernel per (operator, type); the compiler
 * picks them, binding literals once per query, never per row.
 *
 * `within`, when given, is a bitmap of the rows the caller still needs (the
 * rows a conjunction's earlier terms left): a kernel that costs per value (a
 * string test) may skip the others and leave their bits clear; cheap kernels
 * ignore it.
 */
export type Kernel = (col: A.Data, rows: number, out: Uint8Array, within?: Uint8Array) => void;

/** Whether row `r` is among the rows `within` names (all rows without it). */
export const wanted = (within: Uint8Array | undefined, r: number) =>
  within === undefined || (within[r >> 3] & (1 << (r & 7))) !== 0;
