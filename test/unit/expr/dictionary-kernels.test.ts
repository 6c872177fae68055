import { join } from 'node:path';
import * as A from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileQuery, evaluate } from '../../../src/expr/compile.js';
import { setIndices } from '../../../src/expr/kernels/bitmap.js';
import { literalForm, requiredLiteral } from '../../../src/expr/kernels/pattern-literal.js';
import { mustParseExpression } from '../../../src/expr/parser.js';
import { zeek } from '../../../src/formats/zeek/index.js';
import { concat, filter } from '../../../src/pipeline/batch-ops.js';
import { dictionaryStringField, vastSchema } from '../../../src/types/arrow.js';
import { plainStrings } from '../../../src/types/dictionary-strings.js';
import { valueAt } from '../../../src/types/values.js';
import { TEST_DATA } from '../../helpers/datasets.js';
import { dictionaryEncode } from '../../helpers/dictionary.js';
import { readAll, registry } from '../../helpers/read.js';
import { batch, rowsOf } from '../pipeline/helpers.js';

/** The rows a query selects in a batch. */
function selected(query: string, batch: A.RecordBatch): number[] {
  const expr = mustParseExpression(query);
  const compiled = compileQuery(expr, query, [vastSchema(batch.schema)], registry);
  expect(compiled.diagnostics).toEqual([]);
  return [...setIndices(evaluate(compiled.program(vastSchema(batch.schema)), batch), batch.numRows)];
}

const QUERIES = [
  'service == "dns"',
  'service != "dns"',
  'service == ""',
  'service < "h"',
  'service >= "dns"',
  'service in ["dns", "http"]',
  'service !in ["dns", "http"]',
  'service in "xdnsx"',
  'service == null',
  'service != null',
  'uid ni "Abc"',
  'uid ni "a"',
  'uid !ni "a"',
  'history == /.*d.*/',
  'history != /.*d.*/',
  'history == /Sh.*/',
  'history == /.*Fa/',
  'history == /ShADadfF/',
  'history in /d/',
  'history !in /d/',
  'history == /^S[hH]+.*$/',
  'conn_state == /s./i',
  '"dns"',
  ':string == "S0"',
  ':string ni "x"',
  'conn_state == "SF" && service == "dns"',
  // Case-insensitive literals (Sigma's values), and conjunctions that run them within the rows left.
  'conn_state == /s0/i',
  'service in /SSL/i',
  'history == /sha.*/i',
  'id.resp_p in [80, 443] && conn_state == /sf/i',
  'conn_state == /rej/i && id.resp_p in [80, 443, 22]',
  '!(conn_state == /s0/i) && id.resp_p in [80]',
];

describe('string kernels on dictionary-encoded columns (conn.log)', () => {
  let batches: A.RecordBatch[];
  beforeAll(async () => {
    ({ batches } = await readAll(zeek, { path: join(TEST_DATA, 'zeek', 'conn.log') }));
  });

  for (const q of QUERIES)
    it(`${q}: same rows as on plain Utf8, also with garbage codes in null rows`, () => {
      let total = 0;
      for (const b of batches) {
        const plain = selected(q, b);
        expect(selected(q, dictionaryEncode(b))).toEqual(plain);
        expect(selected(q, dictionaryEncode(b, true))).toEqual(plain);
        // And on a slice (arrow-js offsets: codes sliced, validity not).
        const at = Math.min(37, b.numRows);
        const sliced = dictionaryEncode(b).slice(at, b.numRows);
        expect(selected(q, sliced)).toEqual(plain.filter((r) => r >= at).map((r) => r - at));
        total += plain.length;
      }
      expect(total).toBeGreaterThanOrEqual(0);
    });

  it('a port list is the OR of its ports, in one pass', () => {
    for (const b of batches) {
      expect(selected('id.resp_p in [80, 443, 8080]', b)).toEqual(
        selected('id.resp_p == 80 || id.resp_p == 443 || id.resp_p == 8080', b),
      );
      expect(selected('id.resp_p !in [80, 443]', b)).toEqual(
        selected('id.resp_p != 80 && id.resp_p != 443', b),
      );
      expect(selected('id.resp_p in [70000]', b)).toEqual([]);
    }
  });

  it('literal patterns agree with JS RegExp row by row', () => {
    const cases: [string, RegExp][] = [
      ['history == /.*d.*/', /^(?:.*d.*)$/],
      ['history in /Da/', /Da/],
      ['history == /Sh.*/', /^(?:Sh.*)$/],
      ['history == /.*Fa/', /^(?:.*Fa)$/],
      ['history == /^[DS].*d/', /^(?:^[DS].*d)$/],
      ['history in /Sh+A?D(a|d)/', /Sh+A?D(a|d)/],
      ['history != /S[hH]A.f+/', /^(?:S[hH]A.f+)$/],
      ['uid in /[A-Z]x\\d?y*z{0,2}/', /[A-Z]x\d?y*z{0,2}/],
    ];
    for (const [q, re] of cases)
      for (const b of batches) {
        const type = vastSchema(b.schema).type;
        const k = type.fields.findIndex((f) => f.name === q.split(' ')[0]);
        const want: number[] = [];
        for (let r = 0; r < b.numRows; r++) {
          const v = valueAt(b.data.children[k], type.fields[k].type, r);
          if (typeof v === 'string' && re.test(v) !== q.includes('!=')) want.push(r);
        }
        expect(selected(q, b), q).toEqual(want);
      }
  });
});

