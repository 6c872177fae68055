/**
 * Every VAST type round-trips exactly through the store (Parquet partitions):
 * 64-bit integers at and beyond 2^53 and at the ends of their ranges, nested
 * records (a null record and a record of nulls; empty records, which Parquet
 * has no direct form for), lists (null, empty, with
 * null elements, of records, of lists), maps, ip v4 and v6, subnets,
 * durations, enums, and nulls in every column; across several row groups;
 * read back whole and column by column.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as A from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { ROW_GROUP_ROWS } from '../../../src/store/partition.js';
import { Store } from '../../../src/store/store.js';
import { BatchBuilder } from '../../../src/types/batch-builder.js';
import { plainStrings } from '../../../src/types/dictionary-strings.js';
import { parseType } from '../../../src/types/parse-type.js';
import type { RecordType } from '../../../src/types/type.js';
import { type Value, valueAt } from '../../../src/types/values.js';
import { keepPartitions } from '../../helpers/partition-audit.js';

const type = parseType(
  `record{
    i: int64, u: uint64, d: double, b: bool, t: time, dur: duration, s: string, e: enum,
    a: ip, n: subnet, p: port,
    r: record{x: int64, y: record{z: string, w: ip}},
    l: list<int64>, ls: list<string>, lr: list<record{k: string, v: uint64}>, ll: list<list<ip>>,
    m: map<string, int64>, er: record{}, ner: record{inner: record{}, x: string}
  }`,
) as RecordType;
const schema = { name: 'test.alltypes', type, timestamp: 't' };

const I64 = [0n, 1n, -1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n)];
const U64 = [0n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n];
const IPS = ['10.1.2.3', '0.0.0.0', '255.255.255.255', '::1', '2001:db8::ff00:42:8329', 'fe80::1'];

/** Row `k`: a deterministic mix of values and nulls, so that every column sees both in every row group. */
function row(k: number): Record<string, unknown> {
  const at = <T>(xs: readonly T[]) => xs[k % xs.length];
  const nul = (every: number) => k % every === 0;
  return {
    i: nul(11) ? null : at(I64) - (at(I64) > 0n ? 1n : -1n) * BigInt(k % 3),
    u: nul(13) ? null : at(U64),
    d: nul(7) ? null : k / 7 - 100,
    b: nul(5) ? null : k % 2 === 0,
    t: nul(17)
      ? null
      : `2009-11-18T08:${String(k % 60).padStart(2, '0')}:00.${String(k).padStart(9, '0').slice(-9)}Z`,
    dur: nul(19) ? null : `${k % 1000}.${String(k % 997).padStart(3, '0')}ms`,
    s: nul(3) ? null : k % 4 === 0 ? `host-${k % 10}` : `unique-${k}-ü`,
    e: nul(23) ? null : at(['tcp', 'udp', 'icmp']),
    a: nul(29) ? null : at(IPS),
    n: nul(31) ? null : at(['10.0.0.0/8', '192.168.1.0/24', '2001:db8::/32', '::/0']),
    p: nul(37) ? null : (k * 7) % 65536,
    r: nul(41)
      ? null
      : { x: nul(2) ? null : BigInt(k) * 2n ** 40n, y: nul(6) ? null : { z: `z${k % 5}`, w: at(IPS) } },
    l: nul(43) ? null : Array.from({ length: k % 4 }, (_, j) => (j === 1 ? null : BigInt(k * j))),
    ls: k % 5 === 1 ? [] : nul(47) ? null : [`a${k % 3}`, null, `b${k}`],
    lr: nul(53)
      ? null
      : [
          { k: `k${k % 2}`, v: at(U64) },
          { k: null, v: null },
        ],
    ll: nul(59) ? null : [[at(IPS)], [], null],
    m: nul(61) ? null : { one: BigInt(k), two: null },
    er: nul(2) ? null : {},
    ner: nul(3) ? null : { inner: nul(5) ? null : {}, x: `x${k % 3}` },
  };
}

const ROWS = ROW_GROUP_ROWS * 2 + 1234;

function batches(): A.RecordBatch[] {
  const out: A.RecordBatch[] = [];
  // Uneven batch sizes: row groups gather several batches.
  for (let start = 0, size = 999; start < ROWS; start += size, size = size === 999 ? 30_011 : 999) {
    const b = new BatchBuilder(schema);
    for (let k = start; k < Math.min(ROWS, start + size); k++) expect(b.appendJson(row(k))).toBe(true);
    out.push(b.finish());
  }
  return out;
}

const rowsOf = (bs: Iterable<A.RecordBatch>): Value[] => {
  const out: Value[] = [];
  for (const b of bs) {
    const plain = plainStrings(b);
    for (let i = 0; i < plain.numRows; i++) out.push(valueAt(plain.data, type, i));
  }
  return out;
};

const dir = mkdtempSync(join(tmpdir(), 'vast-roundtrip-'));
afterAll(() => {
  keepPartitions(dir);
  rmSync(dir, { recursive: true, force: true });
});

describe('store round trip of every type', () => {
  it('reads back exactly what was imported, whole and column by column', async () => {
    const input = batches();
    const expected = rowsOf(input);
    expect(expected).toHaveLength(ROWS);
    const store = await Store.open(join(dir, 'db'), { create: true });
    const imp = await store.importer();
    for (const b of input) await imp.add(b);
    await imp.commit();

    const [entry] = store.partitions();
    expect(entry.events).toBe(ROWS);
    const read: A.RecordBatch[] = [];
    for await (const b of store.batches()) read.push(b);
    expect(read.length).toBeGreaterThanOrEqual(2); // several row groups
    const got = rowsOf(read);
    // Field by field first, for a readable failure.
    for (const f of type.fields)
      sameValues(
        got.map((r) => field(r, f.name)),
        expected.map((r) => field(r, f.name)),
        f.name,
      );

    // Column by column: each field read alone equals that field of the whole rows.
    const reader = await store.openPartition(entry);
    try {
      for (let f = 0; f < type.fields.length; f++) {
        const name = type.fields[f].name;
        const values: Value[] = [];
        const other = (f + 1) % type.fields.length;
        for (let g = 0; g < reader.rowGroups; g++) {
          const b = plainStrings(await reader.read(g, [f]));
          for (let i = 0; i < b.numRows; i++)
            values.push(valueAt(b.data.children[f], type.fields[f].type, i));
          // Fields not asked for come back null.
          expect(b.data.children[other].nullCount).toBe(b.numRows);
        }
        sameValues(
          values,
          expected.map((r) => field(r, name)),
          name,
        );
        const k = values.length;
        expect(k).toBe(ROWS);
      }
    } finally {
      await reader.close();
    }
  });
});

const field = (row: Value, name: string): Value => (row as Record<string, Value>)[name];

const canonical = (v: Value) =>
  JSON.stringify(v, (_k, x) =>
    typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? Array.from(x) : x,
  );

/** Equal arrays of values; on a difference, the first differing row is shown (a diff of 100k rows takes minutes). */
function sameValues(got: Value[], want: Value[], what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let k = 0; k < want.length; k++)
    if (canonical(got[k]) !== canonical(want[k])) expect(got[k], `${what}, row ${k}`).toEqual(want[k]);
}
