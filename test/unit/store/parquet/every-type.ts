/**
 * A layout with every VAST type (records in records, lists of records, lists
 * of lists, maps) and rows that cycle each column through nulls at every
 * level, bounds (int64 ±2^63, uint64 2^64-1, ports 0 and 65535, nanosecond
 * times) and ordinary values: the synthetic input of the Parquet tests.
 */
import type * as A from 'apache-arrow';
import { BatchBuilder } from '../../../../src/types/batch-builder.js';
import { basic, list, record, type Schema } from '../../../../src/types/type.js';

const b = basic;
export const everything: Schema = {
  name: 'test.everything',
  timestamp: 'ts',
  type: record([
    { name: 'ts', type: b('time') },
    { name: 'i', type: b('int64') },
    { name: 'u', type: b('uint64') },
    { name: 'd', type: b('double') },
    { name: 'ok', type: b('bool') },
    { name: 's', type: b('string') },
    { name: 'e', type: { kind: 'enum' } },
    { name: 'dur', type: b('duration') },
    { name: 'addr', type: b('ip') },
    { name: 'net', type: b('subnet') },
    { name: 'port', type: b('port') },
    {
      name: 'rec',
      type: record([
        { name: 'a', type: b('int64') },
        { name: 'inner', type: record([{ name: 'x', type: b('string') }]) },
      ]),
    },
    { name: 'tags', type: list(b('string')) },
    { name: 'ips', type: list(b('ip')) },
    {
      name: 'pairs',
      type: list(
        record([
          { name: 'n', type: b('uint64') },
          { name: 't', type: b('string') },
        ]),
      ),
    },
    { name: 'nested', type: list(list(b('int64'))) },
    { name: 'm', type: { kind: 'map', key: b('string'), value: b('int64') } },
  ]),
};

/** Row `k` of the synthetic batch: every column cycles through nulls, bounds and ordinary values. */
function everythingRow(k: number): Record<string, unknown> {
  const pick = <T>(xs: T[]) => xs[k % xs.length];
  return {
    ts: pick([
      `2009-11-18T08:00:${String(k % 60).padStart(2, '0')}.123456Z`,
      null,
      '2038-01-19T03:14:08.123456789Z',
      '1970-01-01T00:00:00.000000001Z',
    ]),
    i: pick(['9223372036854775807', '-9223372036854775808', '9007199254740993', null, String(k - 500), '0']),
    u: pick(['18446744073709551615', '9223372036854775808', null, String(k), '0']),
    d: pick([0.5, -1e300, null, k / 7, 0]),
    ok: pick([true, false, null]),
    s: pick([`uid-${k}`, null, '', 'ünïcødé', '\u{10ffff}'.repeat(20)]),
    e: pick(['tcp', 'udp', null, 'icmp']),
    dur: pick(['163.82ms', null, '-5ns', `${k}s`]),
    addr: pick(['192.168.1.1', '2001:db8::1', null, `10.0.${k % 256}.1`, '::']),
    net: pick(['10.0.0.0/8', null, '2001:db8::/32', '0.0.0.0/0']),
    port: pick([0, 65535, null, k % 1000]),
    rec: pick([{ a: k, inner: { x: 'in' } }, null, { a: null, inner: null }, { a: -1, inner: { x: null } }]),
    tags: pick([['a', 'b'], null, [], [null, 'c'], [String(k)]]),
    ips: pick([['1.2.3.4', null], null, [], ['::1']]),
    pairs: pick([
      [
        { n: '1', t: 'x' },
        { n: null, t: null },
      ],
      null,
      [],
      [null],
      [{ n: String(k), t: 'y' }],
    ]),
    nested: pick([[[1, 2], [], null, [null]], null, [], [[3]]]),
    m: pick([{ Host: 1, n: null }, null, {}, { k: String(k) }]),
  };
}

export function everythingBatch(from: number, n: number): A.RecordBatch {
  const builder = new BatchBuilder(everything);
  for (let k = from; k < from + n; k++) {
    const row = everythingRow(k);
    if (!builder.appendJson(row)) {
      const bad = everything.type.fields.filter(
        (f) => !new BatchBuilder({ name: 'x', type: record([f]) }).appendJson({ [f.name]: row[f.name] }),
      );
      throw new Error(`row ${k} rejected: ${JSON.stringify(bad.map((f) => [f.name, row[f.name]]))}`);
    }
  }
  return builder.finish();
}
