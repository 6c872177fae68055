import { spawnSync } from 'node:child_process';
import * as A from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  type CorrelationHit,
  type CorrelationInput,
  type CorrelationLimits,
  Correlator,
} from '../../../src/detect/correlate.js';
import type { CorrelationType, CountOp, SigmaCorrelation } from '../../../src/detect/sigma/types.js';
import { zeek } from '../../../src/formats/zeek/index.js';
import { vastSchema } from '../../../src/types/arrow.js';
import { basic, fieldAt, indexPath } from '../../../src/types/type.js';
import { dataset, describeDatasets } from '../../helpers/datasets.js';
import { readAll } from '../../helpers/read.js';

const S = 1_000_000_000n;

function correlation(over: Partial<SigmaCorrelation> = {}): SigmaCorrelation {
  return {
    kind: 'correlation',
    id: 'c1',
    title: 'test correlation',
    level: 'high',
    tags: [],
    falsepositives: [],
    origin: { line: 1 },
    type: 'event_count',
    rules: ['r0'],
    groupBy: ['host'],
    timespanNs: 60n * S,
    condition: { op: 'gte', count: 1 },
    generate: false,
    ...over,
  };
}

/** A match of a referenced rule, as a test writes it. */
interface Ev {
  rule: string;
  /** Seconds since the epoch. */
  t: number;
  host: string | null;
  value?: string | null;
  id: string;
}

const strCol = (xs: (string | null)[]) => ({
  data: A.vectorFromArray(xs, new A.Utf8()).data[0],
  type: basic('string'),
});

/** One batch of events as the caller gives it: per rule, its rows as columns. */
function inputs(batch: readonly Ev[]): CorrelationInput[] {
  const rules = [...new Set(batch.map((e) => e.rule))];
  return rules.map((rule) => {
    const evs = batch.filter((e) => e.rule === rule);
    return {
      rule,
      times: BigInt64Array.from(evs, (e) => BigInt(e.t) * S),
      groupBy: [strCol(evs.map((e) => e.host))],
      value: strCol(evs.map((e) => e.value ?? null)),
      ref: (row) => evs[row].id,
    };
  });
}

/** Feeds batches; live advances to the watermark after each. Ends with a flush. */
function feed(c: Correlator, batches: readonly (readonly Ev[])[], live: boolean): CorrelationHit[] {
  const hits: CorrelationHit[] = [];
  for (const b of batches) {
    for (const input of inputs(b)) hits.push(...c.add(input));
    const w = c.watermark();
    if (live && w !== undefined) hits.push(...c.advance(w));
  }
  hits.push(...c.flush());
  return hits;
}

const run = (over: Partial<SigmaCorrelation>, evs: readonly Ev[], limits: Partial<CorrelationLimits> = {}) =>
  feed(new Correlator(correlation(over), limits), [evs], false);

/** Hits as plain, sorted data (bigints as strings). */
const plain = (hits: readonly CorrelationHit[]) =>
  hits
    .map((h) => ({
      ...h,
      windowStart: String(h.windowStart),
      windowEnd: String(h.windowEnd),
      firstNs: String(h.firstNs),
      lastNs: String(h.lastNs),
    }))
    .sort((a, b) =>
      a.windowStart === b.windowStart
        ? JSON.stringify(a.group).localeCompare(JSON.stringify(b.group))
        : BigInt(a.windowStart) < BigInt(b.windowStart)
          ? -1
          : 1,
    );

let ids = 0;
const ev = (rule: string, t: number, host: string | null, value?: string | null): Ev => ({
  rule,
  t,
  host,
  value,
  id: `p:${ids++}`,
});