describe('literal patterns', () => {
  it('recognises [.*]LIT[.*] only', () => {
    expect(literalForm('.*d.*', true)).toEqual({ kind: 'contains', literal: 'd', dotted: true });
    expect(literalForm('.*d.*', false)).toEqual({ kind: 'contains', literal: 'd', dotted: false });
    expect(literalForm('GET.*', true)).toEqual({ kind: 'prefix', literal: 'GET', dotted: true });
    expect(literalForm('.*\\.exe', true)).toEqual({ kind: 'suffix', literal: '.exe', dotted: true });
    expect(literalForm('a\\.b', true)).toEqual({ kind: 'equals', literal: 'a.b', dotted: false });
    // Under `==`, `^a` is the whole value `a`.
    expect(literalForm('^a', true)).toEqual({ kind: 'equals', literal: 'a', dotted: false });
    for (const s of ['.*', 'a.b', 'a*', 'a|b', '\\d+', 'a\\.*', '^.*a', '[ab]'])
      expect(literalForm(s, true)).toBeUndefined();
  });

  it('finds the literal every match contains, if any', () => {
    expect(requiredLiteral('^[DS].*dab')).toBe('dab');
    expect(requiredLiteral('Sh+A?D(a|d)')).toBe('Sh');
    expect(requiredLiteral('xy?z')).toBe('x');
    expect(requiredLiteral('ab{0,2}c{100}')).toBe('a');
    expect(requiredLiteral('(abc)?d[efgh]\\.exe')).toBe('.exe');
    expect(requiredLiteral('[]abc]')).toBeUndefined();
    expect(requiredLiteral('ab|cd')).toBeUndefined();
    expect(requiredLiteral('a\\x41bc')).toBeUndefined();
    expect(requiredLiteral('a\\u0041bc')).toBeUndefined();
    expect(requiredLiteral('\\d+')).toBeUndefined();
  });

  it('leaves values with line breaks to the matcher', () => {
    const schema = new A.Schema([new A.Field('s', new A.Utf8(), true)], new Map([['vast.schema', 't']]));
    const values = ['ad', 'a\nd', 'd\r', 'x\u2028d', '€d', null, 'nothing'];
    const col = A.vectorFromArray(values, new A.Utf8()).data[0];
    const b = new A.RecordBatch(
      schema,
      A.makeData({ type: new A.Struct(schema.fields), length: values.length, children: [col] }),
    );
    // `.` stops at line terminators, so only 'ad' and '€d' match the whole value.
    expect(selected('s == /.*d.*/', b)).toEqual([0, 4]);
    expect(selected('s != /.*d.*/', b)).toEqual([1, 2, 3, 6]);
    expect(selected('s in /d/', b)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('dictionary edge cases', () => {
  const field = dictionaryStringField(new A.Field('s', new A.Utf8(), true));
  const schema = new A.Schema([field], new Map([['vast.schema', 't']]));
  const batchOf = (entries: string[], codes: number[], valid: boolean[]) => {
    const nullBitmap = new Uint8Array((codes.length + 7) >> 3);
    valid.forEach((v, r) => {
      if (v) nullBitmap[r >> 3] |= 1 << (r & 7);
    });
    const col = A.makeData({
      type: field.type as A.Dictionary<A.Utf8, A.Int32>,
      length: codes.length,
      nullCount: valid.filter((v) => !v).length,
      nullBitmap,
      data: Int32Array.from(codes),
      dictionary: A.vectorFromArray(entries, new A.Utf8()),
    });
    return new A.RecordBatch(
      schema,
      A.makeData({ type: new A.Struct(schema.fields), length: codes.length, children: [col] }),
    );
  };

  it('an empty dictionary: every row is null', () => {
    const b = batchOf([], [0, 0, 0], [false, false, false]);
    expect(selected('s == "a"', b)).toEqual([]);
    expect(selected('s != "a"', b)).toEqual([]);
    expect(selected('s == null', b)).toEqual([0, 1, 2]);
    expect(selected('s == /.*/', b)).toEqual([]);
    expect(plainStrings(b).getChildAt(0)?.toArray()).toEqual([null, null, null]);
  });

  it('null rows never match, not even negated predicates', () => {
    const b = batchOf(['a', 'b'], [0, 7, 1, 0, -1], [true, false, true, true, false]);
    expect(selected('s == "a"', b)).toEqual([0, 3]);
    expect(selected('s != "a"', b)).toEqual([2]);
    expect(selected('s !ni "a"', b)).toEqual([2]);
    expect(selected('s != /a/', b)).toEqual([2]);
    expect(selected('s != null', b)).toEqual([0, 2, 3]);
    expect(selected('s !in ["a", "c"]', b)).toEqual([2]);
  });

  it('plainStrings decodes to Utf8 with the field metadata minus the marker', () => {
    const b = batchOf(['a', 'bc'], [1, 0, 5, 1], [true, true, false, true]);
    const p = plainStrings(b);
    const f = p.schema.fields[0];
    expect(A.DataType.isUtf8(f.type)).toBe(true);
    expect([...f.metadata.keys()]).toEqual([]);
    expect(p.getChildAt(0)?.toArray()).toEqual(['bc', 'a', null, 'bc']);
    const untouched = plainStrings(p);
    expect(untouched).toBe(p);
  });
});

describe('dictionary strings through filter, concat and plainStrings', () => {
  const rows = [
    { r: { s: 'a', n: 1 }, t: 'x' },
    { r: { s: null, n: 2 }, t: null },
    { r: { s: 'b', n: 3 }, t: 'x' },
    { r: { s: 'a', n: 4 }, t: 'y' },
  ];
  const b = batch('t', 'record{r: record{s: string, n: int64}, t: string}', rows);
  const d = dictionaryEncode(b, true);
  const values = (x: A.RecordBatch) => rowsOf(plainStrings(x));

  it('plainStrings decodes strings nested in records, keeping metadata minus the marker', () => {
    const p = plainStrings(d);
    expect(rowsOf(p)).toEqual(rowsOf(b));
    const inner = (p.schema.fields[0].type as A.Struct).children[0];
    expect(A.DataType.isUtf8(inner.type)).toBe(true);
    expect(inner.metadata.has('vast.dictionary')).toBe(false);
    expect(plainStrings(d.slice(1, 3)).numRows).toBe(2);
    expect(rowsOf(plainStrings(d.slice(1, 3)))).toEqual(rowsOf(b).slice(1, 3));
  });

  it('filter and concat keep Int32 codes, also across dictionaries', () => {
    const sel = Uint8Array.of(0b1101);
    const f = filter(d, sel)!;
    expect((f.schema.fields[1].type as A.Dictionary).indices.bitWidth).toBe(32);
    expect(values(f)).toEqual([0, 2, 3].map((i) => rowsOf(b)[i]));
    const other = dictionaryEncode(
      batch('t', 'record{r: record{s: string, n: int64}, t: string}', [rows[3], rows[0]]),
    );
    const c = concat([d, other]);
    expect(values(c)).toEqual([...rowsOf(b), rowsOf(b)[3], rowsOf(b)[0]]);
    expect(selected('t == "y"', c)).toEqual([3, 4]);
  });
});

describe('subnet membership on 32-bit words', () => {
  it('agrees with a range of ip comparisons for every v4 prefix length', async () => {
    const { batches } = await readAll(zeek, { path: join(TEST_DATA, 'zeek', 'conn.log') });
    const b = concat(batches);
    const base = [192, 168, 1, 102];
    for (let len = 0; len <= 32; len++) {
      const v = ((base[0] << 24) | (base[1] << 16) | (base[2] << 8) | base[3]) >>> 0;
      const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
      const lo = (v & mask) >>> 0;
      const hi = (lo | (~mask >>> 0)) >>> 0;
      const ip = (x: number) => [x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255].join('.');
      const range = selected(`id.orig_h >= ${ip(lo)} && id.orig_h <= ${ip(hi)}`, b);
      expect(selected(`id.orig_h in ${ip(lo)}/${len}`, b), `/${len}`).toEqual(range);
      expect(selected(`id.resp_h !in ${ip(lo)}/${len}`, b).length).toBe(
        b.numRows - selected(`id.resp_h in ${ip(lo)}/${len}`, b).length,
      );
    }
  });
});
