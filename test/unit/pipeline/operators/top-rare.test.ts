import { describe, expect, it } from 'vitest';
import { conn, dns, errorOf, parse, runRows } from '../helpers.js';

const c = conn(
  ['a', 'b', 'b', 'c', 'c', 'c', null].map((h, k) => ({
    id: { orig_h: h && `10.0.0.${h.charCodeAt(0)}` },
    bytes: k,
  })),
);
const d = dns([{ id: { orig_h: '10.0.0.97' } }, { id: { orig_h: '10.0.0.100' } }]);

describe('top and rare', () => {
  it('count values of a field across schemas, most frequent first, nulls not counted; the field keeps its name as written', async () => {
    expect(await runRows('top orig_h', [c, d])).toEqual([
      { '#schema': 'vast.top', orig_h: '10.0.0.99', count: 3n },
      { '#schema': 'vast.top', orig_h: '10.0.0.97', count: 2n },
      { '#schema': 'vast.top', orig_h: '10.0.0.98', count: 2n },
      { '#schema': 'vast.top', orig_h: '10.0.0.100', count: 1n },
    ]);
    expect((await runRows('top orig_h 1', [c, d])).length).toBe(1);
  });

  it('rare lists the least frequent first, ties in order of first appearance', async () => {
    expect(
      (await runRows('rare id.orig_h 3', [c, d])).map((r) => [(r.id as { orig_h: string }).orig_h, r.count]),
    ).toEqual([
      ['10.0.0.100', 1n],
      ['10.0.0.97', 2n],
      ['10.0.0.98', 2n],
    ]);
  });

  it('parse their arguments', () => {
    expect(parse('top x')[0].toString()).toBe('top x 10');
    expect(parse('rare x 3')[0].toString()).toBe('rare x 3');
    expect(errorOf(() => parse('top')).message).toBe('top needs a field at 1:4');
    expect(errorOf(() => parse('top x y')).message).toBe("expected a non-negative integer, got 'y' at 1:7");
  });
});
