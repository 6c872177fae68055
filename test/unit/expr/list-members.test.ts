/**
 * Members of lists of records as fields (`dns.queries.rrname` of Suricata EVE
 * DNS v3's `dns.queries: list<record{rrname, rrtype}>`): resolution (exact,
 * suffix, qualified names, next to EVE v2's `dns.rrname`), the compiled
 * comparison (some element's member satisfies it; negated: none does; null
 * lists and null elements never match), and pruning (always 'maybe').
 */
import { execFileSync } from 'node:child_process';
import * as A from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileQuery, evaluate, programText } from '../../../src/expr/compile.js';
import { setIndices } from '../../../src/expr/kernels/bitmap.js';
import { listMemberColumn } from '../../../src/expr/kernels/list.js';
import { mustParseExpression } from '../../../src/expr/parser.js';
import { prune, SketchCache } from '../../../src/expr/prune.js';
import { fieldLeaves, memberLeaves, resolveFields } from '../../../src/expr/resolve.js';
import { suricata } from '../../../src/formats/suricata.js';
import { vastSchema } from '../../../src/types/arrow.js';
import { BatchBuilder } from '../../../src/types/batch-builder.js';
import { parseType } from '../../../src/types/parse-type.js';
import { type RecordType, type Schema, typeToString } from '../../../src/types/type.js';
import { dataset, describeDatasets } from '../../helpers/datasets.js';
import { readAll, registry } from '../../helpers/read.js';

/** EVE v2 (`dns.rrname`) and v3 (`dns.queries`, `dns.answers`) fields side by side, as in schemas/suricata.yaml. */
const dns: Schema = {
  name: 'suricata.dns',
  timestamp: 'timestamp',
  type: parseType(
    'record{timestamp: time, dns: record{rrname: string, rrtype: string, queries: list<record{rrname: string, rrtype: string}>, answers: list<record{rrname: string, rdata: string, ttl: uint64, peer: record{ip: ip}}>}}',
  ) as RecordType,
};

const rows = [
  { id: 'A', dns: { rrname: 'example.com', rrtype: 'A', queries: null, answers: null } },
  {
    id: 'B',
    dns: {
      queries: [{ rrname: 'example.com', rrtype: 'A' }],
      answers: [{ rrname: 'example.com', rdata: '1.2.3.4', ttl: 60, peer: { ip: '10.0.0.1' } }],
    },
  },
  {
    id: 'C',
    dns: {
      queries: [
        { rrname: 'x.org', rrtype: 'TXT' },
        { rrname: 'example.com', rrtype: 'AAAA' },
      ],
      answers: [{ rrname: 'x.org', rdata: 'v=spf1', ttl: 10, peer: null }],
    },
  },
  { id: 'D', dns: { queries: [], answers: [] } },
  { id: 'E', dns: { queries: [null, { rrname: null, rrtype: 'MX' }] } },
  { id: 'F', dns: null },
];

const batch = (() => {
  const b = new BatchBuilder(dns);
  for (const { id: _, ...r } of rows)
    expect(b.appendJson({ timestamp: '2024-01-01T00:00:00Z', ...r } as Record<string, unknown>)).toBe(true);
  return b.finish();
})();

function compile(text: string) {
  return compileQuery(mustParseExpression(text), text, [dns], { aliases: new Map() });
}

/** Rows (by id) that an expression selects, on the whole batch and on a slice of it (offsets). */
function select(text: string): string[] {
  const q = compile(text);
  expect(q.diagnostics, text).toEqual([]);
  const hits = [...setIndices(evaluate(q.program(dns), batch), batch.numRows)].map((i) => rows[i].id);
  const sliced = batch.slice(2, batch.numRows);
  const slicedHits = [...setIndices(evaluate(q.program(dns), sliced), sliced.numRows)].map(
    (i) => rows[i + 2].id,
  );
  expect(slicedHits, `${text} on rows 2..`).toEqual(hits.filter((id) => id >= 'C'));
  return hits;
}

describe('resolving members of lists of records', () => {
  const named = fieldLeaves(dns.type);
  const paths = (name: string) => resolveFields(dns, name, undefined, named).map((l) => l.path);

  it('a member is a leaf of type list<member>; the list itself stays a leaf', () => {
    const members = memberLeaves(dns.type).map((l) => `${l.path}: ${typeToString(l.type)}`);
    expect(members).toEqual([
      'dns.queries.rrname: list<string>',
      'dns.queries.rrtype: list<string>',
      'dns.answers.rrname: list<string>',
      'dns.answers.rdata: list<string>',
      'dns.answers.ttl: list<uint64>',
      'dns.answers.peer.ip: list<ip>',
    ]);
    expect(paths('dns.queries')).toEqual(['dns.queries']);
  });

  it('exact, suffix and schema-qualified names', () => {
    expect(paths('dns.queries.rrname')).toEqual(['dns.queries.rrname']);
    expect(paths('queries.rrname')).toEqual(['dns.queries.rrname']);
    expect(paths('suricata.dns.dns.queries.rrname')).toEqual(['dns.queries.rrname']);
    expect(paths('answers.peer.ip')).toEqual(['dns.answers.peer.ip']);
    // An exact path wins; a suffix finds every field it ends, EVE v2's and v3's alike.
    expect(paths('dns.rrname')).toEqual(['dns.rrname']);
    expect(paths('rrname')).toEqual(['dns.rrname', 'dns.queries.rrname', 'dns.answers.rrname']);
    expect(paths('ame')).toEqual([]);
  });

  it('an unknown member is an unknown field, with a suggestion among members', () => {
    const q = compile('dns.queries.rrnam == "x"');
    expect(q.diagnostics.map((d) => d.message)).toEqual(["unknown field 'dns.queries.rrnam'"]);
    expect(q.diagnostics[0].hints).toEqual(["did you mean 'dns.queries.rrname'?"]);
  });

  it('a member compared with a value of another type is a type error naming the list', () => {
    const q = compile('dns.queries.rrname == 10.0.0.1');
    expect(q.diagnostics.map((d) => d.message)).toEqual([
      "type mismatch: 'dns.queries.rrname' (list) cannot be compared with a ip value",
    ]);
  });
});

