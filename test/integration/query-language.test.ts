/**
 * The query language through the real CLI on a real Zeek log: errors in a
 * pipeline's `where` are located in the whole query and type-checked like the
 * leading expression, and VAST 2's syntax (count suffixes, `~`, `nil`,
 * record literals) counts what awk counts over the same TSV.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/datasets.js';
import { tempDb, vast } from './cli.js';

const CONN = join(ROOT, 'test', 'data', 'zeek', 'conn.log');

/** Counts the data lines of conn.log for which an awk condition holds (`-` is unset). */
function awk(cond: string): number {
  const r = spawnSync('awk', ['-F\t', `!/^#/ && (${cond}) {n++} END {print n+0}`, CONN], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout.trim());
}

// conn.log fields: 3 orig_h 4 orig_p 5 resp_h 6 resp_p 8 service 10 orig_bytes
describe('query language through the CLI', () => {
  const t = tempDb();
  beforeAll(() => {
    const r = vast(['import', 'zeek', '-r', CONN, '-d', t.db]);
    expect(r.status, r.stderr).toBe(0);
  });
  afterAll(t.cleanup);

  it('locates a syntax error in a pipeline where in the whole query', () => {
    const r = vast(['count', '#schema == "zeek.conn" | where foo ==', '-d', t.db]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error: expected a value after '=='\n --> query:1:38");
  });

  it('type-checks a pipeline where like the leading expression', () => {
    const lead = vast(['count', 'orig_hh == 1.2.3.4', '-d', t.db]);
    expect(lead.status).toBe(1);
    expect(lead.stderr).toContain("error: unknown field 'orig_hh'\n --> query:1:1");
    const piped = vast(['count', 'orig_bytes > 1k | where orig_hh == 1.2.3.4', '-d', t.db]);
    expect(piped.status).toBe(1);
    expect(piped.stderr).toContain("error: unknown field 'orig_hh'\n --> query:1:25");
    expect(piped.stderr).toContain("did you mean 'id.orig_h'?");
  });

  it('does not type-check a where after an operator that changes the schema', () => {
    const r = vast([
      'export',
      'json',
      'orig_bytes > 1k | summarize n=count() by service | where n > 100',
      '-d',
      t.db,
    ]);
    expect(r.status, r.stderr).toBe(0);
  });

  const counts: [string, string][] = [
    ['orig_bytes > 1k && orig_bytes < 1Ki', '$10 != "-" && $10 + 0 > 1000 && $10 + 0 < 1024'],
    ['orig_bytes >= 10Ki', '$10 != "-" && $10 + 0 >= 10240'],
    ['service ~ /ht+p/', '$8 == "http"'],
    ['#schema == "zeek.conn" && service !~ /dns/', '$8 != "dns" && $8 != "-"'],
    ['#schema == "zeek.conn" && service == nil', '$8 == "-"'],
    ['#schema == "zeek.conn" && service != nil', '$8 != "-"'],
    ['id == <192.168.1.102, _, 192.168.1.1, _>', '$3 == "192.168.1.102" && $5 == "192.168.1.1"'],
    ['id != <192.168.1.102, _, _, 53/?>', '!($3 == "192.168.1.102" && $6 == 53)'],
    ['#schema == "zeek.conn" | where orig_bytes > 2k', '$10 != "-" && $10 + 0 > 2000'],
  ];

  it.each(counts)('%s counts what awk counts', (query, cond) => {
    const expected = awk(cond);
    expect(expected).toBeGreaterThan(0);
    const r = vast(['count', query, '-d', t.db]);
    expect(r.stderr).toBe('');
    expect(Number(r.stdout.trim())).toBe(expected);
  });

  it('reports a malformed record literal where it is', () => {
    const r = vast(['count', 'id == <192.168.1.102, _', '-d', t.db]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error: expected ',' or '>' in the record\n --> query:1:24");
  });

  it('--explain still prints the plan of a query with a pipeline', () => {
    const r = vast([
      'export',
      '--explain',
      'json',
      'orig_bytes > 1k | where service ~ /dns/ | head 1',
      '-d',
      t.db,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr + r.stdout).toContain('orig_bytes > 1000');
    expect(r.stderr + r.stdout).toContain('pipeline:   where service ~ /dns/ | head 1');
  });
});
