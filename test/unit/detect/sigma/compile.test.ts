import { describe, expect, it } from 'vitest';
import { loadSigmaMappings, parseSigma, type SigmaRule } from '../../../../src/detect/sigma/index.js';
import { exprEquals } from '../../../../src/expr/ast.js';
import { compileQuery, evaluate } from '../../../../src/expr/compile.js';
import { setIndices } from '../../../../src/expr/kernels/bitmap.js';
import { parseExpression } from '../../../../src/expr/parser.js';
import { loadRegistry } from '../../../../src/schemas/registry.js';
import { BatchBuilder } from '../../../../src/types/batch-builder.js';

const registry = loadRegistry();
const mappings = loadSigmaMappings(registry);

function rule(yaml: string): SigmaRule {
  const [r] = parseSigma(yaml, { file: 'rule.yml', mappings });
  expect(r.kind).toBe('rule');
  return r as SigmaRule;
}

const dnsRows = [
  {
    query: 'www.Google.com',
    qtype_name: 'A',
    answers: ['142.250.1.1', 'alias.example.net'],
    rcode: 0,
    AA: false,
  },
  { query: 'evil.example.ORG', qtype_name: 'TXT', answers: [], rcode: 3, AA: true },
  { query: 'a*b.test', qtype_name: 'A', answers: null, rcode: null, AA: null },
  { query: null, qtype_name: 'AAAA', answers: ['::1'], rcode: 0, AA: false },
  { query: 'line\nbreak.com', qtype_name: 'A', answers: null, rcode: 0, AA: false },
];
const httpRows = [
  {
    id: { orig_h: '10.0.0.1', resp_p: 80 },
    method: 'GET',
    uri: '/admin/login.php?x=1',
    user_agent: 'curl/8.0',
    status_code: 200,
    username: 'bob',
    password: 'bob',
  },
  {
    id: { orig_h: '192.168.1.5', resp_p: 8080 },
    method: 'POST',
    uri: '/upload',
    user_agent: null,
    status_code: 404,
    username: 'bob',
    password: 'Bob',
  },
  {
    id: { orig_h: '10.9.9.9', resp_p: 443 },
    method: 'get',
    uri: '/cmd?c=cG93ZXJzaGVsbA==',
    user_agent: 'Mozilla',
    status_code: 500,
  },
];

function batchOf(schemaName: string, rows: Record<string, unknown>[]) {
  const schema = registry.get(schemaName)!;
  const b = new BatchBuilder(schema);
  for (const r of rows) expect(b.appendJson(r)).toBe(true);
  return { schema, batch: b.finish() };
}

/** Indices of the rows of `schemaName` a rule selects (through the real expression compiler). */
function hits(r: SigmaRule, schemaName: string, rows: Record<string, unknown>[]): number[] {
  const { schema, batch } = batchOf(schemaName, rows);
  const q = compileQuery(r.expr, r.text, [schema], registry);
  expect(q.diagnostics).toEqual([]);
  return [...setIndices(evaluate(q.program(schema), batch), batch.numRows)];
}

const dns = (detection: string) =>
  hits(
    rule(`title: t\nlogsource: {product: zeek, service: dns}\ndetection:\n${detection}`),
    'zeek.dns',
    dnsRows,
  );
const http = (detection: string) =>
  hits(
    rule(`title: t\nlogsource: {product: zeek, service: http}\ndetection:\n${detection}`),
    'zeek.http',
    httpRows,
  );

