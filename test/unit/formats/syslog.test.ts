import { execFileSync } from 'node:child_process';
import type * as A from 'apache-arrow';
import { describe, expect, test } from 'vitest';
import { SyslogParser, syslog } from '../../../src/formats/syslog/index.js';
import { loadRegistry } from '../../../src/schemas/registry.js';
import { schemaName, vastSchema } from '../../../src/types/arrow.js';
import { formatTime } from '../../../src/types/time.js';
import { typeToString } from '../../../src/types/type.js';
import { type Value, valueAt } from '../../../src/types/values.js';
import { dataset, describeDatasets } from '../../helpers/datasets.js';
import { readAll, registry } from '../../helpers/read.js';

type Row = Record<string, unknown>;

/** Plain rows for assertions: times as ISO text, maps as objects. */
function rows(batches: A.RecordBatch[], name: string): Row[] {
  const out: Row[] = [];
  for (const b of batches) {
    if (schemaName(b) !== name) continue;
    const s = vastSchema(b.schema);
    for (let i = 0; i < b.numRows; i++) {
      const row: Row = {};
      s.type.fields.forEach((f, k) => {
        row[f.name] = plain(valueAt(b.data.children[k], f.type, i), f.type.kind);
      });
      out.push(row);
    }
  }
  return out;
}

function plain(v: Value, kind: string): unknown {
  if (v === null) return null;
  if (kind === 'time') return formatTime(v as bigint);
  if (kind === 'uint64') return Number(v);
  if (kind === 'map') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v as [string, Value][]) o[k] = Array.isArray(x) ? plain(x, 'map') : x;
    return o;
  }
  return v;
}

const NOW = Date.UTC(2024, 5, 15, 12, 0, 0); // 2024-06-15T12:00:00Z

function parseLines(lines: string[], now = NOW) {
  const p = new SyslogParser({ batchSize: 1000, now: () => now });
  const kinds = lines.map((l, i) => {
    const b = Buffer.from(l);
    return p.parse(b, 0, b.length, false, i + 1);
  });
  const batches = p.flush();
  return {
    kinds,
    batches,
    parser: p,
    r5424: rows(batches, 'syslog.rfc5424'),
    r3164: rows(batches, 'syslog.rfc3164'),
    unknown: rows(batches, 'syslog.unknown'),
  };
}

describe('syslog schemas', () => {
  test('batches carry the schemas of schemas/syslog.yaml, timestamp attribute included', () => {
    const { batches } = parseLines([
      '<34>1 2003-10-11T22:14:15.003Z host app - - - hi',
      'Oct 11 22:14:15 host app: hi',
      'junk',
    ]);
    for (const name of ['syslog.rfc5424', 'syslog.rfc3164', 'syslog.unknown']) {
      const b = batches.find((x) => schemaName(x) === name);
      expect(b, name).toBeDefined();
      expect(typeToString(vastSchema(b!.schema).type)).toBe(typeToString(registry.get(name)!.type));
    }
    expect(registry.get('syslog.rfc5424')!.timestamp).toBe('timestamp');
  });

  test('a schema directory that changes the layout under the parser is refused, naming the column', () => {
    const r = loadRegistry();
    r.loadYaml(
      'schemas:\n  syslog.rfc3164:\n    fields:\n      facility: uint64\n      severity: string\n',
      'user.yaml',
    );
    expect(() => new SyslogParser({ batchSize: 10, schemas: r })).toThrow(
      "schema syslog.rfc3164 does not have the layout its parser writes: column 2 is 'severity: string', expected 'severity: uint64'",
    );
  });
});

