/**
 * Every VAST type, arrow-js style: text -> builder -> Arrow -> IPC (zstd) ->
 * Arrow -> value -> text, plus the type mapping itself.
 */
import * as A from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { registerZstd } from '../../../src/store/zstd.js';
import { arrowField, arrowSchema, vastSchema, vastType } from '../../../src/types/arrow.js';
import { makeColumnBuilder } from '../../../src/types/builder.js';
import { formatDuration, formatSecondsFixed, parseDuration } from '../../../src/types/duration.js';
import { formatIP, parseIP } from '../../../src/types/ip.js';
import { parseType } from '../../../src/types/parse-type.js';
import { formatSubnet, parseSubnet, subnetContains } from '../../../src/types/subnet.js';
import { formatTime, parseEpochSeconds, parseIsoTime } from '../../../src/types/time.js';
import { type RecordType, typeToString, type VastType } from '../../../src/types/type.js';
import { type Value, valueAt } from '../../../src/types/values.js';

/** For each type: texts that parse, the value they must read back as, and texts that must be refused. */
const cases: { type: string; good: [string, Value][]; bad: string[] }[] = [
  {
    type: 'bool',
    good: [
      ['T', true],
      ['false', false],
    ],
    bad: ['yes', '1'],
  },
  {
    type: 'int64',
    good: [
      ['-5', -5n],
      ['9223372036854775807', 9223372036854775807n],
    ],
    bad: ['1.5', '9223372036854775808', 'x'],
  },
  {
    type: 'uint64',
    good: [
      ['0', 0n],
      ['18446744073709551615', 18446744073709551615n],
    ],
    bad: ['-1', '18446744073709551616'],
  },
  {
    type: 'double',
    good: [
      ['1.5', 1.5],
      ['-2e3', -2000],
      ['inf', Number.POSITIVE_INFINITY],
    ],
    bad: ['abc', ''],
  },
  {
    type: 'duration',
    good: [
      ['1.5s', 1_500_000_000n],
      ['-3us', -3000n],
      ['2d', 172_800_000_000_000n],
      ['0.163820', 163_820_000n],
    ],
    bad: ['5 parsecs'],
  },
  {
    type: 'time',
    good: [
      ['2009-11-18T08:00:21.486539Z', 1258531221486539000n],
      ['1258531221.486539', 1258531221486539000n],
      ['2009-11-18T09:00:21.486539+0100', 1258531221486539000n],
      ['2020-01-01', 1577836800000000000n],
    ],
    bad: ['2020-13-01', 'yesterday-ish'],
  },
  {
    type: 'string',
    good: [
      ['héllo', 'héllo'],
      ['', ''],
    ],
    bad: [],
  },
  {
    type: 'ip',
    good: [
      ['10.0.0.1', { ip: parseIP('10.0.0.1')! }],
      ['2001:db8::1', { ip: parseIP('2001:db8::1')! }],
    ],
    bad: ['10.0.0.256', '1::2::3', '010.0.0.1'],
  },
  {
    type: 'subnet',
    good: [['10.1.2.3/8', { subnet: parseIP('10.0.0.0')!, length: 104 }]],
    bad: ['10.0.0.0/33', '10.0.0.0'],
  },
  {
    type: 'port',
    good: [
      ['443/tcp', 443],
      ['53', 53],
    ],
    bad: ['65536', 'http'],
  },
  {
    type: 'enum',
    good: [
      ['tcp', 'tcp'],
      ['udp', 'udp'],
      ['tcp', 'tcp'],
    ],
    bad: [],
  },
  {
    type: 'list<ip>',
    good: [
      ['[10.0.0.1, ::1]', [{ ip: parseIP('10.0.0.1')! }, { ip: parseIP('::1')! }]],
      ['[]', []],
    ],
    bad: ['[10.0.0.x]', 'nope'],
  },
];

describe('type mapping', () => {
  it('maps every VAST type to Arrow and back', () => {
    for (const text of [
      ...cases.map((c) => c.type),
      'record{a: ip, b: record{c: list<string>}}',
      'map<string, uint64>',
    ]) {
      const t = parseType(text);
      expect(typeToString(vastType(arrowField('x', t)))).toBe(typeToString(t));
    }
  });

  it('keeps schema name and timestamp through Arrow metadata', () => {
    const type = parseType('record{ts: time, id.orig_h: ip}') as RecordType;
    const s = vastSchema(arrowSchema({ name: 'zeek.conn', type, timestamp: 'ts' }));
    expect(s).toMatchObject({ name: 'zeek.conn', timestamp: 'ts' });
    expect(typeToString(s.type)).toBe('record{ts: time, id: record{orig_h: ip}}');
  });

  it('parses type synonyms and rejects unknown types', () => {
    expect(parseType('count')).toEqual({ kind: 'uint64' });
    expect(parseType('addr')).toEqual({ kind: 'ip' });
    expect(() => parseType('list<foo>')).toThrow(/unknown type 'foo'/);
  });
});

