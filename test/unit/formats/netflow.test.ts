import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as A from 'apache-arrow';
import { describe, expect, test } from 'vitest';
import type { Diagnostic } from '../../../src/diagnostics.js';
import { NetflowDecoder, netflow, netflowSchema } from '../../../src/formats/netflow/index.js';
import { loadRegistry } from '../../../src/schemas/registry.js';
import { schemaName, vastSchema } from '../../../src/types/arrow.js';
import { formatIP } from '../../../src/types/ip.js';
import { formatTime } from '../../../src/types/time.js';
import { typeToString } from '../../../src/types/type.js';
import { valueAt } from '../../../src/types/values.js';
import { ROOT } from '../../helpers/datasets.js';
import { readAll, registry } from '../../helpers/read.js';

// --- Packets, byte by byte ---------------------------------------------------

/** A big-endian packet writer. */
class P {
  readonly b: number[] = [];
  u8(...v: number[]): this {
    for (const x of v) this.b.push(x & 0xff);
    return this;
  }
  u16(...v: number[]): this {
    for (const x of v) this.b.push((x >> 8) & 0xff, x & 0xff);
    return this;
  }
  u32(...v: number[]): this {
    for (const x of v) this.b.push((x >>> 24) & 0xff, (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff);
    return this;
  }
  u64(v: number): this {
    return this.u32(Math.floor(v / 2 ** 32), v % 2 ** 32);
  }
  ip4(s: string): this {
    return this.u8(...s.split('.').map(Number));
  }
  ip6(s: string): this {
    const [head, tail = ''] = s.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    return this.u16(...groups.map((g) => Number.parseInt(g, 16)));
  }
  bytes(v: Iterable<number>): this {
    for (const x of v) this.b.push(x);
    return this;
  }
  /** Appends a set/flowset: id, length (computed unless given), body. */
  set(id: number, body: P, length?: number): this {
    return this.u16(id, length ?? body.b.length + 4).bytes(body.b);
  }
  get length(): number {
    return this.b.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.b);
  }
}

const EXPORT_SECS = 1_700_000_000; // 2023-11-14T22:13:20Z

function v5Packet(
  records: P[],
  opts: { uptime?: number; nsecs?: number; sequence?: number } = {},
): Uint8Array {
  const p = new P()
    .u16(5, records.length)
    .u32(opts.uptime ?? 100_000, EXPORT_SECS, opts.nsecs ?? 500_000_000, opts.sequence ?? 77)
    .u8(1, 2)
    .u16(0x4000 | 100); // sampling mode 1, interval 100
  for (const r of records) p.bytes(r.b);
  return p.done();
}

function v5Record(o: {
  src: string;
  dst: string;
  first: number;
  last: number;
  proto?: number;
  sport?: number;
  dport?: number;
}): P {
  return new P()
    .ip4(o.src)
    .ip4(o.dst)
    .ip4('10.0.0.254')
    .u16(3, 4)
    .u32(10, 1500, o.first, o.last)
    .u16(o.sport ?? 1234, o.dport ?? 80)
    .u8(0, 0x1b, o.proto ?? 6, 0x10)
    .u16(64512, 65000)
    .u8(24, 16)
    .u16(0);
}

function v9Header(count: number, sequence: number, sourceId: number, uptime = 100_000): P {
  return new P().u16(9, count).u32(uptime, EXPORT_SECS, sequence, sourceId);
}

function ipfixMessage(sets: P, domain = 7, sequence = 1): Uint8Array {
  return new P()
    .u16(10, 16 + sets.length)
    .u32(EXPORT_SECS, sequence, domain)
    .bytes(sets.b)
    .done();
}

// --- Reading results -----------------------------------------------------------

type Row = Record<string, unknown>;

function rows(batches: A.RecordBatch[]): Row[] {
  const out: Row[] = [];
  for (const b of batches) {
    expect(schemaName(b)).toBe('netflow.flow');
    const s = vastSchema(b.schema);
    for (let i = 0; i < b.numRows; i++) {
      const row: Row = {};
      s.type.fields.forEach((f, k) => {
        const v = valueAt(b.data.children[k], f.type, i);
        if (v === null) return; // only set fields, to keep expectations short
        if (f.type.kind === 'time') row[f.name] = formatTime(v as bigint);
        else if (f.type.kind === 'ip') row[f.name] = formatIP((v as { ip: Uint8Array }).ip);
        else if (f.type.kind === 'uint64') row[f.name] = Number(v);
        else row[f.name] = v;
      });
      out.push(row);
    }
  }
  return out;
}

