import type * as A from 'apache-arrow';

/**
 * A kernel evaluates one predicate over one column: it sets the bit of every
 * row of `col` (rows `0..rows`, relative to `col.offset`) that matches, in
 * `out`, which the caller zeroed. Kernels never set bits for null rows, except
 * the null tests themselves. One kernel per (operator, type); the compiler
 * picks them, binding literals once per query, never per row.
 */
export type Kernel = (col: A.Data, rows: number, out: Uint8Array) => void;
