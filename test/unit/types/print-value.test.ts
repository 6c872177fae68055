import * as A from 'apache-arrow';
import { describe, expect, test } from 'vitest';
import { arrowSchema } from '../../../src/types/arrow.js';
import { BatchBuilder } from '../../../src/types/batch-builder.js';
import { layoutKey } from '../../../src/types/layout.js';
import {
  exactDuration,
  type PrintStyle,
  printColumn,
  printValue,
  secondsText,
  timeFormatter,
} from '../../../src/types/print-value.js';
import { formatTime } from '../../../src/types/time.js';
import { basic, list, record, type VastType } from '../../../src/types/type.js';
import { valueAt } from '../../../src/types/values.js';
import { allTypes, allTypesBatch } from '../formats/fixtures/all-types.js';

/** One column of type `t` holding `values` (JSON as the builders take it), printed in `style`. */
function print(t: VastType, values: unknown[], style: PrintStyle): (string | undefined)[] {
  const b = new BatchBuilder({ name: 't', type: record([{ name: 'x', type: t }]) });
  for (const v of values) expect(b.appendJson({ x: v })).toBe(true);
  const batch = b.finish();
  return printColumn(batch.data.children[0], t, style);
}

describe('printColumn per type and style', () => {
  test('bool', () => {
    expect(print(basic('bool'), [true, false, null], 'json')).toEqual(['true', 'false', undefined]);
    expect(print(basic('bool'), [true, false], 'csv')).toEqual(['true', 'false']);
    expect(print(basic('bool'), [true, false], 'ascii')).toEqual(['T', 'F']);
  });

  test('int64 and uint64 keep every digit, also beyond 2^53', () => {
    const ints = [
      '0',
      '-1',
      '9007199254740991',
      '9007199254740993',
      '-9007199254740993',
      '-9223372036854775808',
      '9223372036854775807',
      '4294967296',
      '-4294967297',
    ];
    expect(print(basic('int64'), ints, 'json')).toEqual(ints);
    const uints = ['0', '4294967295', '9007199254740993', '18446744073709551615'];
    expect(print(basic('uint64'), uints, 'json')).toEqual(uints);
    expect(print(basic('uint64'), uints, 'ascii')).toEqual(uints);
  });

  test('double: shortest round trip (integral ones as 1.0); NaN and infinities are null in JSON', () => {
    const values = [0.1, 1, -2.5, 1e21, 5e-324, 'nan', 'inf', '-inf'];
    expect(print(basic('double'), values, 'json')).toEqual([
      '0.1',
      '1.0',
      '-2.5',
      '1e+21',
      '5e-324',
      'null',
      'null',
      'null',
    ]);
    expect(print(basic('double'), values, 'csv')).toEqual([
      '0.1',
      '1',
      '-2.5',
      '1e+21',
      '5e-324',
      'NaN',
      'Infinity',
      '-Infinity',
    ]);
    // VAST's real_printer: ten decimals at most, trailing zeros trimmed, at least one kept.
    expect(print(basic('double'), [1, 0.25, 0.1 + 0.2, -0.05, 123456.789, 1e-11], 'ascii')).toEqual([
      '1.0',
      '0.25',
      '0.3',
      '-0.05',
      '123456.789',
      '0.0',
    ]);
  });

  test('duration: JSON and ascii as VAST literals, numeric seconds (exact), CSV exact with unit', () => {
    const d = ['163.82ms', '3.78s', '1234567ns', '90min', '2h', '0ns', '-1.5s', '3d', '1.000000001s'];
    const literals = ['163.82ms', '3.78s', '1.23ms', '1.5h', '2.0h', '0.0ns', '-1.5s', '3.0d', '1.0s'];
    expect(print(basic('duration'), d, 'json')).toEqual(literals.map((x) => `"${x}"`));
    expect(print(basic('duration'), d, 'ascii')).toEqual(literals);
    const b = new BatchBuilder({ name: 't', type: record([{ name: 'x', type: basic('duration') }]) });
    for (const v of d) b.appendJson({ x: v });
    const data = b.finish().data.children[0];
    expect(printColumn(data, basic('duration'), 'json', 0, d.length, { numericDurations: true })).toEqual([
      '0.16382',
      '3.78',
      '0.001234567',
      '5400',
      '7200',
      '0',
      '-1.5',
      '259200',
      '1.000000001',
    ]);
    expect(print(basic('duration'), d, 'csv')).toEqual([
      '163.82ms',
      '3.78s',
      '1.234567ms',
      '90min',
      '2h',
      '0ns',
      '-1.5s',
      '3d',
      '1.000000001s',
    ]);
    // Strings VAST 2 printed for Zeek conn durations (integration reference node-zeek-conn-log):
    // two decimals, one trailing zero dropped, minutes as `m`.
    expect(
      print(basic('duration'), ['34.549999s', '71.4s', '306.3ms', '16.1s', '130.8s', '0.001630s'], 'ascii'),
    ).toEqual(['34.55s', '1.19m', '306.3ms', '16.1s', '2.18m', '1.63ms']);
  });

  test('time: VAST 2 (six fraction digits, no zone) in json and ascii, ISO 8601 trimmed in csv', () => {
    const t = [
      '2009-11-18T08:00:21.486539Z',
      '2020-01-01T00:00:00Z',
      '1970-01-01T00:00:00.000000001Z',
      '2020-01-01T00:00:00.5Z',
      '1969-12-31T23:59:59.999999999Z',
    ];
    const vast = [
      '2009-11-18T08:00:21.486539',
      '2020-01-01T00:00:00.000000',
      '1970-01-01T00:00:00.000000001',
      '2020-01-01T00:00:00.500000',
      '1969-12-31T23:59:59.999999999',
    ];
    expect(print(basic('time'), t, 'json')).toEqual(vast.map((x) => `"${x}"`));
    expect(print(basic('time'), t, 'csv')).toEqual(t);
    expect(print(basic('time'), t, 'ascii')).toEqual(vast);
  });

  test('string: JSON-escaped in json, VAST-escaped in ascii, raw in csv', () => {
    const s = ['plain', 'say "hi"', 'tab\there', 'line\nbreak', 'back\\slash', 'ünïcödé', ''];
    expect(print(basic('string'), s, 'json')).toEqual(s.map((x) => JSON.stringify(x)));
    // VAST's print escaper: `"` backslashed, bytes outside printable ASCII as \xHH, backslash as is.
    expect(print(basic('string'), s, 'ascii')).toEqual([
      '"plain"',
      '"say \\"hi\\""',
      '"tab\\x09here"',
      '"line\\x0abreak"',
      '"back\\slash"',
      '"\\xc3\\xbcn\\xc3\\xafc\\xc3\\xb6d\\xc3\\xa9"',
      '""',
    ]);
    expect(print(basic('string'), s, 'csv')).toEqual(s);
  });

  test('ip: v4 dotted (also v4-mapped), v6 compressed', () => {
    const ips = [
      '192.168.1.1',
      '::ffff:1.2.3.4',
      '2001:db8::1',
      '::',
      '::1',
      'fe80::1:0:0:1',
      '2001:db8:0:0:1:0:0:1',
    ];
    const want = ['192.168.1.1', '1.2.3.4', '2001:db8::1', '::', '::1', 'fe80::1:0:0:1', '2001:db8::1:0:0:1'];
    expect(print(basic('ip'), ips, 'csv')).toEqual(want);
    expect(print(basic('ip'), ips, 'json')).toEqual(want.map((x) => `"${x}"`));
  });

  test('subnet', () => {
    const nets = ['10.0.0.0/8', '192.168.1.0/24', '2001:db8::/32', '0.0.0.0/0'];
    expect(print(basic('subnet'), nets, 'ascii')).toEqual(nets);
    expect(print(basic('subnet'), [...nets, null], 'json')).toEqual([
      ...nets.map((x) => `"${x}"`),
      undefined,
    ]);
  });

  test('port and enum', () => {
    expect(print(basic('port'), [0, 443, 65535], 'json')).toEqual(['0', '443', '65535']);
    expect(print({ kind: 'enum' }, ['tcp', 'udp', 'tcp', null], 'json')).toEqual([
      '"tcp"',
      '"udp"',
      '"tcp"',
      undefined,
    ]);
    expect(print({ kind: 'enum' }, ['tcp', 'udp'], 'ascii')).toEqual(['"tcp"', '"udp"']);
  });

  test('lists with null elements', () => {
    const t = list(basic('ip'));
    const v = [['10.0.0.1', null, '::1'], [], null];
    expect(print(t, v, 'json')).toEqual(['["10.0.0.1",null,"::1"]', '[]', undefined]);
    expect(print(t, v, 'ascii')).toEqual(['[10.0.0.1, nil, ::1]', '[]', undefined]);
    expect(print(t, v, 'csv')).toEqual(['[10.0.0.1, , ::1]', '[]', undefined]);
    expect(print(list(list(basic('int64'))), [[[1, 2], [], null]], 'json')).toEqual(['[[1,2],[],null]']);
    expect(print(list(basic('int64')), [[1, -2, 0]], 'ascii')).toEqual(['[+1, -2, +0]']);
  });

  test('records, nested, with nulls', () => {
    const t = record([
      { name: 'a', type: basic('int64') },
      { name: 'r', type: record([{ name: 's', type: basic('string') }]) },
    ]);
    const v = [{ a: 1, r: { s: 'x' } }, { a: null, r: null }, null];
    expect(print(t, v, 'json')).toEqual(['{"a":1,"r":{"s":"x"}}', '{"a":null,"r":null}', undefined]);
    expect(print(t, v, 'ascii')).toEqual(['<"a": +1, "r": <"s": "x">>', '<"a": nil, "r": nil>', undefined]);
  });

  test('flattened records: dotted JSON keys, ascii values only; a null record nulls its leaves', () => {
    const t = record([
      { name: 'a', type: basic('int64') },
      {
        name: 'r',
        type: record([
          { name: 's', type: basic('string') },
          { name: 'q', type: record([{ name: 'n', type: basic('uint64') }]) },
        ]),
      },
      { name: 'l', type: list(record([{ name: 'k', type: record([{ name: 'v', type: basic('bool') }]) }])) },
    ]);
    const v = [
      { a: 1, r: { s: 'x', q: { n: 7 } }, l: [{ k: { v: true } }] },
      { a: null, r: null, l: [] },
      { a: 2, r: { s: null, q: null }, l: null },
    ];
    const b = new BatchBuilder({ name: 't', type: record([{ name: 'x', type: t }]) });
    for (const x of v) expect(b.appendJson({ x })).toBe(true);
    const data = b.finish().data.children[0];
    expect(printColumn(data, t, 'json', 0, 3, { flatten: true })).toEqual([
      '{"a":1,"r.s":"x","r.q.n":7,"l":[{"k.v":true}]}',
      '{"a":null,"r.s":null,"r.q.n":null,"l":[]}',
      '{"a":2,"r.s":null,"r.q.n":null,"l":null}',
    ]);
    expect(printColumn(data, t, 'json', 0, 3, { flatten: true, omitNulls: true })).toEqual([
      '{"a":1,"r.s":"x","r.q.n":7,"l":[{"k.v":true}]}',
      '{"l":[]}',
      '{"a":2}',
    ]);
    // Records inside lists keep their names in ascii, as VAST's record_view_printer printed them.
    expect(printColumn(data, t, 'ascii', 0, 3, { flatten: true })).toEqual([
      '<+1, "x", 7, [<"k": <"v": T>>]>',
      '<nil, nil, nil, []>',
      '<+2, nil, nil, nil>',
    ]);
  });

  test('maps: JSON objects with text keys, VAST {k -> v} otherwise', () => {
    const t: VastType = { kind: 'map', key: basic('string'), value: basic('port') };
    expect(print(t, [{ http: 80, https: 443 }, {}, null], 'json')).toEqual([
      '{"http":80,"https":443}',
      '{}',
      undefined,
    ]);
    expect(print(t, [{ http: 80, dns: null }], 'ascii')).toEqual(['{"http" -> 80, "dns" -> nil}']);
    const byPort: VastType = { kind: 'map', key: basic('port'), value: basic('string') };
    expect(print(byPort, [{ 80: 'http' }], 'json')).toEqual(['{"80":"http"}']);
  });

  test('omit-nulls leaves null fields out at every level', () => {
    const t = record([
      { name: 'a', type: basic('int64') },
      {
        name: 'r',
        type: record([
          { name: 's', type: basic('string') },
          { name: 'n', type: basic('int64') },
        ]),
      },
    ]);
    const b = new BatchBuilder({ name: 't', type: record([{ name: 'x', type: t }]) });
    b.appendJson({ x: { a: null, r: { s: 'x', n: null } } });
    const data = b.finish().data.children[0];
    expect(printColumn(data, t, 'json', 0, 1, { omitNulls: true })).toEqual(['{"r":{"s":"x"}}']);
    expect(printColumn(data, t, 'json', 0, 1)).toEqual(['{"a":null,"r":{"s":"x","n":null}}']);
  });
});

