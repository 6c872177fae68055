/**
 * Hunting queries on real data, each answer compared with one computed
 * independently: awk over the Zeek TSV, jq over the EVE JSON. The store holds
 * Zeek conn/dns/http and Suricata EVE together, so every query also checks that
 * schemas without the field stay out of the answer.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dataset, describeDatasets } from '../helpers/datasets.js';
import { tempDb, vast } from './cli.js';

const CONN = dataset('zeek', 'conn.log');
const DNS = dataset('zeek', 'dns.log');
const HTTP = dataset('zeek', 'http.log');
const EVE = dataset('suricata', 'example-pcap_eve.json');

/** Counts the data lines of a Zeek log for which an awk condition holds (fields by number, `-` is unset). */
function awk(file: string, cond: string): number {
  const r = spawnSync('awk', ['-F\t', `!/^#/ && (${cond}) {n++} END {print n+0}`, file], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout.trim());
}

/** Counts EVE events for which a jq condition holds. */
function jq(cond: string): number {
  const r = spawnSync('jq', ['-s', `map(select(${cond})) | length`, EVE], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout.trim());
}

/** Epoch seconds of an ISO time, for awk comparisons. */
const epoch = (iso: string) => Date.parse(iso) / 1000;

// conn.log fields: 1 ts 2 uid 3 orig_h 4 orig_p 5 resp_h 6 resp_p 7 proto 8 service 9 duration
// 10 orig_bytes 11 resp_bytes 12 conn_state 13 local_orig 14 missed_bytes 15 history 16 orig_pkts
// 17 orig_ip_bytes 18 resp_pkts 19 resp_ip_bytes 20 tunnel_parents
const queries: [string, () => number][] = [
  [
    'id.orig_h == 192.168.1.102',
    () =>
      awk(CONN, '$3 == "192.168.1.102"') +
      awk(DNS, '$3 == "192.168.1.102"') +
      awk(HTTP, '$3 == "192.168.1.102"'),
  ],
  ['#schema == "zeek.conn" && orig_h == 192.168.1.103', () => awk(CONN, '$3 == "192.168.1.103"')],
  ['#schema == "zeek.conn" && id.resp_h in 192.168.0.0/16', () => awk(CONN, '$5 ~ /^192\\.168\\./')],
  ['#schema == "zeek.conn" && id.resp_h !in 192.168.0.0/16', () => awk(CONN, '$5 !~ /^192\\.168\\./')],
  [
    '#schema == "zeek.conn" && :ip == 192.168.1.1',
    () => awk(CONN, '$3 == "192.168.1.1" || $5 == "192.168.1.1"'),
  ],
  ['#schema == "zeek.conn" && 192.168.1.1', () => awk(CONN, '$3 == "192.168.1.1" || $5 == "192.168.1.1"')],
  [
    '#schema == "zeek.conn" && 224.0.0.0/4',
    () => awk(CONN, '$3 ~ /^2(2[4-9]|3[0-9])\\./ || $5 ~ /^2(2[4-9]|3[0-9])\\./'),
  ],
  ['#schema == "zeek.conn" && id.resp_p == 80', () => awk(CONN, '$6 == 80')],
  ['#schema == "zeek.conn" && id.resp_p == 53/udp', () => awk(CONN, '$6 == 53')],
  [
    '#schema == "zeek.conn" && id.orig_p < 1024 && id.resp_p < 1024',
    () => awk(CONN, '$4 < 1024 && $6 < 1024'),
  ],
  ['#schema == "zeek.conn" && proto == "udp"', () => awk(CONN, '$7 == "udp"')],
  ['#schema == "zeek.conn" && proto != "udp"', () => awk(CONN, '$7 != "udp"')],
  ['#schema == "zeek.conn" && ! (proto == "tcp")', () => awk(CONN, '$7 != "tcp"')],
  ['#schema == "zeek.conn" && service == "dns"', () => awk(CONN, '$8 == "dns"')],
  ['#schema == "zeek.conn" && service == /ht+p|ssl/', () => awk(CONN, '$8 ~ /^(ht+p|ssl)$/')],
  ['#schema == "zeek.conn" && history == /S.*/', () => awk(CONN, '$15 ~ /^S/')],
  ['#schema == "zeek.conn" && history in /d/', () => awk(CONN, '$15 ~ /d/')],
  ['#schema == "zeek.conn" && history == /sad/i', () => awk(CONN, 'tolower($15) == "sad"')],
  ['#schema == "zeek.conn" && conn_state in ["S0", "REJ"]', () => awk(CONN, '$12 == "S0" || $12 == "REJ"')],
  ['#schema == "zeek.conn" && orig_bytes > 1000', () => awk(CONN, '$10 != "-" && $10 + 0 > 1000')],
  [
    '#schema == "zeek.conn" && orig_bytes >= 300 && orig_bytes <= 400',
    () => awk(CONN, '$10 != "-" && $10 + 0 >= 300 && $10 + 0 <= 400'),
  ],
  ['#schema == "zeek.conn" && duration > 1s', () => awk(CONN, '$9 != "-" && $9 + 0 > 1')],
  ['#schema == "zeek.conn" && duration < 100ms', () => awk(CONN, '$9 != "-" && $9 + 0 < 0.1')],
  [
    '#schema == "zeek.conn" && ts > 2009-11-18T20:00:00Z',
    () => awk(CONN, `$1 + 0 > ${epoch('2009-11-18T20:00:00Z')}`),
  ],
  [
    '#schema == "zeek.conn" && ts >= 2009-11-18T08:00:00Z && ts < 2009-11-18T09:00:00Z',
    () =>
      awk(CONN, `$1 + 0 >= ${epoch('2009-11-18T08:00:00Z')} && $1 + 0 < ${epoch('2009-11-18T09:00:00Z')}`),
  ],
  [
    '#schema == "zeek.conn" && :count > 1000000',
    () =>
      awk(
        CONN,
        '($10 != "-" && $10 + 0 > 1000000) || ($11 != "-" && $11 + 0 > 1000000) || $14 + 0 > 1000000 || $16 + 0 > 1000000 || $17 + 0 > 1000000 || $18 + 0 > 1000000 || $19 + 0 > 1000000',
      ),
  ],
  ['#schema == "zeek.conn" && missed_bytes != 0', () => awk(CONN, '$14 != 0')],
  [
    '#schema == "zeek.conn" && (proto == "icmp" || id.resp_p == 443)',
    () => awk(CONN, '$7 == "icmp" || $6 == 443'),
  ],
  ['#schema == "zeek.conn" && uid == "Pii6cUUq1v4"', () => awk(CONN, '$2 == "Pii6cUUq1v4"')],
  [
    '#schema == "zeek.conn" && "dns"',
    () => awk(CONN, '$2 == "dns" || $7 == "dns" || $8 == "dns" || $12 == "dns" || $15 == "dns"'),
  ],
  ['#type == "zeek.dns"', () => awk(DNS, '1')],
  ['#schema == "zeek.dns" && query == /.*\\.com/', () => awk(DNS, '$9 ~ /\\.com$/')],
  [
    '#schema == "zeek.dns" && qtype_name == "A" && rcode_name != "NOERROR"',
    () => awk(DNS, '$13 == "A" && $15 != "NOERROR"'),
  ],
  ['#schema == "zeek.http" && method == "POST"', () => awk(HTTP, '$8 == "POST"')],
  ['#schema == "zeek.http" && host ni "google"', () => awk(HTTP, 'index($9, "google") > 0')],
  ['#schema == "suricata.alert"', () => jq('.event_type == "alert"')],
  [
    '#schema == "suricata.alert" && alert.severity <= 2',
    () => jq('.event_type == "alert" and .alert.severity <= 2'),
  ],
  [
    '#schema == "suricata.alert" && alert.signature_id == 2200074',
    () => jq('.alert.signature_id == 2200074'),
  ],
  ['#schema == "suricata.alert" && dest_port == 22', () => jq('.event_type == "alert" and .dest_port == 22')],
  ['src_ip == 192.168.168.100', () => jq('.src_ip == "192.168.168.100"')],
  [
    '#schema == /suricata\\..*/ && dest_ip in 83.135.0.0/16',
    () => jq('(.dest_ip // "") | startswith("83.135.")'),
  ],
  ['timestamp > 2018-10-30T09:58:00+01:00', () => jq('.timestamp > "2018-10-30T09:58:00"')],
];

