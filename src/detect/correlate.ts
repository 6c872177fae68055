/**
 * The Sigma correlation runtime: windows over the matches of other rules
 * (Sigma correlation specification 2.0: `event_count`, `value_count`,
 * `temporal`, `temporal_ordered`, with `timespan`, `group-by` and a count
 * condition), the same live and retro.
 *
 * Windows: tumbling, `timespan` long, aligned to the Unix epoch, as the
 * Splunk backend of pySigma does (`bin _time span=... | stats ... by _time,
 * group | search count >= N`). A row at time `t` falls in the window
 * `[t - t mod span, + span)`; a (window, group-by values) pair is a *cell*.
 * Why not sliding windows: a sliding window that fires "as soon as N rows lie
 * within `span`" depends on when it is evaluated (live it fires on the row
 * that completes it, retro over whatever came first), and deciding every
 * possible window start is unbounded. A tumbling cell is a pure function of
 * the rows whose time falls in it, so any order and batching of the same rows
 * gives the same cells; the price is that a burst straddling a window edge is
 * split in two (as in Splunk).
 *
 * Deciding: a cell is decided when its window closes, never before, for every
 * condition: `gte` could fire early, but `lt`/`lte`/`eq`/`neq` cannot, and a
 * hit's count, times and events must not depend on when it was reported.
 * A window closes when the watermark passes its end: `advance(w)` closes the
 * windows that end at or before `w`. Live, the caller advances to
 * `watermark()` (the latest matching row's time minus the allowed lateness)
 * after each batch; since that time moves only with matches, it may also
 * advance to a batch's latest event time, or to the wall clock, minus the
 * same lateness, so that a quiet rule's windows still close. Retro, a hunt
 * feeds everything and calls `flush()`. Live and retro agree as long as no row
 * arrives after its window closed: such rows are counted as `late` and left
 * out (they were not lost silently).
 *
 * Group keys are `pipeline/keys.ts` strings made from the Arrow columns (one
 * per matching row, the only per-row allocation; event ids are asked only for
 * rows a hit may list). Not `pipeline/group-index.ts`: its ids are dense and
 * its tables never shrink, fine for one query, but a live correlator runs for
 * months and must forget the groups of closed windows.
 *
 * Condition semantics: `event_count` counts rows of any referenced rule (an
 * event matched by two referenced rules counts twice); `value_count` counts
 * distinct values of `condition.field` (rows where it is null do not count);
 * `temporal` counts the distinct referenced rules seen; `temporal_ordered`
 * counts the longest prefix of the rules seen in order (a row of rule i+1
 * strictly after one of rule i). A cell exists only once a row falls in it,
 * so `lt`/`lte` never fire for groups that had no rows at all. Rows with a
 * null (or missing) group-by value are skipped and counted (as Splunk's
 * `stats ... by` leaves them out), as are rows without a time.
 *
 * Bounds (`CorrelationLimits`): at most `maxCells` open cells. When a row
 * needs a new cell and none is free, the oldest open window is closed early
 * if it is older than the row's (its hits come back from `add`, its later rows
 * count as late); otherwise the row is refused. Per cell at most `maxValues`
 * distinct values (or times of a middle `temporal_ordered` rule) and
 * `maxEvents` listed event ids; what is kept there is chosen by value, not by
 * arrival, so it too is the same in any order (`correlate-cell.ts`). Each of
 * these cases is counted (`CorrelationCounters`); only the cell bound can make
 * live and retro differ, and then the counters say so.
 */
import type * as A from 'apache-arrow';
import { UsageError } from '../diagnostics.js';
import { type KeyAt, keyEncoder } from '../pipeline/keys.js';
import { dictionaryEntries, isDictionaryData } from '../types/dictionary-strings.js';
import { printValue } from '../types/print-value.js';
import type { VastType } from '../types/type.js';
import { stringAt } from '../types/values.js';
import {
  addRef,
  addTime,
  addValue,
  type Cell,
  type CellJson,
  type CellLimits,
  cellCount,
  cellFromJson,
  cellToJson,
  holds,
  newCell,
  wantsRef,
} from './correlate-cell.js';
import type { RowRef } from './sightings.js';