describe('event_count', () => {
  test('counts per epoch-aligned window and group, with times and events', () => {
    const evs = [ev('r0', 61, 'a'), ev('r0', 119, 'a'), ev('r0', 70, 'b'), ev('r0', 120, 'a')];
    const hits = run({ condition: { op: 'gte', count: 2 } }, evs);
    expect(plain(hits)).toEqual([
      {
        correlation: 'c1',
        windowStart: String(60n * S),
        windowEnd: String(120n * S),
        group: { host: 'a' },
        count: 2,
        firstNs: String(61n * S),
        lastNs: String(119n * S),
        events: [evs[0].id, evs[1].id],
        rules: ['r0'],
        saturated: false,
      },
    ]);
  });

  test('every op is decided at close', () => {
    const evs = [ev('r0', 0, 'a'), ev('r0', 1, 'a'), ev('r0', 2, 'a'), ev('r0', 3, 'b')];
    const fired = (op: CountOp, count: number) =>
      run({ condition: { op, count } }, evs)
        .map((h) => `${h.group.host}=${h.count}`)
        .sort();
    expect(fired('gt', 2)).toEqual(['a=3']);
    expect(fired('gt', 3)).toEqual([]);
    expect(fired('gte', 3)).toEqual(['a=3']);
    expect(fired('lt', 3)).toEqual(['b=1']);
    expect(fired('lte', 3)).toEqual(['a=3', 'b=1']);
    expect(fired('eq', 1)).toEqual(['b=1']);
    expect(fired('neq', 1)).toEqual(['a=3']);
  });

  test('a window crossing batch boundaries adds up, and closes only when the watermark passes its end', () => {
    const c = new Correlator(correlation({ condition: { op: 'gte', count: 3 } }), { latenessNs: 0n });
    c.add(inputs([ev('r0', 10, 'a')])[0]);
    expect(c.advance(c.watermark()!)).toEqual([]);
    c.add(inputs([ev('r0', 30, 'a'), ev('r0', 50, 'a')])[0]);
    expect(c.advance(c.watermark()!)).toEqual([]);
    expect(c.openCells).toBe(1);
    c.add(inputs([ev('r0', 60, 'a')])[0]);
    const hits = c.advance(c.watermark()!);
    expect(hits.map((h) => [h.windowStart, h.count])).toEqual([[0n, 3]]);
    expect(c.openCells).toBe(1);
  });

  test('no group-by is one group; null group values and missing times are skipped and counted', () => {
    const c = new Correlator(correlation({ groupBy: [] }));
    // An empty validity bitmap (Arrow's "all valid") drops nothing.
    c.add({ ...inputs([ev('r0', 1, 'a'), ev('r0', 2, 'b')])[0], timeValid: new Uint8Array(0) });
    expect(c.flush().map((h) => [h.group, h.count])).toEqual([[{}, 2]]);
    const d = new Correlator(correlation());
    const input = { ...inputs([ev('r0', 1, null), ev('r0', 2, 'a'), ev('r0', 3, 'a')])[0] };
    d.add({ ...input, timeValid: Uint8Array.of(0b011) });
    expect(d.flush().map((h) => h.count)).toEqual([1]);
    expect(d.counters).toMatchObject({ rows: 3, skipped: 2 });
  });

  test('several group-by fields group by their tuple', () => {
    const c = new Correlator(correlation({ groupBy: ['host', 'user'] }));
    const evs = [ev('r0', 1, 'a', 'u'), ev('r0', 2, 'a', 'v'), ev('r0', 3, 'a', 'u'), ev('r0', 4, 'au', '')];
    const input = inputs(evs)[0];
    c.add({ ...input, groupBy: [input.groupBy[0], input.value] });
    expect(c.flush().map((h) => [h.group, h.count])).toEqual([
      [{ host: 'a', user: 'u' }, 2],
      [{ host: 'a', user: 'v' }, 1],
      [{ host: 'au', user: '' }, 1],
    ]);
  });

  test('rows picks the matching rows of a batch', () => {
    const c = new Correlator(correlation());
    const input = inputs([ev('r0', 1, 'a'), ev('r0', 2, 'b'), ev('r0', 3, 'a')])[0];
    c.add({ ...input, rows: Uint32Array.of(0, 2) });
    expect(c.flush().map((h) => [h.group.host, h.count])).toEqual([['a', 2]]);
  });

  test('an unknown rule is refused', () => {
    const c = new Correlator(correlation());
    expect(() => c.add(inputs([ev('zz', 1, 'a')])[0])).toThrow(/does not reference rule 'zz'/);
    expect(() => new Correlator(correlation({ rules: ['r0', 'r1', 'r0'] }))).toThrow(/lists rule 'r0' twice/);
  });
});

