/**
 * The `vast import` / `vast export` round trip through the real command, on
 * real data, compared with answers computed independently (grep, jq, DuckDB).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import zstd from 'zstd-napi';
import { dataset, describeDatasets, TEST_DATA } from '../helpers/datasets.js';
import { dataLines, tempDb, vast } from './cli.js';

const CONN = join(TEST_DATA, 'zeek', 'conn.log');

/** Independent count: data lines of a Zeek log, by grep. */
const grepCount = (file: string) =>
  Number(spawnSync('grep', ['-vc', '^#', file], { encoding: 'utf8' }).stdout.trim());

function status(db: string): { events: number; schemas: { name: string; events: number }[] } {
  const r = vast(['status', '--json', '-d', db]);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout);
}

describe('import zeek, export zeek/json (bundled conn.log)', () => {
  const t = tempDb();
  afterAll(t.cleanup);
  beforeAll(() => {
    const r = vast(['import', 'zeek', '-r', CONN, '-d', t.db]);
    expect(r.status, r.stderr).toBe(0);
  });

  it('stores every event (count equals grep)', () => {
    const s = status(t.db);
    expect(s.events).toBe(grepCount(CONN));
    expect(s.schemas.map((x) => x.name)).toEqual(['zeek.conn']);
    expect(vast(['count', '-d', t.db]).stdout.trim()).toBe(String(grepCount(CONN)));
  });

  it('exports Zeek TSV whose data lines equal the input', () => {
    const r = vast(['export', 'zeek', '-d', t.db]);
    expect(r.status, r.stderr).toBe(0);
    expect(dataLines(r.stdout)).toEqual(dataLines(readFileSync(CONN, 'utf8')));
  });

  it('exports one JSON object per event', () => {
    const r = vast(['export', 'json', '-d', t.db]);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(grepCount(CONN));
    // VAST 2's JSON: flattened keys, times with six digits and no zone, durations as literals.
    const first = JSON.parse(lines[0]);
    expect(first['id.orig_h']).toBe('192.168.1.102');
    expect(first.ts).toBe('2009-11-18T08:00:21.486539');
    expect(first.duration).toBe('163.82ms');
  });

  it('exports nested JSON with --nested, and durations as seconds with --numeric-durations', () => {
    const r = vast(['export', 'json', '-n', '1', '--nested', '--numeric-durations', '-d', t.db]);
    const first = JSON.parse(r.stdout);
    expect(first.id.orig_h).toBe('192.168.1.102');
    expect(first.duration).toBe(0.16382);
  });

  it('exports ascii as VAST 2 printed it: values only', () => {
    const r = vast(['export', 'ascii', '-n', '1', '-d', t.db]);
    expect(r.stdout).toBe(
      '<2009-11-18T08:00:21.486539, "Pii6cUUq1v4", 192.168.1.102, 68, 192.168.1.1, 67, "udp", nil, 163.82ms, 301, 300, "SF", nil, 0, "Dd", 1, 329, 1, 328, []>\n',
    );
  });

  it('stops early with -n', () => {
    const r = vast(['export', 'json', '-n', '3', '-d', t.db]);
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('writes Parquet that DuckDB reads with the same rows', async () => {
    const out = join(t.dir, 'conn.parquet');
    const r = vast(['export', 'parquet', '-w', out, '-d', t.db]);
    expect(r.status, r.stderr).toBe(0);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const rows = (
      await c.runAndReadAll(
        `select count(*)::BIGINT as n, sum(orig_bytes)::BIGINT as b, count(distinct "id"."orig_h")::BIGINT as hosts from read_parquet('${out}')`,
      )
    ).getRowObjects()[0];
    const awk = spawnSync('awk', ['-F\t', '!/^#/ && $10 != "-" {s += $10} END {print s}', CONN], {
      encoding: 'utf8',
    });
    const hosts = spawnSync('sh', ['-c', `grep -v '^#' '${CONN}' | cut -f3 | sort -u | wc -l`], {
      encoding: 'utf8',
    });
    expect(Number(rows.n)).toBe(grepCount(CONN));
    expect(Number(rows.b)).toBe(Number(awk.stdout.trim()));
    expect(Number(rows.hosts)).toBe(Number(hosts.stdout.trim()));
  });
});

describe('bad input through the command', () => {
  it('skips a malformed line with file:line:column, keeps the rest, and reports the count', () => {
    const t = tempDb();
    const text = readFileSync(CONN, 'utf8').split('\n');
    text[10] = text[10].replace(/\t\d+\t/, '\tnot-a-port\t');
    const bad = join(t.dir, 'bad.log');
    writeFileSync(bad, text.join('\n'));
    const r = vast(['import', 'zeek', '-r', bad, '-d', t.db]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`error: .*not-a-port.*\n --> ${bad}:11:\\d+\n`));
    expect(r.stderr).toMatch(/skipped 1 invalid event/);
    expect(status(t.db).events).toBe(grepCount(CONN) - 1);
    t.cleanup();
  });

  it('with --on-error=fail exits non-zero and stores nothing', () => {
    const t = tempDb();
    vast(['import', 'zeek', '-r', CONN, '-d', t.db]);
    const text = readFileSync(CONN, 'utf8').split('\n');
    text[5000] = text[5000].replace(/^\d+\.\d+/, 'yesterday');
    const r = vast(['import', 'zeek', '--on-error=fail', '-d', t.db], { input: text.join('\n') });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\n --> <stdin>:5001:1\n/);
    expect(r.stderr).toMatch(/nothing was stored/);
    expect(status(t.db).events).toBe(grepCount(CONN));
    t.cleanup();
  });

  it('reads gzip input, and reports a truncated gzip stream while keeping what was read', () => {
    const t = tempDb();
    const gz = gzipSync(readFileSync(CONN));
    expect(vast(['import', 'zeek', '-d', t.db], { input: gz }).status).toBe(0);
    expect(status(t.db).events).toBe(grepCount(CONN));
    const t2 = tempDb();
    const r = vast(['import', 'zeek', '-d', t2.db], { input: gz.subarray(0, gz.length - 2000) });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/truncated gzip|corrupt or truncated gzip/);
    const kept = status(t2.db).events;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(grepCount(CONN));
    t.cleanup();
    t2.cleanup();
  });

  it('reads zstd input, and reports a truncated zstd stream while keeping what was read', () => {
    const t = tempDb();
    const z = zstd.compress(readFileSync(CONN));
    expect(vast(['import', 'zeek', '-d', t.db], { input: z }).status).toBe(0);
    expect(status(t.db).events).toBe(grepCount(CONN));
    const t2 = tempDb();
    const r = vast(['import', 'zeek', '-d', t2.db], { input: z.subarray(0, z.length - 5000) });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/corrupt or truncated zstd input/);
    const kept = status(t2.db).events;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(grepCount(CONN));
    t.cleanup();
    t2.cleanup();
  });

  it('names the valid choices for an unknown format', () => {
    const r = vast(['import', 'pcapng', '-d', tempDb().db], { input: '' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /unknown input format 'pcapng' \(choose one of: zeek, zeek-json, suricata, json, csv/,
    );
  });

  it('refuses to export from a database that does not exist', () => {
    const r = vast(['export', 'json', '-d', join(tempDb().dir, 'nope')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no database at/);
  });
});

describeDatasets('every Zeek log in ../shared/datasets round-trips through the store', () => {
  const dir = dataset('zeek');
  const logs = readdirSync(dir).filter((f) => f.endsWith('.log'));
  const t = tempDb();
  afterAll(t.cleanup);
  it.each(logs)('%s', (log) => {
    const db = join(t.dir, log);
    const file = join(dir, log);
    expect(vast(['import', 'zeek', '-r', file, '-d', db]).status).toBe(0);
    expect(status(db).events).toBe(grepCount(file));
    const out = vast(['export', 'zeek', '-d', db]);
    // Bro 2.x wrote a backslash raw where Zeek 6 writes `\\`; we write what modern Zeek writes.
    const bro2 = log === 'ssl.log' ? (l: string) => l.replaceAll('\\\\', '\\') : (l: string) => l;
    expect(dataLines(out.stdout).map(bro2)).toEqual(dataLines(readFileSync(file, 'utf8')));
  });

  it('imports all logs concatenated in one stream (gzcat *.log.gz | vast import zeek)', () => {
    const db = join(t.dir, 'all');
    const input = Buffer.concat(logs.map((l) => gzipSync(readFileSync(join(dir, l)))));
    const r = vast(['import', 'zeek', '-d', db], { input });
    expect(r.status, r.stderr).toBe(0);
    const s = status(db);
    expect(s.events).toBe(logs.reduce((n, l) => n + grepCount(join(dir, l)), 0));
    const expected = new Map<string, number>();
    for (const l of logs) {
      const path = /^#path\t(.*)$/m.exec(readFileSync(join(dir, l), 'utf8'))![1];
      expected.set(`zeek.${path}`, (expected.get(`zeek.${path}`) ?? 0) + grepCount(join(dir, l)));
    }
    expect(Object.fromEntries(s.schemas.map((x) => [x.name, x.events]))).toEqual(
      Object.fromEntries(expected),
    );
  });
});

describeDatasets('Suricata EVE and JSON in ../shared/datasets', () => {
  const t = tempDb();
  afterAll(t.cleanup);
  const jq = (args: string[], file: string) =>
    spawnSync('jq', [...args, file], { encoding: 'utf8', maxBuffer: 1 << 28 });

  it('per-schema counts of every Suricata file equal jq', () => {
    const files = [
      dataset('suricata', 'example-pcap_eve.json'),
      dataset('suricata', 'suricata-verify_output-eve-fileinfo_eve.json'),
      ...readdirSync(dataset('suricata', 'tenzir-library')).map((f) =>
        dataset('suricata', 'tenzir-library', f),
      ),
    ];
    const expected = new Map<string, number>();
    for (const f of files) {
      const r = vast(['import', 'suricata', '-r', f, '-d', t.db]);
      expect(r.status, r.stderr).toBe(0);
      for (const type of jq(['-r', '.event_type'], f).stdout.trim().split('\n'))
        expected.set(`suricata.${type}`, (expected.get(`suricata.${type}`) ?? 0) + 1);
    }
    const s = status(t.db);
    expect(Object.fromEntries(s.schemas.map((x) => [x.name, x.events]))).toEqual(
      Object.fromEntries(expected),
    );
  }, 240_000); // imports every Suricata file of the corpus and runs jq on each: minutes on a loaded 2-core machine

  it('json -> store -> json equals jq -c of the input, modulo key order and number formatting', () => {
    for (const f of [dataset('other', 'sysmon.json'), dataset('zeek', 'json', 'vast-int_conn.log.json')]) {
      const db = join(t.dir, `rt-${f.split('/').pop()}`);
      expect(vast(['import', 'json', '-r', f, '-d', db]).status).toBe(0);
      const out = vast(['export', 'json', '-d', db])
        .stdout.trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const expected = jq(['-c', '.'], f)
        .stdout.trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      // Export groups events by layout; compare as multisets of canonical texts.
      const canon = (o: unknown) => JSON.stringify(sortKeys(dropNulls(o)));
      expect(out.map(canon).sort()).toEqual(expected.map(canon).sort());
    }
  });
});

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/** A layout's absent keys come back as explicit nulls; an input with a key missing means the same. */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== null)
        .map(([k, x]) => [k, dropNulls(x)]),
    );
  return v;
}