const BAD_RULE = (rule: string, id: string) => `correlation ${id} does not reference rule '${rule}'`;
const TWICE = (rule: string, id: string) => `correlation ${id} lists rule '${rule}' twice`;
const BAD_SPAN = (id: string) => `correlation ${id}: timespan must be positive`;
const NO_RULES = (id: string) => `correlation ${id}: no rules`;
const NO_FIELD = (id: string) => `correlation ${id}: value_count needs condition.field`;
const BAD_STATE = (saved: string, id: string) => `saved state of correlation ${saved} does not fit ${id}`;

import type { SigmaCorrelation } from './sigma/types.js';

/** A column of the matching events' batch: offset-free Arrow data and its VAST type. */
export interface CorrelationColumn {
  readonly data: A.Data;
  readonly type: VastType;
}

/** The rows of one batch that one referenced rule matched. */
export interface CorrelationInput {
  /** The referenced rule, as the correlation names it (an entry of its `rules`). */
  readonly rule: string;
  /** Event times by row, nanoseconds since the epoch (the batch's timestamp column values). */
  readonly times: BigInt64Array;
  /** Validity bitmap of `times` (Arrow's: bit set = valid); absent when all are valid. */
  readonly timeValid?: Uint8Array | null;
  /** The matching rows (indices into the columns); all rows of `times` when absent. */
  readonly rows?: ArrayLike<number>;
  /** The group-by columns in the correlation's `groupBy` order; undefined where the schema lacks one. */
  readonly groupBy: readonly (CorrelationColumn | undefined)[];
  /** `value_count`: the column of `condition.field`. */
  readonly value?: CorrelationColumn;
  /** Event ids (a stored event's `PARTITION:ROW`); asked only for rows a hit may list. */
  readonly ref: RowRef;
}

/** A (window, group) whose count met the condition when its window closed. */
export interface CorrelationHit {
  /** The correlation's id. */
  readonly correlation: string;
  /** The window `[windowStart, windowEnd)`, nanoseconds since the epoch. */
  readonly windowStart: bigint;
  readonly windowEnd: bigint;
  /** The group-by values, by field, as VAST prints them (strings as they are). */
  readonly group: Readonly<Record<string, string>>;
  /** What the condition compared (rows, distinct values, distinct rules, rules in order). */
  readonly count: number;
  /** Earliest and latest time of the cell's rows. */
  readonly firstNs: bigint;
  readonly lastNs: bigint;
  /** Ids of the cell's earliest rows, by (time, id), at most `maxEvents`. */
  readonly events: readonly string[];
  /** The referenced rules that had rows in the cell, in the correlation's order. */
  readonly rules: readonly string[];
  /** A per-cell bound was reached: `count` is a lower bound (`value_count`) or the order a conservative one. */
  readonly saturated: boolean;
}

export interface CorrelationLimits extends CellLimits {
  /** Open (window, group) cells at most. */
  readonly maxCells: number;
  /** How far behind the latest event time `watermark()` stays, in nanoseconds. */
  readonly latenessNs: bigint;
}

const DEFAULT_LIMITS: CorrelationLimits = {
  maxCells: 100_000,
  maxValues: 1_000,
  maxEvents: 10,
  latenessNs: 300_000_000_000n,
};

/** What happened to rows besides being counted; never reset. */
export interface CorrelationCounters {
  /** Rows taken in (all of them, also those then skipped, late or refused). */
  rows: number;
  /** Rows whose window had already closed. */
  late: number;
  /** Rows without a time, with a null group-by value, or (`value_count`) a null value. */
  skipped: number;
  /** Rows refused because `maxCells` cells were open and none older could close. */
  refused: number;
  /** Windows closed early to make room for a newer one. */
  forcedWindows: number;
  /** Values or times not kept because their cell held `maxValues`. */
  droppedValues: number;
}

/** The open state of a correlator, as JSON (`toJSON`, `Correlator.fromJSON`). */
export interface CorrelatorJson {
  version: 1;
  correlation: string;
  closed: string | null;
  latest: string | null;
  counters: CorrelationCounters;
  cells: CellJson[];
}

/** Windows over the matches of one correlation's rules; see the module comment. */
export class Correlator {
  readonly limits: CorrelationLimits;
  readonly counters: CorrelationCounters = {
    rows: 0,
    late: 0,
    skipped: 0,
    refused: 0,
    forcedWindows: 0,
    droppedValues: 0,
  };
  /** Open cells by window start, then group key. */
  private readonly windows = new Map<bigint, Map<string, Cell>>();
  private cells = 0;
  /** Windows ending at or before this are decided. */
  private closed: bigint | undefined;
  /** The latest event time seen. */
  private latest: bigint | undefined;
  private readonly ruleIndex: Map<string, number>;
  private readonly span: bigint;