describe('value_count', () => {
  test('counts distinct values of the field; null values do not count', () => {
    const evs = [
      ev('r0', 1, 'a', 'u1'),
      ev('r0', 2, 'a', 'u2'),
      ev('r0', 3, 'a', 'u1'),
      ev('r0', 4, 'a', null),
      ev('r0', 5, 'b', 'u1'),
      ev('r0', 6, 'b', 'u1'),
    ];
    const hits = run({ type: 'value_count', condition: { op: 'gte', count: 2, field: 'user' } }, evs);
    expect(hits.map((h) => [h.group.host, h.count, h.events.length])).toEqual([['a', 2, 3]]);
    const lt = run({ type: 'value_count', condition: { op: 'lt', count: 2, field: 'user' } }, evs);
    expect(lt.map((h) => [h.group.host, h.count])).toEqual([['b', 1]]);
  });

  test('a cell holds at most maxValues values, then counts that many and says so', () => {
    const evs = ['u1', 'u2', 'u3', 'u4', 'u2'].map((u, i) => ev('r0', i, 'a', u));
    const c = new Correlator(
      correlation({ type: 'value_count', condition: { op: 'gte', count: 3, field: 'u' } }),
      {
        maxValues: 3,
      },
    );
    const hits = feed(c, [evs], false);
    expect(hits.map((h) => [h.count, h.saturated])).toEqual([[3, true]]);
    expect(c.counters.droppedValues).toBe(1);
  });
});

describe('temporal', () => {
  const over = {
    type: 'temporal' as const,
    rules: ['r0', 'r1', 'r2'],
    condition: { op: 'gte' as const, count: 3 },
  };

  test('fires when every rule matched in the window for the group, in any order', () => {
    const evs = [ev('r2', 1, 'a'), ev('r0', 5, 'a'), ev('r1', 3, 'a'), ev('r0', 5, 'b'), ev('r1', 6, 'b')];
    const hits = run(over, evs);
    expect(hits.map((h) => [h.group.host, h.count, h.rules])).toEqual([['a', 3, ['r0', 'r1', 'r2']]]);
  });

  test('a count condition counts distinct rules', () => {
    const evs = [ev('r0', 5, 'b'), ev('r0', 7, 'b'), ev('r1', 6, 'b'), ev('r2', 1, 'c')];
    const hits = run({ ...over, condition: { op: 'gte', count: 2 } }, evs);
    expect(hits.map((h) => [h.group.host, h.count, h.rules])).toEqual([['b', 2, ['r0', 'r1']]]);
  });
});

describe('temporal_ordered', () => {
  const over = {
    type: 'temporal_ordered' as const,
    rules: ['r0', 'r1', 'r2'],
    condition: { op: 'gte' as const, count: 3 },
  };

  test('fires when the rules matched in their order', () => {
    expect(run(over, [ev('r2', 9, 'a'), ev('r1', 5, 'a'), ev('r0', 1, 'a')]).map((h) => h.count)).toEqual([
      3,
    ]);
    // r1 only before r0, at the same time as r2: no order.
    expect(run(over, [ev('r0', 5, 'a'), ev('r1', 1, 'a'), ev('r2', 9, 'a')])).toEqual([]);
    expect(run(over, [ev('r0', 1, 'a'), ev('r1', 5, 'a'), ev('r2', 5, 'a')])).toEqual([]);
  });

  test('the earliest later time of a middle rule leaves room for the rest', () => {
    const evs = [
      ev('r0', 10, 'a'),
      ev('r1', 5, 'a'),
      ev('r1', 11, 'a'),
      ev('r1', 40, 'a'),
      ev('r2', 20, 'a'),
    ];
    expect(run(over, evs).map((h) => h.count)).toEqual([3]);
  });

  test('a count condition is the longest prefix in order', () => {
    const evs = [ev('r0', 1, 'a'), ev('r1', 5, 'a'), ev('r2', 3, 'a'), ev('r1', 2, 'b')];
    const hits = run({ ...over, condition: { op: 'eq', count: 2 } }, evs);
    expect(hits.map((h) => [h.group.host, h.count])).toEqual([['a', 2]]);
    expect(run({ ...over, condition: { op: 'eq', count: 0 } }, evs).map((h) => h.group.host)).toEqual(['b']);
  });
});

