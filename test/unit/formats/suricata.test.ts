import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { suricata } from '../../../src/formats/suricata.js';
import { zeekJson } from '../../../src/formats/zeek-json.js';
import { schemaName } from '../../../src/types/arrow.js';
import { dataset, describeDatasets, ROOT, TEST_DATA } from '../../helpers/datasets.js';
import { readAll } from '../../helpers/read.js';
import { at, countBySchema, fieldType, rowsOf, sh } from './json-family.helpers.js';

const data = (name: string) => join(TEST_DATA, 'suricata', name);
const broken = (name: string) => join(ROOT, 'test', 'fixtures', 'broken', name);
const eve = data('example-pcap_eve.json');
const fileinfo = data('suricata-verify_output-eve-fileinfo_eve.json');

/** Expected rows per schema, computed by jq. */
const jqCounts = (path: string) =>
  JSON.parse(
    sh(`jq -s -c 'group_by(.event_type) | map({("suricata." + .[0].event_type): length}) | add' '${path}'`),
  );

describe('suricata format definition', () => {
  test('detects EVE, not other JSON', () => {
    expect(suricata.name).toBe('suricata');
    expect(suricata.write).toBeUndefined();
    expect(suricata.detect!(readFileSync(eve).subarray(0, 512))).toBe(true);
    expect(suricata.detect!(Buffer.from('{"ts": 1, "uid": "C1"}'))).toBe(false);
    expect(zeekJson.detect!(readFileSync(eve).subarray(0, 512))).toBe(false);
  });
});

describe('suricata reader on example-pcap_eve.json (NDJSON)', () => {
  test('one schema per event_type, counts as jq', async () => {
    const { batches, diagnostics } = await readAll(suricata, { path: eve });
    expect(diagnostics).toEqual([]);
    expect(countBySchema(batches)).toEqual(jqCounts(eve));
    expect(countBySchema(batches)).toEqual({ 'suricata.alert': 1162, 'suricata.flow': 21 });
  });

  test('known fields are typed by schemas/suricata.yaml', async () => {
    const { batches } = await readAll(suricata, { path: eve });
    const alert = batches.find((b) => schemaName(b) === 'suricata.alert')!;
    const types = Object.fromEntries(
      [
        'timestamp',
        'flow_id',
        'src_ip',
        'dest_port',
        'community_id',
        'alert.signature_id',
        'alert.severity',
        'flow.start',
      ].map((p) => [p, fieldType(alert, p)]),
    );
    expect(types).toEqual({
      timestamp: 'time',
      flow_id: 'uint64',
      src_ip: 'ip',
      dest_port: 'port',
      community_id: 'string',
      'alert.signature_id': 'uint64',
      'alert.severity': 'uint64',
      'flow.start': 'time',
    });
    expect(alert.schema.metadata.get('vast.timestamp')).toBe('timestamp');
    const flow = batches.find((b) => schemaName(b) === 'suricata.flow')!;
    expect([
      fieldType(flow, 'flow.end'),
      fieldType(flow, 'flow.alerted'),
      fieldType(flow, 'tcp.tcp_flags'),
    ]).toEqual(['time', 'bool', 'string']);
  });

  test('field values agree with jq: sum of signature ids, set of source addresses, flow counters', async () => {
    const rows = rowsOf((await readAll(suricata, { path: eve })).batches);
    const alerts = rows.filter((r) => r['#schema'] === 'suricata.alert');
    const sum = alerts.reduce((n, r) => n + (at(r, 'alert.signature_id') as number), 0);
    expect(sum).toBe(
      Number(sh(`jq -s '[.[] | select(.event_type == "alert") | .alert.signature_id] | add' ${eve}`)),
    );
    const srcs = [...new Set(rows.map((r) => r.src_ip as string))].sort();
    expect(srcs).toEqual(sh(`jq -r .src_ip ${eve} | LC_ALL=C sort -u`).split('\n'));
    const bytes = rows.reduce((n, r) => n + ((at(r, 'flow.bytes_toserver') as number | null) ?? 0), 0);
    expect(bytes).toBe(Number(sh(`jq -s '[.[].flow.bytes_toserver // 0] | add' ${eve}`)));
    // Every row's flow id, exactly (as text: jq 1.6 rounds integers past 2^53, so the ids come
    // from the raw text), as a multiset: no row lost, none invented, none altered.
    const ids = rows.map((r) => String(r.flow_id)).sort();
    expect(ids).toEqual(sh(`grep -o '"flow_id":[0-9]*' ${eve} | cut -d: -f2 | LC_ALL=C sort`).split('\n'));
  });

  test('+0100 timestamps are stored in UTC', async () => {
    const rows = rowsOf((await readAll(suricata, { path: eve })).batches);
    // By hand: 09:56:07.459844 at +01:00 is 08:56:07.459844 UTC.
    expect(rows[0].timestamp).toBe('2018-10-30T08:56:07.459844Z');
    // Independently: GNU date converts every timestamp (in input order; alerts and flows in separate batches).
    const expected = sh(`jq -r .timestamp ${eve} | date -u -f - +%Y-%m-%dT%H:%M:%S.%6NZ`).split('\n');
    const order = sh(`jq -r .event_type ${eve}`).split('\n');
    const byType = (t: string) =>
      expected.filter((_, i) => order[i] === t).map((x) => x.replace(/\.?0+Z$/, 'Z'));
    const got = (t: string) => rows.filter((r) => r['#schema'] === `suricata.${t}`).map((r) => r.timestamp);
    expect(got('alert')).toEqual(byType('alert'));
    expect(got('flow')).toEqual(byType('flow'));
    const starts = sh(`jq -r '.flow.start' ${eve} | date -u -f - +%Y-%m-%dT%H:%M:%S.%6NZ`).split('\n');
    expect(rows.map((r) => at(r, 'flow.start')).sort()).toEqual(
      starts.map((x) => x.replace(/\.?0+Z$/, 'Z')).sort(),
    );
  });
});

