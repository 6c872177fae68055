import { describe, expect, it } from 'vitest';
import { compileQuery, evaluate, programText } from '../../../src/expr/compile.js';
import { setIndices } from '../../../src/expr/kernels/bitmap.js';
import { mustParseExpression } from '../../../src/expr/parser.js';
import { BatchBuilder } from '../../../src/types/batch-builder.js';
import { parseType } from '../../../src/types/parse-type.js';
import type { RecordType, Schema } from '../../../src/types/type.js';

const conn: Schema = {
  name: 'zeek.conn',
  timestamp: 'ts',
  type: parseType(
    'record{ts: time, uid: string, id: record{orig_h: ip, orig_p: port, resp_h: ip, resp_p: port}, proto: enum, service: string, duration: duration, orig_bytes: uint64, delta: int64, ratio: double, local: bool, tags: list<string>, net: subnet}',
  ) as RecordType,
};
const dns: Schema = {
  name: 'zeek.dns',
  type: parseType('record{ts: time, query: string, answers: list<ip>, id: record{orig_h: ip}}') as RecordType,
};

const rows = [
  {
    ts: '2020-01-01T00:00:00Z',
    uid: 'A',
    id: { orig_h: '10.0.0.1', orig_p: 1234, resp_h: '192.168.1.1', resp_p: 80 },
    proto: 'tcp',
    service: 'http',
    duration: '1.5s',
    orig_bytes: 100,
    delta: -5,
    ratio: 0.5,
    local: true,
    tags: ['a', 'b'],
    net: '10.0.0.0/8',
  },
  {
    ts: '2020-01-01T01:00:00Z',
    uid: 'B',
    id: { orig_h: '2001:db8::1', orig_p: 53, resp_h: '::1', resp_p: 53 },
    proto: 'udp',
    service: 'dns',
    duration: '20ms',
    orig_bytes: 5000,
    delta: 7,
    ratio: 2.5,
    local: false,
    tags: [],
    net: '2001:db8::/32',
  },
  {
    ts: '2020-01-02T00:00:00Z',
    uid: 'C',
    id: { orig_h: '10.1.2.3', orig_p: 4444, resp_h: '8.8.8.8', resp_p: 443 },
    proto: 'tcp',
    service: null,
    duration: null,
    orig_bytes: null,
    delta: 0,
    ratio: null,
    local: null,
    tags: ['c'],
    net: null,
  },
  {
    ts: '2020-01-03T00:00:00Z',
    uid: 'D',
    id: { orig_h: '172.16.0.9', orig_p: 80, resp_h: '10.0.0.1', resp_p: 22 },
    proto: 'icmp',
    service: 'ssh-ish',
    duration: '2h',
    orig_bytes: 18446744073709551615n.toString(),
    delta: -9000000000,
    ratio: 1e300,
    local: false,
    tags: null,
    net: '192.168.0.0/16',
  },
];
const batch = (() => {
  const b = new BatchBuilder(conn);
  for (const r of rows) expect(b.appendJson(r as Record<string, unknown>)).toBe(true);
  return b.finish();
})();

/** Rows (by uid) that an expression selects. */
function select(text: string): string[] {
  const q = compileQuery(mustParseExpression(text), text, [conn, dns], { aliases: new Map() });
  expect(q.diagnostics, text).toEqual([]);
  const bits = evaluate(q.program(conn), batch);
  return [...setIndices(bits, batch.numRows)].map((i) => rows[i].uid);
}