describe('bounds and late rows', () => {
  test('rows of closed windows count as late', () => {
    const c = new Correlator(correlation(), { latenessNs: 10n * S });
    const step = (...ts: number[]) => {
      c.add(inputs(ts.map((t) => ev('r0', t, 'a')))[0]);
      return c.advance(c.watermark()!).map((h) => [h.windowStart / S, h.count]);
    };
    expect(step(130)).toEqual([]);
    // The watermark is at 120: the minute [0, 60) is closed.
    expect(step(125, 50)).toEqual([]);
    expect(c.counters.late).toBe(1);
    expect(step(179)).toEqual([]);
    expect(step(200)).toEqual([[120n, 3]]);
    expect(step(170, 181)).toEqual([]);
    expect(c.counters).toMatchObject({ rows: 7, late: 2 });
    expect(c.flush().map((h) => [h.windowStart / S, h.count])).toEqual([[180n, 2]]);
  });

  test('at maxCells the oldest window closes early, and a row no newer is refused', () => {
    const c = new Correlator(correlation(), { maxCells: 2 });
    expect(c.add(inputs([ev('r0', 1, 'a'), ev('r0', 2, 'b')])[0])).toEqual([]);
    const early = c.add(inputs([ev('r0', 61, 'a')])[0]);
    expect(early.map((h) => [h.windowStart, h.group.host])).toEqual([
      [0n, 'a'],
      [0n, 'b'],
    ]);
    expect(c.counters.forcedWindows).toBe(1);
    c.add(inputs([ev('r0', 62, 'b'), ev('r0', 63, 'c'), ev('r0', 3, 'c')])[0]);
    expect(c.counters).toMatchObject({ rows: 6, refused: 1, late: 1 });
    expect(c.openCells).toBe(2);
    expect(c.flush().map((h) => h.group.host)).toEqual(['a', 'b']);
  });

  test('a hit lists the maxEvents earliest events, whatever the order', () => {
    const evs = [5, 3, 9, 1, 7].map((t) => ev('r0', t, 'a'));
    const want = [...evs].sort((x, y) => x.t - y.t).map((e) => e.id);
    for (const order of [evs, [...evs].reverse()]) {
      const hits = run({}, order, { maxEvents: 2 });
      expect(hits[0].events).toEqual(want.slice(0, 2));
      expect(hits[0].count).toBe(5);
    }
  });

  test('toJSON/fromJSON keep the open windows across a restart', () => {
    const over = {
      type: 'temporal_ordered' as const,
      rules: ['r0', 'r1'],
      condition: { op: 'gte' as const, count: 2 },
    };
    const evs = [ev('r0', 1, 'a'), ev('r1', 2, 'a'), ev('r0', 61, 'b'), ev('r1', 62, 'b'), ev('r1', 59, 'c')];
    const whole = run(over, evs);
    const c = new Correlator(correlation(over), { latenessNs: 0n });
    for (const input of inputs(evs.slice(0, 3))) c.add(input);
    const before = c.advance(c.watermark()!);
    const saved = JSON.parse(JSON.stringify(c.toJSON()));
    const d = Correlator.fromJSON(correlation(over), saved, { latenessNs: 0n });
    for (const input of inputs(evs.slice(3))) d.add(input);
    expect(plain([...before, ...d.flush()])).toEqual(plain(whole));
    expect(d.counters.late).toBe(1);
    expect(() => Correlator.fromJSON(correlation({ id: 'other' }), saved)).toThrow(/does not fit/);
  });
});