describe('suricata reader on the suricata-verify fileinfo event', () => {
  test('\\/ escapes are unescaped; http and fileinfo records typed', async () => {
    const { batches, diagnostics } = await readAll(suricata, { path: fileinfo });
    expect(diagnostics).toEqual([]);
    const [row] = rowsOf(batches);
    expect(row['#schema']).toBe('suricata.fileinfo');
    expect(at(row, 'http.url')).toBe('/download/eicar.com');
    expect(at(row, 'http.http_user_agent')).toBe('curl/7.43.0');
    expect(at(row, 'http.status')).toBe(200);
    expect(at(row, 'fileinfo.size')).toBe(68);
    expect(at(row, 'fileinfo.stored')).toBe(false);
    expect(row.timestamp).toBe('2016-06-08T20:01:52.875791Z');
    expect(fieldType(batches[0], 'http.status')).toBe('uint64');
  });
});

describe('suricata reader: bad input', () => {
  test('a number where the schema says ip: error at the value, the event skipped', async () => {
    const path = broken('suricata-src-ip-number.json');
    const { rows, diagnostics } = await readAll(suricata, { path });
    expect(rows).toBe(2);
    const line2 = readFileSync(path, 'utf8').split('\n')[1];
    const column = line2.indexOf('"src_ip":42') + '"src_ip":'.length + 1;
    expect(diagnostics.map((d) => [d.message, d.location?.line, d.location?.column, d.recoverable])).toEqual([
      ["invalid value for field 'src_ip' (ip): 42", 2, column, true],
    ]);
  });

  test('a value of the wrong type inside a nested record, and a missing event_type', async () => {
    const text = [
      '{"timestamp":"2020-01-01T00:00:00Z","event_type":"alert","alert":{"signature_id":"x"}}',
      '{"timestamp":"2020-01-01T00:00:00Z","alert":{}}',
      '{"timestamp":"2020-01-01T00:00:00Z","event_type":"alert","alert":{"signature_id":7}}',
      '',
    ].join('\n');
    const { rows, diagnostics } = await readAll(suricata, { text });
    expect(rows).toBe(1);
    const column = text.indexOf('"x"') + 1;
    expect(diagnostics.map((d) => [d.message, d.location?.line, d.location?.column])).toEqual([
      ['invalid value for field \'alert.signature_id\' (uint64): "x"', 1, column],
      ["selector field 'event_type' is missing or not a string", 2, 1],
    ]);
  });

  test('event types without a schema are inferred, their timestamp still a time', async () => {
    const text =
      '{"timestamp":"2020-01-01T01:00:00+0100","event_type":"quic","quic":{"version":"1"},"src_ip":"10.0.0.1"}\n';
    const { batches, diagnostics } = await readAll(suricata, { text });
    expect(diagnostics).toEqual([]);
    expect(schemaName(batches[0])).toBe('suricata.quic');
    expect([fieldType(batches[0], 'timestamp'), fieldType(batches[0], 'src_ip')]).toEqual(['time', 'ip']);
    expect(rowsOf(batches)[0].timestamp).toBe('2020-01-01T00:00:00Z');
  });
});