describe('comparisons with members of lists of records', () => {
  const cases: [string, string[]][] = [
    ['dns.queries.rrname == "example.com"', ['B', 'C']],
    ['queries.rrname == "example.com"', ['B', 'C']],
    ['"example.com" in dns.queries.rrname', ['B', 'C']],
    ['dns.queries.rrname ni "example.com"', ['B', 'C']],
    // Negated: no element's member does, on non-null lists (the empty list and the nulls of E included).
    ['dns.queries.rrname != "example.com"', ['D', 'E']],
    ['dns.queries.rrname in ["x.org", "a.example"]', ['C']],
    ['dns.queries.rrname !in ["x.org", "a.example"]', ['B', 'D', 'E']],
    ['dns.queries.rrname == /.*\\.com/', ['B', 'C']],
    ['dns.queries.rrname == /EXAMPLE\\.COM/i', ['B', 'C']],
    ['dns.queries.rrname in /x\\.o/', ['C']],
    ['dns.queries.rrname != /.*\\.com/', ['D', 'E']],
    ['dns.queries.rrtype == "MX"', ['E']],
    ['dns.queries.rrtype == "A" && dns.queries.rrname == "example.com"', ['B']],
    // The list is null, not a member: `== null` is about the list, as for a list field.
    ['dns.queries.rrname == null', ['A', 'F']],
    ['dns.queries.rrname != null', ['B', 'C', 'D', 'E']],
    ['dns.answers.rdata == "1.2.3.4"', ['B']],
    ['dns.answers.ttl > 30', ['B']],
    ['dns.answers.ttl <= 30', ['C']],
    ['dns.answers.peer.ip == 10.0.0.1', ['B']],
    ['dns.answers.peer.ip in 10.0.0.0/8', ['B']],
    // A suffix on both EVE versions: any of the fields (`!=`: none, each non-null).
    ['rrname == "example.com"', ['A', 'B', 'C']],
    ['rrname == "x.org"', ['C']],
    ['rrname != "example.com"', []],
    ['dns.rrname == "example.com"', ['A']],
    ['#field == "dns.queries.rrname"', ['A', 'B', 'C', 'D', 'E', 'F']],
  ];
  it.each(cases)('%s', (text, expected) => {
    expect(select(text)).toEqual(expected);
  });

  it('explains as the member path, over the list column', () => {
    const q = compile('dns.queries.rrname == "example.com"');
    const p = q.program(dns);
    expect(programText(p)).toBe('dns.queries.rrname == "example.com"');
    expect(p.kind === 'column' && p.indices).toEqual([1, 2]);
  });

  it('prunes nothing: no synopsis speaks for a member, so a partition is "maybe"', () => {
    const q = compile('dns.queries.rrname == "example.com"');
    const p = q.program(dns);
    expect(q.hints.get(p)).toBeUndefined();
    const entry = { id: 'p', events: 6, importTime: '2024-01-01T00:00:00Z', fields: {} };
    const sketches = new SketchCache(() => {
      throw new Error('no sketch is read');
    });
    expect(prune(p, entry as never, sketches, q.hints)).toBe('maybe');
    const neg = compile('dns.queries.rrname != "example.com"');
    expect(prune(neg.program(dns), entry as never, sketches, neg.hints)).toBe('maybe');
  });
});