describe('values of every type survive builder -> IPC (zstd) -> reader', () => {
  registerZstd();
  for (const c of cases) {
    it(c.type, () => {
      const t: VastType = parseType(c.type);
      const b = makeColumnBuilder(t);
      for (const [text] of c.good) expect(b.appendText(text), text).toBe(true);
      for (const text of c.bad) expect(b.appendText(text), `refuses '${text}'`).toBe(false);
      b.appendNull();
      const data = b.finish();
      const field = arrowField('v', t);
      const schema = new A.Schema([field]);
      const batch = new A.RecordBatch(
        schema,
        A.makeData({ type: new A.Struct([field]), length: data.length, children: [data] }),
      );
      const bytes = A.tableToIPC(new A.Table([batch]), 'file', A.CompressionType.ZSTD);
      const back = A.tableFromIPC(bytes).batches[0];
      const col = back.data.children[0];
      expect(typeToString(vastType(back.schema.fields[0]))).toBe(typeToString(t));
      c.good.forEach(([, expected], i) => {
        expect(valueAt(col, t, i)).toEqual(expected);
      });
      expect(valueAt(col, t, c.good.length)).toBeNull();
    });
  }
});

describe('value text forms', () => {
  it('prints IPv6 compressed (RFC 5952) and IPv4 dotted', () => {
    expect(formatIP(parseIP('2001:0db8:0000:0000:0000:ff00:0042:8329')!)).toBe('2001:db8::ff00:42:8329');
    expect(formatIP(parseIP('2001:db8:0:0:1:0:0:1')!)).toBe('2001:db8::1:0:0:1');
    expect(formatIP(parseIP('::')!)).toBe('::');
    expect(formatIP(parseIP('::1')!)).toBe('::1');
    expect(formatIP(parseIP('fe80::1%eth0')!)).toBe('fe80::1');
    expect(formatIP(parseIP('192.168.1.102')!)).toBe('192.168.1.102');
    expect(formatIP(parseIP('::ffff:1.2.3.4')!)).toBe('1.2.3.4');
  });

  it('handles subnets on one 128-bit scale', () => {
    const net = parseSubnet('10.0.0.0/8')!;
    expect(formatSubnet(net.address, net.length)).toBe('10.0.0.0/8');
    expect(subnetContains(net, parseIP('10.200.1.1')!)).toBe(true);
    expect(subnetContains(net, parseIP('11.0.0.1')!)).toBe(false);
    const v6 = parseSubnet('2001:db8::/32')!;
    expect(formatSubnet(v6.address, v6.length)).toBe('2001:db8::/32');
    expect(subnetContains(v6, parseIP('2001:db8:1::5')!)).toBe(true);
  });

  it('prints times ISO 8601 with trailing zeros trimmed', () => {
    expect(formatTime(1258531221486539000n)).toBe('2009-11-18T08:00:21.486539Z');
    expect(formatTime(1577836800000000000n)).toBe('2020-01-01T00:00:00Z');
    expect(formatTime(1577836800500000000n)).toBe('2020-01-01T00:00:00.5Z');
    expect(formatTime(-1n)).toBe('1969-12-31T23:59:59.999999999Z');
    expect(parseIsoTime('2020-01-01T10:00:00.5Z')).toBe(1577872800500000000n);
    expect(parseEpochSeconds('-1.5')).toBe(-1_500_000_000n);
  });

  it('prints durations adaptively (as VAST 2) and as fixed seconds', () => {
    expect(formatDuration(1_630_000n)).toBe('1.63ms');
    expect(formatDuration(3_780_000_000n)).toBe('3.78s');
    expect(formatDuration(7_200_000_000_000n)).toBe('2.0h');
    expect(formatDuration(0n)).toBe('0.0ns');
    expect(formatDuration(-1_500_000_000n)).toBe('-1.5s');
    expect(formatDuration(71_400_000_000n)).toBe('1.19m');
    // What VAST prints parses back, to within its two decimals.
    expect(parseDuration(formatDuration(71_400_000_000n))).toBe(71_400_000_000n);
    expect(formatSecondsFixed(163_820_000n)).toBe('0.163820');
    expect(formatSecondsFixed(-147_369_000n)).toBe('-0.147369');
    expect(parseDuration('5min')).toBe(300_000_000_000n);
  });
});