describe('Sigma detections on Zeek events', () => {
  it('matches strings case-insensitively, exactly unless wildcards say otherwise', () => {
    expect(dns('  s: {query: www.google.com}\n  condition: s')).toEqual([0]);
    expect(dns('  s: {query: google}\n  condition: s')).toEqual([]);
    expect(dns("  s: {query: '*google*'}\n  condition: s")).toEqual([0]);
    expect(dns("  s: {query: 'www.?oogle.*'}\n  condition: s")).toEqual([0]);
    expect(dns("  s: {query: 'a\\*b.test'}\n  condition: s")).toEqual([2]);
    expect(dns("  s: {query: 'a*b.test'}\n  condition: s")).toEqual([2]);
    expect(dns("  s: {query|cased: 'www.google.com'}\n  condition: s")).toEqual([]);
  });

  it('contains, startswith, endswith; * spans line breaks', () => {
    expect(dns('  s: {query|contains: EXAMPLE}\n  condition: s')).toEqual([1]);
    expect(dns('  s: {query|startswith: WWW.}\n  condition: s')).toEqual([0]);
    expect(dns("  s: {query|endswith: '.com'}\n  condition: s")).toEqual([0, 4]);
    expect(dns("  s: {query: 'line*.com'}\n  condition: s")).toEqual([4]);
  });

  it('lists are OR, all makes them AND, maps are AND', () => {
    expect(dns('  s: {query|contains: [google, evil]}\n  condition: s')).toEqual([0, 1]);
    expect(dns('  s: {query|contains|all: [google, www]}\n  condition: s')).toEqual([0]);
    expect(dns('  s: {query|contains|all: [google, evil]}\n  condition: s')).toEqual([]);
    expect(dns("  s: {query|endswith: '.com', qtype_name: A}\n  condition: s")).toEqual([0, 4]);
    expect(dns('  s:\n    - {query|contains: evil}\n    - {qtype_name: AAAA}\n  condition: s')).toEqual([
      1, 3,
    ]);
  });

  it('merges many values of one field (far below the connective limit, same matches)', () => {
    const many = Array.from({ length: 1500 }, (_, i) => `host${i}.example`);
    const list = (xs: string[]) => xs.map((x) => `\n      - '${x}'`).join('');
    const r = rule(
      `title: t\nlogsource: {product: zeek, service: dns}\ndetection:\n  s:\n    query|endswith:${list([...many, '.ORG'])}\n    rcode:${list(['1', '2', '3', '4', '5', '6', '7', '8', '9'])}\n  t:\n    query:${list([...many, 'WWW.GOOGLE.COM', 'a*b.test'])}\n  condition: s or t`,
    );
    expect(r.text.length).toBeGreaterThan(30000);
    expect(r.text).toContain('rcode in [1, 2, 3, 4, 5, 6, 7, 8, 9]');
    expect(hits(r, 'zeek.dns', dnsRows)).toEqual([0, 1, 2]);
  });

  it('condition forms: and, or, not, parentheses, 1 of, all of, them (without _ identifiers)', () => {
    const d = "  sel_a: {qtype_name: A}\n  sel_b: {query|endswith: '.com'}\n  _x: {rcode: 3}\n";
    expect(dns(`${d}  condition: sel_a and not sel_b`)).toEqual([2]);
    expect(dns(`${d}  condition: 1 of sel_*`)).toEqual([0, 2, 4]);
    expect(dns(`${d}  condition: all of sel_*`)).toEqual([0, 4]);
    expect(dns(`${d}  condition: all of them`)).toEqual([0, 4]);
    expect(dns(`${d}  condition: 1 of them or _x`)).toEqual([0, 1, 2, 4]);
    expect(dns(`${d}  condition: not (sel_a or _x)`)).toEqual([3]);
    expect(dns(`${d}  condition: [_x, sel_b]`)).toEqual([0, 1, 4]);
  });

  it('null is a missing value; exists asks for one', () => {
    expect(dns('  s: {query: null}\n  condition: s')).toEqual([3]);
    expect(dns('  s: {query|exists: true}\n  condition: s')).toEqual([0, 1, 2, 4]);
    expect(dns('  s: {rcode|exists: false}\n  condition: s')).toEqual([2]);
  });

  it('numbers, booleans and comparisons on typed fields', () => {
    expect(dns('  s: {rcode: 3}\n  condition: s')).toEqual([1]);
    expect(dns("  s: {rcode: '0'}\n  condition: s")).toEqual([0, 3, 4]);
    expect(dns('  s: {rcode|gte: 1}\n  condition: s')).toEqual([1]);
    expect(dns('  s: {rcode|lt: 1}\n  condition: s')).toEqual([0, 3, 4]);
    expect(dns('  s: {AA: true}\n  condition: s')).toEqual([1]);
    expect(http('  s: {id.resp_p|lte: 443}\n  condition: s')).toEqual([0, 2]);
    expect(http('  s: {status_code|gt: 200}\n  condition: s')).toEqual([1, 2]);
  });

  it('a list field matches when any element does', () => {
    expect(dns('  s: {answers|endswith: .net}\n  condition: s')).toEqual([0]);
    expect(dns("  s: {answers: '::1'}\n  condition: s")).toEqual([3]);
    expect(dns('  s: {answers: null}\n  condition: s')).toEqual([2, 4]);
  });

  it('re runs on the linear-time engine with i and s; (?i) is the i flag', () => {
    expect(http("  s: {uri|re: '^/admin/.*\\.php'}\n  condition: s")).toEqual([0]);
    expect(http("  s: {method|re: '^get$'}\n  condition: s")).toEqual([2]);
    expect(http("  s: {method|re|i: '^get$'}\n  condition: s")).toEqual([0, 2]);
    expect(http("  s: {method|re: '(?i)^get$'}\n  condition: s")).toEqual([0, 2]);
    expect(dns("  s: {query|re|s: 'line.break'}\n  condition: s")).toEqual([4]);
    expect(dns("  s: {query|re: 'line.break'}\n  condition: s")).toEqual([]);
  });

  it('cidr on addresses, ips compare as addresses', () => {
    expect(http("  s: {id.orig_h|cidr: '10.0.0.0/8'}\n  condition: s")).toEqual([0, 2]);
    expect(http("  s: {id.orig_h|cidr: ['192.168.0.0/16', '10.9.0.0/16']}\n  condition: s")).toEqual([1, 2]);
    expect(http("  s: {id.orig_h: '10.0.0.1'}\n  condition: s")).toEqual([0]);
  });

  it('fieldref compares two fields of the same event (both present)', () => {
    expect(http('  s: {username|fieldref: password}\n  condition: s')).toEqual([0]);
    expect(http('  s: {username|fieldref: password}\n  condition: not s')).toEqual([1, 2]);
    expect(
      rule(
        `title: t\nlogsource: {product: zeek, service: http}\ndetection:\n  s: {username|fieldref: password}\n  condition: s`,
      ).text,
    ).toBe('#schema == "zeek.http" && username == password');
  });

  it('base64 values are matched in their encoded form', () => {
    expect(http('  s: {uri|base64|contains: powershell}\n  condition: s')).toEqual([2]);
  });

  it('keywords search every string field', () => {
    expect(dns('  k: [EVIL, nothing]\n  condition: k')).toEqual([1]);
    expect(http("  k:\n    '|contains|all': [admin, login]\n  condition: k")).toEqual([0]);
  });

  it('maps field names per schema (proxy fields on Zeek http)', () => {
    const r = rule(
      'title: t\nlogsource: {category: proxy}\ndetection:\n  s: {c-uri|startswith: /admin, c-useragent|contains: CURL}\n  condition: s',
    );
    expect(r.schemas).toEqual(['zeek.http', 'suricata.http']);
    expect(hits(r, 'zeek.http', httpRows)).toEqual([0]);
    expect(r.text).toContain('http.url in /^\\/admin/i');
  });
});

