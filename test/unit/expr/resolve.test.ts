/**
 * Name resolution over real Zeek logs (test/data/zeek): qualified field names,
 * type extractors over aliases, taxonomy concepts. Expected counts come from
 * awk over the raw TSV, run here, so they are independent of vast's reader.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type * as A from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileQuery, evaluate, programText } from '../../../src/expr/compile.js';
import { setIndices } from '../../../src/expr/kernels/bitmap.js';
import { mustParseExpression } from '../../../src/expr/parser.js';
import { resolveFields, resolveType } from '../../../src/expr/resolve.js';
import { zeek } from '../../../src/formats/zeek/index.js';
import { SchemaRegistry } from '../../../src/schemas/registry.js';
import { arrowSchema, vastSchema } from '../../../src/types/arrow.js';
import { BatchBuilder } from '../../../src/types/batch-builder.js';
import { parseType } from '../../../src/types/parse-type.js';
import type { RecordType, Schema } from '../../../src/types/type.js';
import { ROOT } from '../../helpers/datasets.js';
import { readAll, registry } from '../../helpers/read.js';

const DATA = join(ROOT, 'test', 'data', 'zeek');
const logs = ['conn.log', 'dns.log'] as const;

/** Rows of the Zeek TSV logs for which the awk condition holds. */
function awkCount(condition: string, files: readonly string[] = logs): number {
  const out = execFileSync(
    'awk',
    ['-F\t', `!/^#/ && (${condition}) { n++ } END { print n + 0 }`, ...files.map((f) => join(DATA, f))],
    {
      encoding: 'utf8',
    },
  );
  return Number(out.trim());
}

const batches: A.RecordBatch[] = [];
beforeAll(async () => {
  for (const f of logs) batches.push(...(await readAll(zeek, { path: join(DATA, f) })).batches);
});

/** The messages of compiling `text` against both logs' schemas. */
function diagnostics(text: string): string[] {
  const schemas = batches.map((b) => vastSchema(b.schema));
  return compileQuery(mustParseExpression(text), text, schemas, registry).diagnostics.map((d) => d.message);
}

/** Events of both logs that `text` selects, through the compiler with the shipped registry. */
function count(text: string): number {
  const schemas = [...new Map(batches.map((b) => [b.schema, vastSchema(b.schema)])).values()];
  const q = compileQuery(mustParseExpression(text), text, schemas, registry);
  expect(q.diagnostics, text).toEqual([]);
  let n = 0;
  for (const b of batches) n += setIndices(evaluate(q.program(vastSchema(b.schema)), b), b.numRows).length;
  return n;
}

// Zeek TSV columns: conn.log  1 ts 3 orig_h 4 orig_p 5 resp_h 6 resp_p 9 duration 10 orig_bytes 11 resp_bytes
// 14 missed_bytes 16 orig_pkts 17 orig_ip_bytes 18 resp_pkts 19 resp_ip_bytes; dns.log 3 orig_h 4 orig_p
// 5 resp_h 6 resp_p 8 trans_id 10 qclass 12 qtype 14 rcode 20 Z.
const isConn = 'FILENAME ~ /conn.log$/';
const isDns = 'FILENAME ~ /dns.log$/';

describe('field extractors qualified by the schema name', () => {
  it('conn.duration <= 1.0s', () => {
    const expected = awkCount(`${isConn} && $9 != "-" && $9 <= 1.0`);
    expect(expected).toBeGreaterThan(0);
    expect(count('conn.duration <= 1.0s')).toBe(expected);
  });
  it('zeek.conn.id.orig_h finds conn events only, while id.orig_h finds dns events too', () => {
    const inConn = awkCount(`${isConn} && $3 == "192.168.1.104"`);
    const inDns = awkCount(`${isDns} && $3 == "192.168.1.104"`);
    expect(inDns).toBeGreaterThan(0);
    expect(count('zeek.conn.id.orig_h == 192.168.1.104')).toBe(inConn);
    expect(count('dns.id.orig_h == 192.168.1.104')).toBe(inDns);
    expect(count('id.orig_h == 192.168.1.104')).toBe(inConn + inDns);
  });
  it('an unqualified path that exists wins over a qualified reading', () => {
    const conn: Schema = {
      name: 'x',
      type: parseType('record{x: record{a: uint64}, a: uint64}') as RecordType,
    };
    // `x.a` is the nested field; `x.a` as "schema x, field a" is not taken as well.
    expect(resolveFields(conn, 'x.a').map((l) => l.path)).toEqual(['x.a']);
    expect(resolveFields(conn, 'a').map((l) => l.path)).toEqual(['a']);
    const y = { ...conn, name: 'zeek.y' };
    expect(resolveFields(y, 'y.a').map((l) => l.path)).toEqual(['a']);
    expect(resolveFields(y, 'zeek.y.x.a').map((l) => l.path)).toEqual(['x.a']);
  });
  it('a schema-name prefix that does not start on a dot does not match', () => {
    expect(diagnostics('onn.duration > 0s')).toEqual(["unknown field 'onn.duration'"]);
  });
});