describeDatasets('suricata reader on every EVE file in the corpus', () => {
  const dir = dataset('suricata');
  const lib = dataset('suricata', 'tenzir-library');
  const files = [
    ...readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => join(dir, f)),
    ...readdirSync(lib)
      .filter((f) => f.endsWith('.json'))
      .map((f) => join(lib, f)),
  ];

  test.each(files)('%s: rows per schema as jq, no diagnostics', async (path) => {
    const { batches, diagnostics } = await readAll(suricata, { path });
    expect(diagnostics).toEqual([]);
    expect(countBySchema(batches)).toEqual(jqCounts(path));
  });

  test('all 16 event types of the pretty-printed library files, typed by their schemas', async () => {
    const seen = new Set<string>();
    for (const f of readdirSync(lib)) {
      const { batches } = await readAll(suricata, { path: join(lib, f) });
      for (const b of batches) {
        seen.add(schemaName(b));
        expect(fieldType(b, 'timestamp'), f).toBe('time');
        expect(fieldType(b, 'src_ip'), f).toBe('ip');
      }
    }
    expect([...seen].sort()).toEqual(
      [
        'alert',
        'anomaly',
        'dhcp',
        'dns',
        'fileinfo',
        'flow',
        'ftp',
        'http',
        'krb5',
        'mqtt',
        'sip',
        'smb',
        'smtp',
        'snmp',
        'ssh',
        'tls',
      ].map((t) => `suricata.${t}`),
    );
  });

  test('nested values of pretty-printed events agree with jq', async () => {
    const dns = join(lib, 'dns.json');
    const rows = rowsOf((await readAll(suricata, { path: dns })).batches);
    const rrnames = rows.flatMap((r) =>
      ((at(r, 'dns.queries') as { rrname: string }[] | null) ?? []).map((q) => q.rrname),
    );
    expect(rrnames).toEqual(sh(`jq -r '.dns.queries[]?.rrname' ${dns}`).split('\n'));
    const ttls = rows.flatMap((r) =>
      ((at(r, 'dns.answers') as { ttl: number }[] | null) ?? []).map((a) => a.ttl),
    );
    expect(ttls).toEqual(sh(`jq '.dns.answers[]?.ttl' ${dns}`).split('\n').map(Number));
    const tls = join(lib, 'tls.json');
    const tlsRows = rowsOf((await readAll(suricata, { path: tls })).batches);
    expect(tlsRows.map((r) => at(r, 'tls.ja3s.hash'))).toEqual(
      sh(`jq -r '.tls.ja3s.hash' ${tls}`).split('\n'),
    );
    const ports = tlsRows.map((r) => r.dest_port);
    expect(ports).toEqual(sh(`jq .dest_port ${tls}`).split('\n').map(Number));
  });
});
