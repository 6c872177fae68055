import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { zeek } from '../../../src/formats/zeek/index.js';
import { zeekJson } from '../../../src/formats/zeek-json.js';
import { schemaName } from '../../../src/types/arrow.js';
import { leaves, typeToString } from '../../../src/types/type.js';
import { dataset, describeDatasets } from '../../helpers/datasets.js';
import { readAll, registry } from '../../helpers/read.js';
import { at, countBySchema, fieldType, rowsOf, sh } from './json-family.helpers.js';

/** Zeek type names → VAST type text, as schemas/README.md documents. */
function vastOfZeek(z: string): string {
  const basic: Record<string, string> = {
    time: 'time',
    interval: 'duration',
    count: 'uint64',
    int: 'int64',
    double: 'double',
    addr: 'ip',
    subnet: 'subnet',
    port: 'port',
    enum: 'enum',
    string: 'string',
    file: 'string',
    pattern: 'string',
    bool: 'bool',
  };
  const m = /^(set|vector|table)\[(.+)\]$/.exec(z);
  return m ? `list<${basic[m[2]]}>` : basic[z];
}

describe('zeek-json format definition', () => {
  test('detects Zeek JSON by _path or ts+uid', () => {
    expect(zeekJson.name).toBe('zeek-json');
    expect(zeekJson.write).toBeUndefined();
    expect(zeekJson.detect!(Buffer.from('{"_path":"conn","ts":1}'))).toBe(true);
    expect(zeekJson.detect!(Buffer.from('{"ts":"2011-08-15T03:36:16.748830Z","uid":"C1"}'))).toBe(true);
    expect(zeekJson.detect!(Buffer.from('{"timestamp":"x","event_type":"alert"}'))).toBe(false);
  });
});

describe('zeek-json reader on inline events', () => {
  test('_path names the schema and is dropped; dotted keys fill nested records; absent fields are null', async () => {
    const text =
      '{"_path":"conn","_write_ts":"2018-03-24T17:16:20.600725Z","ts":"2018-03-24T17:15:20.600725Z","uid":"C1",' +
      '"id.orig_h":"10.0.0.1","id.orig_p":1234,"id.resp_h":"fe80::1","id.resp_p":80,"proto":"tcp","duration":1.5,"extra":"x"}\n';
    const { batches, diagnostics } = await readAll(zeekJson, { text });
    expect(diagnostics).toEqual([]);
    const b = batches[0];
    expect(schemaName(b)).toBe('zeek.conn');
    expect(b.schema.fields.map((f) => f.name)).not.toContain('_path');
    expect(
      ['ts', 'id.orig_h', 'id.orig_p', 'proto', 'duration', 'tunnel_parents', '_write_ts', 'extra'].map((p) =>
        fieldType(b, p),
      ),
    ).toEqual(['time', 'ip', 'port', 'enum', 'duration', 'list<string>', 'time', 'string']);
    const [row] = rowsOf(batches);
    expect(row.id).toEqual({ orig_h: '10.0.0.1', orig_p: 1234, resp_h: 'fe80::1', resp_p: 80 });
    expect(row.duration).toBe(1_500_000_000);
    expect(row.conn_state).toBeNull();
    expect(row._write_ts).toBe('2018-03-24T17:16:20.600725Z');
  });

  test('epoch-number times equal ISO times; numeric times and intervals round to microseconds (ties to even)', async () => {
    const text = [
      '{"_path":"x","ts":1258531221.486539,"d":0.0859375}',
      '{"_path":"x","ts":"2009-11-18T08:00:21.486539Z"}',
      '{"_path":"dce_rpc","ts":1521911725.396014,"rtt":0.000431060791015625}',
      '{"_path":"dce_rpc","ts":-1418429426.887384,"rtt":-0.0859375}',
      '',
    ].join('\n');
    const rows = rowsOf((await readAll(zeekJson, { text })).batches);
    expect(rows.filter((r) => r['#schema'] === 'zeek.x').map((r) => r.ts)).toEqual([
      '2009-11-18T08:00:21.486539Z',
      '2009-11-18T08:00:21.486539Z',
    ]);
    const dce = rows.filter((r) => r['#schema'] === 'zeek.dce_rpc');
    expect(dce.map((r) => r.ts)).toEqual(['2018-03-24T17:15:25.396014Z', '1925-01-19T23:49:33.112616Z']);
    // Zeek's TSV writes these intervals as 0.000431 and -0.085938 (%.6f).
    expect(dce.map((r) => r.rtt)).toEqual([431_000, -85_938_000]);
  });

  test('\\xHH escapes (Zeek rendering of non-printable bytes) decode like Zeek TSV', async () => {
    const text = '{"_path":"ntp","ref_id":"\\\\x00\\\\x00\\\\x00\\\\x00","uid":"a\\\\x01b\\\\xffc"}\n';
    const [row] = rowsOf((await readAll(zeekJson, { text })).batches);
    expect(row.ref_id).toBe('\u0000\u0000\u0000\u0000');
    // A byte >= 0x80 on its own is not UTF-8: the escape stays text, as in the TSV reader.
    expect(row.uid).toBe('a\u0001b\\xffc');
  });

  test('a path the registry lacks: fields inferred, but ts a time and id.* the usual conn id', async () => {
    const text =
      '{"_path":"conn_long","ts":"2020-02-26T03:40:03.724911Z","id.orig_h":"1.2.3.4","id.orig_p":6667,"n":1}\n';
    const { batches } = await readAll(zeekJson, { text });
    const b = batches[0];
    expect(schemaName(b)).toBe('zeek.conn_long');
    expect(['ts', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'n'].map((p) => fieldType(b, p))).toEqual([
      'time',
      'ip',
      'port',
      'ip',
      'int64',
    ]);
    expect(b.schema.metadata.get('vast.timestamp')).toBe('ts');
  });

  test('without _path the schema is guessed from the keys, else zeek.unknown', async () => {
    const text = [
      '{"ts":"2020-01-01T00:00:00Z","uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":53,"query":"x.org","qtype_name":"A"}',
      '{"ts":"2020-01-01T00:00:01Z","name":"dns_unmatched_msg","notice":false,"peer":"zeek"}',
      '{"ts":"2020-01-01T00:00:02Z","colour":"blue","size":3}',
      '',
    ].join('\n');
    const { batches, diagnostics } = await readAll(zeekJson, { text });
    expect(diagnostics).toEqual([]);
    expect(batches.map((b) => [schemaName(b), b.numRows])).toEqual([
      ['zeek.dns', 1],
      ['zeek.weird', 1],
      ['zeek.unknown', 1],
    ]);
    expect(fieldType(batches[2], 'ts')).toBe('time');
  });

  test('a value that does not fit the schema: error at the value, event skipped', async () => {
    const text =
      '{"_path":"conn","ts":"2020-01-01T00:00:00Z","id.orig_h":42}\n{"_path":"conn","ts":"2020-01-01T00:00:00Z"}\n';
    const { rows, diagnostics } = await readAll(zeekJson, { text });
    expect(rows).toBe(1);
    expect(diagnostics.map((d) => [d.message, d.location?.line, d.location?.column])).toEqual([
      ["invalid value for field 'id.orig_h' (ip): 42", 1, text.indexOf('42') + 1],
    ]);
  });
});