describe('printing sliced data', () => {
  test('offsets of sliced batches are honoured at every level', () => {
    const batch = allTypesBatch();
    const t = allTypes.type;
    for (const style of ['json', 'csv', 'ascii'] as const) {
      const whole = printColumn(batch.data, t, style);
      for (let start = 0; start < batch.numRows; start++) {
        for (let end = start + 1; end <= batch.numRows; end++) {
          // RecordBatch.slice slices the children only, Data.slice the struct too.
          expect(printColumn(batch.slice(start, end).data, t, style)).toEqual(whole.slice(start, end));
          expect(printColumn(batch.data.slice(start, end - start), t, style)).toEqual(
            whole.slice(start, end),
          );
        }
      }
    }
  });

  test('a sub-range of a column', () => {
    const batch = allTypesBatch();
    const uid = batch.data.children[1];
    expect(printColumn(uid, basic('string'), 'csv', 1, 3)).toEqual([
      'with "quotes", commas\nand newline',
      '',
    ]);
    expect(printValue(uid, basic('string'), 0, 'ascii')).toBe('"Pii6cUUq1v4"');
    expect(printValue(batch.data.children[3], { kind: 'enum' }, 2, 'ascii')).toBe('nil');
  });
});

describe('helpers', () => {
  test('secondsText is exact', () => {
    expect(secondsText(0n)).toBe('0');
    expect(secondsText(1n)).toBe('0.000000001');
    expect(secondsText(-1_500_000_000n)).toBe('-1.5');
    expect(secondsText(9_223_372_036_854_775_807n)).toBe('9223372036.854775807');
  });

  test('exactDuration picks a unit without losing digits', () => {
    expect(exactDuration(60_000_000_000n)).toBe('1min');
    expect(exactDuration(61_000_000_000n)).toBe('61s');
    expect(exactDuration(1_500n)).toBe('1.5us');
    expect(exactDuration(999n)).toBe('999ns');
    expect(exactDuration(-86_400_000_000_000n)).toBe('-1d');
  });

  test('layoutKey tells schemas apart by name, fields and types', () => {
    const a = arrowSchema({ name: 'a', type: record([{ name: 'x', type: basic('int64') }]) });
    const a2 = arrowSchema({ name: 'a', type: record([{ name: 'x', type: basic('int64') }]) });
    const b = arrowSchema({ name: 'b', type: record([{ name: 'x', type: basic('int64') }]) });
    const c = arrowSchema({ name: 'a', type: record([{ name: 'x', type: basic('duration') }]) });
    expect(layoutKey(a)).toBe(layoutKey(a2));
    expect(layoutKey(a)).not.toBe(layoutKey(b));
    expect(layoutKey(a)).not.toBe(layoutKey(c));
    const e1 = arrowSchema({ name: 'e', type: record([{ name: 'x', type: { kind: 'enum' } }]) });
    const e2 = arrowSchema({ name: 'e', type: record([{ name: 'x', type: { kind: 'enum' } }]) });
    expect(layoutKey(e1)).toBe(layoutKey(e2));
    expect(layoutKey(e1, true)).not.toBe(layoutKey(e2, true));
    expect(A.DataType.isDictionary(e1.fields[0].type)).toBe(true);
  });
});