/** The hits computed naively from all events at once (the definition, without bounds). */
function oracle(c: SigmaCorrelation, evs: readonly Ev[], maxEvents: number): CorrelationHit[] {
  const span = Number(c.timespanNs / S);
  const cells = new Map<string, Ev[]>();
  for (const e of evs) {
    if (e.host === null || (c.type === 'value_count' && (e.value ?? null) === null)) continue;
    const k = `${Math.floor(e.t / span) * span}|${e.host}`;
    cells.set(k, [...(cells.get(k) ?? []), e]);
  }
  const out: CorrelationHit[] = [];
  for (const [k, es] of cells) {
    const [w, host] = k.split('|');
    const timesOf = (r: string) => es.filter((e) => e.rule === r).map((e) => e.t);
    let count = 0;
    if (c.type === 'event_count') count = es.length;
    else if (c.type === 'value_count') count = new Set(es.map((e) => e.value)).size;
    else if (c.type === 'temporal') count = c.rules.filter((r) => timesOf(r).length > 0).length;
    else {
      let at = -Infinity;
      for (const r of c.rules) {
        const next = timesOf(r).filter((t) => t > at);
        if (next.length === 0) break;
        at = Math.min(...next);
        count++;
      }
    }
    const n = c.condition.count;
    const ok = {
      gt: count > n,
      gte: count >= n,
      lt: count < n,
      lte: count <= n,
      eq: count === n,
      neq: count !== n,
    }[c.condition.op];
    if (!ok) continue;
    const sorted = [...es].sort((x, y) => x.t - y.t || (x.id < y.id ? -1 : 1));
    out.push({
      correlation: c.id,
      windowStart: BigInt(w) * S,
      windowEnd: (BigInt(w) + BigInt(span)) * S,
      group: { host },
      count,
      firstNs: BigInt(sorted[0].t) * S,
      lastNs: BigInt(sorted[sorted.length - 1].t) * S,
      events: sorted.slice(0, maxEvents).map((e) => e.id),
      rules: c.rules.filter((r) => timesOf(r).length > 0),
      saturated: false,
    });
  }
  return out;
}

/** A small deterministic PRNG (mulberry32), so a failing case replays from its seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

type Order = 'sorted' | 'reversed' | 'shuffled' | 'interleaved';

/** The events in an arrival order, cut into batches of random sizes. */
function arrange(evs: readonly Ev[], order: Order, seed: number): Ev[][] {
  const rnd = prng(seed);
  let seq = [...evs].sort((a, b) => a.t - b.t);
  if (order === 'reversed') seq.reverse();
  if (order === 'shuffled')
    for (let i = seq.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [seq[i], seq[j]] = [seq[j], seq[i]];
    }
  if (order === 'interleaved') {
    // Each rule's matches in time order, the rules' streams merged at random (as several sources would be).
    const streams = [...new Set(seq.map((e) => e.rule))].map((r) => seq.filter((e) => e.rule === r));
    seq = [];
    while (streams.some((s) => s.length > 0)) {
      const open = streams.filter((s) => s.length > 0);
      seq.push(open[Math.floor(rnd() * open.length)].shift()!);
    }
  }
  const batches: Ev[][] = [];
  for (let i = 0; i < seq.length; ) {
    const n = 1 + Math.floor(rnd() * 7);
    batches.push(seq.slice(i, i + n));
    i += n;
  }
  return batches;
}

/** The least lateness under which no row of this arrival comes after its window closed. */
function disorder(batches: readonly Ev[][]): bigint {
  let latest = -Infinity;
  let d = 0;
  for (const b of batches) {
    // A batch is added whole before the watermark advances.
    for (const e of b) d = Math.max(d, latest - e.t);
    for (const e of b) latest = Math.max(latest, e.t);
  }
  return BigInt(d) * S;
}