describe('null elements never match, whatever their member buffers hold', () => {
  // One list [<null>, {rrname: "x.org"}] where the null element's rrname slot holds "example.com":
  // Arrow leaves a null struct's children undefined, so the member must be masked by the struct.
  const rrname = A.makeData({
    type: new A.Utf8(),
    length: 2,
    nullCount: 0,
    valueOffsets: Int32Array.from([0, 11, 16]),
    data: new TextEncoder().encode('example.comx.org'),
  });
  const rrtype = A.makeData({
    type: new A.Utf8(),
    length: 2,
    nullCount: 0,
    valueOffsets: Int32Array.from([0, 1, 2]),
    data: new TextEncoder().encode('AA'),
  });
  const element = new A.Struct([
    new A.Field('rrname', new A.Utf8(), true),
    new A.Field('rrtype', new A.Utf8(), true),
  ]);
  const records = A.makeData({
    type: element,
    length: 2,
    nullCount: 1,
    nullBitmap: Uint8Array.from([0b10]),
    children: [rrname, rrtype],
  });
  const queries = A.makeData({
    type: new A.List(new A.Field('item', element, true)),
    length: 1,
    nullCount: 0,
    valueOffsets: Int32Array.from([0, 2]),
    child: records,
  });
  const schema: Schema = {
    name: 'suricata.dns',
    type: parseType(
      'record{dns: record{queries: list<record{rrname: string, rrtype: string}>}}',
    ) as RecordType,
  };
  const dnsType = new A.Struct([new A.Field('queries', queries.type, true)]);
  const batch = new A.RecordBatch(
    new A.Schema([new A.Field('dns', dnsType, true)]),
    A.makeData({
      type: new A.Struct([new A.Field('dns', dnsType, true)]),
      length: 1,
      nullCount: 0,
      children: [A.makeData({ type: dnsType, length: 1, nullCount: 0, children: [queries] })],
    }),
  );
  const count = (text: string) => {
    const q = compileQuery(mustParseExpression(text), text, [schema], { aliases: new Map() });
    expect(q.diagnostics).toEqual([]);
    return setIndices(evaluate(q.program(schema), batch), 1).length;
  };

  it('the member column is null where the element is', () => {
    const member = A.makeVector(listMemberColumn(queries, [0])).get(0);
    expect(member?.toArray()).toEqual([null, 'x.org']);
  });
  it('==, !=, in and patterns see only the valid element', () => {
    expect(count('dns.queries.rrname == "example.com"')).toBe(0);
    expect(count('dns.queries.rrname == "x.org"')).toBe(1);
    expect(count('dns.queries.rrname != "example.com"')).toBe(1);
    expect(count('dns.queries.rrname in ["example.com"]')).toBe(0);
    expect(count('dns.queries.rrname == /example.*/')).toBe(0);
    expect(count('dns.queries.rrtype == "A"')).toBe(1);
  });
});

describeDatasets('members on real EVE DNS v3 events (tenzir-library/dns.json), against jq', () => {
  const file = dataset('suricata', 'tenzir-library', 'dns.json');
  const batches: A.RecordBatch[] = [];
  beforeAll(async () => {
    batches.push(...(await readAll(suricata, { path: file })).batches);
  });
  /** Events of the file for which the jq condition holds. */
  const jqCount = (condition: string) =>
    Number(
      execFileSync(
        'jq',
        ['-n', `[inputs | select(.event_type == "dns" and (${condition}))] | length`, file],
        {
          encoding: 'utf8',
        },
      ).trim(),
    );
  const count = (text: string) => {
    const schemas = batches.map((b) => vastSchema(b.schema));
    const q = compileQuery(mustParseExpression(text), text, schemas, registry);
    expect(q.diagnostics, text).toEqual([]);
    let n = 0;
    for (const b of batches) n += setIndices(evaluate(q.program(vastSchema(b.schema)), b), b.numRows).length;
    return n;
  };
  const cases: [string, string][] = [
    ['dns.queries.rrname == "version.avg.com"', 'any(.dns.queries[]?; .rrname == "version.avg.com")'],
    ['queries.rrname == /.*\\.avg\\.com/', 'any(.dns.queries[]?; (.rrname // "") | endswith(".avg.com"))'],
    [
      'dns.queries.rrname != "version.avg.com"',
      '.dns.queries != null and (any(.dns.queries[]; .rrname == "version.avg.com") | not)',
    ],
    ['dns.queries.rrtype in ["A", "MX"]', 'any(.dns.queries[]?; .rrtype == "A" or .rrtype == "MX")'],
    ['dns.answers.rdata == /AVG=8.*/', 'any(.dns.answers[]?; (.rdata // "") | test("^AVG=8.*$"))'],
    ['dns.answers.ttl > 4000', 'any(.dns.answers[]?; .ttl > 4000)'],
    ['dns.authorities.rdata ni "asia9.akam.net"', 'any(.dns.authorities[]?; .rdata == "asia9.akam.net")'],
    ['dns.answers.rrname == null', '.dns.answers == null'],
    [
      'rrname == "avg.com"',
      '.dns.rrname == "avg.com" or any(.dns.queries[]?, .dns.answers[]?, .dns.authorities[]?, .dns.additionals[]?; .rrname == "avg.com")',
    ],
    [
      'net.domain == "version.avg.com"',
      'any(.dns.queries[]?, .dns.answers[]?; .rrname == "version.avg.com")',
    ],
  ];
  it.each(cases)('%s', (text, condition) => {
    const expected = jqCount(condition);
    expect(count(text)).toBe(expected);
  });
  it('the file has v3 events with and without answers', () => {
    expect(jqCount('.dns.version == 3 and .dns.answers != null')).toBeGreaterThan(0);
    expect(jqCount('.dns.version == 3 and .dns.answers == null')).toBeGreaterThan(0);
  });
});
