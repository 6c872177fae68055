import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { zeek } from '../../../../src/formats/zeek/index.js';
import { schemaOf } from '../../../../src/pipeline/batch-ops.js';
import { typeToString } from '../../../../src/types/type.js';
import { dataset, describeDatasets } from '../../../helpers/datasets.js';
import { readAll } from '../../../helpers/read.js';
import { batch, conn, dns, errorOf, parse, run, runRows, tagged } from '../helpers.js';

const H = 3_600_000_000_000n;
const T0 = 1577836800000000000n; // 2020-01-01

const c1 = conn([
  {
    ts: '2020-01-01T00:10:00Z',
    id: { orig_h: '10.0.0.1' },
    proto: 'tcp',
    bytes: '9007199254740993',
    duration: '1s',
  },
  { ts: '2020-01-01T00:50:00Z', id: { orig_h: '10.0.0.2' }, proto: 'udp', bytes: 1, duration: '2s' },
  { ts: '2020-01-01T01:10:00Z', id: { orig_h: '10.0.0.1' }, proto: 'tcp', bytes: null, duration: null },
]);
const c2 = conn([
  { ts: '2020-01-01T02:00:00Z', id: { orig_h: '10.0.0.2' }, proto: null, bytes: 4, duration: '500ms' },
]);
const d1 = dns([
  { ts: '2020-01-01T00:20:00Z', id: { orig_h: '10.0.0.2' }, proto: 'udp', query: 'a' },
  { ts: '2020-01-01T00:30:00Z', id: { orig_h: '10.0.0.1' }, proto: 'udp', query: 'b' },
]);