describe('live and retro agree', () => {
  const types: CorrelationType[] = ['event_count', 'value_count', 'temporal', 'temporal_ordered'];
  const event = fc.record({
    rule: fc.constantFrom('r0', 'r1', 'r2'),
    t: fc.integer({ min: -200, max: 400 }),
    host: fc.option(fc.constantFrom('a', 'b', 'c'), { freq: 8 }),
    value: fc.option(fc.constantFrom('u1', 'u2', 'u3', 'u4'), { freq: 6 }),
  });

  test('every order and batching gives the hits of the definition', () => {
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 60 }),
        fc.constantFrom(...types),
        fc.constantFrom<CountOp>('gt', 'gte', 'lt', 'lte', 'eq', 'neq'),
        fc.integer({ min: 0, max: 4 }),
        fc.constantFrom(20, 60),
        fc.constantFrom<Order>('sorted', 'reversed', 'shuffled', 'interleaved'),
        fc.integer(),
        fc.boolean(),
        (raw, type, op, count, span, order, seed, live) => {
          const evs: Ev[] = raw.map((e, i) => ({ ...e, id: `p:${String(i).padStart(3, '0')}` }));
          const c = correlation({
            type,
            rules: ['r0', 'r1', 'r2'],
            timespanNs: BigInt(span) * S,
            condition: { op, count, field: 'user' },
          });
          const batches = arrange(evs, order, seed);
          const corr = new Correlator(c, { latenessNs: disorder(batches), maxEvents: 3 });
          const got = feed(corr, batches, live);
          expect(corr.counters.late).toBe(0);
          expect(corr.openCells).toBe(0);
          expect(plain(got)).toEqual(plain(oracle(c, evs, 3)));
        },
      ),
      { numRuns: 400 },
    );
  });

  const dense = fc.record({
    rule: fc.constantFrom('r0', 'r1', 'r2'),
    t: fc.integer({ min: 0, max: 30 }),
    host: fc.constantFrom('a', 'b'),
    value: fc.option(fc.constantFrom('u1', 'u2', 'u3', 'u4'), { freq: 6 }),
  });

  test('with per-cell bounds reached, every order still gives the same hits', () => {
    let saturated = 0;
    fc.assert(
      fc.property(
        // Few groups and a short range: cells of many rows, so the bounds are reached.
        fc.array(dense, { maxLength: 60 }),
        fc.constantFrom<CorrelationType>('value_count', 'temporal_ordered'),
        fc.constantFrom<Order>('reversed', 'shuffled', 'interleaved'),
        fc.integer(),
        fc.boolean(),
        (raw, type, order, seed, live) => {
          const evs: Ev[] = raw.map((e, i) => ({ ...e, id: `p:${String(i).padStart(3, '0')}` }));
          const c = correlation({
            type,
            rules: ['r0', 'r1', 'r2'],
            timespanNs: 400n * S,
            condition: { op: 'gte', count: 1, field: 'user' },
          });
          const limits = { maxValues: 2, maxEvents: 2 };
          const want = feed(new Correlator(c, limits), arrange(evs, 'sorted', seed), false);
          const batches = arrange(evs, order, seed);
          const got = feed(new Correlator(c, { ...limits, latenessNs: disorder(batches) }), batches, live);
          expect(plain(got)).toEqual(plain(want));
          if (want.some((h) => h.saturated)) saturated++;
        },
      ),
      { numRuns: 300 },
    );
    expect(saturated).toBeGreaterThan(10);
  });

  test('a saved and resumed correlator gives the same hits', () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 40 }), fc.integer(), (raw, seed) => {
        const evs: Ev[] = raw.map((e, i) => ({ ...e, id: `p:${i}` }));
        const c = correlation({
          type: 'value_count',
          rules: ['r0', 'r1', 'r2'],
          condition: { op: 'gte', count: 2, field: 'u' },
        });
        const batches = arrange(evs, 'shuffled', seed);
        const limits = { latenessNs: disorder(batches) };
        const cut = Math.floor(batches.length / 2);
        const first = new Correlator(c, limits);
        const hits = feed(first, [], true);
        for (const b of batches.slice(0, cut)) for (const input of inputs(b)) hits.push(...first.add(input));
        const w = first.watermark();
        if (w !== undefined) hits.push(...first.advance(w));
        const second = Correlator.fromJSON(c, JSON.parse(JSON.stringify(first.toJSON())), limits);
        hits.push(...feed(second, batches.slice(cut), true));
        expect(plain(hits)).toEqual(plain(oracle(c, evs, 10)));
      }),
      { numRuns: 200 },
    );
  });
});