function decoder() {
  const diagnostics: Diagnostic[] = [];
  const d = new NetflowDecoder({ report: (x) => diagnostics.push(x) });
  return { d, diagnostics, rows: () => rows(d.flush()) };
}

const EXPORTER = '192.0.2.9:40000';

describe('netflow.flow schema', () => {
  test('the decoder builds the schema of schemas/netflow.yaml', () => {
    const y = registry.get('netflow.flow');
    expect(y).toBeDefined();
    expect(typeToString(netflowSchema().type)).toBe(typeToString(y!.type));
    expect(netflowSchema().timestamp).toBe('flow_start');
  });

  test('a schema that moves a column under the decoder is refused, naming it', () => {
    const r = loadRegistry();
    r.loadYaml(
      'schemas:\n  netflow.flow:\n    fields:\n      exporter: ip\n      version: uint64\n',
      'user.yaml',
    );
    expect(() => new NetflowDecoder({ schemas: r })).toThrow(
      "schema netflow.flow does not have the layout its parser writes: column 1 is 'exporter: ip', expected 'version: uint64'",
    );
  });
});

describe('NetFlow v5', () => {
  test('header and records, times from sys_uptime and unix_secs/nsecs', () => {
    const { d, diagnostics, rows: r } = decoder();
    d.decode(
      v5Packet([v5Record({ src: '10.1.1.1', dst: '10.2.2.2', first: 40_000, last: 99_999 })]),
      EXPORTER,
    );
    // first lies before a wrap of sys_uptime: 0xffffff00 is 1256 ms before uptime 1000
    const wrapped = v5Packet(
      [
        v5Record({
          src: '10.1.1.3',
          dst: '8.8.8.8',
          first: 0xffffff00,
          last: 1000,
          proto: 1,
          sport: 0,
          dport: 0x0303,
        }),
      ],
      { uptime: 1000 },
    );
    d.decode(wrapped, EXPORTER);
    expect(diagnostics).toEqual([]);
    const common = {
      version: 5,
      exporter: '192.0.2.9',
      sequence: 77,
      next_hop: '10.0.0.254',
      input_if: 3,
      output_if: 4,
      packets: 10,
      octets: 1500,
      tcp_flags: 0x1b,
      tos: 0x10,
      src_as: 64512,
      dst_as: 65000,
      src_mask: 24,
      dst_mask: 16,
      engine_type: 1,
      engine_id: 2,
      sampling_interval: 100,
    };
    expect(r()).toEqual([
      {
        ...common,
        flow_start: '2023-11-14T22:12:20.5Z',
        flow_end: '2023-11-14T22:13:20.499Z',
        src_addr: '10.1.1.1',
        dst_addr: '10.2.2.2',
        src_port: 1234,
        dst_port: 80,
        protocol: 6,
      },
      {
        ...common,
        flow_start: '2023-11-14T22:13:19.244Z',
        flow_end: '2023-11-14T22:13:20.5Z',
        src_addr: '10.1.1.3',
        dst_addr: '8.8.8.8',
        src_port: 0,
        dst_port: 0x0303,
        protocol: 1,
        icmp_type: 3,
        icmp_code: 3,
      },
    ]);
    expect(d.stats).toEqual({ packets: 2, flows: 2, errors: 0, missingTemplate: 0, optionsRecords: 0 });
  });

  test('a truncated packet is an error naming exporter and offset; no flows from it', () => {
    const { d, diagnostics, rows: r } = decoder();
    const p = v5Packet([
      v5Record({ src: '10.1.1.1', dst: '10.2.2.2', first: 1, last: 2 }),
      v5Record({ src: '10.1.1.1', dst: '10.2.2.2', first: 1, last: 2 }),
    ]);
    d.decode(p.slice(0, p.length - 1), EXPORTER);
    d.decode(p.slice(0, 10), EXPORTER);
    expect(r()).toEqual([]);
    expect(diagnostics).toEqual([
      {
        severity: 'error',
        message: 'truncated NetFlow v5 packet: 2 records need 120 bytes, the packet has 119',
        notes: [`packet 1 from exporter ${EXPORTER}, byte offset 119`, 'the packet was skipped'],
        recoverable: true,
      },
      expect.objectContaining({ message: 'truncated NetFlow v5 header (10 of 24 bytes)' }),
    ]);
    expect(d.stats.errors).toBe(2);
  });
});

/** The v9 template softflowd sends for IPv4 flows, shortened. */
function v9Template(id: number): P {
  return new P().u16(id, 10).u16(8, 4, 12, 4, 22, 4, 21, 4, 1, 4, 2, 4, 7, 2, 11, 2, 4, 1, 6, 1);
}