describe('RFC 5424', () => {
  test('all header fields, structured data with escapes, a real BOM', () => {
    const { kinds, r5424 } = parseLines([
      '<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - [a@1 x="q\\"uote" y="back\\\\slash" z="br\\]acket" w="keep\\n"][b@2] \uFEFFhello world',
    ]);
    expect(kinds).toEqual(['rfc5424']);
    expect(r5424).toEqual([
      {
        facility: 20,
        severity: 5,
        version: 1,
        timestamp: '2003-08-24T12:14:15.000003Z',
        hostname: '192.0.2.1',
        app_name: 'myproc',
        process_id: '8710',
        message_id: null,
        structured_data: { 'a@1': { x: 'q"uote', y: 'back\\slash', z: 'br]acket', w: 'keep\\n' }, 'b@2': {} },
        message: 'hello world',
      },
    ]);
  });

  test('NILVALUEs, no MSG, an empty MSG, leading spaces kept', () => {
    const { r5424 } = parseLines(['<0>1 - - - - - -', '<0>1 - - - - - - ', '<191>12 - h a p m -   x ']);
    expect(
      r5424.map((r) => [
        r.facility,
        r.severity,
        r.version,
        r.timestamp,
        r.hostname,
        r.structured_data,
        r.message,
      ]),
    ).toEqual([
      [0, 0, 1, null, null, null, null],
      [0, 0, 1, null, null, null, ''],
      [23, 7, 12, null, 'h', null, '  x '],
    ]);
  });

  test('a broken header or structured data is syslog.unknown, not a guess', () => {
    const lines = [
      '<34>1 2003-10-11T22:14:15.003Z host app', // fields missing
      '<34>1 not-a-time host app - - - msg',
      '<34>1 - host app - - [sd x="unterminated] msg',
      '<34>1 - host app - - [sd x=unquoted] msg',
      '<34>1 - host app - - [sd]trailing',
      '<192>1 - host app - - - bad PRI',
    ];
    const { kinds, unknown, parser } = parseLines(lines);
    expect(kinds).toEqual(lines.map(() => 'unknown'));
    expect(unknown.map((r) => r.syslog_message)).toEqual(lines);
    expect(parser.unknown).toBe(6);
    expect(parser.firstUnknown).toBe(1);
  });
});

describe('RFC 3164', () => {
  test('PRI, BSD timestamp, host, tag[pid]', () => {
    const { kinds, r3164 } = parseLines([
      '<13>Jun  3 04:05:06 myhost sshd[1234]: Accepted publickey for root',
      '<86>Dec 31 23:59:59 gw kernel: [  12.3] eth0: link up',
      'Mar 14 01:02:03 box postfix/smtpd[77]: connect from x',
      '<13>Jun  3 04:05:06 myhost CEF:0|Vendor|Product|1|100|name|5|src=1.2.3.4',
      '<13>Jun  3 04:05:06 sshd[99]: no host here',
      '<13>Mar  1 2023 10:00:00 cisco %LINK-3-UPDOWN: Interface up',
      '<30>2024-06-01T10:11:12.123456+02:00 host2 app: iso',
      '2003-10-11T22:14:15.003Z mymachineexamplecom evntslog - ID47 x',
    ]);
    expect(kinds).toEqual(Array(8).fill('rfc3164'));
    expect(r3164).toEqual([
      {
        facility: 1,
        severity: 5,
        timestamp: '2024-06-03T04:05:06Z',
        hostname: 'myhost',
        app_name: 'sshd',
        process_id: '1234',
        message: 'Accepted publickey for root',
      },
      // December is in the future on 2024-06-15: last year.
      {
        facility: 10,
        severity: 6,
        timestamp: '2023-12-31T23:59:59Z',
        hostname: 'gw',
        app_name: 'kernel',
        process_id: null,
        message: '[  12.3] eth0: link up',
      },
      {
        facility: null,
        severity: null,
        timestamp: '2024-03-14T01:02:03Z',
        hostname: 'box',
        app_name: 'postfix/smtpd',
        process_id: '77',
        message: 'connect from x',
      },
      {
        facility: 1,
        severity: 5,
        timestamp: '2024-06-03T04:05:06Z',
        hostname: 'myhost',
        app_name: null,
        process_id: null,
        message: 'CEF:0|Vendor|Product|1|100|name|5|src=1.2.3.4',
      },
      {
        facility: 1,
        severity: 5,
        timestamp: '2024-06-03T04:05:06Z',
        hostname: null,
        app_name: 'sshd',
        process_id: '99',
        message: 'no host here',
      },
      {
        facility: 1,
        severity: 5,
        timestamp: '2023-03-01T10:00:00Z',
        hostname: 'cisco',
        app_name: null,
        process_id: null,
        message: '%LINK-3-UPDOWN: Interface up',
      },
      {
        facility: 3,
        severity: 6,
        timestamp: '2024-06-01T08:11:12.123456Z',
        hostname: 'host2',
        app_name: 'app',
        process_id: null,
        message: 'iso',
      },
      {
        facility: null,
        severity: null,
        timestamp: '2003-10-11T22:14:15.003Z',
        hostname: 'mymachineexamplecom',
        app_name: null,
        process_id: null,
        message: 'evntslog - ID47 x',
      },
    ]);
  });

  test('not a timestamp, not a date: syslog.unknown', () => {
    const { kinds } = parseLines([
      'hello world',
      '<13>Foo  3 04:05:06 h a: m',
      'Feb 30 04:05:06 h a: m',
      'Jun 3 4:05:06 h a: m',
    ]);
    expect(kinds).toEqual(['unknown', 'unknown', 'unknown', 'unknown']);
  });

  test('invalid UTF-8 is replaced, not dropped', () => {
    const p = new SyslogParser({ batchSize: 10, now: () => NOW });
    const b = Buffer.concat([Buffer.from('<13>Jun  3 04:05:06 h a: caf'), Buffer.from([0xe9, 0x21])]);
    expect(p.parse(b, 0, b.length)).toBe('rfc3164');
    expect(rows(p.flush(), 'syslog.rfc3164')[0].message).toBe('caf\uFFFD!');
  });
});

