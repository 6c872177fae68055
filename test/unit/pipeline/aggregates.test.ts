import { describe, expect, it } from 'vitest';
import { schemaOf } from '../../../src/pipeline/batch-ops.js';
import { typeToString } from '../../../src/types/type.js';
import { batch, run, runRows } from './helpers.js';

const a = batch(
  'a',
  'record{g: bool, ip: ip, s: string, e: enum, n: int64, d: double, net: subnet, l: list<int64>}',
  [
    { g: true, ip: '10.0.0.2', s: 'b', e: 'x', n: 5, d: 0.5, net: '10.0.0.0/8', l: [2] },
    { g: true, ip: '::1', s: 'ä', e: 'y', n: -3, d: null, net: '10.0.0.0/16', l: [1, 5] },
    { g: false, ip: null, s: null, e: 'x', n: null, d: 2, net: null, l: null },
  ],
);
const b = batch('b', 'record{g: bool, s: enum, n: double}', [{ g: true, s: 'a', n: 7.5 }]);

describe('aggregations', () => {
  it('min and max keep the field type for ips (by bytes: ::1 before v4-mapped), strings, subnets, lists and bools', async () => {
    const rows = await runRows(
      'summarize lo=min(ip), hi=max(ip), s=max(s), net=min(net), l=max(l), t=min(g), f=max(g) by g',
      [a],
    );
    expect(rows.map(({ '#schema': _, ...r }) => r)).toEqual([
      { g: true, lo: '::1', hi: '10.0.0.2', s: 'ä', net: '10.0.0.0/8', l: [2n], t: true, f: true },
      { g: false, lo: null, hi: null, s: null, net: null, l: null, t: false, f: false },
    ]);
  });

  it('avg gives doubles, distinct sorted lists; enums and strings unify to string, mixed numbers to double', async () => {
    const [out] = await run('summarize m=avg(d), e=distinct(e), s=distinct(s), lo=min(n), n=sum(n)', [a, b]);
    expect(schemaOf(out).type.fields.map((f) => `${f.name}: ${typeToString(f.type)}`)).toEqual([
      'm: double',
      'e: list<enum>',
      's: list<string>',
      'lo: double',
      'n: double',
    ]);
    expect(
      (await runRows('summarize m=avg(d), e=distinct(e), s=distinct(s), lo=min(n), n=sum(n)', [a, b]))[0],
    ).toEqual({
      '#schema': 'vast.summarize',
      m: 1.25,
      e: ['x', 'y'],
      s: ['a', 'b', 'ä'],
      lo: -3,
      n: 9.5,
    });
  });
});