describe('summarize', () => {
  it('groups by value across schemas (strings with enums), nulls in their own group', async () => {
    const out = await run('summarize count() by proto', [c1, d1, c2]);
    expect(out.length).toBe(1);
    expect(schemaOf(out[0]).name).toBe('vast.summarize');
    expect(tagged(out)).toEqual([
      { '#schema': 'vast.summarize', proto: 'tcp', 'count()': 2n },
      { '#schema': 'vast.summarize', proto: 'udp', 'count()': 3n },
      { '#schema': 'vast.summarize', proto: null, 'count()': 1n },
    ]);
  });

  it('computes every aggregation with exact integers and field types kept', async () => {
    const rows = await runRows(
      'summarize n=count(), b=count(bytes), s=sum(bytes), lo=min(ts), hi=max(duration), m=avg(duration), d=distinct(query), ips=distinct(id.orig_h) by id.orig_h',
      [c1, d1, c2],
    );
    expect(rows).toEqual([
      {
        '#schema': 'vast.summarize',
        id: { orig_h: '10.0.0.1' },
        n: 3n,
        b: 1n,
        s: 9007199254740993n,
        lo: T0 + 600_000_000_000n,
        hi: 1_000_000_000n,
        m: 1_000_000_000n,
        d: ['b'],
        ips: ['10.0.0.1'],
      },
      {
        '#schema': 'vast.summarize',
        id: { orig_h: '10.0.0.2' },
        n: 3n,
        b: 2n,
        s: 5n,
        lo: T0 + 1_200_000_000_000n,
        hi: 2_000_000_000n,
        m: 1_250_000_000n,
        d: ['a'],
        ips: ['10.0.0.2'],
      },
    ]);
    const [out] = await run(
      'summarize s=sum(bytes), lo=min(ts), hi=max(duration), d=distinct(query) by orig_h',
      [c1],
    );
    expect(schemaOf(out).type.fields.map((f) => typeToString(f.type))).toEqual([
      'ip',
      'uint64',
      'time',
      'duration',
      'list<string>',
    ]);
  });

  it('sums int64 exactly, doubles as double, and gives null on overflow', async () => {
    const ints = batch('t', 'record{g: string, i: int64, u: uint64, f: double}', [
      { g: 'a', i: '9223372036854775807', u: '18446744073709551615', f: 0.5 },
      { g: 'a', i: -2, u: 1, f: 0.25 },
      { g: 'b', i: -9, u: null, f: null },
    ]);
    expect(await runRows('summarize i=sum(i), u=sum(u), f=sum(f) by g', [ints])).toEqual([
      { '#schema': 'vast.summarize', g: 'a', i: 9223372036854775805n, u: null, f: 0.75 },
      { '#schema': 'vast.summarize', g: 'b', i: -9n, u: null, f: null },
    ]);
  });

  it('buckets times with round() and resolution; count(f) skips nulls and missing fields', async () => {
    const rows = await runRows('summarize count(bytes), count() by hour=round(ts, 1h)', [c1, d1, c2]);
    expect(rows.map((r) => [r.hour, r['count(bytes)'], r['count()']])).toEqual([
      [T0, 2n, 4n],
      [T0 + H, 0n, 1n],
      [T0 + 2n * H, 1n, 1n],
    ]);
    const res = await runRows('summarize n=count() by ts, proto resolution 1h', [c1, c2]);
    expect(res.map((r) => [r.ts, r.proto, r.n])).toEqual([
      [T0, 'tcp', 1n],
      [T0, 'udp', 1n],
      [T0 + H, 'tcp', 1n],
      [T0 + 2n * H, null, 1n],
    ]);
    const neg = batch('t', 'record{ts: time}', [{ ts: '1969-12-31T23:59:59Z' }]);
    expect((await runRows('summarize count() by t=round(ts, 1h)', [neg]))[0].t).toBe(-H);
  });

  it('treats a missing group field as null and splits groups whose key types differ', async () => {
    const x = batch('x', 'record{k: int64}', [{ k: 1 }]);
    const y = batch('y', 'record{k: string}', [{ k: '1' }]);
    const z = batch('z', 'record{other: int64}', [{ other: 1 }]);
    const out = await run('summarize count() by k', [x, y, z]);
    expect(out.map((b) => typeToString(schemaOf(b).type))).toEqual([
      'record{k: int64, count(): uint64}',
      'record{k: string, count(): uint64}',
    ]);
    expect(tagged(out).map((r) => [r.k, r['count()']])).toEqual([
      [1n, 1n],
      [null, 1n],
      ['1', 1n],
    ]);
  });

  it('summarizes without groups, and emits nothing for no input', async () => {
    expect(await runRows('summarize count(), max(bytes)', [c1, d1])).toEqual([
      { '#schema': 'vast.summarize', 'count()': 5n, 'max(bytes)': 9007199254740993n },
    ]);
    expect(await run('summarize count()', [])).toEqual([]);
  });

  it('fails at run time on values it cannot aggregate', async () => {
    await expect(run('summarize sum(proto)', [c1])).rejects.toThrow(
      'summarize: sum(proto): cannot sum values of type enum',
    );
    const x = batch('x', 'record{k: time}', [{ k: '2020-01-01' }]);
    const y = batch('y', 'record{k: string}', [{ k: '1' }]);
    await expect(run('summarize min(k)', [x, y])).rejects.toThrow(
      'summarize: min(k): the field is time in one schema and string in another',
    );
    await expect(run('summarize count() by r=round(proto, 1h)', [c1])).rejects.toThrow(/not a time/);
  });

  it('parses, reports errors with positions, and round-trips', () => {
    for (const text of [
      'summarize count()',
      'summarize n=count(), sum(bytes) by id.orig_h, proto',
      'summarize distinct(query) by h=round(ts, 1h)',
      'summarize min(ts) by ts resolution 10min',
    ])
      expect(parse(text)[0].toString()).toBe(text);
    expect(errorOf(() => parse('summarize count() by')).message).toBe("expected a field after 'by' at 1:19");
    expect(errorOf(() => parse('summarize avgg(x)')).message).toBe(
      "unknown aggregation function 'avgg' at 1:11 (did you mean 'avg'?)",
    );
    expect(errorOf(() => parse('summarize median(x)')).diagnostic?.notes).toEqual([
      'known functions: count, sum, min, max, avg, distinct',
    ]);
    expect(errorOf(() => parse('summarize sum()')).message).toMatch(/^sum\(\) needs a field/);
    expect(errorOf(() => parse('summarize by x')).message).toMatch(/^summarize needs an aggregation/);
    expect(errorOf(() => parse('summarize count() by h=round(ts, soon)')).message).toMatch(
      /^expected a positive duration like 1h, got 'soon' at 1:34/,
    );
    expect(errorOf(() => parse('summarize count(), count()')).message).toMatch(
      /^output field 'count\(\)' is defined twice/,
    );
    expect(errorOf(() => parse('summarize x=count() by x')).message).toMatch(
      /^output field 'x' is defined twice/,
    );
  });
});

describeDatasets('summarize on real data', () => {
  it('counts conn.log by proto like awk does', async () => {
    const path = dataset('zeek', 'conn.log');
    const { batches } = await readAll(zeek, { path });
    // Column of `proto` from the #fields header, then a count per value over the data lines.
    const awk = execFileSync(
      'awk',
      [
        '-F\t',
        '/^#fields/ { for (i = 2; i <= NF; i++) if ($i == "proto") col = i - 1; next } /^#/ { next } { n[$col]++ } END { for (p in n) print p "\t" n[p] }',
        path,
      ],
      { encoding: 'utf8' },
    );
    const expected = Object.fromEntries(
      awk
        .trim()
        .split('\n')
        .map((l) => l.split('\t'))
        .map(([p, n]) => [p, BigInt(n)]),
    );
    const rows = await runRows('summarize n=count() by proto', batches);
    expect(Object.fromEntries(rows.map((r) => [r.proto, r.n]))).toEqual(expected);
  });
});

describe('a whole pipeline', () => {
  it('filters, groups, orders and cuts', async () => {
    const rows = await runRows(
      'where bytes > 0 | summarize total=sum(bytes), n=count() by proto | sort total desc | head 1',
      [c1, d1, c2],
    );
    expect(rows).toEqual([{ '#schema': 'vast.summarize', proto: 'tcp', total: 9007199254740993n, n: 1n }]);
  });
});