function v9Data(o: {
  src: string;
  dst: string;
  first: number;
  last: number;
  octets: number;
  packets: number;
}): P {
  return new P().ip4(o.src).ip4(o.dst).u32(o.first, o.last, o.octets, o.packets).u16(5353, 53).u8(17, 0);
}

describe('NetFlow v9', () => {
  test('template flowset, then data in the same and in a later packet', () => {
    const { d, diagnostics, rows: r } = decoder();
    const data1 = v9Data({
      src: '10.0.0.1',
      dst: '10.0.0.2',
      first: 40_000,
      last: 90_000,
      octets: 100,
      packets: 2,
    });
    d.decode(
      v9Header(2, 1, 42)
        .set(0, v9Template(300))
        // two records and two bytes of padding
        .set(300, new P().bytes(data1.b).bytes(data1.b).u16(0))
        .done(),
      EXPORTER,
    );
    d.decode(
      v9Header(1, 2, 42, 200_000)
        .set(
          300,
          v9Data({
            src: '10.0.0.3',
            dst: '10.0.0.4',
            first: 150_000,
            last: 200_000,
            octets: 2 ** 32 - 1,
            packets: 1,
          }),
        )
        .done(),
      EXPORTER,
    );
    expect(diagnostics).toEqual([]);
    const v9 = {
      version: 9,
      exporter: '192.0.2.9',
      observation_domain: 42,
      template_id: 300,
      src_port: 5353,
      dst_port: 53,
      protocol: 17,
      tcp_flags: 0,
    };
    const first = {
      ...v9,
      sequence: 1,
      flow_start: '2023-11-14T22:12:20Z',
      flow_end: '2023-11-14T22:13:10Z',
      src_addr: '10.0.0.1',
      dst_addr: '10.0.0.2',
      octets: 100,
      packets: 2,
    };
    expect(r()).toEqual([
      first,
      first,
      {
        ...v9,
        sequence: 2,
        flow_start: '2023-11-14T22:12:30Z',
        flow_end: '2023-11-14T22:13:20Z',
        src_addr: '10.0.0.3',
        dst_addr: '10.0.0.4',
        octets: 2 ** 32 - 1,
        packets: 1,
      },
    ]);
  });

  test('templates belong to one exporter and source ID; data without one is dropped with one warning', () => {
    const { d, diagnostics, rows: r } = decoder();
    d.decode(v9Header(1, 1, 42).set(0, v9Template(300)).done(), EXPORTER);
    const data = v9Data({ src: '10.0.0.1', dst: '10.0.0.2', first: 1, last: 2, octets: 3, packets: 4 });
    d.decode(v9Header(1, 2, 43).set(300, data).done(), EXPORTER); // other source ID
    d.decode(v9Header(1, 3, 42).set(300, data).done(), '192.0.2.10:40000'); // other exporter
    d.decode(v9Header(1, 4, 42).set(300, data).done(), '192.0.2.10:40000');
    expect(r()).toEqual([]);
    expect(d.stats.missingTemplate).toBe(3);
    expect(diagnostics.map((x) => [x.severity, x.message, x.notes?.[0]])).toEqual([
      [
        'warning',
        'data for unknown template 300 (observation domain 43): dropped until the exporter sends the template',
        `packet 2 from exporter ${EXPORTER}, byte offset 20`,
      ],
      [
        'warning',
        'data for unknown template 300 (observation domain 42): dropped until the exporter sends the template',
        'packet 3 from exporter 192.0.2.10:40000, byte offset 20',
      ],
    ]);
  });

  test('options template and options data: counted, not flows; IPv6 template', () => {
    const { d, diagnostics, rows: r } = decoder();
    const options = new P()
      .u16(256, 4, 12) // template 256, scope length 4, option length 12
      .u16(2, 4) // scope: interface
      .u16(34, 4, 35, 1, 82, 7) // sampling interval, algorithm, interface name
      .u16(0); // padding
    const optionsData = new P().u32(0, 1).u8(1).bytes(Buffer.from('eth0\0\0\0')).u8(0, 0, 0, 0);
    const v6 = new P().u16(2048, 6).u16(27, 16, 28, 16, 22, 4, 21, 4, 2, 4, 139, 2);
    const v6data = new P().ip6('2001:db8::1').ip6('ff02::1:2').u32(99_000, 99_500, 1).u16(0x8700);
    d.decode(
      v9Header(4, 9, 0).set(1, options).set(256, optionsData).set(0, v6).set(2048, v6data).done(),
      EXPORTER,
    );
    expect(diagnostics).toEqual([]);
    expect(d.stats.optionsRecords).toBe(1);
    expect(r()).toEqual([
      {
        version: 9,
        exporter: '192.0.2.9',
        observation_domain: 0,
        sequence: 9,
        template_id: 2048,
        src_addr: '2001:db8::1',
        dst_addr: 'ff02::1:2',
        flow_start: '2023-11-14T22:13:19Z',
        flow_end: '2023-11-14T22:13:19.5Z',
        packets: 1,
        icmp_type: 135,
        icmp_code: 0,
      },
    ]);
  });

  test('broken flowsets: zero length, past the packet, a template without fields, a field of length 0', () => {
    const { d, diagnostics, rows: r } = decoder();
    const good = v9Data({ src: '10.0.0.1', dst: '10.0.0.2', first: 1, last: 2, octets: 3, packets: 4 });
    // A valid template and data, then a flowset of length 0: the whole packet goes, the template stays.
    d.decode(v9Header(3, 1, 0).set(0, v9Template(300)).set(300, good).u16(300, 0).done(), EXPORTER);
    d.decode(v9Header(1, 2, 0).set(300, good, 200).done(), EXPORTER);
    d.decode(v9Header(1, 3, 0).set(0, new P().u16(301, 0)).done(), EXPORTER);
    d.decode(
      v9Header(1, 4, 0)
        .set(0, new P().u16(302, 1, 8, 0))
        .done(),
      EXPORTER,
    );
    d.decode(
      v9Header(1, 5, 0)
        .set(0, new P().u16(303, 3, 8, 4))
        .done(),
      EXPORTER,
    );
    d.decode(v9Header(1, 6, 0).set(300, good).done(), EXPORTER); // still decodes
    expect(diagnostics.map((x) => [x.message, x.notes?.[0]])).toEqual([
      [
        'invalid set length 0 (set ID 300; the message has 106 bytes)',
        `packet 1 from exporter ${EXPORTER}, byte offset 102`,
      ],
      [
        'invalid set length 200 (set ID 300; the message has 54 bytes)',
        `packet 2 from exporter ${EXPORTER}, byte offset 20`,
      ],
      ['template 301 has no fields', `packet 3 from exporter ${EXPORTER}, byte offset 24`],
      [
        'template 302: field 1 (element 8) has length 0',
        `packet 4 from exporter ${EXPORTER}, byte offset 24`,
      ],
      [
        'template 303 (3 fields) runs past the end of its flowset',
        `packet 5 from exporter ${EXPORTER}, byte offset 24`,
      ],
    ]);
    expect(r().map((x) => x.sequence)).toEqual([6]);
    expect(d.stats).toMatchObject({ packets: 6, flows: 1, errors: 5 });
  });
});

