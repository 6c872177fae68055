/**
 * The state of one (window, group) cell of a correlation (`correlate.ts`),
 * and how a closed cell is counted and decided.
 *
 * Every bounded part of a cell keeps a set that depends only on the rows fed
 * to it, never on their order: the `maxEvents` smallest (time, id) pairs, the
 * `maxValues` smallest times of a rule. Only `value_count`'s distinct values
 * keep whichever came first, and there the order cannot show: a full set
 * counts as `maxValues` (and `saturated`) whatever it holds.
 */
import type { CorrelationType, CountOp } from './sigma/types.js';

export interface CellLimits {
  /** Distinct values (`value_count`) or times of a middle rule (`temporal_ordered`) a cell keeps. */
  readonly maxValues: number;
  /** Contributing event ids a cell keeps (its hit lists them). */
  readonly maxEvents: number;
}

/** One (window, group) of a correlation: what its rows added up to so far. */
export interface Cell {
  readonly window: bigint;
  /** The group's key (`pipeline/keys.ts` encodings of the group-by values, concatenated). */
  readonly key: string;
  /** The group-by values as printed, by field. */
  readonly group: Record<string, string>;
  /** Rows counted (of every referenced rule). */
  events: number;
  first: bigint;
  last: bigint;
  /** Per referenced rule (in the correlation's order): the earliest and latest time of its rows, if any. */
  readonly min: (bigint | undefined)[];
  readonly max: (bigint | undefined)[];
  /** `temporal_ordered`, per middle rule (not the first, not the last): its smallest distinct times, ascending. */
  readonly times: bigint[][];
  /** `value_count`: the distinct values' keys. */
  readonly values: Set<string>;
  /** A bound was reached: some values or times were not kept. */
  saturated: boolean;
  /** The smallest (time, id) pairs of the rows, ascending: the hit's events. */
  readonly refTimes: bigint[];
  readonly refIds: string[];
}

export function newCell(window: bigint, key: string, group: Record<string, string>, rules: number): Cell {
  return {
    window,
    key,
    group,
    events: 0,
    first: 0n,
    last: 0n,
    min: new Array(rules).fill(undefined),
    max: new Array(rules).fill(undefined),
    times: Array.from({ length: rules }, () => []),
    values: new Set(),
    saturated: false,
    refTimes: [],
    refIds: [],
  };
}

/** Counts a row of rule `rule` at time `t` into the cell; `ordered` keeps the middle rules' times. */
export function addTime(cell: Cell, rule: number, t: bigint, ordered: boolean, limits: CellLimits): boolean {
  if (cell.events === 0 || t < cell.first) cell.first = t;
  if (cell.events === 0 || t > cell.last) cell.last = t;
  cell.events++;
  const lo = cell.min[rule];
  const hi = cell.max[rule];
  if (lo === undefined || t < lo) cell.min[rule] = t;
  if (hi === undefined || t > hi) cell.max[rule] = t;
  if (!ordered || rule === 0 || rule === cell.min.length - 1) return true;
  return insertSmallest(cell.times[rule], t, limits.maxValues, cell);
}

/**
 * Keeps `t` if it is among the `cap` smallest distinct times; returns false
 * when it (or the largest time before it) had to go.
 */
function insertSmallest(xs: bigint[], t: bigint, cap: number, cell: Cell): boolean {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  if (lo < xs.length && xs[lo] === t) return true;
  if (xs.length >= cap) {
    cell.saturated = true;
    if (lo >= cap) return false;
    xs.pop();
    xs.splice(lo, 0, t);
    return false;
  }
  xs.splice(lo, 0, t);
  return true;
}

/**
 * Whether a row at `t` could enter the cell's events list; if so the caller
 * asks for its id (`addRef`), so ids are made only for rows that may be listed.
 */
export function wantsRef(cell: Cell, t: bigint, limits: CellLimits): boolean {
  const n = cell.refTimes.length;
  return n < limits.maxEvents || t <= cell.refTimes[n - 1];
}

