/**
 * `sum(f)`: integers stay integers and are exact (bigint-safe), doubles give
 * a double, durations a duration. int64 and uint64 mix exactly (int64 result
 * if any input was signed, uint64 otherwise); a double anywhere turns the
 * result into a double. A sum outside the result type's range is null.
 */
import { basic, type VastType } from '../../types/type.js';
import type { Value } from '../../types/values.js';
import { buildColumn } from '../layout.js';
import {
  type AggregateColumn,
  type AggregateDef,
  type AggregateParams,
  type Aggregator,
  aggregateError,
  grow,
  validRow,
} from './aggregate.js';

const TWO32 = 4294967296;
/** Carry the low sum into the high one before it leaves the exact range of a double. */
const CARRY_AT = 2 ** 52;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

type Mode = 'none' | 'int' | 'double' | 'duration';

class Sum implements Aggregator {
  private mode: Mode = 'none';
  private signed = false;
  /**
   * Integer sums as `hi * 2^32 + lo`: each 64-bit input adds its high word
   * (signed for int64) to `hi` and its low word to `lo`, so no BigInt is made
   * per row; exact while |hi| stays below 2^53 (about 2^21 rows of extreme
   * values, far beyond where the int64 result would overflow anyway).
   */
  private hi = new Float64Array(0);
  private lo = new Float64Array(0);
  private dbl = new Float64Array(0);
  private seen = new Uint8Array(0);

  constructor(private readonly params: AggregateParams) {}

  add(column: AggregateColumn | undefined, groups: Int32Array, rows: number, numGroups: number): void {
    this.hi = grow(this.hi, numGroups);
    this.lo = grow(this.lo, numGroups);
    this.dbl = grow(this.dbl, numGroups);
    this.seen = grow(this.seen, numGroups);
    if (!column) return;
    const kind = column.type.kind;
    const fail = (msg: string) => aggregateError('sum', this.params, msg);
    switch (kind) {
      case 'int64':
      case 'uint64':
        if (this.mode === 'duration') throw fail(`cannot add ${kind} to duration`);
        if (this.mode === 'none') this.mode = 'int';
        if (kind === 'int64') this.signed = true;
        this.addWords(column, groups, rows, kind === 'int64');
        return;
      case 'duration':
        if (this.mode !== 'none' && this.mode !== 'duration') throw fail('cannot add duration to numbers');
        this.mode = 'duration';
        this.signed = true;
        this.addWords(column, groups, rows, true);
        return;
      case 'double': {
        if (this.mode === 'duration') throw fail('cannot add double to duration');
        if (this.mode === 'int') this.toDouble();
        this.mode = 'double';
        const v = column.data.values as Float64Array;
        for (let r = 0; r < rows; r++) {
          if (!validRow(column.data, r)) continue;
          const g = groups[r];
          this.dbl[g] += v[r];
          this.seen[g] = 1;
        }
        return;
      }
      default:
        throw fail(`cannot sum values of type ${kind}`);
    }
  }

  private addWords(column: AggregateColumn, groups: Int32Array, rows: number, signed: boolean): void {
    const v = column.data.values as BigInt64Array;
    const w = new Int32Array(v.buffer, v.byteOffset, v.length * 2);
    const d = column.data;
    const all = d.nullCount === 0;
    const { hi, lo, dbl, seen } = this;
    const asDouble = this.mode === 'double';
    for (let r = 0; r < rows; r++) {
      if (!all && !validRow(d, r)) continue;
      const g = groups[r];
      const h = signed ? w[2 * r + 1] : w[2 * r + 1] >>> 0;
      const l = w[2 * r] >>> 0;
      seen[g] = 1;
      if (asDouble) {
        dbl[g] += h * TWO32 + l;
        continue;
      }
      hi[g] += h;
      let s = lo[g] + l;
      if (s >= CARRY_AT) {
        const carry = Math.floor(s / TWO32);
        hi[g] += carry;
        s -= carry * TWO32;
      }
      lo[g] = s;
    }
  }

  private toDouble(): void {
    for (let g = 0; g < this.hi.length; g++) this.dbl[g] += this.hi[g] * TWO32 + this.lo[g];
  }

  value(numGroups: number): AggregateColumn {
    this.seen = grow(this.seen, numGroups);
    const values: Value[] = [];
    let type: VastType;
    if (this.mode === 'double') {
      type = basic('double');
      for (let g = 0; g < numGroups; g++) values.push(this.seen[g] ? this.dbl[g] : null);
    } else {
      type = basic(
        this.mode === 'duration' ? 'duration' : this.signed || this.mode === 'none' ? 'int64' : 'uint64',
      );
      const [min, max] = type.kind === 'uint64' ? [0n, UINT64_MAX] : [INT64_MIN, INT64_MAX];
      for (let g = 0; g < numGroups; g++) {
        if (!this.seen[g]) {
          values.push(null);
          continue;
        }
        const v = BigInt(this.hi[g]) * BigInt(TWO32) + BigInt(this.lo[g]);
        values.push(v < min || v > max ? null : v);
      }
    }
    return { type, data: buildColumn(type, values) };
  }
}

export const sum: AggregateDef = {
  name: 'sum',
  description: 'sum(f): sum of a number or duration field (ints stay exact)',
  field: 'required',
  create: (params) => new Sum(params),
};