describe('IPFIX', () => {
  /** Template 400: IPv4 5-tuple, reduced-size octets, ms times, a variable-length name, an enterprise element. */
  const template = new P()
    .u16(400, 11)
    .u16(8, 4, 12, 4, 7, 2, 11, 2, 4, 1)
    .u16(1, 4) // octetDeltaCount in 4 bytes instead of 8
    .u16(2, 8)
    .u16(152, 8, 153, 8)
    .u16(82, 65535) // interfaceName, variable length
    .u16(0x8000 | 1, 4)
    .u32(29305); // reverseOctetDeltaCount (RFC 5103): skipped

  const record = (src: string, name: number[]) =>
    new P()
      .ip4(src)
      .ip4('192.168.0.1')
      .u16(443, 51000)
      .u8(6)
      .u32(123456)
      .u64(2 ** 40 + 5)
      .u64(1_700_000_000_123)
      .u64(1_700_000_060_456)
      .bytes(name)
      .u32(999);

  test('template set, then data with variable-length fields in both length forms', () => {
    const { d, diagnostics, rows: r } = decoder();
    const long = [255, 0x01, 0x2c, ...Array(300).fill(0x61)]; // 300 bytes, 3-byte length prefix
    d.decode(
      ipfixMessage(
        new P()
          .set(2, template)
          .set(
            400,
            new P().bytes(record('10.9.9.1', [3, 0x65, 0x74, 0x68]).b).bytes(record('10.9.9.2', long).b),
          ),
      ),
      EXPORTER,
    );
    expect(diagnostics).toEqual([]);
    const common = {
      version: 10,
      exporter: '192.0.2.9',
      observation_domain: 7,
      sequence: 1,
      template_id: 400,
      dst_addr: '192.168.0.1',
      src_port: 443,
      dst_port: 51000,
      protocol: 6,
      octets: 123456,
      packets: 2 ** 40 + 5,
      flow_start: '2023-11-14T22:13:20.123Z',
      flow_end: '2023-11-14T22:14:20.456Z',
    };
    expect(r()).toEqual([
      { ...common, src_addr: '10.9.9.1' },
      { ...common, src_addr: '10.9.9.2' },
    ]);
  });

  test('options template with systemInitTimeMilliseconds anchors flowStart/EndSysUpTime (softflowd)', () => {
    const { d, diagnostics, rows: r } = decoder();
    const options = new P().u16(256, 3, 1).u16(143, 4).u16(160, 8).u16(82, 4); // meteringProcessId scope
    const optionsData = new P().u32(1).u64(1_600_000_000_000).bytes(Buffer.from('eth0'));
    const flows = new P().u16(1024, 4).u16(27, 16, 28, 16, 22, 4, 21, 4);
    const data = new P().ip6('2001:db8::a').ip6('2001:db8::b').u32(1500, 2500);
    d.decode(
      ipfixMessage(new P().set(3, options).set(256, optionsData).set(2, flows).set(1024, data)),
      EXPORTER,
    );
    // sysUpTime times without a known init time stay null.
    d.decode(ipfixMessage(new P().set(2, flows).set(1024, data), 8), EXPORTER);
    expect(diagnostics).toEqual([]);
    expect(d.stats.optionsRecords).toBe(1);
    expect(r()).toEqual([
      {
        version: 10,
        exporter: '192.0.2.9',
        observation_domain: 7,
        sequence: 1,
        template_id: 1024,
        src_addr: '2001:db8::a',
        dst_addr: '2001:db8::b',
        flow_start: '2020-09-13T12:26:41.5Z',
        flow_end: '2020-09-13T12:26:42.5Z',
      },
      {
        version: 10,
        exporter: '192.0.2.9',
        observation_domain: 8,
        sequence: 1,
        template_id: 1024,
        src_addr: '2001:db8::a',
        dst_addr: '2001:db8::b',
      },
    ]);
  });

  test('NTP microsecond and delta times, ICMP type/code, MAC addresses, total counters as fallback', () => {
    const { d, rows: r } = decoder();
    const t = new P().u16(500, 8).u16(154, 8, 159, 4, 176, 1, 177, 1, 56, 6, 80, 6, 85, 8, 86, 4);
    // 2023-11-14T22:13:20.25Z in NTP: seconds since 1900, and 0.25 as a 32-bit fraction.
    const data = new P()
      .u32(EXPORT_SECS + 2208988800, 2 ** 30)
      .u32(1_500_000) // ended 1.5 s before the export time
      .u8(8, 0)
      .u8(0x00, 0x1b, 0x21, 0xaa, 0xbb, 0x0c)
      .u8(0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
      .u64(5000)
      .u32(7);
    d.decode(ipfixMessage(new P().set(2, t).set(500, data)), EXPORTER);
    expect(r()).toEqual([
      {
        version: 10,
        exporter: '192.0.2.9',
        observation_domain: 7,
        sequence: 1,
        template_id: 500,
        flow_start: '2023-11-14T22:13:20.25Z',
        flow_end: '2023-11-14T22:13:18.5Z',
        icmp_type: 8,
        icmp_code: 0,
        src_mac: '00:1b:21:aa:bb:0c',
        dst_mac: 'ff:ff:ff:ff:ff:ff',
        octets: 5000,
        packets: 7,
      },
    ]);
  });

  test('template withdrawal, one and all', () => {
    const { d, diagnostics } = decoder();
    const t = (id: number) => new P().u16(id, 1, 8, 4);
    const data = (id: number) => new P().set(id, new P().ip4('1.2.3.4'));
    d.decode(ipfixMessage(new P().set(2, new P().bytes(t(600).b).bytes(t(601).b).bytes(t(602).b))), EXPORTER);
    d.decode(
      ipfixMessage(new P().set(2, new P().u16(600, 0)).bytes(data(600).b).bytes(data(601).b)),
      EXPORTER,
    );
    d.decode(ipfixMessage(new P().set(2, new P().u16(2, 0)).bytes(data(601).b).bytes(data(602).b)), EXPORTER);
    expect(d.flush().reduce((n, b) => n + b.numRows, 0)).toBe(1);
    expect(diagnostics.map((x) => x.message)).toEqual([
      'data for unknown template 600 (observation domain 7): dropped until the exporter sends the template',
      'data for unknown template 601 (observation domain 7): dropped until the exporter sends the template',
      'data for unknown template 602 (observation domain 7): dropped until the exporter sends the template',
    ]);
  });

  test('broken messages: length past the packet, a set past the message, a record past its set, bad versions', () => {
    const { d, diagnostics, rows: r } = decoder();
    const t = new P().u16(700, 2).u16(8, 4, 82, 65535);
    d.decode(ipfixMessage(new P().set(2, t)), EXPORTER);
    const ok = ipfixMessage(new P().set(700, new P().ip4('1.1.1.1').u8(0)));
    d.decode(ok.slice(0, ok.length - 1), EXPORTER); // header length says one more byte
    const setTooLong = new P()
      .u16(10, 28)
      .u32(EXPORT_SECS, 2, 7)
      .u16(700, 65535)
      .ip4('1.1.1.1')
      .u8(0, 0, 0, 0);
    d.decode(setTooLong.done(), EXPORTER);
    d.decode(ipfixMessage(new P().set(700, new P().ip4('1.1.1.1').u8(200, 1, 2))), EXPORTER);
    d.decode(ipfixMessage(new P().set(700, new P().ip4('1.1.1.1').u8(255, 1))), EXPORTER);
    d.decode(new P().u16(7, 1).u32(0, 0, 0, 0, 0).done(), EXPORTER);
    d.decode(new P().u8(0).done(), EXPORTER);
    d.decode(new P().u16(10, 8).u32(0, 0, 0).done(), EXPORTER);
    d.decode(ipfixMessage(new P().set(2, new P().u16(701, 2).u16(8, 4))), EXPORTER);
    d.decode(ipfixMessage(new P().set(3, new P().u16(702, 1, 0).u16(8, 4))), EXPORTER);
    d.decode(ok, EXPORTER);
    expect(diagnostics.map((x) => [x.message, x.notes?.[0]])).toEqual([
      [
        'truncated IPFIX message: the header says 25 bytes, the packet has 24',
        `packet 2 from exporter ${EXPORTER}, byte offset 24`,
      ],
      [
        'invalid set length 65535 (set ID 700; the message has 28 bytes)',
        `packet 3 from exporter ${EXPORTER}, byte offset 16`,
      ],
      [
        'a record of template 700 runs past the end of its set',
        `packet 4 from exporter ${EXPORTER}, byte offset 20`,
      ],
      [
        'a record of template 700 runs past the end of its set',
        `packet 5 from exporter ${EXPORTER}, byte offset 20`,
      ],
      [
        'unsupported NetFlow version 7 (vast reads 5, 9 and 10, IPFIX)',
        `packet 6 from exporter ${EXPORTER}, byte offset 0`,
      ],
      [
        'packet of 1 bytes is too short for a NetFlow header',
        `packet 7 from exporter ${EXPORTER}, byte offset 0`,
      ],
      ['invalid IPFIX message length 8', `packet 8 from exporter ${EXPORTER}, byte offset 2`],
      [
        'template 701 (2 fields) runs past the end of its set',
        `packet 9 from exporter ${EXPORTER}, byte offset 20`,
      ],
      [
        'options template 702: invalid scope field count 0 of 1 fields',
        `packet 10 from exporter ${EXPORTER}, byte offset 20`,
      ],
    ]);
    expect(r()).toEqual([expect.objectContaining({ src_addr: '1.1.1.1', template_id: 700 })]);
  });

  test('random bytes never throw or hang', () => {
    const { d } = decoder();
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 16;
    };
    const t = new P().u16(800, 3).u16(8, 4, 82, 65535, 1, 4);
    for (let i = 0; i < 20_000; i++) {
      const body = new P().set(2, t);
      const n = rand() % 64;
      const junk = new P().u16(800, 4 + n);
      for (let k = 0; k < n; k++) junk.u8(rand());
      const m = ipfixMessage(body.bytes(junk.b));
      // Flip a random byte (sometimes in a header) and cut at a random length.
      m[rand() % m.length] = rand() & 0xff;
      d.decode(m.subarray(0, rand() % (m.length + 1)), EXPORTER);
    }
    d.flush();
    expect(d.stats.packets).toBe(20_000);
  });
});