describeDatasets('on real data: zeek DNS queries per host per minute', () => {
  const file = dataset('zeek', 'vast-int_dns.log');
  const N = 20;
  const over = { groupBy: ['id.orig_h'], condition: { op: 'gte' as const, count: N } };

  /** The file's batches as correlation inputs (one rule: every DNS query), event ids by line. */
  async function dnsInputs(): Promise<CorrelationInput[]> {
    const { batches, rows } = await readAll(zeek, { path: file }, { batchSize: 97 });
    expect(batches.length).toBeGreaterThan(10);
    expect(rows).toBeGreaterThan(5000);
    let base = 0;
    return batches.map((b) => {
      const schema = vastSchema(b.schema);
      const col = (path: string) => {
        let d: A.Data = b.data;
        for (const k of indexPath(schema.type, path)!) d = d.children[k];
        return { data: d, type: fieldAt(schema.type, path)! };
      };
      const ts = col('ts').data;
      const from = base;
      base += b.numRows;
      return {
        rule: 'r0',
        times: ts.values as BigInt64Array,
        timeValid: ts.nullCount > 0 ? ts.nullBitmap : null,
        groupBy: [col('id.orig_h')],
        ref: (row: number) => `dns:${from + row}`,
      };
    });
  }

  function live(all: readonly CorrelationInput[], latenessNs: bigint): [Correlator, string[]] {
    const c = new Correlator(correlation(over), { latenessNs });
    const hits: CorrelationHit[] = [];
    for (const input of all) {
      hits.push(...c.add(input));
      hits.push(...c.advance(c.watermark()!));
    }
    hits.push(...c.flush());
    return [c, hits.map((h) => `${h.windowStart / S} ${h.group['id.orig_h']} ${h.count}`).sort()];
  }

  test('event_count by id.orig_h over 1 min, live and retro, matches awk', async () => {
    // The expected hits, independently: window = floor(ts / 60) * 60, counted per (window, host).
    const awk = spawnSync(
      'awk',
      [
        '-F',
        '\t',
        `!/^#/ { w = int($1 / 60) * 60; n[w " " $3]++ } END { for (k in n) if (n[k] >= ${N}) print k, n[k] }`,
        file,
      ],
      { encoding: 'utf8' },
    );
    expect(awk.status).toBe(0);
    const want = awk.stdout.trim().split('\n').filter(Boolean).sort();
    expect(want.length).toBeGreaterThan(5);
    const all = await dnsInputs();
    // The file is out of time order by up to ~50 s: a minute of lateness covers it.
    const [c, got] = live(all, 60n * S);
    expect(got).toEqual(want);
    expect(c.counters).toMatchObject({ late: 0, skipped: 0, refused: 0 });
    const retro = new Correlator(correlation(over));
    for (const input of [...all].reverse()) retro.add(input);
    const hits = retro.flush();
    expect(hits.map((h) => `${h.windowStart / S} ${h.group['id.orig_h']} ${h.count}`).sort()).toEqual(want);
    expect(hits.every((h) => h.events.length === 10 && h.events.every((e) => e.startsWith('dns:')))).toBe(
      true,
    );
  });

  test('without lateness, rows behind the watermark are counted as late', async () => {
    const all = await dnsInputs();
    const [c] = live(all, 0n);
    expect(c.counters.late).toBeGreaterThan(0);
    expect(c.counters.rows).toBe(all.reduce((n, i) => n + i.times.length, 0));
  });
});