describe('compiled predicates select the right rows', () => {
  const cases: [string, string[]][] = [
    ['true', ['A', 'B', 'C', 'D']],
    ['false', []],
    ['id.orig_h == 10.0.0.1', ['A']],
    ['orig_h == 2001:db8::1', ['B']],
    ['id.orig_h in 10.0.0.0/8', ['A', 'C']],
    ['id.orig_h !in 10.0.0.0/8', ['B', 'D']],
    ['id.orig_h in 2001:db8::/32', ['B']],
    [':ip == 10.0.0.1', ['A', 'D']],
    ['10.0.0.1', ['A', 'D']],
    ['10.0.0.0/8', ['A', 'C', 'D']],
    ['id.resp_p == 80', ['A']],
    ['id.resp_p == 53/udp', ['B']],
    [':port < 100', ['A', 'B', 'D']],
    ['proto == "tcp"', ['A', 'C']],
    ['proto != "tcp"', ['B', 'D']],
    ['proto in ["udp", "icmp"]', ['B', 'D']],
    ['service == /ht+p/', ['A']],
    ['service == /HTTP/i', ['A']],
    ['service == /ss/', []],
    ['service in /ss/', ['D']],
    ['service != "http"', ['B', 'D']],
    ['service ni "s"', ['B', 'D']],
    ['"dns"', ['B']],
    ['service == null', ['C']],
    ['service != null', ['A', 'B', 'D']],
    ['orig_bytes > 1000', ['B', 'D']],
    ['orig_bytes >= 18446744073709551615', ['D']],
    ['delta < 0', ['A', 'D']],
    ['delta < -5000000000', ['D']],
    ['ratio > 1', ['B', 'D']],
    ['ratio == 0.5', ['A']],
    ['duration > 1s', ['A', 'D']],
    ['duration <= 20ms', ['B']],
    ['ts >= 2020-01-01T01:00:00Z && ts < 2020-01-03', ['B', 'C']],
    [':time > 2020-01-02', ['D']],
    ['local == true', ['A']],
    ['local == false', ['B', 'D']],
    ['tags ni "b"', ['A']],
    ['"c" in tags', ['C']],
    // A list compared with a value: some element satisfies the comparison; negated: none does (non-null lists).
    ['id.orig_p == id.resp_p', ['B']],
    ['id.orig_p != id.resp_p', ['A', 'C', 'D']],
    ['uid == service', []],
    ['tags == "b"', ['A']],
    ['tags == /[ac]/', ['A', 'C']],
    ['tags in /c/', ['C']],
    ['tags != "a"', ['B', 'C']],
    ['net ni 10.1.1.1', ['A']],
    ['net in 192.0.0.0/2', ['D']],
    ['net == 2001:db8::/32', ['B']],
    ['!(proto == "tcp")', ['B', 'D']],
    ['proto == "udp" || id.resp_p == 443', ['B', 'C']],
    ['not (id.orig_h in 10.0.0.0/8) and orig_bytes > 0', ['B', 'D']],
    ['#schema == "zeek.conn"', ['A', 'B', 'C', 'D']],
    ['#type != "zeek.conn"', []],
    ['#schema == /zeek\\..*/', ['A', 'B', 'C', 'D']],
    ['#field == "orig_h"', ['A', 'B', 'C', 'D']],
    ['#field == "query"', []],
    ['query == "x"', []],
  ];
  it.each(cases)('%s', (text, expected) => {
    expect(select(text)).toEqual(expected);
  });
});