// --- Files: pcap of export traffic, IPFIX files, broken fixtures ----------------

/** A classic pcap of Ethernet/IPv4/UDP frames carrying `payloads` from 192.0.2.1:5000 to port 2055. */
function pcap(payloads: Uint8Array[], src = '192.0.2.1'): Uint8Array {
  const f = new P();
  // Little-endian global header.
  f.u8(0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0).u32(0, 0).u8(0xff, 0xff, 0, 0, 1, 0, 0, 0);
  payloads.forEach((p, i) => {
    const frame = new P()
      .u8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
      .u16(0x8100, 42, 0x0800) // one VLAN tag
      .u8(0x45, 0)
      .u16(28 + p.length, i, 0)
      .u8(64, 17)
      .u16(0)
      .ip4(src)
      .ip4('192.0.2.200')
      .u16(5000, 2055, 8 + p.length, 0)
      .bytes(p);
    const le32 = (x: number) => [x & 0xff, (x >> 8) & 0xff, (x >> 16) & 0xff, x >>> 24];
    f.bytes(le32(EXPORT_SECS + i))
      .bytes(le32(0))
      .bytes(le32(frame.length))
      .bytes(le32(frame.length))
      .bytes(frame.b);
  });
  return f.done();
}

const ipfixTemplate = new P().u16(900, 3).u16(8, 4, 12, 4, 2, 4);
const ipfixFlow = (n: number) => new P().ip4(`10.0.0.${n}`).ip4('10.0.1.1').u32(n);