  constructor(
    readonly correlation: SigmaCorrelation,
    limits: Partial<CorrelationLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.span = correlation.timespanNs;
    if (this.span <= 0n) throw new UsageError(BAD_SPAN(correlation.id));
    if (correlation.rules.length === 0) throw new UsageError(NO_RULES(correlation.id));
    if (correlation.type === 'value_count' && !correlation.condition.field)
      throw new UsageError(NO_FIELD(correlation.id));
    this.ruleIndex = new Map(correlation.rules.map((r, i) => [r, i]));
    // A rule listed twice would have one index for two positions (which one would an order mean?).
    for (const r of correlation.rules)
      if (correlation.rules.indexOf(r) !== this.ruleIndex.get(r))
        throw new UsageError(TWICE(r, correlation.id));
  }

  /** Open (window, group) cells now. */
  get openCells(): number {
    return this.cells;
  }

  /** Where live closing may advance to: the latest event time seen minus the lateness (undefined before any). */
  watermark(): bigint | undefined {
    return this.latest === undefined ? undefined : this.latest - this.limits.latenessNs;
  }

  /**
   * Counts one rule's matching rows of a batch into their cells. Returns the
   * hits of windows closed early to make room (usually none).
   */
  add(input: CorrelationInput): CorrelationHit[] {
    const { correlation: c, limits } = this;
    const rule = this.ruleIndex.get(input.rule);
    if (rule === undefined) throw new UsageError(BAD_RULE(input.rule, c.id));
    const ordered = c.type === 'temporal_ordered';
    const { times, timeValid, groupBy, ref } = input;
    const keys: (KeyAt | undefined)[] = c.groupBy.map((_, j) => {
      const col = groupBy[j];
      return col && keyEncoder(col.data, col.type);
    });
    const valueCol = c.type === 'value_count' ? input.value : undefined;
    const valueKey = valueCol && keyEncoder(valueCol.data, valueCol.type);
    const n = input.rows ? input.rows.length : times.length;
    // Arrow leaves the bitmap empty when every value is valid.
    const checkTimes = timeValid !== undefined && timeValid !== null && timeValid.length > 0;
    const out: CorrelationHit[] = [];
    rows: for (let k = 0; k < n; k++) {
      const row = input.rows ? input.rows[k] : k;
      this.counters.rows++;
      if (checkTimes && !(timeValid[row >> 3] & (1 << (row & 7)))) {
        this.counters.skipped++;
        continue;
      }
      const t = times[row];
      let key = '';
      for (const at of keys) {
        const part = at?.(row);
        if (part === undefined || part === NULL_KEY) {
          this.counters.skipped++;
          continue rows;
        }
        key += part;
      }
      let value: string | undefined;
      if (c.type === 'value_count') {
        value = valueKey?.(row);
        if (value === undefined || value === NULL_KEY) {
          this.counters.skipped++;
          continue;
        }
      }
      const window = t - mod(t, this.span);
      if (this.closed !== undefined && window + this.span <= this.closed) {
        this.counters.late++;
        continue;
      }
      if (this.latest === undefined || t > this.latest) this.latest = t;
      const cell = this.cellFor(window, key, row, groupBy, out);
      if (!cell) continue;
      if (!addTime(cell, rule, t, ordered, limits)) this.counters.droppedValues++;
      if (value !== undefined && !addValue(cell, value, limits)) this.counters.droppedValues++;
      if (wantsRef(cell, t, limits)) {
        const id = ref(row);
        if (id !== null) addRef(cell, t, id, limits);
      }
    }
    return out;
  }

  /** The cell of (window, key), made if there is room (closing the oldest window early if it is older). */
  private cellFor(
    window: bigint,
    key: string,
    row: number,
    groupBy: readonly (CorrelationColumn | undefined)[],
    out: CorrelationHit[],
  ): Cell | undefined {
    let cells = this.windows.get(window);
    const cell = cells?.get(key);
    if (cell) return cell;
    while (this.cells >= this.limits.maxCells) {
      const oldest = this.oldestWindow();
      if (oldest === undefined || oldest >= window) {
        this.counters.refused++;
        return undefined;
      }
      this.counters.forcedWindows++;
      out.push(...this.advance(oldest + this.span));
    }
    if (!cells) {
      cells = new Map();
      this.windows.set(window, cells);
    }
    const group: Record<string, string> = {};
    this.correlation.groupBy.forEach((field, j) => {
      const col = groupBy[j]!;
      group[field] = text(col, row);
    });
    const made = newCell(window, key, group, this.correlation.rules.length);
    cells.set(key, made);
    this.cells++;
    return made;
  }