describe('type checking', () => {
  const errors = (text: string) =>
    compileQuery(mustParseExpression(text), text, [conn, dns], { aliases: new Map() }).diagnostics;

  it('reports an unknown field with a suggestion and its position', () => {
    const [d] = errors('proto == "tcp" && orig_hh == 10.0.0.1');
    expect(d.message).toBe("unknown field 'orig_hh'");
    expect(d.location).toEqual({ source: 'query', line: 1, column: 19, length: 7 });
    expect(d.hints).toEqual(["did you mean 'id.orig_h'?"]);
  });

  it('reports a type mismatch', () => {
    const [d] = errors('id.orig_h == "foo"');
    expect(d.message).toBe("type mismatch: 'id.orig_h' (ip) cannot be compared with a string value");
  });

  it('accepts a field that exists with a compatible type in some schema', () => {
    expect(errors('query == "example.com"')).toEqual([]);
  });

  it('compares two fields with == and !=, and names what does not fit', () => {
    expect(errors('uid == service')).toEqual([]);
    expect(errors('uid == nosuch').map((d) => [d.message, d.location?.column])).toEqual([
      ["unknown field 'nosuch'", 8],
    ]);
    expect(errors('uid == orig_bytes').map((d) => d.message)).toEqual([
      "type mismatch: 'uid' (string) cannot be compared with field 'orig_bytes'",
    ]);
    expect(errors('uid < service').map((d) => d.message)).toEqual([
      "comparing two extractors is supported for two fields with '==' or '!='; compare other extractors with a value",
    ]);
  });

  it('does not check the right side of a #schema guard that rules every schema out', () => {
    expect(errors('#schema == "zeek.http" && uri == "/"')).toEqual([]);
    expect(errors('#schema == "zeek.dns" && uri == "/"').map((d) => d.message)).toEqual([
      "unknown field 'uri'",
    ]);
  });
});

describe('patterns run in linear time', () => {
  it('does not hang on a catastrophic-backtracking pattern', () => {
    const b = new BatchBuilder(dns);
    b.appendJson({ ts: null, query: `${'a'.repeat(50_000)}!`, answers: [], id: { orig_h: '10.0.0.1' } });
    const batchDns = b.finish();
    for (const text of ['query == /(a+)+$/', 'query == /(a|aa)+$/i']) {
      const q = compileQuery(mustParseExpression(text), text, [dns], { aliases: new Map() });
      expect(setIndices(evaluate(q.program(dns), batchDns), 1)).toHaveLength(0);
    }
  });
});

describe('explain text', () => {
  it('prints the per-schema program', () => {
    const text = 'orig_h == 10.0.0.1 && proto == "tcp"';
    const q = compileQuery(mustParseExpression(text), text, [conn, dns], { aliases: new Map() });
    expect(programText(q.program(conn))).toBe('id.orig_h == 10.0.0.1 && proto == "tcp"');
    expect(programText(q.program(dns))).toBe('false');
  });
});

describe('sliced batches (arrow-js offsets)', () => {
  it('selects the same rows from a slice as from the whole batch', () => {
    const sliced = batch.slice(1, 4);
    for (const text of [
      'orig_h in 10.0.0.0/8',
      'proto == "tcp"',
      'orig_bytes > 1000',
      'service ni "s"',
      'tags ni "c"',
      'net ni 10.1.1.1',
      'local == false',
      'duration > 1s',
    ]) {
      const q = compileQuery(mustParseExpression(text), text, [conn], { aliases: new Map() });
      const got = [...setIndices(evaluate(q.program(conn), sliced), sliced.numRows)].map(
        (i) => rows[i + 1].uid,
      );
      expect(got, text).toEqual(select(text).filter((u) => u !== 'A'));
    }
  });
});

describe('field names that contain dots (JSON keys)', () => {
  it('compiles, evaluates and builds synopses by segments, not by splitting the path', async () => {
    const { SynopsisBuilder } = await import('../../../src/store/synopsis.js');
    const dotted: Schema = {
      name: 'json',
      type: {
        kind: 'record',
        fields: [
          { name: 'id.orig_h', type: { kind: 'string' } },
          { name: 'n', type: { kind: 'uint64' } },
        ],
      },
    };
    const b = new BatchBuilder(dotted);
    b.appendJson({ 'id.orig_h': 'x', n: 1 });
    b.appendJson({ 'id.orig_h': 'y', n: 2 });
    const rows2 = b.finish();
    const text = 'id.orig_h == "y"';
    const q = compileQuery(mustParseExpression(text), text, [dotted], { aliases: new Map() });
    expect([...setIndices(evaluate(q.program(dotted), rows2), 2)]).toEqual([1]);
    const syn = new SynopsisBuilder(dotted.type);
    syn.add(rows2);
    expect(syn.finish().fields.n).toMatchObject({ min: '1', max: '2' });
  });
});