describe('schemas/zeek.yaml', () => {
  test('every zeek.* schema has ts as its timestamp', () => {
    const zs = registry.all().filter((s) => s.name.startsWith('zeek.'));
    expect(zs.length).toBeGreaterThan(30);
    for (const s of zs) expect(s.timestamp, s.name).toBe('ts');
  });
});

describeDatasets('schemas/zeek.yaml against the Zeek TSV headers of the corpus', () => {
  const dir = dataset('zeek');
  const logs = readdirSync(dir).filter((f) => f.endsWith('.log'));

  test.each(logs)('%s: header fields and types are the schema (in order)', (f) => {
    const path = sh(`grep -m1 '^#path' ${join(dir, f)} | cut -f2`);
    const names = sh(`grep -m1 '^#fields' ${join(dir, f)} | cut -f2-`).split('\t');
    const types = sh(`grep -m1 '^#types' ${join(dir, f)} | cut -f2-`)
      .split('\t')
      .map(vastOfZeek);
    const schema = registry.get(`zeek.${path}`);
    expect(schema, path).toBeDefined();
    const ls = leaves(schema!.type).map((l) => [l.path, typeToString(l.type)]);
    const header = names.map((n, i) => [n, types[i]]);
    // Paths logged by several Zeek versions (conn, http) merge their headers: each is a subsequence.
    const merged = sh(`grep -l -P '^#path\\t${path}$' ${dir}/*.log | wc -l`) !== '1';
    if (!merged) expect(ls).toEqual(header);
    else {
      let j = 0;
      for (const h of header) {
        while (j < ls.length && ls[j][0] !== h[0]) j++;
        expect(ls[j], `${f}: ${h[0]}`).toEqual(h);
      }
    }
  });
});