  private oldestWindow(): bigint | undefined {
    let oldest: bigint | undefined;
    for (const w of this.windows.keys()) if (oldest === undefined || w < oldest) oldest = w;
    return oldest;
  }

  /**
   * Closes the windows that end at or before `watermarkNs` and returns the
   * hits among their cells (by window, then group key). Rows for those
   * windows are late from now on. A watermark at or behind the last is a no-op.
   */
  advance(watermarkNs: bigint): CorrelationHit[] {
    if (this.closed !== undefined && watermarkNs <= this.closed) return [];
    this.closed = watermarkNs;
    const due = [...this.windows.keys()].filter((w) => w + this.span <= watermarkNs).sort(compareBig);
    const out: CorrelationHit[] = [];
    for (const w of due) {
      const cells = this.windows.get(w)!;
      this.windows.delete(w);
      this.cells -= cells.size;
      for (const key of [...cells.keys()].sort()) {
        const hit = this.decide(cells.get(key)!);
        if (hit) out.push(hit);
      }
    }
    return out;
  }

  /** Closes every open window (the end of a retro hunt) and returns their hits. */
  flush(): CorrelationHit[] {
    let end: bigint | undefined;
    for (const w of this.windows.keys()) if (end === undefined || w + this.span > end) end = w + this.span;
    return end === undefined ? [] : this.advance(end);
  }

  private decide(cell: Cell): CorrelationHit | undefined {
    const c = this.correlation;
    const count = cellCount(cell, c.type);
    if (!holds(c.condition.op, count, c.condition.count)) return undefined;
    return {
      correlation: c.id,
      windowStart: cell.window,
      windowEnd: cell.window + this.span,
      group: cell.group,
      count,
      firstNs: cell.first,
      lastNs: cell.last,
      events: [...cell.refIds],
      rules: c.rules.filter((_, i) => cell.min[i] !== undefined),
      saturated: cell.saturated,
    };
  }

  /** The open state, for a restart (`Correlator.fromJSON`); the caller decides when to save it. */
  toJSON(): CorrelatorJson {
    const cells: CellJson[] = [];
    for (const w of [...this.windows.keys()].sort(compareBig))
      for (const cell of this.windows.get(w)!.values()) cells.push(cellToJson(cell));
    return {
      version: 1,
      correlation: this.correlation.id,
      closed: this.closed === undefined ? null : String(this.closed),
      latest: this.latest === undefined ? null : String(this.latest),
      counters: { ...this.counters },
      cells,
    };
  }

  /** A correlator resuming saved state; throws when the state belongs to another correlation. */
  static fromJSON(
    correlation: SigmaCorrelation,
    json: CorrelatorJson,
    limits: Partial<CorrelationLimits> = {},
  ): Correlator {
    if (json.version !== 1 || json.correlation !== correlation.id)
      throw new UsageError(BAD_STATE(json.correlation, correlation.id));
    const c = new Correlator(correlation, limits);
    c.closed = json.closed === null ? undefined : BigInt(json.closed);
    c.latest = json.latest === null ? undefined : BigInt(json.latest);
    Object.assign(c.counters, json.counters);
    for (const j of json.cells) {
      const cell = cellFromJson(j);
      let cells = c.windows.get(cell.window);
      if (!cells) {
        cells = new Map();
        c.windows.set(cell.window, cells);
      }
      cells.set(cell.key, cell);
      c.cells++;
    }
    return c;
  }
}

/** The key `pipeline/keys.ts` gives a null. */
const NULL_KEY = 'N';

/** `t mod span` in `[0, span)`, also for times before the epoch. */
const mod = (t: bigint, span: bigint) => ((t % span) + span) % span;

const compareBig = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

/** A group-by value: a string as it is (plain or dictionary-encoded), another type as VAST prints it. */
function text({ data, type }: CorrelationColumn, row: number): string {
  if (type.kind !== 'string') return printValue(data, type, row, 'ascii');
  return isDictionaryData(data)
    ? stringAt(dictionaryEntries(data.dictionary!), (data.values as Int32Array)[row])
    : stringAt(data, row);
}