describe('type extractors, as VAST 2 resolved them', () => {
  it(':port == 53 finds the ports only', () => {
    const expected = awkCount('$4 == 53 || $6 == 53');
    expect(count(':port == 53')).toBe(expected);
  });
  it(':count == 53 finds counts and ports (type port = count)', () => {
    const expected = awkCount(
      `$4 == 53 || $6 == 53 || (${isConn} && ($10 == 53 || $11 == 53 || $14 == 53 || $16 == 53 || $17 == 53 || $18 == 53 || $19 == 53)) || (${isDns} && ($8 == 53 || $10 == 53 || $12 == 53 || $14 == 53 || $20 == 53))`,
    );
    const ports = awkCount('$4 == 53 || $6 == 53');
    expect(expected).toBeGreaterThan(ports);
    expect(count(':count == 53')).toBe(expected);
    expect(count(':uint64 == 53')).toBe(expected);
  });
  it('a lone number tests each count and port column once (:uint64 covers ports)', () => {
    const s = vastSchema(batches.find((b) => vastSchema(b.schema).name === 'zeek.dns')!.schema);
    const q = compileQuery(mustParseExpression('53'), '53', [s], registry);
    const text = programText(q.program(s));
    expect(text.match(/id\.resp_p == 53/g)).toHaveLength(1);
    expect(text).toContain('trans_id == 53');
    expect(count('53')).toBe(count(':count == 53'));
  });
  it(':timestamp finds the event time of each schema (Zeek ts)', () => {
    const cut = '2009-11-18T16:00:00';
    const epoch = Date.parse(`${cut}Z`) / 1000;
    const expected = awkCount(`$1 < ${epoch}`);
    expect(expected).toBeGreaterThan(0);
    expect(count(`:timestamp < ${cut}`)).toBe(expected);
    expect(count(':timestamp >= 1970-01-01')).toBe(awkCount('1'));
  });
  it('an alias matches fields of aliases of it, transitively', () => {
    const r = new SchemaRegistry();
    r.loadYaml(
      [
        'types:',
        '  timestamp: time',
        '  event_time: timestamp',
        '  port_number: uint64',
        'schemas:',
        '  t.x:',
        '    fields:',
        '      a: event_time',
        '      b: timestamp',
        '      c: time',
        '      d: port_number',
      ].join('\n'),
      'test.yaml',
    );
    const s = r.get('t.x')!;
    const paths = (name: string) => resolveType(s, name, r.aliases)?.map((l) => l.path);
    expect(s.type.fields[0].type).toEqual({ kind: 'time', alias: 'event_time', aliasOf: ['timestamp'] });
    expect(paths('timestamp')).toEqual(['a', 'b']);
    expect(paths('event_time')).toEqual(['a']);
    expect(paths('time')).toEqual(['a', 'b', 'c']);
    expect(paths('port_number')).toEqual(['d']);
    expect(paths('no_such_type')).toBeUndefined();
    // The chain survives the trip through Arrow (stored partitions, Arrow input).
    const back = vastSchema(arrowSchema(s));
    expect(back.type).toEqual(s.type);
    expect(resolveType(back, 'timestamp', new Map())?.map((l) => l.path)).toEqual(['a', 'b']);
    expect(resolveType(back, 'event_time', new Map())?.map((l) => l.path)).toEqual(['a']);
  });
});

describe('taxonomy concepts', () => {
  it('net.src.ip is the OR over the mapped fields in each schema', () => {
    const expected = awkCount('$3 == "192.168.1.104"');
    expect(expected).toBe(
      awkCount(`${isConn} && $3 == "192.168.1.104"`) + awkCount(`${isDns} && $3 == "192.168.1.104"`),
    );
    expect(count('net.src.ip == 192.168.1.104')).toBe(expected);
  });
  it('net.dst.port excludes the source port', () => {
    expect(count('net.dst.port == 53')).toBe(awkCount('$6 == 53'));
  });
  it('net.duration maps only zeek.conn.duration', () => {
    expect(count('net.duration > 1s')).toBe(awkCount(`${isConn} && $9 != "-" && $9 > 1`));
  });
  it('a concept with no field in the data selects nothing rather than failing as an unknown field', () => {
    expect(count('net.uri == "/"')).toBe(0);
  });
  it('a negated concept with several fields in one schema holds when none of them matches', () => {
    const r = new SchemaRegistry();
    r.loadYaml(
      [
        'schemas:',
        '  t.flow:',
        '    fields: {a: uint64, b: uint64}',
        'concepts:',
        '  both: {fields: [t.flow.a, t.flow.b]}',
      ].join('\n'),
      'test.yaml',
    );
    const s = r.get('t.flow')!;
    const b = new BatchBuilder(s);
    for (const row of [
      { a: 1, b: 2 },
      { a: 3, b: 1 },
      { a: 3, b: 4 },
    ])
      b.appendJson(row);
    const batch = b.finish();
    const rows = (text: string) => {
      const q = compileQuery(mustParseExpression(text), text, [s], r);
      expect(q.diagnostics).toEqual([]);
      return [...setIndices(evaluate(q.program(s), batch), batch.numRows)];
    };
    expect(rows('both == 1')).toEqual([0, 1]);
    expect(rows('both != 1')).toEqual([2]);
    expect(rows('!(both == 1)')).toEqual([2]);
  });
  it('an unknown dotted name is still an unknown field; a misspelt concept gets a suggestion', () => {
    expect(diagnostics('net.nothing == 1')).toEqual(["unknown field 'net.nothing'"]);
    const text = 'net.src.iq == 192.168.1.104';
    const q = compileQuery(mustParseExpression(text), text, [vastSchema(batches[0].schema)], registry);
    expect(q.diagnostics.map((d) => [d.message, d.hints])).toEqual([
      ["unknown field 'net.src.iq'", ["did you mean 'net.src.ip'?"]],
    ]);
  });
});
