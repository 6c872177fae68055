import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type * as A from 'apache-arrow';
import { describe, expect, test } from 'vitest';
import { InputError, renderDiagnostic } from '../../../src/diagnostics.js';
import { zeek } from '../../../src/formats/zeek/index.js';
import { schemaName, vastSchema } from '../../../src/types/arrow.js';
import { formatIP } from '../../../src/types/ip.js';
import { typeToString } from '../../../src/types/type.js';
import { type Value, valueAt } from '../../../src/types/values.js';
import { dataset, describeDatasets, HAVE_DATASETS, ROOT, TEST_DATA } from '../../helpers/datasets.js';
import { readAll } from '../../helpers/read.js';

const data = (name: string) => join(TEST_DATA, 'zeek', name);
const broken = (name: string) => join(ROOT, 'test', 'fixtures', 'broken', name);

/** Runs a shell pipeline (grep/awk) independently of the reader, for expected values. */
function sh(cmd: string): string {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd}: ${r.stderr}`);
  return r.stdout.trim();
}

/** The values of one (dotted) column over all batches. */
function column(batches: A.RecordBatch[], path: string): Value[] {
  const out: Value[] = [];
  for (const b of batches) {
    const s = vastSchema(b.schema);
    const [head, ...rest] = path.split('.');
    let data = b.data.children[b.schema.fields.findIndex((f) => f.name === head)];
    let type = s.type.fields.find((f) => f.name === head)!.type;
    for (const seg of rest) {
      if (type.kind !== 'record') throw new Error(`${path}: not a record`);
      const i = type.fields.findIndex((f) => f.name === seg);
      data = data.children[i];
      type = type.fields[i].type;
    }
    for (let i = 0; i < b.numRows; i++) out.push(valueAt(data, type, i));
  }
  return out;
}

const ip = (v: Value) => (v && typeof v === 'object' && 'ip' in v ? formatIP(v.ip as Uint8Array) : v);

describe('zeek format definition', () => {
  test('detects #separator and claims .log', () => {
    expect(zeek.name).toBe('zeek');
    expect(zeek.extensions).toEqual(['.log']);
    expect(zeek.detect!(readFileSync(data('conn.log')).subarray(0, 64))).toBe(true);
    expect(zeek.detect!(Buffer.from('{"ts": 1}'))).toBe(false);
  });
});

describe('zeek reader on conn.log', () => {
  test('rows, schema name, timestamp and nested id record', async () => {
    const { batches, diagnostics, rows } = await readAll(zeek, { path: data('conn.log') });
    expect(diagnostics).toEqual([]);
    expect(rows).toBe(Number(sh(`grep -vc '^#' ${data('conn.log')}`)));
    const s = vastSchema(batches[0].schema);
    expect(s.name).toBe('zeek.conn');
    expect(s.timestamp).toBe('ts');
    expect(typeToString(s.type)).toBe(
      'record{ts: time, uid: string, id: record{orig_h: ip, orig_p: port, resp_h: ip, resp_p: port}, ' +
        'proto: enum, service: string, duration: duration, orig_bytes: uint64, resp_bytes: uint64, ' +
        'conn_state: string, local_orig: bool, missed_bytes: uint64, history: string, orig_pkts: uint64, ' +
        'orig_ip_bytes: uint64, resp_pkts: uint64, resp_ip_bytes: uint64, tunnel_parents: list<string>}',
    );
  });

  test('values agree with awk', async () => {
    const { batches } = await readAll(zeek, { path: data('conn.log') });
    const f = data('conn.log');
    const awk = (prog: string) => sh(`awk -F'\\t' '!/^#/ ${prog}' ${f}`);
    // Sums of counts (unset `-` counts as 0 in awk and is null for us).
    const sum = (path: string) =>
      column(batches, path).reduce<bigint>((a, v) => a + ((v as bigint) ?? 0n), 0n);
    expect(sum('orig_bytes')).toBe(BigInt(awk(`{s += $10} END {printf "%d", s}`)));
    expect(sum('resp_ip_bytes')).toBe(BigInt(awk(`{s += $19} END {printf "%d", s}`)));
    expect(column(batches, 'orig_bytes').filter((v) => v === null).length).toBe(
      Number(awk(`{if ($10 == "-") n++} END {print n+0}`)),
    );
    // Timestamps are exact nanoseconds: compare the digits.
    const ts = column(batches, 'ts') as bigint[];
    const awkTs = awk('{print $1}').split('\n');
    expect(
      ts.map((v) => `${v / 1_000_000_000n}.${(v % 1_000_000_000n).toString().padStart(9, '0').slice(0, 6)}`),
    ).toEqual(awkTs);
    // Nested record fields.
    expect(column(batches, 'id.orig_h').map(ip)).toEqual(awk('{print $3}').split('\n'));
    expect(column(batches, 'id.resp_p').map(String)).toEqual(awk('{print $6}').split('\n'));
    // IPv6 addresses survive (conn.log has link-local ones).
    expect(column(batches, 'id.orig_h').map(ip)).toContain('fe80::219:e3ff:fee7:5d23');
    // Enums, strings and bools.
    expect(column(batches, 'proto')).toEqual(awk('{print $7}').split('\n'));
    expect(column(batches, 'history').map((v) => v ?? '-')).toEqual(awk('{print $15}').split('\n'));
    expect(column(batches, 'duration')[0]).toBe(163_820_000n);
    // `(empty)` containers are empty lists.
    expect(new Set(column(batches, 'tunnel_parents').map((v) => JSON.stringify(v)))).toEqual(new Set(['[]']));
  });

  test('batches are cut at the batch size', async () => {
    const { batches, rows } = await readAll(zeek, { path: data('conn.log') }, { batchSize: 1000 });
    expect(rows).toBe(8462);
    expect(batches.map((b) => b.numRows)).toEqual([...Array(8).fill(1000), 462]);
    // Batches of one schema share the enum dictionary (it only grows).
    const dict = (b: A.RecordBatch) => b.getChild('proto')!.data[0].dictionary;
    expect(dict(batches[7])?.toArray()).toEqual(expect.arrayContaining(['udp', 'tcp']));
  });
});

describe('zeek reader: containers, escapes, headers', () => {
  test('vector[string] and vector[interval] (dns.log, no #close)', async () => {
    const { batches, diagnostics, rows } = await readAll(zeek, { path: data('dns.log') });
    expect(diagnostics).toEqual([]);
    expect(rows).toBe(32);
    expect(schemaName(batches[0])).toBe('zeek.dns');
    const f = data('dns.log');
    const answers = sh(`awk -F'\\t' '!/^#/ {print $21}' ${f}`).split('\n');
    const ttls = sh(`awk -F'\\t' '!/^#/ {print $22}' ${f}`).split('\n');
    const got = column(batches, 'answers');
    const gotTtls = column(batches, 'TTLs');
    for (let i = 0; i < rows; i++) {
      if (answers[i] === '-') expect(got[i]).toBeNull();
      else expect(got[i]).toEqual(answers[i].split(','));
      if (ttls[i] === '-') expect(gotTtls[i]).toBeNull();
      else
        expect((gotTtls[i] as bigint[]).map((ns) => (Number(ns) / 1e9).toFixed(6))).toEqual(
          ttls[i].split(','),
        );
    }
    expect(got.some((v) => Array.isArray(v) && v.length > 1)).toBe(true);
  });

  test('table[enum] and table[string] from Bro 2.x (http.log)', async () => {
    const { batches, rows } = await readAll(zeek, { path: data('http.log') });
    expect(rows).toBe(40);
    const s = vastSchema(batches[0].schema);
    expect(typeToString(s.type.fields.find((f) => f.name === 'tags')!.type)).toBe('list<enum>');
    expect(typeToString(s.type.fields.find((f) => f.name === 'proxied')!.type)).toBe('list<string>');
    expect(column(batches, 'tags').every((v) => Array.isArray(v) && v.length === 0)).toBe(true);
  });

  test('set[addr], set[string], set[enum] (Zeek 3.x files.log and http.log)', async () => {
    const files = await readAll(zeek, { path: data('example-pcap_files.log') });
    expect(files.diagnostics).toEqual([]);
    const tx = column(files.batches, 'tx_hosts').map((v) => (v as Value[]).map(ip));
    expect(tx[0]).toEqual(
      sh(`awk -F'\\t' '!/^#/ {print $3; exit}' ${data('example-pcap_files.log')}`).split(','),
    );
    const http = await readAll(zeek, { path: data('example-pcap_http.log') });
    expect(column(http.batches, 'tags')[0]).toEqual([]);
    expect(column(http.batches, 'resp_mime_types')).toContainEqual(['application/ocsp-response']);
  });

  test('\\xHH escapes: control bytes and UTF-8 decoded, lone invalid bytes kept as text', async () => {
    const { batches, diagnostics, rows } = await readAll(zeek, { path: data('vast-int_http-escapes.log') });
    expect(diagnostics).toEqual([]);
    expect(rows).toBe(44);
    const strings = [
      ...column(batches, 'uri'),
      ...column(batches, 'user_agent'),
      ...column(batches, 'referrer'),
    ].filter((v): v is string => typeof v === 'string');
    // \x0a is a newline; \xae alone is not UTF-8, so it stays as the four characters.
    expect(strings.some((s) => s.includes('\n'))).toBe(true);
    expect(strings.some((s) => s.includes('Microsoft\\xae Windows Media Player'))).toBe(true);
    // \xe2\x80\x94 is an em dash in UTF-8.
    expect(strings.some((s) => s.includes('SFGate Sports News \u2014 San Francisco'))).toBe(true);
    for (const s of strings) expect(Buffer.from(s, 'utf8').toString('utf8')).toBe(s);
  });

  test('backslashes: \\\\ is one backslash, other backslashes stay', async () => {
    const text = [
      '#separator \\x09',
      '#fields\ta\tb',
      '#types\tstring\tset[string]',
      'O=VMware\\\\, Inc\tx\\x2cy,z\\\\',
      'a\\,b \\q \\x4\tok',
      '\\x2d\t-',
      '(empty)\t(empty)',
      '\\x28empty)\t\\x28empty),-,(empty)',
    ].join('\n');
    const { batches, diagnostics } = await readAll(zeek, { text });
    expect(diagnostics).toEqual([]);
    expect(column(batches, 'a')).toEqual(['O=VMware\\, Inc', 'a\\,b \\q \\x4', '-', '', '(empty)']);
    expect(column(batches, 'b')).toEqual([['x,y', 'z\\'], ['ok'], null, [], ['(empty)', null, '']]);
  });

  test('custom and multi-byte separators from #separator escapes', async () => {
    const text = [
      '#separator \\x7c',
      '#set_separator|;',
      '#empty_field|EMPTY',
      '#unset_field|NONE',
      '#path|custom',
      '#fields|n|s|l',
      '#types|count|string|vector[count]',
      '1|a b|1;2',
      'NONE|EMPTY|EMPTY',
      '#separator \\x3a\\x3a',
      '#fields::n::s',
      '#types::int::string',
      '-5::x|y',
    ].join('\n');
    const { batches, diagnostics } = await readAll(zeek, { text });
    expect(diagnostics).toEqual([]);
    expect(batches.map(schemaName)).toEqual(['zeek.custom', 'zeek.unknown']);
    expect(column([batches[0]], 'n')).toEqual([1n, null]);
    expect(column([batches[0]], 's')).toEqual(['a b', '']);
    expect(column([batches[0]], 'l')).toEqual([[1n, 2n], []]);
    expect(column([batches[1]], 'n')).toEqual([-5n]);
    expect(column([batches[1]], 's')).toEqual(['x|y']);
  });

  test('every basic Zeek type', async () => {
    const text = [
      '#separator \\x09',
      '#path\tall',
      '#fields\tt\ti\tc\tin\td\tb\ta\tsn\tp\te\ts\tf\tpat\tv',
      '#types\ttime\tint\tcount\tinterval\tdouble\tbool\taddr\tsubnet\tport\tenum\tstring\tfile\tpattern\tvector[double]',
      '4294967296.5\t-9223372036854775808\t18446744073709551615\t-0.147369\t0.139741\tT\t2001:db8::1\t10.0.0.0/8\t65535\tudp\tx\t/tmp/f\t/^a.*b$/\t1.5,-2.0,nan',
      '2.385616957e+09\t0\t0\t4.294967296e+09\t-1e-7\tF\t1.2.3.4\t2001:db8::/32\t0\ttcp\ty\tz\tw\t(empty)',
    ].join('\n');
    const { batches, diagnostics } = await readAll(zeek, { text });
    expect(diagnostics).toEqual([]);
    expect(typeToString(vastSchema(batches[0].schema).type)).toBe(
      'record{t: time, i: int64, c: uint64, in: duration, d: double, b: bool, a: ip, sn: subnet, p: port, ' +
        'e: enum, s: string, f: string, pat: string, v: list<double>}',
    );
    expect(column(batches, 't')).toEqual([4_294_967_296_500_000_000n, 2_385_616_957_000_000_000n]);
    expect(column(batches, 'i')).toEqual([-(2n ** 63n), 0n]);
    expect(column(batches, 'c')).toEqual([2n ** 64n - 1n, 0n]);
    expect(column(batches, 'in')).toEqual([-147_369_000n, 4_294_967_296_000_000_000n]);
    expect(column(batches, 'd')).toEqual([0.139741, -1e-7]);
    expect(column(batches, 'b')).toEqual([true, false]);
    expect(column(batches, 'a').map(ip)).toEqual(['2001:db8::1', '1.2.3.4']);
    expect(column(batches, 'p')).toEqual([65535, 0]);
    expect(column(batches, 'e')).toEqual(['udp', 'tcp']);
    expect(column(batches, 'pat')).toEqual(['/^a.*b$/', 'w']);
    const v = column(batches, 'v') as number[][];
    expect(v[0].slice(0, 2)).toEqual([1.5, -2]);
    expect(Number.isNaN(v[0][2])).toBe(true);
  });
});

describe('zeek reader: streams of many logs', () => {
  const conn = readFileSync(data('conn.log'));
  const dns = readFileSync(data('dns.log'));
  const http = readFileSync(data('http.log'));
  const joined = Buffer.concat([conn, dns, http]);

  const check = (batches: A.RecordBatch[]) => {
    const counts = new Map<string, number>();
    for (const b of batches) counts.set(schemaName(b), (counts.get(schemaName(b)) ?? 0) + b.numRows);
    expect([...counts]).toEqual([
      ['zeek.conn', 8462],
      ['zeek.dns', 32],
      ['zeek.http', 40],
    ]);
    // A header change flushes: no batch mixes logs, and they come in input order.
    expect(batches.map(schemaName)).toEqual(['zeek.conn', 'zeek.dns', 'zeek.http']);
  };

  test('cat conn.log dns.log http.log', async () => {
    const { batches, diagnostics } = await readAll(zeek, { text: joined });
    expect(diagnostics).toEqual([]);
    check(batches);
  });

  test('the same stream gzip-compressed', async () => {
    const { batches, diagnostics } = await readAll(zeek, { text: gzipSync(joined) });
    expect(diagnostics).toEqual([]);
    check(batches);
  });

  test('#close flushes; a reopened schema continues with the same dictionaries', async () => {
    const small = readFileSync(data('small_conn.log'));
    const closed = Buffer.concat([conn, small, Buffer.from('#close\t2014-05-23-18-02-35\n'), dns]);
    const { batches } = await readAll(zeek, { text: closed });
    expect(batches.map((b) => [schemaName(b), b.numRows])).toEqual([
      ['zeek.conn', 8462],
      ['zeek.conn', 20],
      ['zeek.dns', 32],
    ]);
    const dict = (b: A.RecordBatch) => b.getChild('proto')!.data[0].dictionary;
    expect(dict(batches[1])).toBe(dict(batches[0]));
  });

  test('CRLF line ends and --schema', async () => {
    const crlf = readFileSync(data('small_conn.log'), 'latin1').replaceAll('\n', '\r\n');
    const { batches, diagnostics } = await readAll(zeek, { text: crlf }, { schema: 'my.conn' });
    expect(diagnostics).toEqual([]);
    expect(batches.map(schemaName)).toEqual(['my.conn']);
    const plain = await readAll(zeek, { path: data('small_conn.log') });
    expect(column(batches, 'tunnel_parents')).toEqual(column(plain.batches, 'tunnel_parents'));
    expect(column(batches, 'history')).toEqual(column(plain.batches, 'history'));
  });

  test('a log without #close is flushed at the end of input', async () => {
    const { batches } = await readAll(zeek, { path: data('small_conn.log') });
    expect(batches.map((b) => b.numRows)).toEqual([20]);
  });
});

describeDatasets('zeek reader on every dataset log', () => {
  const files = HAVE_DATASETS ? readdirSync(dataset('zeek')).filter((f) => f.endsWith('.log')) : [];
  test.each(files)('%s', async (file) => {
    const path = dataset('zeek', file);
    const { batches, diagnostics, rows } = await readAll(zeek, { path });
    expect(diagnostics.map(renderDiagnostic)).toEqual([]);
    expect(rows).toBe(Number(sh(`grep -vc '^#' ${path}`)));
    expect(new Set(batches.map(schemaName))).toEqual(
      new Set([`zeek.${sh(`awk -F'\\t' '$1 == "#path" {print $2; exit}' ${path}`)}`]),
    );
  });

  test('wrccdc_ntp.log: \\x00 bytes in ref_id, exponent intervals', async () => {
    const { batches } = await readAll(zeek, { path: dataset('zeek', 'wrccdc_ntp.log') });
    const refIds = column(batches, 'ref_id');
    expect(refIds).toContain('\0\0\0\0');
    expect(column(batches, 'precision')).toContain(4_294_967_296_000_000_000n);
  });

  test('wrccdc_x509.log: dotted names become records, \\\\ is a backslash', async () => {
    const { batches } = await readAll(zeek, { path: dataset('zeek', 'wrccdc_x509.log') });
    const s = vastSchema(batches[0].schema);
    expect(s.type.fields.map((f) => f.name)).toEqual([
      'ts',
      'fingerprint',
      'certificate',
      'san',
      'basic_constraints',
      'host_cert',
      'client_cert',
    ]);
    expect(column(batches, 'certificate.subject').some((v) => String(v).includes('O=VMware\\, Inc'))).toBe(
      true,
    );
    expect(column(batches, 'san.dns')).toContainEqual(['self-repair.mozilla.org']);
  });

  test('wrccdc_notice.log: remote_location record and doubles', async () => {
    const { batches } = await readAll(zeek, { path: dataset('zeek', 'wrccdc_notice.log') });
    expect(column(batches, 'remote_location.latitude').every((v) => v === null)).toBe(true);
    expect(column(batches, 'suppress_for')[0]).toBe(3_600_000_000_000n);
  });
});

describe('zeek reader: bad input', () => {
  const read = (path: string, opts = {}) => readAll(zeek, { path }, opts);
  const where = (d: { location?: { line: number; column: number } }) =>
    `${d.location?.line}:${d.location?.column}`;

  test('a bad port skips its row with a located error', async () => {
    const { diagnostics, rows, batches } = await read(broken('zeek-bad-port.log'));
    expect(diagnostics.map((d) => [d.message, where(d), d.recoverable])).toEqual([
      ["invalid value for field 'id.orig_p' (port): 'abc'", '10:45', true],
    ]);
    expect(rows).toBe(2);
    expect(column(batches, 'uid')).toEqual(['Pii6cUUq1v4', '9VdICMMnxQ7']);
  });

  test('a bad time', async () => {
    const { diagnostics, rows } = await read(broken('zeek-bad-time.log'));
    expect(diagnostics.map((d) => [d.message, where(d)])).toEqual([
      ["invalid value for field 'ts' (time): '1258531680.23x254'", '10:1'],
    ]);
    expect(rows).toBe(2);
  });

  test('wrong numbers of fields', async () => {
    const { diagnostics, rows } = await read(broken('zeek-field-count.log'));
    const lines = readFileSync(broken('zeek-field-count.log'), 'latin1').split('\n');
    // Too few: the column just past the line; too many: the first extra field.
    expect(diagnostics.map((d) => [d.message, where(d)])).toEqual([
      ['expected 20 fields but found 19', `10:${lines[9].length + 1}`],
      ['expected 20 fields but found 21', `11:${lines[10].indexOf('\textra') + 2}`],
    ]);
    expect(rows).toBe(2);
  });

  test('#types disagreeing with #fields', async () => {
    const { diagnostics, rows } = await read(broken('zeek-types-mismatch.log'));
    expect(diagnostics.map((d) => [d.message, where(d)])).toEqual([
      ['#types lists 19 types but #fields lists 20 fields', '8:1'],
      ['skipped 3 data lines because of the header error at line 8', '11:1'],
    ]);
    expect(rows).toBe(0);
  });

  test('a data line before any header', async () => {
    const { diagnostics, rows } = await read(broken('zeek-data-before-header.log'));
    expect(diagnostics.map((d) => [d.message, where(d)])).toEqual([
      ['data line before any #fields/#types header', '1:1'],
    ]);
    expect(rows).toBe(3);
  });

  test('an unknown type', async () => {
    const { diagnostics, rows } = await read(broken('zeek-unknown-type.log'));
    const typesLine = readFileSync(broken('zeek-unknown-type.log'), 'latin1').split('\n')[7];
    expect(diagnostics.map((d) => [d.message, where(d)])).toEqual([
      ["unknown Zeek type 'blob' for field 'tunnel_parents'", `8:${typesLine.indexOf('blob') + 1}`],
      ['skipped 3 data lines because of the header error at line 8', '11:1'],
    ]);
    expect(rows).toBe(0);
  });

  test('invalid UTF-8 in a string field', async () => {
    const { diagnostics, rows } = await read(broken('zeek-invalid-utf8.log'));
    const line = readFileSync(broken('zeek-invalid-utf8.log')).toString('latin1').split('\n')[9];
    expect(diagnostics.map((d) => [d.message, where(d)])).toEqual([
      ["invalid UTF-8 (byte 0xff) in field 'history'", `10:${line.indexOf('\xff') + 1}`],
    ]);
    expect(rows).toBe(2);
  });

  test('a 100 MB line is skipped; rows before and after are read', async () => {
    const head = readFileSync(data('small_conn.log'));
    const lines = head.toString('latin1').split('\n');
    const huge = Buffer.alloc(100 * 1024 * 1024, 'x');
    const input = Buffer.concat([
      Buffer.from(`${lines.slice(0, 10).join('\n')}\n`, 'latin1'),
      huge,
      Buffer.from(`\n${lines.slice(10).join('\n')}`, 'latin1'),
    ]);
    const { diagnostics, rows } = await readAll(zeek, { text: input }, { maxLineBytes: 1024 * 1024 });
    expect(diagnostics.map((d) => [d.message, where(d)])).toEqual([
      [`line too long (${huge.length} bytes, limit ${1024 * 1024})`, '11:1'],
    ]);
    expect(rows).toBe(20);
  }, 120_000);

  test('truncated gzip is a non-recoverable error', async () => {
    const gz = gzipSync(readFileSync(data('conn.log')));
    await expect(readAll(zeek, { text: gz.subarray(0, gz.length - 1000) })).rejects.toThrow(
      /corrupt or truncated gzip input/,
    );
  });

  test('--on-error=fail stops at the first bad row', async () => {
    const err = await read(broken('zeek-bad-port.log'), { onError: 'fail' }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe(
      `error: invalid value for field 'id.orig_p' (port): 'abc'\n --> ${broken('zeek-bad-port.log')}:10:45`,
    );
  });

  test('garbage never crashes or hangs', async () => {
    const samples = [
      '#separator',
      '#separator \n#fields\n#types\nx',
      '#fields\ta\ta\n#types\tcount\tcount\n1\t2',
      '#fields\ta\ta.b\n#types\tcount\tcount\n1\t2',
      '#fields\ta\n#types\tset[set[count]]\n1',
      '#fields\ta\n#types\tvector[count]\n1,x,3\n4,5',
      '\\\\\\x\\xZZ\t\t\t',
      Buffer.from([0xff, 0xfe, 0x0a, 0x23, 0x0a]),
    ];
    for (const text of samples) {
      const { diagnostics } = await readAll(zeek, { text });
      for (const d of diagnostics) expect(d.location?.line).toBeGreaterThan(0);
    }
    const list = await readAll(zeek, { text: '#fields\ta\n#types\tvector[count]\n1,x,3\n4,5' });
    expect(list.diagnostics.map((d) => d.message)).toEqual([
      "invalid value for field 'a' (vector[count]): '1,x,3'",
    ]);
    expect(column(list.batches, 'a')).toEqual([[4n, 5n]]);
  });
});