describe('syslog reader', () => {
  test('batches per schema, blank lines skipped, one warning for unknown lines', async () => {
    const text =
      '<13>1 - h a - - - one\n\n<13>Jun  3 04:05:06 h a: two\r\nnot syslog\nnor this\n<13>1 - h a - - - three';
    const { batches, diagnostics, rows: n } = await readAll(syslog, { text, file: 'x.log' });
    expect(n).toBe(5);
    expect(rows(batches, 'syslog.rfc5424').map((r) => r.message)).toEqual(['one', 'three']);
    expect(rows(batches, 'syslog.rfc3164').map((r) => r.message)).toEqual(['two']);
    expect(diagnostics).toEqual([
      expect.objectContaining({
        severity: 'warning',
        message: '2 lines are neither RFC 5424 nor RFC 3164 syslog; kept as syslog.unknown',
        location: { source: 'x.log', line: 4, column: 1 },
      }),
    ]);
  });

  test('detect', () => {
    const d = (s: string) => syslog.detect!(Buffer.from(s));
    expect(d('<34>1 2003-10-11T22:14:15.003Z h')).toBe(true);
    expect(d('<13>Jun  3 04:05:06 h a: m')).toBe(true);
    expect(d('<13>2024-06-01T10:11:12Z h')).toBe(true);
    expect(d('{"a": 1}')).toBe(false);
    expect(d('#separator \\x09')).toBe(false);
  });
});

