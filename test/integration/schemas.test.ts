/**
 * Schema-level names through the real CLI, embedded and against a node:
 * qualified field names, type extractors over aliases, taxonomy concepts,
 * `vast dump`, and VAST's bundled `argus.record`. Answers come from awk over
 * the raw files.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { SchemaRegistry } from '../../src/schemas/registry.js';
import { dataset, describeDatasets, TEST_DATA } from '../helpers/datasets.js';
import { tempDb, vast } from './cli.js';
import { type RunningNode, startNode } from './node-helpers.js';

const CONN = join(TEST_DATA, 'zeek', 'conn.log');
const DNS = join(TEST_DATA, 'zeek', 'dns.log');

/** Data lines of the files for which the awk condition holds. */
function awk(files: string[], cond: string, sep = '\t'): number {
  const r = spawnSync('awk', [`-F${sep}`, `!/^#/ && (${cond}) {n++} END {print n+0}`, ...files], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout.trim());
}

// conn.log: 3 orig_h 4 orig_p 5 resp_h 6 resp_p 9 duration 10 orig_bytes 11 resp_bytes 14 missed_bytes
// 16 orig_pkts 17 orig_ip_bytes 18 resp_pkts 19 resp_ip_bytes; dns.log: 8 trans_id 10 qclass 12 qtype 14 rcode 20 Z.
const queries: [string, () => number][] = [
  ['conn.duration <= 1.0s', () => awk([CONN], '$9 != "-" && $9 <= 1.0')],
  ['zeek.conn.id.orig_h == 192.168.1.104', () => awk([CONN], '$3 == "192.168.1.104"')],
  ['zeek.dns.id.orig_h == 192.168.1.104', () => awk([DNS], '$3 == "192.168.1.104"')],
  [':port == 53', () => awk([CONN, DNS], '$4 == 53 || $6 == 53')],
  [
    ':count == 53',
    () =>
      awk(
        [CONN],
        '$4 == 53 || $6 == 53 || $10 == 53 || $11 == 53 || $14 == 53 || $16 == 53 || $17 == 53 || $18 == 53 || $19 == 53',
      ) + awk([DNS], '$4 == 53 || $6 == 53 || $8 == 53 || $10 == 53 || $12 == 53 || $14 == 53 || $20 == 53'),
  ],
  [':timestamp >= 1970-01-01', () => awk([CONN, DNS], '1')],
  ['net.src.ip == 192.168.1.104', () => awk([CONN, DNS], '$3 == "192.168.1.104"')],
  ['net.dst.port == 53 && net.proto == "udp"', () => awk([CONN, DNS], '$6 == 53 && $7 == "udp"')],
];

describe('schema-level names on real Zeek logs', () => {
  const t = tempDb();
  let node: RunningNode;
  beforeAll(async () => {
    for (const f of [CONN, DNS]) {
      const r = vast(['import', '-d', t.db, 'zeek', '-r', f]);
      expect(r.status, r.stderr).toBe(0);
    }
    node = await startNode(t.db);
  }, 60_000);
  afterAll(async () => {
    await node?.stop();
    t.cleanup();
  });

  it.each(queries)('count %s through a node', (query, expected) => {
    const want = expected();
    expect(want).toBeGreaterThan(0);
    const remote = vast(['count', query], { env: node.env() });
    expect(remote.stderr).toBe('');
    expect(Number(remote.stdout.trim())).toBe(want);
  });

  it('a misspelt qualified name is an unknown field', () => {
    const r = vast(['count', 'zeek.conn.id.orig_hh == 192.168.1.104'], { env: node.env() });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("unknown field 'zeek.conn.id.orig_hh'");
  });
});