/** The hand-made broken fixtures (see test/fixtures/README.md), built here so that they can be regenerated. */
const FIXTURES: Record<string, () => Uint8Array> = {
  // Three IPFIX messages; the second's data set claims 400 bytes in a 40-byte message.
  'netflow-invalid-set-length.ipfix': () =>
    Buffer.concat([
      ipfixMessage(
        new P().set(2, ipfixTemplate).set(900, new P().bytes(ipfixFlow(1).b).bytes(ipfixFlow(2).b)),
        1,
        1,
      ),
      ipfixMessage(new P().set(900, ipfixFlow(3), 400).bytes(ipfixFlow(4).b), 1, 2),
      ipfixMessage(new P().set(900, ipfixFlow(5)), 1, 3),
    ]),
  // An IPFIX message with a set of length 0 (an endless loop for a naive decoder), then a good one.
  'netflow-zero-length-set.ipfix': () =>
    Buffer.concat([
      ipfixMessage(new P().set(2, ipfixTemplate).u16(900, 0).bytes(ipfixFlow(1).b), 1, 1),
      ipfixMessage(new P().set(900, ipfixFlow(2)), 1, 2),
    ]),
  // Two NetFlow v5 packets back to back; the second is cut one byte short.
  'netflow-truncated.nfv5': () => {
    const p = v5Packet([v5Record({ src: '10.0.0.1', dst: '10.0.0.2', first: 1, last: 2 })]);
    return Buffer.concat([p, p.subarray(0, p.length - 1)]);
  },
  // A pcap of NetFlow v9 export packets: a template with 0 fields, then a good template and data.
  'netflow-v9-template-no-fields.pcap': () =>
    pcap([
      v9Header(1, 1, 0).set(0, new P().u16(300, 0)).done(),
      v9Header(2, 2, 0)
        .set(0, v9Template(300))
        .set(
          300,
          v9Data({ src: '10.0.0.1', dst: '10.0.0.2', first: 40_000, last: 90_000, octets: 1, packets: 1 }),
        )
        .done(),
    ]),
};

