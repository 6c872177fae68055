import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as A from 'apache-arrow';
import { describe, expect, test } from 'vitest';
import { zeek } from '../../../src/formats/zeek/index.js';
import { ByteSink, printSecondsFixed6, zeekDouble } from '../../../src/formats/zeek/print.js';
import { writeZeek } from '../../../src/formats/zeek/writer.js';
import { BatchBuilder } from '../../../src/types/batch-builder.js';
import { basic, list, record, type Schema } from '../../../src/types/type.js';
import { valueAt } from '../../../src/types/values.js';
import { dataset, describeDatasets, HAVE_DATASETS, TEST_DATA } from '../../helpers/datasets.js';
import { readAll } from '../../helpers/read.js';
import { allTypesBatch, smallBatch, writeText } from './fixtures/all-types.js';

const data = (name: string) => join(TEST_DATA, 'zeek', name);
const dataLines = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
const directive = (text: string, name: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith(`#${name}`))
    .map((l) => l.slice(name.length + 2));

/** Imports a file and exports it again. */
async function roundTrip(path: string): Promise<{ input: string; output: string; batches: A.RecordBatch[] }> {
  const { batches, diagnostics } = await readAll(zeek, { path });
  expect(diagnostics).toEqual([]);
  // Zeek logs are ASCII (non-ASCII bytes are escaped), so latin1 compares bytes.
  const input = readFileSync(path).toString('latin1');
  return { input, output: await writeText(writeZeek, batches), batches };
}