/** Lists the event `(t, id)` if it is among the `maxEvents` smallest pairs. */
export function addRef(cell: Cell, t: bigint, id: string, limits: CellLimits): void {
  const ts = cell.refTimes;
  const ids = cell.refIds;
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ts[mid] < t || (ts[mid] === t && ids[mid] < id)) lo = mid + 1;
    else hi = mid;
  }
  if (lo < ts.length && ts[lo] === t && ids[lo] === id) return;
  if (lo >= limits.maxEvents) return;
  ts.splice(lo, 0, t);
  ids.splice(lo, 0, id);
  if (ts.length > limits.maxEvents) {
    ts.pop();
    ids.pop();
  }
}

/** Adds a distinct value; returns false when the cell was full and the value is new (not kept). */
export function addValue(cell: Cell, value: string, limits: CellLimits): boolean {
  if (cell.values.has(value)) return true;
  if (cell.values.size >= limits.maxValues) {
    cell.saturated = true;
    return false;
  }
  cell.values.add(value);
  return true;
}

/**
 * The length of the longest prefix of the rules that occurred in order: a
 * time of rule 0, then a later time of rule 1, ... Greedy: each step takes the
 * earliest time after the previous one, which leaves the most room for the
 * rest. The last rule needs only its latest time.
 */
function orderedPrefix(cell: Cell): number {
  const n = cell.min.length;
  let at = cell.min[0];
  if (at === undefined) return 0;
  for (let i = 1; i < n; i++) {
    const hi = cell.max[i];
    if (hi === undefined || hi <= at) return i;
    if (i === n - 1) return n;
    const prev: bigint = at;
    // When the times were capped, the step may lie among the dropped (larger) ones:
    // the latest time stands in for it, which can only miss an order, never invent one.
    at = cell.times[i].find((t) => t > prev) ?? hi;
  }
  return n;
}

/** What a closed cell counts for its correlation's condition. */
export function cellCount(cell: Cell, type: CorrelationType): number {
  switch (type) {
    case 'event_count':
      return cell.events;
    case 'value_count':
      return cell.values.size;
    case 'temporal':
      return cell.min.reduce((n: number, t) => (t === undefined ? n : n + 1), 0);
    case 'temporal_ordered':
      return orderedPrefix(cell);
  }
}

export function holds(op: CountOp, count: number, threshold: number): boolean {
  switch (op) {
    case 'gt':
      return count > threshold;
    case 'gte':
      return count >= threshold;
    case 'lt':
      return count < threshold;
    case 'lte':
      return count <= threshold;
    case 'eq':
      return count === threshold;
    case 'neq':
      return count !== threshold;
  }
}

/** A cell as JSON (bigints as decimal strings; keys are latin1 strings, which JSON keeps). */
export interface CellJson {
  window: string;
  key: string;
  group: Record<string, string>;
  events: number;
  first: string;
  last: string;
  min: (string | null)[];
  max: (string | null)[];
  times: string[][];
  values: string[];
  saturated: boolean;
  refs: [string, string][];
}

const big = (t: bigint | undefined) => (t === undefined ? null : String(t));
const unbig = (s: string | null) => (s === null ? undefined : BigInt(s));

export function cellToJson(c: Cell): CellJson {
  return {
    window: String(c.window),
    key: c.key,
    group: c.group,
    events: c.events,
    first: String(c.first),
    last: String(c.last),
    min: c.min.map(big),
    max: c.max.map(big),
    times: c.times.map((ts) => ts.map(String)),
    values: [...c.values],
    saturated: c.saturated,
    refs: c.refTimes.map((t, i) => [String(t), c.refIds[i]]),
  };
}

export function cellFromJson(j: CellJson): Cell {
  return {
    window: BigInt(j.window),
    key: j.key,
    group: j.group,
    events: j.events,
    first: BigInt(j.first),
    last: BigInt(j.last),
    min: j.min.map(unbig),
    max: j.max.map(unbig),
    times: j.times.map((ts) => ts.map((t) => BigInt(t))),
    values: new Set(j.values),
    saturated: j.saturated,
    refTimes: j.refs.map(([t]) => BigInt(t)),
    refIds: j.refs.map(([, id]) => id),
  };
}