describe('schema-level names embedded', () => {
  const t = tempDb();
  beforeAll(() => {
    for (const f of [CONN, DNS]) expect(vast(['import', '-d', t.db, 'zeek', '-r', f]).status).toBe(0);
  });
  afterAll(() => t.cleanup());
  it('a concept from <db>/schemas resolves in queries and shows in vast dump', () => {
    mkdirSync(join(t.db, 'schemas'), { recursive: true });
    writeFileSync(
      join(t.db, 'schemas', 'site.yaml'),
      'concepts:\n  site.server:\n    description: our servers\n    fields: [zeek.conn.id.resp_h, zeek.dns.id.resp_h]\n',
    );
    const r = vast(['count', '-d', t.db, 'site.server == 192.168.1.1']);
    expect(r.stderr).toBe('');
    expect(Number(r.stdout.trim())).toBe(awk([CONN, DNS], '$5 == "192.168.1.1"'));
    const dump = JSON.parse(vast(['dump', '-d', t.db, 'concepts']).stdout);
    expect(dump.concepts['site.server']).toEqual({
      description: 'our servers',
      fields: ['zeek.conn.id.resp_h', 'zeek.dns.id.resp_h'],
    });
  });
  // The compiler is the same both ways; two cases check the embedded registry carries aliases and concepts.
  it.each(queries.filter(([q]) => q.startsWith(':count') || q.startsWith('net.src.ip')))(
    'count %s',
    (query, expected) => {
      const r = vast(['count', '-d', t.db, query]);
      expect(r.stderr).toBe('');
      expect(Number(r.stdout.trim())).toBe(expected());
    },
  );
});

describe('vast dump', () => {
  it('prints the models as JSON by default', () => {
    const r = vast(['dump', 'models']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).models['net.connection'].definition).toEqual([
      'net.src.ip',
      'net.src.port',
      'net.dst.ip',
      'net.dst.port',
      'net.proto',
    ]);
  });
  it('prints YAML in the schema file syntax, which loads back to the same registry', () => {
    const r = vast(['dump', '--yaml']);
    expect(r.status, r.stderr).toBe(0);
    const doc = YAML.parse(r.stdout);
    expect(Object.keys(doc).sort()).toEqual(['concepts', 'models', 'schemas', 'types']);
    expect(doc.schemas['zeek.conn'].fields['id.orig_h']).toBe('ip');
    expect(doc.types.timestamp).toBe('time');
    const reloaded = new SchemaRegistry();
    reloaded.loadYaml(r.stdout, 'dump.yaml');
    expect(reloaded.taxonomy.conceptFields('net.src.ip')).toContain('zeek.conn.id.orig_h');
    expect(reloaded.get('argus.record')?.timestamp).toBe('StartTime');
    const again = vast(['dump', '--yaml'], { env: { XDG_CONFIG_HOME: '/nonexistent' } });
    expect(again.stdout).toBe(r.stdout);
  });
  it('names the sections when given an unknown one', () => {
    const r = vast(['dump', 'conceps']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("unknown dump section 'conceps': expected one of concepts, models, schemas");
  });
});

describeDatasets("VAST's bundled argus.record schema", () => {
  const ARGUS = dataset('other', 'argus-M57-10k-pkts.csv');
  const t = tempDb();
  afterAll(() => t.cleanup());
  it('imports Argus CSV and answers queries like awk', () => {
    const r = vast(['import', '-d', t.db, 'csv', '--schema', 'argus.record', '-r', ARGUS]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('invalid');
    const count = (q: string) => Number(vast(['count', '-d', t.db, q]).stdout.trim());
    expect(count('#schema == "argus.record"')).toBe(awk([ARGUS], 'NR > 1', ','));
    expect(count('argus.record.Proto == "udp"')).toBe(awk([ARGUS], 'NR > 1 && $3 == "udp"', ','));
    expect(count('Dport == 53 && :timestamp > 2009-11-18T12:00:00')).toBe(
      awk([ARGUS], `NR > 1 && $8 == 53 && $1 > "2009-11-18+12:00:00"`, ','),
    );
  });
});