describeDatasets('hunting queries on ../shared/datasets agree with awk and jq', () => {
  const t = tempDb();
  beforeAll(() => {
    for (const [fmt, file] of [
      ['zeek', CONN],
      ['zeek', DNS],
      ['zeek', HTTP],
      ['suricata', EVE],
    ]) {
      const r = vast(['import', fmt, '-r', file, '-d', t.db]);
      expect(r.status, r.stderr).toBe(0);
    }
  });
  afterAll(t.cleanup);

  it.each(queries)('%s', (query, expected) => {
    const r = vast(['count', query, '-d', t.db]);
    expect(r.stderr).toBe('');
    expect(Number(r.stdout.trim())).toBe(expected());
  });

  it('summarize count() by proto equals awk', () => {
    const r = vast(['export', 'json', '#schema == "zeek.conn" | summarize n=count() by proto', '-d', t.db]);
    expect(r.status, r.stderr).toBe(0);
    const got = Object.fromEntries(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .map((o) => [o.proto, o.n]),
    );
    expect(got).toEqual({
      tcp: awk(CONN, '$7 == "tcp"'),
      udp: awk(CONN, '$7 == "udp"'),
      icmp: awk(CONN, '$7 == "icmp"'),
    });
  });

  it('summarize sum(orig_bytes) by service equals awk', () => {
    const r = vast([
      'export',
      'json',
      '#schema == "zeek.conn" | summarize b=sum(orig_bytes) by service',
      '-d',
      t.db,
    ]);
    const got = new Map(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .map((o) => [o.service ?? '-', o.b]),
    );
    const a = spawnSync(
      'awk',
      ['-F\t', '!/^#/ && $10 != "-" {s[$8] += $10} END {for (k in s) print k "\t" s[k]}', CONN],
      { encoding: 'utf8' },
    );
    for (const line of a.stdout.trim().split('\n')) {
      const [service, sum] = line.split('\t');
      expect(got.get(service), service).toBe(Number(sum));
    }
  });

  it('a pipeline decodes only the fields it reads, with the same answer (projection pushdown)', () => {
    const q = '#schema == "zeek.conn" && proto == "udp" | sort ts desc | head 4 | select uid, id.resp_p';
    const r = vast(['export', '--explain', 'json', q, '-d', t.db]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'fields:     the pipeline reads ts, uid, id.resp_p; no other field is decoded',
    );
    const got = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .map((o) => `${o.uid}\t${o['id.resp_p']}`);
    // Stable sort by ts descending: among equal times, the later line of the log comes first.
    const a = spawnSync(
      'sh',
      [
        '-c',
        `awk -F'\t' '!/^#/ && $7 == "udp" {print $1 "\t" NR "\t" $2 "\t" $6}' "$0" | sort -t'\t' -k1,1gr -k2,2nr | head -4 | cut -f3,4`,
        CONN,
      ],
      { encoding: 'utf8' },
    );
    expect(got).toEqual(a.stdout.trim().split('\n'));
    const top = vast(['export', '--explain', 'json', '#schema == "zeek.conn" | top service 2', '-d', t.db]);
    expect(top.stderr).toContain('fields:     the pipeline reads service; no other field is decoded');
    const counts = spawnSync(
      'sh',
      [
        '-c',
        `awk -F'\t' '!/^#/ && $8 != "-" {print $8}' "$0" | sort | uniq -c | sort -k1,1nr | head -2`,
        CONN,
      ],
      { encoding: 'utf8' },
    );
    expect(
      top.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .map((o) => `${o.count} ${o.service}`),
    ).toEqual(
      counts.stdout
        .trim()
        .split('\n')
        .map((l) => l.trim()),
    );
  });

  it('a needle query opens only the partition that holds it (pruning)', () => {
    const db = join(t.dir, 'pruning');
    // Many small partitions of one schema: the uid exists in exactly one of them.
    expect(
      vast(['import', 'zeek', '-r', CONN, '--max-partition-size', '500', '--batch-size', '500', '-d', db])
        .status,
    ).toBe(0);
    const r = vast(['count', '--explain', 'uid == "Pii6cUUq1v4"', '-d', db]);
    expect(r.stdout.trim()).toBe('1');
    const m = /partitions: (\d+) considered, (\d+) pruned .*, (\d+) opened/.exec(r.stderr)!;
    expect(Number(m[1])).toBe(Math.ceil(awk(CONN, '1') / 500));
    expect(Number(m[3])).toBe(1);
    const time = vast(['count', '--explain', 'ts < 2009-11-18T08:10:00Z', '-d', db]);
    expect(Number(time.stdout.trim())).toBe(awk(CONN, `$1 + 0 < ${epoch('2009-11-18T08:10:00Z')}`));
    expect(Number(/(\d+) opened/.exec(time.stderr)![1])).toBeLessThan(Number(m[1]));
  });

  it('reports an unknown field with a suggestion and position', () => {
    const r = vast(['count', 'orig_hh == 1.2.3.4', '-d', t.db]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error: unknown field 'orig_hh'\n --> query:1:1\n");
    expect(r.stderr).toContain("did you mean 'id.orig_h'?");
  });
});
