import { describe, expect, it } from 'vitest';
import { batch, conn, dns, runRows } from '../helpers.js';

describe('sort', () => {
  const c1 = conn([
    { ts: '2020-01-01T00:00:00.000000002Z', id: { orig_h: '10.0.0.10' }, bytes: 5, proto: 'tcp' },
    { ts: '2020-01-01T00:00:00.000000001Z', id: { orig_h: '10.0.0.9' }, bytes: null, proto: 'udp' },
  ]);
  const d1 = dns([{ ts: '2019-12-31', id: { orig_h: '::1' }, proto: 'udp', query: 'b' }]);
  const c2 = conn([{ ts: '2020-01-02', id: { orig_h: '10.0.0.9' }, bytes: 5, proto: 'tcp' }]);

  it('orders by ip bytes across schemas, stably', async () => {
    const rows = await runRows('sort id.orig_h', [c1, d1, c2]);
    expect(rows.map((r) => [(r.id as { orig_h: string }).orig_h, r.ts])).toEqual([
      ['::1', 1577750400000000000n],
      ['10.0.0.9', 1577836800000000001n],
      ['10.0.0.9', 1577923200000000000n],
      ['10.0.0.10', 1577836800000000002n],
    ]);
  });

  it('compares times exactly and puts nulls and schemas without the field last in both directions', async () => {
    expect((await runRows('sort ts', [c1])).map((r) => r.ts)).toEqual([
      1577836800000000001n,
      1577836800000000002n,
    ]);
    const asc = await runRows('sort bytes', [c1, d1, c2]);
    expect(asc.map((r) => [r['#schema'], r.bytes ?? null])).toEqual([
      ['zeek.conn', 5n],
      ['zeek.conn', 5n],
      ['zeek.conn', null],
      ['zeek.dns', null],
    ]);
    expect(asc[0].ts).toBe(1577836800000000002n);
    const desc = await runRows('sort bytes desc, ts desc', [c1, d1, c2]);
    expect(desc.map((r) => r.ts)).toEqual([
      1577923200000000000n,
      1577836800000000002n,
      1577836800000000001n,
      1577750400000000000n,
    ]);
  });

  it('orders strings by code point, enums by name, and keeps lists and nested records intact', async () => {
    const b = batch('t', 'record{s: string, e: enum, l: list<int64>}', [
      { s: 'b', e: 'tcp', l: [3] },
      { s: 'B', e: 'icmp', l: [1, 2] },
      { s: '\u{1F600}', e: 'udp', l: [] },
      { s: '\uFFFD', e: null, l: null },
    ]);
    expect((await runRows('sort s', [b])).map((r) => r.s)).toEqual(['B', 'b', '\uFFFD', '\u{1F600}']);
    expect((await runRows('sort e desc', [b])).map((r) => [r.e, r.l])).toEqual([
      ['udp', []],
      ['tcp', [3n]],
      ['icmp', [1n, 2n]],
      [null, null],
    ]);
    expect((await runRows('sort l', [b])).map((r) => r.l)).toEqual([[], [1n, 2n], [3n], null]);
  });

  it('orders doubles with NaN after numbers, and ports, the same on the fast and the generic path', async () => {
    const b = batch('t', 'record{d: double, p: port, g: int64}', [
      { d: 'NaN', p: 443, g: 1 },
      { d: 2.5, p: 80, g: 1 },
      { d: null, p: null, g: 1 },
      { d: -1, p: 8080, g: 1 },
      { d: 'inf', p: 22, g: 1 },
    ]);
    const fast = (await runRows('sort d', [b])).map((r) => r.d);
    expect(fast).toEqual([-1, 2.5, Number.POSITIVE_INFINITY, Number.NaN, null]);
    expect((await runRows('sort g, d', [b])).map((r) => r.d)).toEqual(fast);
    expect((await runRows('sort d desc', [b])).map((r) => r.d)).toEqual([
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2.5,
      -1,
      null,
    ]);
    expect((await runRows('sort g, d desc', [b])).map((r) => r.d)).toEqual([
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2.5,
      -1,
      null,
    ]);
    expect((await runRows('sort p desc', [b])).map((r) => r.p)).toEqual([8080, 443, 80, 22, null]);
  });

  it('emits one batch per run of one schema', async () => {
    const rows = await runRows('sort ts', [c1, d1, c2]);
    expect(rows.map((r) => r['#schema'])).toEqual(['zeek.dns', 'zeek.conn', 'zeek.conn', 'zeek.conn']);
  });
});
