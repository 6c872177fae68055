/**
 * A Sigma rule is a query: `vast count < rule.yml` and `vast export json < rule.yml`
 * on real Zeek logs, against counts computed independently with awk over the
 * same TSV files (column numbers from their `#fields` headers).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATA } from '../helpers/datasets.js';
import { tempDb, vast } from './cli.js';

const DNS = join(TEST_DATA, 'zeek', 'dns.log');
const HTTP = join(TEST_DATA, 'zeek', 'http.log');
const CONN = join(TEST_DATA, 'zeek', 'conn.log');

/** Data lines of a Zeek TSV file selected by an awk condition (fields split on tabs). */
function awkCount(file: string, condition: string): number {
  const r = spawnSync('awk', ['-F', '\t', `!/^#/ && (${condition}) { n++ } END { print n + 0 }`, file], {
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return Number(r.stdout.trim());
}

let t: ReturnType<typeof tempDb>;
let n = 0;

function rule(text: string): string {
  const file = join(t.dir, `rule-${n++}.yml`);
  writeFileSync(file, text);
  return file;
}

const countOf = (file: string) => {
  const r = vast(['-d', t.db, 'count'], { stdinFile: file });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return Number(r.stdout.trim());
};

beforeAll(() => {
  t = tempDb();
  for (const f of [DNS, HTTP, CONN]) {
    const r = vast(['-d', t.db, 'import', 'zeek', '-r', f]);
    expect(r.status, r.stderr).toBe(0);
  }
});
afterAll(() => t.cleanup());

describe('a Sigma rule on stdin is a query', () => {
  it('counts DNS queries by endswith and not contains, as awk does', () => {
    const file = rule(`title: com but not google
logsource:
  product: zeek
  service: dns
detection:
  sel:
    query|endswith: '.COM'
  filter:
    query|contains: google
  condition: sel and not filter
`);
    const expected = awkCount(DNS, 'tolower($9) ~ /\\.com$/ && tolower($9) !~ /google/');
    expect(expected).toBeGreaterThan(0);
    expect(countOf(file)).toBe(expected);
    const exported = vast(['-d', t.db, 'export', 'json'], { stdinFile: file });
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.stdout.trim().split('\n')).toHaveLength(expected);
  });

  it('matches a list field (answers) when any element matches', () => {
    const file = rule(`title: google answers
logsource: {category: dns, product: zeek}
detection:
  sel:
    answer|startswith: '74.125.19.1'
  condition: sel
`);
    const expected = awkCount(DNS, '$21 != "-" && $21 != "(empty)" && ("," $21) ~ /,74\\.125\\.19\\.1/');
    expect(expected).toBeGreaterThan(0);
    expect(countOf(file)).toBe(expected);
  });

  it('runs a proxy rule on Zeek http with mapped field names and 1 of', () => {
    const file = rule(`title: msie ok or js
logsource:
  category: proxy
detection:
  sel_ua:
    c-useragent|contains: 'msie 8.0'
    sc-status: 200
  sel_js:
    c-uri|endswith: .js
  condition: 1 of sel_*
`);
    const expected = awkCount(
      HTTP,
      '(tolower($12) ~ /msie 8\\.0/ && $15 == "200") || tolower($10) ~ /\\.js$/',
    );
    expect(expected).toBeGreaterThan(0);
    expect(countOf(file)).toBe(expected);
  });

  it('compares numbers and addresses on conn', () => {
    const file = rule(`title: big from 192.168.1.0/24 to 80
logsource: {category: firewall, product: zeek}
detection:
  sel:
    src_ip|cidr: 192.168.1.0/24
    dst_port: 80
    orig_bytes|gt: 1000
  condition: sel
`);
    const expected = awkCount(CONN, '$3 ~ /^192\\.168\\.1\\./ && $6 == 80 && $10 != "-" && $10 + 0 > 1000');
    expect(expected).toBeGreaterThan(0);
    expect(countOf(file)).toBe(expected);
  });

  it('reports errors with file:line:column and names correlations as content', () => {
    const bad = rule(`title: typo
logsource: {product: zeek, service: dns}
detection:
  sel:
    querry: x
  condition: sel
`);
    const r = vast(['-d', t.db, 'count'], { stdinFile: bad });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("unknown field 'querry'");
    expect(r.stderr).toContain('<stdin>:5:5');
    const corr = rule('title: c\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  timespan: 1h\n');
    const c = vast(['-d', t.db, 'count'], { stdinFile: corr });
    expect(c.status).not.toBe(0);
    expect(c.stderr).toContain('correlation rules run as content: vast rule add');
  });
});

describe('Sigma mappings extend like schemas', () => {
  it("reads a 'sigma:' section from the database's schema directory", () => {
    mkdirSync(join(t.db, 'schemas'), { recursive: true });
    writeFileSync(
      join(t.db, 'schemas', 'acme.yaml'),
      'sigma:\n  logsources:\n    - { logsource: { product: acme, service: web }, schemas: [zeek.http] }\n  fields:\n    zeek.http:\n      url: uri\n',
    );
    const file = rule(`title: acme
logsource: {product: acme, service: web}
detection:
  sel: {url|endswith: .js}
  condition: sel
`);
    const expected = awkCount(HTTP, 'tolower($10) ~ /\\.js$/');
    expect(expected).toBeGreaterThan(0);
    expect(countOf(file)).toBe(expected);
    const converted = vast(['-d', t.db, 'sigma', 'convert', file]);
    expect(converted.stdout).toContain('#schema == "zeek.http" && uri in /\\.js$/i');
  });
});

describe('vast sigma convert', () => {
  it('prints the expression of each rule and a pipeline for a correlation', () => {
    const file = rule(`title: nx
name: nx
logsource: {product: zeek, service: dns}
detection:
  sel: {rcode_name: NXDOMAIN}
  condition: sel
---
title: many nx
correlation:
  type: event_count
  rules: nx
  group-by: [src_ip]
  timespan: 1h
  condition: {gte: 10}
`);
    const r = vast(['-d', t.db, 'sigma', 'convert', file]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('#schema == "zeek.dns" && rcode_name == /NXDOMAIN/i');
    expect(r.stdout).toContain(
      'where (#schema == "zeek.dns" && rcode_name == /NXDOMAIN/i) | summarize count=count() by id.orig_h, window=round(ts, 1h) | where count >= 10',
    );
  });
});

describe('a Sigma rule as the query of a node', () => {
  it('runs through the count route as it runs in the CLI', async () => {
    const { startNode } = await import('./node-helpers.js');
    const node = await startNode(join(t.dir, 'node-db'));
    try {
      const imp = vast(['import', 'zeek', '-r', DNS], { env: node.env() });
      expect(imp.status, imp.stderr).toBe(0);
      expect(vast(['flush'], { env: node.env() }).status).toBe(0);
      const text = `title: google
logsource: {product: zeek, service: dns}
detection:
  sel: {query|contains: GOOGLE}
  condition: sel
`;
      const expected = awkCount(DNS, 'tolower($9) ~ /google/');
      const r = await fetch(node.url('/api/v0/count'), {
        method: 'POST',
        headers: { authorization: `Bearer ${node.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ expression: text }),
      });
      expect(r.status).toBe(200);
      expect(((await r.json()) as { count: number }).count).toBe(expected);
      const cli = vast(['count'], { stdinFile: rule(text), env: node.env() });
      expect(cli.status, cli.stderr).toBe(0);
      expect(Number(cli.stdout.trim())).toBe(expected);
    } finally {
      await node.stop();
    }
  });
});
