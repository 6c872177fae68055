import { describe, expect, it } from 'vitest';
import {
  concat,
  filter,
  gather,
  layoutKey,
  normalize,
  schemaOf,
  sliceRows,
  take,
} from '../../../src/pipeline/batch-ops.js';
import { keyEncoder } from '../../../src/pipeline/keys.js';
import { Layout, makeBatch } from '../../../src/pipeline/layout.js';
import { compareRows, compareValues, orderColumn } from '../../../src/pipeline/order.js';
import { basic } from '../../../src/types/type.js';
import { valueAt } from '../../../src/types/values.js';
import { allTypesBatch, allTypesRows } from '../formats/fixtures/all-types.js';
import { batch, conn, rowsOf } from './helpers.js';

const all = allTypesBatch();

describe('take', () => {
  it('gathers rows of every VAST type, nested and null included, in any order with repeats', () => {
    const idx = Int32Array.from([2, 0, 1, 0]);
    const out = take(all, idx);
    expect(out.numRows).toBe(4);
    const expected = rowsOf(all);
    expect(rowsOf(out)).toEqual([expected[2], expected[0], expected[1], expected[0]]);
    expect(layoutKey(out)).toBe(layoutKey(all));
  });

  it('reads arrow-js slices correctly and returns offset-free data', () => {
    const sliced = all.slice(1, 3);
    const copy = normalize(sliced);
    expect(copy).not.toBe(sliced);
    expect(rowsOf(copy)).toEqual(rowsOf(all).slice(1, 3));
    const twice = normalize(copy);
    expect(twice).toBe(copy);
    expect(rowsOf(sliceRows(all, 1, 2))).toEqual(rowsOf(all).slice(1, 2));
  });

  it('keeps rows unchanged through an empty take', () => {
    expect(take(all, new Int32Array(0)).numRows).toBe(0);
  });
});

describe('concat', () => {
  it('joins batches of one layout and merges differing enum dictionaries', () => {
    const a = conn([{ ts: '2020-01-01', proto: 'tcp', bytes: 1 }]);
    const b = conn([
      { ts: '2020-01-02', proto: 'udp', bytes: 2 },
      { ts: '2020-01-03', proto: 'tcp', bytes: null },
    ]);
    expect(layoutKey(a)).toBe(layoutKey(b));
    const c = concat([a, b]);
    expect(rowsOf(c).map((r) => [r.proto, r.bytes])).toEqual([
      ['tcp', 1n],
      ['udp', 2n],
      ['tcp', null],
    ]);
  });

  it('concatenates the all-types fixture with itself', () => {
    const c = concat([all, allTypesBatch(allTypesRows.slice(1))]);
    expect(rowsOf(c)).toEqual([...rowsOf(all), ...rowsOf(all).slice(1)]);
  });
});

describe('filter', () => {
  it('keeps the rows whose bit is set, LSB first', () => {
    const sel = new Uint8Array([0b101]);
    expect(rowsOf(filter(all, sel)!)).toEqual([rowsOf(all)[0], rowsOf(all)[2]]);
    expect(filter(all, new Uint8Array([0]))).toBeUndefined();
    expect(filter(all, new Uint8Array([0b111]))).toBe(all);
  });
});

describe('gather', () => {
  it('fills nulls where the source index is negative', () => {
    const col = all.data.children[1];
    const out = gather(col.type, [col], Int32Array.from([-1, 0]), Int32Array.from([0, 0]));
    expect([valueAt(out, basic('string'), 0), valueAt(out, basic('string'), 1)]).toEqual([
      null,
      'Pii6cUUq1v4',
    ]);
  });
});

describe('Layout', () => {
  it('renames and rebuilds records without copying columns, moving the timestamp path', () => {
    const b = conn([{ ts: '2020-01-01', id: { orig_h: '10.0.0.1', orig_p: 1 }, bytes: 5 }]);
    const layout = new Layout(b.schema, [
      { name: 'bytes', source: [3] },
      { name: 'when', source: [0] },
      { name: 'id', source: [1], children: [{ name: 'src', source: [1, 0] }] },
    ]);
    const out = layout.apply(b);
    expect(rowsOf(out)).toEqual([{ bytes: 5n, when: 1577836800000000000n, id: { src: '10.0.0.1' } }]);
    expect(out.data.children[0]).toBe(b.data.children[3]);
    expect(schemaOf(out).timestamp).toBe('when');
    expect(schemaOf(out).name).toBe('zeek.conn');
  });
});

describe('makeBatch', () => {
  it('nests dotted paths and keeps flat names flat', () => {
    const ips = batch('t', 'record{a: ip, b: uint64}', [{ a: '10.0.0.1', b: 1 }]);
    const out = makeBatch(
      'vast.test',
      [
        { path: 'id.orig_h', type: basic('ip'), data: ips.data.children[0] },
        { path: 'sum(id.b)', flat: true, type: basic('uint64'), data: ips.data.children[1] },
      ],
      1,
    );
    expect(rowsOf(out)).toEqual([{ id: { orig_h: '10.0.0.1' }, 'sum(id.b)': 1n }]);
    expect(schemaOf(out).name).toBe('vast.test');
  });
});

describe('order and keys', () => {
  it('compares rows by VAST type and keys values injectively', () => {
    const b = batch('t', 'record{t: time, i: int64, s: string, a: ip, l: list<string>}', [
      { t: '2020-01-01', i: -1, s: 'b', a: '10.0.0.2', l: ['x'] },
      { t: '2019-01-01', i: 5, s: 'ab', a: '10.0.0.10', l: ['x', 'y'] },
    ]);
    const cols = schemaOf(b).type.fields.map((f, k) => orderColumn(b.data.children[k], f.type));
    expect(cols.map((c) => Math.sign(compareRows(c, 0, c, 1)))).toEqual([1, -1, 1, -1, -1]);
    const keys = schemaOf(b).type.fields.map((f, k) => keyEncoder(b.data.children[k], f.type));
    for (const key of keys) expect(key(0)).not.toBe(key(1));
    expect(compareValues(1n, 1.5)).toBeLessThan(0);
    expect(compareValues(null, 1)).toBeGreaterThan(0);
    expect(compareValues('\u{1F600}', '\uFFFD')).toBeGreaterThan(0);
  });
});
