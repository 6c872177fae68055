/**
 * The column builders' contract (src/types/builder/column.ts), for every VAST
 * type: a refused value appends nothing, `truncate` rolls a column back as if
 * the dropped rows were never appended, and `finish` starts the next batch
 * from row 0. Each case is checked against a reference column built without
 * the detours.
 */
import type * as A from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { makeColumnBuilder } from '../../../src/types/builder.js';
import { parseType } from '../../../src/types/parse-type.js';
import { type Value, valueAt } from '../../../src/types/values.js';

/** Per type: two JSON values it takes, and one it must refuse (some refused half-way through). */
const cases: { type: string; a: unknown; b: unknown; bad: unknown }[] = [
  { type: 'bool', a: true, b: false, bad: 'yes' },
  { type: 'int64', a: -5, b: 7, bad: 1.5 },
  { type: 'uint64', a: 1, b: '18446744073709551615', bad: -1 },
  { type: 'double', a: 1.5, b: -2, bad: 'x' },
  { type: 'duration', a: '1.5s', b: 3, bad: 'soon' },
  { type: 'time', a: '2020-01-01T00:00:00Z', b: 1258531221.486539, bad: 'then' },
  { type: 'port', a: 80, b: '443/tcp', bad: 70000 },
  { type: 'string', a: 'a', b: 'bé', bad: null },
  { type: 'ip', a: '10.0.0.1', b: '::1', bad: '10.0.0.256' },
  { type: 'subnet', a: '10.0.0.0/8', b: '2001:db8::/32', bad: '10.0.0.0/33' },
  { type: 'enum', a: 'tcp', b: 'udp', bad: 5 },
  { type: 'list<ip>', a: ['10.0.0.1', '10.0.0.2'], b: [], bad: ['10.0.0.3', 'x'] },
  { type: 'record{n: int64, h: ip}', a: { n: 1, h: '10.0.0.1' }, b: { n: 2 }, bad: { n: 3, h: 'x' } },
  { type: 'map<string, ip>', a: { x: '10.0.0.1', y: null }, b: {}, bad: { z: '10.0.0.1', w: 'x' } },
];

const values = (d: A.Data, t: ReturnType<typeof parseType>): Value[] =>
  Array.from({ length: d.length }, (_, i) => valueAt(d, t, i));

describe.each(cases)('$type builder', ({ type, a, b, bad }) => {
  const t = parseType(type);

  it('refuses a bad value without appending, and rolls back to a row as if the rest never was', () => {
    const col = makeColumnBuilder(t);
    expect(col.appendJson(a)).toBe(true);
    col.appendNull();
    expect(col.appendJson(b)).toBe(true);
    col.truncate(1);
    expect(col.length).toBe(1);
    expect(col.appendJson(bad)).toBe(false);
    expect(col.length).toBe(1);
    expect(col.appendJson(b)).toBe(true);
    col.appendNull();

    const ref = makeColumnBuilder(t);
    ref.appendJson(a);
    ref.appendJson(b);
    ref.appendNull();

    const got = col.finish();
    const want = ref.finish();
    expect(got.length).toBe(3);
    expect(got.nullCount).toBe(1);
    expect(values(got, t)).toEqual(values(want, t));
    expect(values(got, t)[2]).toBeNull();
    expect(values(got, t)[0]).not.toEqual(values(got, t)[1]);
  });

  it('starts the next batch at row 0 after finish', () => {
    const col = makeColumnBuilder(t);
    col.appendJson(a);
    col.appendNull();
    col.finish();
    col.appendJson(b);
    col.appendJson(a);
    const ref = makeColumnBuilder(t);
    ref.appendJson(b);
    ref.appendJson(a);
    const got = col.finish();
    expect(got.nullCount).toBe(0);
    expect(values(got, t)).toEqual(values(ref.finish(), t));
  });
});

describe('enum builder', () => {
  it('keeps key meanings across batches: later dictionaries extend earlier ones', () => {
    const col = makeColumnBuilder(parseType('enum'));
    col.appendJson('tcp');
    col.appendJson('udp');
    const first = col.finish();
    col.appendJson('icmp');
    col.appendJson('tcp');
    const second = col.finish();
    const dict = (d: A.Data) => Array.from({ length: d.dictionary!.length }, (_, k) => d.dictionary!.get(k));
    expect(dict(first)).toEqual(['tcp', 'udp']);
    expect(dict(second)).toEqual(['tcp', 'udp', 'icmp']);
    expect(Array.from(second.values as Int16Array)).toEqual([2, 0]);
  });
});