describeDatasets('zeek-json reader on every Zeek JSON file in the corpus', () => {
  const dir = dataset('zeek', 'json');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

  test.each(files)('%s: all events, schemas as jq says, no diagnostics', async (f) => {
    const path = join(dir, f);
    const { batches, diagnostics, rows } = await readAll(zeekJson, { path });
    expect(diagnostics).toEqual([]);
    expect(rows).toBe(Number(sh(`jq -c . ${path} | wc -l`)));
    const counts = countBySchema(batches);
    if (f.startsWith('vast-int_') && f.endsWith('.log.json')) {
      // No _path: the schema is guessed from the keys.
      const logType = basename(f, '.log.json').slice('vast-int_'.length);
      expect(counts).toEqual({ [`zeek.${logType}`]: rows });
    } else {
      const expected = JSON.parse(
        // The one event of vast-int_zeek.json without _path is a conn event (its keys say so).
        sh(`jq -s -c 'map(._path // "conn") | group_by(.) | map({("zeek." + .[0]): length}) | add' ${path}`),
      );
      expect(counts).toEqual(expected);
    }
  });

  test('values agree with jq: conn byte counts, times, addresses, lists, nested ids', async () => {
    const conn = join(dir, 'vast-int_conn.log.json');
    const rows = rowsOf((await readAll(zeekJson, { path: conn })).batches);
    const sum = (k: string) => rows.reduce((n, r) => n + ((at(r, k) as number | null) ?? 0), 0);
    expect(sum('resp_ip_bytes')).toBe(Number(sh(`jq -s 'map(.resp_ip_bytes // 0) | add' ${conn}`)));
    expect(sum('id.orig_p')).toBe(Number(sh(`jq -s 'map(."id.orig_p") | add' ${conn}`)));
    expect(rows.map((r) => r.ts)).toEqual(
      sh(`jq -r .ts ${conn}`)
        .split('\n')
        .map((t) => t.replace(/\.?0+Z$/, 'Z')),
    );
    expect(rows.map((r) => at(r, 'id.resp_h'))).toEqual(sh(`jq -r '."id.resp_h"' ${conn}`).split('\n'));
    const durations = rows.map((r) => r.duration as number | null).filter((d) => d !== null);
    expect(durations).toEqual(
      sh(`jq 'select(.duration) | .duration' ${conn}`)
        .split('\n')
        .map((d) => Math.round(Number(d) * 1e6) * 1000),
    );
    const dns = join(dir, 'vast-int_dns.log.json');
    const dnsRows = rowsOf((await readAll(zeekJson, { path: dns })).batches);
    expect(dnsRows.flatMap((r) => (r.answers as string[] | null) ?? [])).toEqual(
      sh(`jq -r '.answers[]?' ${dns}`).split('\n'),
    );
  });

  test('wrccdc_ntp.json: ref_id escapes decode to NUL bytes; times as jq', async () => {
    const ntp = join(dir, 'wrccdc_ntp.json');
    const rows = rowsOf((await readAll(zeekJson, { path: ntp })).batches);
    const refIds = new Set(rows.map((r) => r.ref_id));
    expect(refIds.has('\u0000\u0000\u0000\u0000')).toBe(true);
    expect([...refIds].some((x) => typeof x === 'string' && x.includes('\\x'))).toBe(false);
    expect(rows.map((r) => r.xmt_time)).toEqual(
      sh(`jq -r .xmt_time ${ntp}`)
        .split('\n')
        .map((t) => t.replace(/\.?0+Z$/, 'Z')),
    );
    expect(rows.every((r) => !('_path' in r))).toBe(true);
  });
});

describeDatasets('zeek-json and zeek TSV give the same values (wrccdc_X.json vs wrccdc_X.log)', () => {
  const names = readdirSync(dataset('zeek', 'json'))
    .filter((f) => f.startsWith('wrccdc_'))
    .map((f) => basename(f, '.json').slice('wrccdc_'.length));

  // Known, explained differences between Zeek's two writers:
  // - doubles: TSV prints %.6f, JSON the full double (compared to 1e-6 here);
  // - known_services.service: JSON `[""]` where TSV has `(empty)`;
  // - ntp.xmt_time: TSV prints times beyond 1e9 s in %e notation with ns digits, JSON's ISO has µs.
  const known = (name: string, field: string) =>
    (name === 'known_services' && field === 'service') || (name === 'ntp' && field === 'xmt_time');

  test.each(names)('%s', async (name) => {
    const tsv = rowsOf((await readAll(zeek, { path: dataset('zeek', `wrccdc_${name}.log`) })).batches);
    const json = rowsOf(
      (await readAll(zeekJson, { path: dataset('zeek', 'json', `wrccdc_${name}.json`) })).batches,
    );
    expect(json.length).toBe(tsv.length);
    const schema = registry.get(`zeek.${name}`)!;
    for (const l of leaves(schema.type)) {
      if (known(name, l.path)) continue;
      const a = tsv.map((r) => at(r, l.path));
      const b = json.map((r) => at(r, l.path));
      if (l.type.kind === 'double') {
        for (let i = 0; i < a.length; i++)
          if (a[i] === null) expect(b[i], `${l.path} row ${i}`).toBeNull();
          else expect(Math.abs((a[i] as number) - (b[i] as number)), `${l.path} row ${i}`).toBeLessThan(1e-6);
      } else expect(b, l.path).toEqual(a);
    }
  });
});