const FIXTURE_DIR = join(ROOT, 'test', 'fixtures', 'broken');

describe('netflow reader', () => {
  test('the broken fixtures are what the builders here make (VAST_WRITE_FIXTURES=1 rewrites them)', () => {
    for (const [name, make] of Object.entries(FIXTURES)) {
      const path = join(FIXTURE_DIR, name);
      if (process.env.VAST_WRITE_FIXTURES === '1' || !existsSync(path)) writeFileSync(path, make());
      expect(Buffer.compare(readFileSync(path), make()), name).toBe(0);
    }
  });

  test('a pcap of export traffic: UDP payloads, the sender as exporter, other traffic skipped', async () => {
    const dns = Uint8Array.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    const v5 = v5Packet([v5Record({ src: '10.1.1.1', dst: '10.2.2.2', first: 40_000, last: 99_999 })]);
    const text = pcap([v5, dns, v5]);
    const { batches, diagnostics } = await readAll(netflow, { text, file: 'flows.pcap' });
    expect(rows(batches).map((x) => [x.exporter, x.src_addr, x.flow_start])).toEqual([
      ['192.0.2.1', '10.1.1.1', '2023-11-14T22:12:20.5Z'],
      ['192.0.2.1', '10.1.1.1', '2023-11-14T22:12:20.5Z'],
    ]);
    expect(diagnostics).toEqual([
      expect.objectContaining({
        severity: 'warning',
        message: 'skipped 1 captured packet that is not NetFlow export traffic',
      }),
    ]);
  });

  test('an IPFIX file and a v5 stream: messages back to back', async () => {
    // Batches are cut between packets, never inside one.
    const ipfix = Buffer.concat([
      ipfixMessage(new P().set(2, ipfixTemplate).set(900, ipfixFlow(1))),
      ipfixMessage(new P().set(900, ipfixFlow(2))),
      ipfixMessage(new P().set(900, ipfixFlow(3))),
    ]);
    const a = await readAll(netflow, { text: ipfix, file: 'x.ipfix' }, { batchSize: 2 });
    expect(a.diagnostics).toEqual([]);
    expect(a.batches.map((b) => b.numRows)).toEqual([2, 1]);
    expect(rows(a.batches).map((x) => [x.src_addr, x.packets])).toEqual([
      ['10.0.0.1', 1],
      ['10.0.0.2', 2],
      ['10.0.0.3', 3],
    ]);
    const v5 = v5Packet([v5Record({ src: '10.1.1.1', dst: '10.2.2.2', first: 1, last: 2 })]);
    const b = await readAll(netflow, { text: Buffer.concat([v5, v5, v5]), file: 'x.nfv5' });
    expect(b.rows).toBe(3);
    expect(netflow.detect!(ipfix)).toBe(true);
    expect(netflow.detect!(v5)).toBe(false);
  });

  test('a v9 stream cannot be framed: one clear error', async () => {
    const diagnostics: Diagnostic[] = [];
    const read = readAll(
      netflow,
      { text: v9Header(0, 1, 0).done(), file: 'x.v9' },
      { onDiagnostic: (x) => diagnostics.push(x) },
    );
    await expect(read).rejects.toThrow('NetFlow v9 messages have no length field');
    expect(diagnostics).toEqual([
      {
        severity: 'error',
        recoverable: false,
        message:
          'NetFlow v9 messages have no length field, so a stream of them cannot be split: capture them as pcap',
        notes: ['x.v9: byte offset 0', 'the rest of the input was not read'],
      },
    ]);
  });

  test('fixture: invalid set length → that message skipped, the others read', async () => {
    const path = join(FIXTURE_DIR, 'netflow-invalid-set-length.ipfix');
    const { batches, diagnostics } = await readAll(netflow, { path });
    expect(rows(batches).map((x) => x.src_addr)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.5']);
    expect(diagnostics).toEqual([
      {
        severity: 'error',
        message: 'invalid set length 400 (set ID 900; the message has 44 bytes)',
        notes: [`${path}: packet 2 from exporter ${path}, byte offset 16`, 'the packet was skipped'],
        recoverable: true,
      },
    ]);
  });

  test('fixture: zero-length set → no endless loop', async () => {
    const { batches, diagnostics } = await readAll(netflow, {
      path: join(FIXTURE_DIR, 'netflow-zero-length-set.ipfix'),
    });
    expect(rows(batches).map((x) => x.src_addr)).toEqual(['10.0.0.2']);
    expect(diagnostics.map((x) => x.message)).toEqual([
      'invalid set length 0 (set ID 900; the message has 52 bytes)',
    ]);
  });

  test('fixture: truncated v5 stream → the last packet reported', async () => {
    const { rows: n, diagnostics } = await readAll(netflow, {
      path: join(FIXTURE_DIR, 'netflow-truncated.nfv5'),
    });
    expect(n).toBe(1);
    expect(diagnostics.map((x) => x.message)).toEqual([
      'truncated NetFlow v5 packet: 1 records need 72 bytes, the packet has 71',
    ]);
  });

  test('fixture: v9 template with no fields in a pcap', async () => {
    const { batches, diagnostics } = await readAll(netflow, {
      path: join(FIXTURE_DIR, 'netflow-v9-template-no-fields.pcap'),
    });
    expect(rows(batches).map((x) => [x.exporter, x.src_addr, x.flow_start])).toEqual([
      ['192.0.2.1', '10.0.0.1', '2023-11-14T22:12:20Z'],
    ]);
    expect(diagnostics.map((x) => [x.message, x.notes?.[0]])).toEqual([
      [
        'template 300 has no fields',
        expect.stringMatching(/packet 1 from exporter 192\.0\.2\.1:5000, byte offset 24$/),
      ],
    ]);
  });

  test('--on-error=fail stops at the first broken packet', async () => {
    const path = join(FIXTURE_DIR, 'netflow-invalid-set-length.ipfix');
    await expect(readAll(netflow, { path }, { onError: 'fail' })).rejects.toThrow(/invalid set length 400/);
  });
});