describe('values.ts accessors on sliced data', () => {
  test('valueAt of a sliced batch equals the same rows of the whole', () => {
    const batch = allTypesBatch();
    const whole = [0, 1, 2].map((i) => valueAt(batch.data, allTypes.type, i));
    for (let start = 0; start < 3; start++) {
      const sliced = batch.slice(start, 3);
      for (let i = 0; i < sliced.numRows; i++)
        expect(valueAt(sliced.data, allTypes.type, i)).toEqual(whole[start + i]);
      // Data.slice moves the parent's offset as well as the children's.
      const data = batch.data.slice(start, 3 - start);
      for (let i = 0; i < data.length; i++) expect(valueAt(data, allTypes.type, i)).toEqual(whole[start + i]);
    }
  });
});

describe('timeFormatter', () => {
  test('prints exactly what formatTime prints', () => {
    const text = timeFormatter();
    const samples = [
      0n,
      1n,
      -1n,
      999_999_999n,
      -1_000_000_000n,
      1_258_531_221_486_539_000n,
      86_399_999_999_999n,
    ];
    samples.push(-9_223_372_036_854_775_807n, 9_223_372_036_854_775_807n);
    let x = 1_234_567n;
    for (let i = 0; i < 5000; i++) {
      // A deterministic spread over the whole int64 range, plus neighbours of day boundaries.
      x = (x * 6_364_136_223_846_793_005n + 1_442_695_040_888_963_407n) % 2n ** 63n;
      samples.push(i % 2 ? x : -x, (x % 1000n) * 86_400_000_000_000n + (i % 3 === 0 ? -1n : 0n));
    }
    for (const ns of samples) expect(text(ns)).toBe(formatTime(ns));
  });
});