describeDatasets('syslog datasets', () => {
  /** `grep -c .`: the non-empty lines of a file. */
  const lines = (path: string) =>
    Number(execFileSync('grep', ['-c', '.', path], { encoding: 'utf8' }).trim());

  test('other/syslog-test.txt: the RFC 5424 examples', async () => {
    const path = dataset('other', 'syslog-test.txt');
    const { batches, diagnostics, rows: n } = await readAll(syslog, { path });
    expect(diagnostics).toEqual([]);
    expect(n).toBe(lines(path));
    expect(n).toBe(5);
    const r = rows(batches, 'syslog.rfc5424');
    expect(r.map((x) => x.version)).toEqual([1, 2, 3, 4, 5]);
    expect(r[0]).toEqual({
      facility: 4,
      severity: 2,
      version: 1,
      timestamp: '2003-10-11T22:14:15.003Z',
      hostname: 'mymachineexamplecom',
      app_name: 'su',
      process_id: 'asd',
      message_id: 'ID47',
      structured_data: { 'exampleSDID@32473': { iut: '3', eventSource: 'App]lication', eventID: '1011' } },
      // The RFC writes the BOM as the letters "BOM"; this file has the letters, not the bytes.
      message: "BOM'su root' failed for lonvick on /dev/pts/8",
    });
    expect(r[1]).toMatchObject({
      process_id: null,
      structured_data: null,
      message: "BOM'su root' failed for lonvick on /dev/pts/8",
    });
    expect(r[2]).toEqual({
      facility: 20,
      severity: 5,
      version: 3,
      timestamp: null,
      hostname: '192.0.2.1',
      app_name: 'myproc',
      process_id: '8710',
      message_id: null,
      structured_data: null,
      message: "%% It's time to make the do-nuts.",
    });
    expect(r[3].structured_data).toEqual({
      'exampleSDID@32473': { iut: '4', eventSource: 'Applic"ation', eventID: '1011' },
    });
    expect(r[3].message).toBe('BOMAn application event log entry...');
    expect(r[4]).toMatchObject({
      app_name: 'evntslog',
      message_id: 'ID47',
      structured_data: {
        'exampleSDID@32473': { iut: '5', eventSource: 'Applic\\ation', eventID: '1011' },
        'examplePriority@32473': { class: 'high' },
      },
      message: null,
    });
  });

  test('other/vast-int_syslog.log: VAST integration data', async () => {
    const path = dataset('other', 'vast-int_syslog.log');
    const { batches, diagnostics, rows: n } = await readAll(syslog, { path });
    expect(diagnostics).toEqual([]);
    expect(n).toBe(lines(path));
    expect(n).toBe(13);
    const r = rows(batches, 'syslog.rfc5424');
    expect(r).toHaveLength(12);
    expect(r.slice(0, 5).map((x) => x.version)).toEqual([8, 8, 8, 8, 8]);
    expect(r[5]).toEqual({
      facility: 5,
      severity: 6,
      version: 1,
      timestamp: '2020-03-02T18:37:57.819303Z',
      hostname: 'parallels-Parallels-Virtual-Platform',
      app_name: 'rsyslogd',
      process_id: null,
      message_id: null,
      structured_data: null,
      message:
        '  [origin software="rsyslogd" swVersion="8.32.0" x-pid="20134" x-info="http://www.rsyslog.com"] start',
    });
    expect(r[6]).toMatchObject({ facility: 10, severity: 5, app_name: 'polkitd(authority=local)' });
    expect(
      r.slice(7).map((x) => [x.facility, x.severity, x.timestamp, x.app_name, x.process_id, x.message]),
    ).toEqual([
      [
        4,
        6,
        '2020-03-02T18:44:45.378136Z',
        'PackageKit',
        null,
        ' uid 1000 obtained auth for org.freedesktop.packagekit.package-remove',
      ],
      [3, 6, '2020-03-02T18:44:46.396975Z', 'packagekitd', '1370', ' PARENT process running...'],
      [1, 4, '2020-03-02T18:44:47.389392Z', 'gnome-software', '2156', ' no mapping for commit'],
      [3, 6, '2020-03-02T18:44:50.224836Z', 'packagekitd', '1370', ' Parent finished...'],
      [
        3,
        7,
        '2020-03-02T18:44:50.24015Z',
        'PackageKit',
        null,
        ' in /59_ceedcdaa for remove-packages package aisleriot;1:3.22.5-1;amd64;installed:ubuntu-bionic-main was removing for uid 1000',
      ],
    ]);
    // The one line without PRI has an RFC 3339 time and a host: rsyslog's file format.
    expect(rows(batches, 'syslog.rfc3164')).toEqual([
      {
        facility: null,
        severity: null,
        timestamp: '2003-10-11T22:14:15.003Z',
        hostname: 'mymachineexamplecom',
        app_name: null,
        process_id: null,
        message:
          'evntslog - ID47 [exampleSDID@32473 iut="5" eventSource="Applic\\\\ation" eventID="1011"][examplePriority@32473 class="high"]',
      },
    ]);
  });

  test('other/tenzir-library_checkpoint-syslog-kv-message.log: RFC 5424 with a key=value body', async () => {
    const path = dataset('other', 'tenzir-library_checkpoint-syslog-kv-message.log');
    const { batches, diagnostics, rows: n } = await readAll(syslog, { path });
    expect(diagnostics).toEqual([]);
    expect(n).toBe(lines(path));
    expect(n).toBe(1);
    const [r] = rows(batches, 'syslog.rfc5424');
    expect(r).toMatchObject({
      facility: 1,
      severity: 5,
      version: 1,
      timestamp: '2023-06-05T19:28:16Z',
      hostname: '1.1.164.22',
      app_name: 'CheckPoint',
      process_id: '20564',
      message_id: null,
      structured_data: null,
    });
    expect(r.message).toMatch(/^time=1685993296\|hostname=MIDRBNCPMLM01\|product=Firewall\|action=Drop\|/);
  });
});