describe('Sigma rules as SigmaRule', () => {
  const text = `title: Evil DNS
id: 5b5a1f4e-0000-4000-8000-000000000001
name: evil_dns
status: test
description: queries for evil
author: someone
level: high
tags: [attack.t1071.004]
falsepositives: [none]
logsource: {product: zeek, service: dns}
detection:
  s: {query|endswith: .evil}
  condition: s
fields: [query, dst_ip]
`;
  it('fills the metadata, schemas, fields and a text that parses back to expr', () => {
    const [r] = parseSigma(`# leading comment\n${text}`, { file: 'x.yml', mappings }) as SigmaRule[];
    expect(r).toMatchObject({
      kind: 'rule',
      id: '5b5a1f4e-0000-4000-8000-000000000001',
      name: 'evil_dns',
      title: 'Evil DNS',
      level: 'high',
      status: 'test',
      description: 'queries for evil',
      author: 'someone',
      tags: ['attack.t1071.004'],
      falsepositives: ['none'],
      origin: { file: 'x.yml', line: 2 },
      logsource: { product: 'zeek', service: 'dns' },
      schemas: ['zeek.dns'],
      fields: ['query', 'id.resp_h'],
      text: '#schema == "zeek.dns" && query in /\\.evil$/i',
    });
    const back = parseExpression(r.text);
    expect(back.ok && exprEquals(back.expr, r.expr)).toBe(true);
  });

  it('reads several documents; ids default to name, then title', () => {
    const docs = parseSigma(`${text}---\n${text.replace(/^id:.*\n/m, '').replace(/^name:.*\n/m, '')}`, {
      mappings,
    });
    expect(docs.map((d) => [d.id, d.origin.line])).toEqual([
      ['5b5a1f4e-0000-4000-8000-000000000001', 1],
      ['evil-dns', 16],
    ]);
  });
});