/** Zeek type names as we write them: every container is a vector; file/pattern/func are strings. */
const normalizeTypes = (types: string) =>
  types.replace(/\b(set|table)\[/g, 'vector[').replace(/\b(file|pattern|func)\b/g, 'string');

async function expectExactRoundTrip(path: string): Promise<void> {
  const { input, output } = await roundTrip(path);
  expect(dataLines(output)).toEqual(dataLines(input));
  expect(directive(output, 'fields')).toEqual(directive(input, 'fields'));
  expect(directive(output, 'types')).toEqual(directive(input, 'types').map(normalizeTypes));
  expect(directive(output, 'path')).toEqual(directive(input, 'path'));
}

describe('zeek writer: round trips reproduce the data lines byte for byte', () => {
  const files = readdirSync(join(TEST_DATA, 'zeek')).filter((f) => f.endsWith('.log') && f !== 'ssl.log');
  test.each(files)('%s', (file) => expectExactRoundTrip(data(file)));

  test('ssl.log: Bro 2.x left backslashes unescaped, we write \\\\ as Zeek does today', async () => {
    const { input, output } = await roundTrip(data('ssl.log'));
    const before = dataLines(input);
    const after = dataLines(output);
    // `O=New Dream Network\, LLC` (Bro 2.x) is written `\\,` (Zeek >= 3); nothing else differs.
    expect(after).toEqual(before.map((l) => l.replaceAll('\\', '\\\\')));
    expect(before.filter((l, i) => l !== after[i]).length).toBe(55);
    // And the values survive: reading our output gives the same batches.
    const again = await readAll(zeek, { text: output });
    const original = await readAll(zeek, { path: data('ssl.log') });
    expect(again.diagnostics).toEqual([]);
    expect(again.batches[0].getChild('issuer_subject')!.toArray()).toEqual(
      original.batches[0].getChild('issuer_subject')!.toArray(),
    );
  });
});

describeDatasets('zeek writer: round trips of every dataset log', () => {
  const files = HAVE_DATASETS
    ? readdirSync(dataset('zeek')).filter((f) => f.endsWith('.log') && f !== 'ssl.log')
    : [];
  test.each(files)('%s', (file) => expectExactRoundTrip(dataset('zeek', file)));
});

describe('zeek writer: headers', () => {
  test('a header block per schema, #close before the next one and at the end', async () => {
    const a = smallBatch([{ n: 1, s: 'x' }]);
    const b = allTypesBatch();
    const out = await writeText(writeZeek, [a, smallBatch([{ n: 2, s: 'y' }]), b, a]);
    const lines = out.split('\n');
    expect(lines.filter((l) => l.startsWith('#path'))).toEqual([
      '#path\ttest.small',
      '#path\ttest.all',
      '#path\ttest.small',
    ]);
    expect(lines.filter((l) => l.startsWith('#close')).length).toBe(3);
    expect(lines.at(-2)).toMatch(/^#close\t\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}$/);
    expect(lines.slice(0, 8)).toEqual([
      '#separator \\x09',
      '#set_separator\t,',
      '#empty_field\t(empty)',
      '#unset_field\t-',
      '#path\ttest.small',
      expect.stringMatching(/^#open\t\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}$/),
      '#fields\tn\ts',
      '#types\tint\tstring',
    ]);
    // Two batches of one schema share one header.
    expect(lines.slice(8, 10)).toEqual(['1\tx', '2\ty']);
  });

  test('no batches, no output', async () => {
    expect(await writeText(writeZeek, [])).toBe('');
  });

  test('every VAST type; maps and lists of records as JSON text', async () => {
    const out = await writeText(writeZeek, [allTypesBatch()]);
    const lines = out.split('\n');
    expect(lines[6]).toBe(
      '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\tbytes\tdelta\tratio\tok\tnet\ttags\tips\tpairs\theaders',
    );
    expect(lines[7]).toBe(
      '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tinterval\tcount\tint\tdouble\tbool\tsubnet\tvector[string]\tvector[addr]\tstring\tstring',
    );
    expect(dataLines(out)).toEqual([
      '1258531221.486539\tPii6cUUq1v4\t192.168.1.102\t68\t192.168.1.1\t67\tudp\t0.163820\t18446744073709551615\t-9223372036854775808\t0.1\tT\t10.0.0.0/8\ta,b\\x2cc\t2001:db8::1,1.2.3.4\t[{"a":1,"b":"x"},{"a":null,"b":"y"}]\t{"Host":"example.com","X-Quote":"say \\\\"hi\\\\""}',
      // A null record (`id`) makes all its fields unset; an empty list is (empty); a null element is -.
      '1577836800.000000\twith "quotes", commas\\x0aand newline\t-\t-\t-\t-\ttcp\t3.780000\t9007199254740993\t-5\t1.0\tF\t2001:db8::/32\t(empty)\t-,10.1.2.3\t-\t{}',
      '0.000000\t(empty)\t-\t-\tfe80::1\t443\t-\t-\t-\t-\t-\t-\t-\t-\t-\t[]\t-',
    ]);
  });
});

describe('zeek writer: values', () => {
  const schema: Schema = {
    name: 'zeek.test',
    type: record([
      { name: 's', type: basic('string') },
      { name: 'l', type: list(basic('string')) },
      { name: 'e', type: { kind: 'enum' } },
      { name: 'd', type: basic('double') },
      { name: 'i', type: basic('duration') },
    ]),
  };
  const batch = (rows: Record<string, unknown>[]) => {
    const b = new BatchBuilder(schema);
    for (const r of rows) expect(b.appendJson(r)).toBe(true);
    return b.finish();
  };

  test('string escaping', async () => {
    const rows = [
      { s: '-', l: ['-', '(empty)', '', 'a,b'] },
      { s: '(empty)', l: [] },
      { s: '', l: null },
      { s: 'tab\there\nnew\u007f\u0001', l: ['x'] },
      { s: 'caf\u00e9 \u2014 back\\slash', l: ['\\'] },
      // A kept escape of an invalid byte is written back as it is.
      { s: 'Microsoft\\xae Windows', l: ['\\x41'] },
    ];
    const out = await writeText(writeZeek, [batch(rows)]);
    expect(dataLines(out).map((l) => l.split('\t').slice(0, 2))).toEqual([
      ['\\x2d', '\\x2d,\\x28empty),(empty),a\\x2cb'],
      ['\\x28empty)', '(empty)'],
      ['(empty)', '-'],
      ['tab\\x09here\\x0anew\\x7f\\x01', 'x'],
      ['caf\\xc3\\xa9 \\xe2\\x80\\x94 back\\\\slash', '\\\\'],
      ['Microsoft\\xae Windows', '\\\\x41'],
    ]);
    // Reading the output back gives the strings we started from.
    const { batches, diagnostics } = await readAll(zeek, { text: out });
    expect(diagnostics).toEqual([]);
    const back = (name: string) => {
      const d = batches[0].getChild(name)!.data[0];
      const t = name === 's' ? basic('string') : list(basic('string'));
      return rows.map((_, i) => valueAt(d, t, i));
    };
    expect(back('s')).toEqual(rows.map((r) => r.s));
    expect(back('l')).toEqual(rows.map((r) => r.l));
  });

  test('enums, doubles and intervals', async () => {
    const rows = [
      { e: 'a,b', d: 0.139741, i: '-147369us', l: [] },
      { e: '-', d: 42, i: '3600s', l: [] },
      { e: 'x', d: 1e-7, i: '0s', l: [] },
    ];
    const out = await writeText(writeZeek, [batch(rows)]);
    expect(dataLines(out).map((l) => l.split('\t').slice(2))).toEqual([
      ['a,b', '0.139741', '-0.147369'],
      ['\\x2d', '42.0', '3600.000000'],
      ['x', '0', '0.000000'],
    ]);
  });

  test('sliced batches print the rows of the slice', async () => {
    const full = allTypesBatch();
    const out = await writeText(writeZeek, [full.slice(1, 3)]);
    const all = await writeText(writeZeek, [full]);
    expect(dataLines(out)).toEqual(dataLines(all).slice(1, 3));
  });
});

describe('zeek value printing', () => {
  test('doubles as Zeek prints them (modp_dtoa3, six decimals, .0 for integers)', () => {
    const cases: [number, string][] = [
      [0.139741, '0.139741'],
      [0.090372, '0.090372'],
      [3.5, '3.5'],
      [42, '42.0'],
      [-2, '-2.0'],
      [0, '0.0'],
      [-0, '0.0'],
      [1e-7, '0'],
      [123456789.1234567, '123456789.123457'],
      [0.9999999, '1'],
      [3e9, '3000000000.0'],
      [3000000000.25, '3000000000.25'],
      [1e21, '1000000000000000000000.0'],
      [Number.NaN, 'nan'],
      [Number.POSITIVE_INFINITY, 'inf'],
      [Number.NEGATIVE_INFINITY, '-inf'],
    ];
    for (const [v, text] of cases) expect([v, zeekDouble(v)]).toEqual([v, text]);
  });

  test('times and intervals: six decimals, exponent from 2^31-1 seconds on', () => {
    const print = (ns: bigint) => {
      const sink = new ByteSink(16);
      const u = BigInt.asUintN(64, ns);
      printSecondsFixed6(sink, Number(u & 0xffffffffn), Number(u >> 32n));
      return Buffer.from(sink.take()).toString('latin1');
    };
    expect(print(1_258_531_221_486_539_000n)).toBe('1258531221.486539');
    expect(print(-147_369_000n)).toBe('-0.147369');
    expect(print(0n)).toBe('0.000000');
    expect(print(1_500n)).toBe('0.000002');
    expect(print(-1_418_429_426_887_384_000n)).toBe('-1418429426.887384');
    expect(print(2_147_483_646_999_999_000n)).toBe('2147483646.999999');
    expect(print(4_294_967_296_000_000_000n)).toBe('4.294967296e+09');
    expect(print(2_385_616_957_000_000_000n)).toBe('2.385616957e+09');
    expect(print(-4_000_000_000_000_000_000n)).toBe('-4e+09');
    expect(print(9_223_372_036_854_775_807n)).toBe('9.2233720368547764e+09');
  });
});
