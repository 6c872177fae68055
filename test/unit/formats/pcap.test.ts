/**
 * The pcap reader against independent references: tcpdump's packet count and
 * tshark's dissection of the same frames (addresses, ports, VLAN ids, times,
 * Community IDs) on every capture of the shared corpus, Zeek's conn.log for
 * the Community IDs of example.pcap, and variants of those captures written by
 * editcap/mergecap (nanosecond pcap, pcapng, modified pcap) or by this test
 * (big-endian, other linktypes) that tshark reads back.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as A from 'apache-arrow';
import { afterAll, describe, expect, test } from 'vitest';
import type { Diagnostic } from '../../../src/diagnostics.js';
import type { ReaderContext } from '../../../src/formats/format.js';
import { type PcapOptions, pcap, pcapOptions, readPcap } from '../../../src/formats/pcap/index.js';
import { bytesInput } from '../../../src/formats/read.js';
import { vastSchema } from '../../../src/types/arrow.js';
import { formatIP } from '../../../src/types/ip.js';
import { typesEqual } from '../../../src/types/type.js';
import { valueAt } from '../../../src/types/values.js';
import {
  dataset,
  describeDatasets,
  describeSkipped,
  HAVE_DATASETS,
  ROOT,
  TEST_DATA,
} from '../../helpers/datasets.js';
import { readAll, registry } from '../../helpers/read.js';

const has = (tool: string) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
const HAVE_TCPDUMP = has('tcpdump');
const HAVE_TSHARK = has('tshark') && has('editcap') && has('mergecap');
const describeTshark = (name: string, fn: () => void) =>
  HAVE_TSHARK ? describeDatasets(name, fn) : describeSkipped(name, 'tshark/editcap/mergecap not installed');
const describeTcpdump = (name: string, fn: () => void) =>
  HAVE_TCPDUMP ? describeDatasets(name, fn) : describeSkipped(name, 'tcpdump not installed');

const PCAPS = dataset('pcap');
const BROKEN = join(ROOT, 'test', 'fixtures', 'broken');
const tmp = mkdtempSync(join(tmpdir(), 'vast-pcap-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** One packet event as plain values: ips as text, times and counts as decimal strings. */
interface Row {
  time: string | null;
  src: string | null;
  dst: string | null;
  sport: number | null;
  dport: number | null;
  proto: string | null;
  vlan: { outer: string | null; inner: string | null };
  community_id: string | null;
  length: string;
  payload: string | null;
}

function rowsOf(batches: A.RecordBatch[]): Row[] {
  const out: Row[] = [];
  for (const b of batches) {
    const t = vastSchema(b.schema).type;
    for (let i = 0; i < b.numRows; i++) {
      const v = valueAt(b.data, t, i) as Record<string, unknown>;
      const ip = (x: unknown) => (x === null ? null : formatIP((x as { ip: Uint8Array }).ip));
      const str = (x: unknown) => (x === null ? null : String(x));
      const vlan = v.vlan as Record<string, unknown>;
      out.push({
        time: str(v.time),
        src: ip(v.src),
        dst: ip(v.dst),
        sport: v.sport as number | null,
        dport: v.dport as number | null,
        proto: v.proto as string | null,
        vlan: { outer: str(vlan.outer), inner: str(vlan.inner) },
        community_id: v.community_id as string | null,
        length: String(v.length),
        payload: v.payload as string | null,
      });
    }
  }
  return out;
}

/** Reads bytes with the pcap reader and explicit options, in chunks of `chunkSize` (records straddle them). */
async function read(
  bytes: Uint8Array,
  options: PcapOptions = {},
  chunkSize = 64 * 1024,
  batchSize = 65_536,
): Promise<{ rows: Row[]; batches: A.RecordBatch[]; diagnostics: Diagnostic[] }> {
  const diagnostics: Diagnostic[] = [];
  const ctx: ReaderContext = {
    file: '<test>',
    schemas: registry,
    batchSize,
    maxLineBytes: 1 << 20,
    options: {},
    report: (d) => diagnostics.push(d),
  };
  const batches: A.RecordBatch[] = [];
  for await (const b of readPcap(bytesInput(bytes, chunkSize), ctx, options)) batches.push(b);
  return { rows: rowsOf(batches), batches, diagnostics };
}

const readFile = (path: string, options?: PcapOptions) => read(readFileSync(path), options);

/** tshark's view of every frame, IP reassembly off so that fragments stay packets. */
function tshark(file: string): Row[] {
  const fields = [
    'frame.time_epoch',
    'ip.src',
    'ipv6.src',
    'ip.dst',
    'ipv6.dst',
    'tcp.srcport',
    'udp.srcport',
    'sctp.srcport',
    'tcp.dstport',
    'udp.dstport',
    'sctp.dstport',
    'icmp.type',
    'icmp.code',
    'icmpv6.type',
    'icmpv6.code',
    'vlan.id',
    'communityid',
    'frame.len',
    'ip.proto',
    'ipv6.nxt',
  ];
  const out = execFileSync(
    'tshark',
    [
      '-r',
      file,
      '--enable-protocol',
      'communityid',
      '-o',
      'ip.defragment:FALSE',
      '-o',
      'ipv6.defragment:FALSE',
      '-T',
      'fields',
      '-E',
      'separator=/t',
      ...fields.flatMap((f) => ['-e', f]),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const f = Object.fromEntries(line.split('\t').map((v, i) => [fields[i], v.split(',')]));
      const first = (...names: string[]) => names.map((n) => f[n][0]).find((v) => v !== '') ?? null;
      const [sec, frac] = f['frame.time_epoch'][0].split('.');
      const icmp = first('icmp.type', 'icmpv6.type') !== null;
      const num = (v: string | null) => (v === null ? null : Number(v));
      const vlans = f['vlan.id'].filter((v) => v !== '');
      // The decoded transport names the protocol (ICMP first: its errors quote an inner TCP/UDP header);
      // else the outer ip.proto, or the last IPv6 next-header (after the extension headers).
      const nxt = f['ipv6.nxt'].filter((v) => v !== '');
      const transport = ['icmp.type', 'icmpv6.type', 'tcp.srcport', 'udp.srcport', 'sctp.srcport'].find(
        (n) => f[n][0] !== '',
      );
      const proto = transport
        ? ({ icmp: '1', icmpv6: '58', tcp: '6', udp: '17', sctp: '132' } as Record<string, string>)[
            transport.split('.')[0]
          ]
        : (first('ip.proto') ?? nxt.at(-1) ?? null);
      return {
        time: (BigInt(sec) * 1_000_000_000n + BigInt(frac.padEnd(9, '0'))).toString(),
        src: first('ip.src', 'ipv6.src'),
        dst: first('ip.dst', 'ipv6.dst'),
        sport: num(
          icmp ? first('icmp.type', 'icmpv6.type') : first('tcp.srcport', 'udp.srcport', 'sctp.srcport'),
        ),
        dport: num(
          icmp ? first('icmp.code', 'icmpv6.code') : first('tcp.dstport', 'udp.dstport', 'sctp.dstport'),
        ),
        proto:
          proto === null
            ? null
            : (({ 6: 'tcp', 17: 'udp', 1: 'icmp', 58: 'icmp6', 132: 'sctp' } as Record<string, string>)[
                proto
              ] ?? proto),
        vlan: { outer: vlans[0] ?? null, inner: vlans[1] ?? null },
        community_id: first('communityid'),
        length: f['frame.len'][0],
        payload: null,
      };
    });
}

const tcpdumpCount = (file: string) =>
  execFileSync('tcpdump', ['-r', file, '-nn'], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'pipe', 'ignore'],
  })
    .split('\n')
    .filter((l) => l !== '').length;

/** The corpus captures (none where it is absent: the suites then skip visibly). */
const files = () => (HAVE_DATASETS ? readdirSync(PCAPS).sort() : []);

describeTcpdump('pcap reader: packet counts equal tcpdump on every capture', () => {
  for (const name of files()) {
    test(name, async () => {
      const { rows, diagnostics } = await readFile(join(PCAPS, name));
      expect(diagnostics).toEqual([]);
      expect(rows.length).toBe(tcpdumpCount(join(PCAPS, name)));
    });
  }
});

describeTshark('pcap reader: every frame equals tshark on every capture', () => {
  for (const name of files()) {
    test(name, async () => {
      const { rows } = await readFile(join(PCAPS, name));
      const expected = tshark(join(PCAPS, name));
      expect(rows.length).toBe(expected.length);
      for (let i = 0; i < rows.length; i++)
        expect({ frame: i + 1, ...rows[i] }).toEqual({ frame: i + 1, ...expected[i] });
    });
  }
});

describeDatasets('pcap reader: known content', () => {
  test('vlan.pcap (pcapng despite the name): 802.1Q id 34 on every frame', async () => {
    const { rows } = await readFile(join(PCAPS, 'vlan.pcap'));
    expect(rows).toHaveLength(1000);
    expect(new Set(rows.map((r) => r.vlan.outer))).toEqual(new Set(['34']));
    expect(rows.every((r) => r.vlan.inner === null && r.src !== null)).toBe(true);
  });

  test('zeek_ftp_ipv6.pcap: IPv6 addresses, FTP control and data ports', async () => {
    const { rows } = await readFile(join(PCAPS, 'zeek_ftp_ipv6.pcap'));
    expect(rows).toHaveLength(136);
    expect(rows[0]).toMatchObject({
      src: '2001:470:1f11:81f:c999:d94:aa7c:2e3e',
      dst: '2001:470:4867:99::21',
      sport: 49185,
      dport: 21,
      proto: 'tcp',
    });
    expect(rows.every((r) => r.src?.includes(':'))).toBe(true);
  });

  test('nmap_vsn.pcap: ARP frames are events with null addresses', async () => {
    const { rows } = await readFile(join(PCAPS, 'nmap_vsn.pcap'));
    const arp = rows.filter((r) => r.src === null);
    expect(arp).toHaveLength(503); // tshark: 503 eth:ethertype:arp
    expect(
      arp.every((r) => r.proto === null && r.community_id === null && r.sport === null && r.time !== null),
    ).toBe(true);
  });

  test('zeek_mixed-vlan-mpls.pcap: IP behind MPLS labels and VLAN tags', async () => {
    const { rows } = await readFile(join(PCAPS, 'zeek_mixed-vlan-mpls.pcap'));
    expect(rows.filter((r) => r.vlan.outer === '4093')).toHaveLength(14);
    expect(rows.every((r) => r.src !== null && r.proto === 'tcp')).toBe(true);
  });

  test('community ids of example.pcap equal those in Suricata EVE (joined on the 5-tuple)', async () => {
    const { rows } = await readFile(join(PCAPS, 'example.pcap'));
    const ours = new Map<string, string | null>();
    for (const r of rows) {
      ours.set([r.src, r.sport, r.dst, r.dport, r.proto].join(' '), r.community_id);
      ours.set([r.dst, r.dport, r.src, r.sport, r.proto].join(' '), r.community_id);
    }
    const events = readFileSync(dataset('suricata', 'example-pcap_eve.json'), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l));
    const flows = new Map<string, string>();
    for (const e of events) {
      if (e.community_id === undefined) continue;
      flows.set(
        [e.src_ip, e.src_port, e.dest_ip, e.dest_port, e.proto.toLowerCase()].join(' '),
        e.community_id,
      );
    }
    expect(flows.size).toBeGreaterThan(10);
    for (const [tuple, id] of flows) expect(ours.get(tuple), tuple).toBe(id);
  });

  test('the result is the same whatever the chunking (records straddle chunks)', async () => {
    const bytes = readFileSync(join(PCAPS, 'zeek_quic_merlinc2_Zeek_example.pcapng'));
    const whole = await read(bytes, { payload: true }, bytes.length);
    for (const size of [1, 7, 333, 4096]) {
      const r = await read(bytes, { payload: true }, size, 17);
      expect(r.rows).toEqual(whole.rows);
      expect(r.batches.every((b) => b.numRows <= 17)).toBe(true);
    }
  });

  test('payload is the captured frame, base64-encoded, only when asked for', async () => {
    const path = join(PCAPS, 'zeek_http_get.pcap');
    const bytes = readFileSync(path);
    const off = await read(bytes);
    expect(off.rows.every((r) => r.payload === null)).toBe(true);
    const on = await read(bytes, { payload: true });
    // The first record's frame: after the 24-byte file header and the 16-byte record header.
    const caplen = bytes.readUInt32LE(24 + 8);
    expect(on.rows[0].payload).toBe(bytes.subarray(40, 40 + caplen).toString('base64'));
    expect(on.rows.map((r) => ({ ...r, payload: null }))).toEqual(off.rows);
  });

  test('batches carry the pcap.packet schema of schemas/pcap.yaml', async () => {
    const yaml = registry.get('pcap.packet');
    expect(yaml).toBeDefined();
    expect(yaml!.timestamp).toBe('time');
    const { batches } = await readFile(join(PCAPS, 'zeek_http_get.pcap'));
    expect(vastSchema(batches[0].schema).name).toBe('pcap.packet');
    expect(typesEqual(vastSchema(batches[0].schema).type, yaml!.type)).toBe(true);
    expect(vastSchema(batches[0].schema).timestamp).toBe('time');
  });

  test('detect() and the FormatDef read path', async () => {
    for (const name of files())
      expect(pcap.detect!(readFileSync(join(PCAPS, name)).subarray(0, 16)), name).toBe(true);
    expect(pcap.detect!(new TextEncoder().encode('#separator \\x09\n'))).toBe(false);
    expect(pcap.detect!(new TextEncoder().encode('{"ts": 1}'))).toBe(false);
    const r = await readAll(pcap, { path: join(PCAPS, 'zeek_dhcp_dhcp.pcap') });
    expect(r.rows).toBe(9);
  });
});

describeDatasets('pcap reader: --cutoff', () => {
  // zeek_http_get.pcap: one HTTP connection, 14 packets; payload per packet from tshark's tcp.len.
  const file = () => join(PCAPS, 'zeek_http_get.pcap');
  const payloads = () =>
    execFileSync('tshark', ['-r', file(), '-T', 'fields', '-e', 'tcp.len'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .trim()
      .split('\n')
      .map(Number);

  test.skipIf(!HAVE_TSHARK)(
    'keeps packets while the flow has sent fewer payload bytes than the cutoff',
    async () => {
      const lens = payloads();
      expect(lens.length).toBe(14);
      const all = (await readFile(file())).rows;
      for (const cutoff of [0, 1, 100, lens.reduce((a, b) => a + b, 0) - 1, 10 ** 9]) {
        // Expected: packet i is kept iff the payload of the packets kept before it is < cutoff.
        let seen = 0;
        const keep = lens.map((n) => {
          if (seen >= cutoff) return false;
          seen += n;
          return true;
        });
        const { rows } = await readFile(file(), { cutoff });
        expect(rows, `cutoff ${cutoff}`).toEqual(all.filter((_, i) => keep[i]));
      }
    },
  );

  test('the cutoff is per bidirectional flow; non-IP packets are never cut', async () => {
    const { rows: all } = await readFile(join(PCAPS, 'nmap_vsn.pcap'));
    const { rows } = await readFile(join(PCAPS, 'nmap_vsn.pcap'), { cutoff: 0 });
    // cutoff 0 drops every IP packet (a flow has seen 0 >= 0 bytes), keeps ARP.
    expect(rows).toEqual(all.filter((r) => r.src === null));
    const example = (await readFile(join(PCAPS, 'example.pcap'), { cutoff: 1 })).rows;
    const flows = new Set((await readFile(join(PCAPS, 'example.pcap'))).rows.map((r) => r.community_id));
    // With cutoff 1 each flow keeps its packets up to and including the first with payload.
    expect(new Set(example.map((r) => r.community_id))).toEqual(flows);
    expect(example.length).toBeLessThan(1000);
  });

  test('max-flows bounds the table: an evicted flow starts over', async () => {
    const path = join(PCAPS, 'example.pcap');
    const big = (await readFile(path, { cutoff: 200 })).rows.length;
    const tiny = (await readFile(path, { cutoff: 200, maxFlows: 1 })).rows.length;
    // With room for one flow, interleaved flows keep evicting each other and restarting their budget.
    expect(tiny).toBeGreaterThan(big);
    const aged = (await readFile(path, { cutoff: 200, maxFlowAge: 0.001, flowExpiry: 0 })).rows.length;
    expect(aged).toBeGreaterThan(big);
  });

  test('options from command-line values', () => {
    expect(
      pcapOptions({ cutoff: '1024', 'max-flows': 10, 'max-flow-age': '5min', flowExpiry: 3, payload: true }),
    ).toEqual({
      cutoff: 1024,
      maxFlows: 10,
      maxFlowAge: 300,
      flowExpiry: 3,
      payload: true,
    });
    expect(() => pcapOptions({ cutoff: '-1' })).toThrow(/--cutoff expects a non-negative integer/);
    expect(() => pcapOptions({ 'max-flow-age': 'soon' })).toThrow(/--max-flow-age expects seconds/);
  });
});

/** Rewrites a little-endian classic pcap as big-endian: every header field swapped, frames unchanged. */
function toBigEndian(le: Buffer): Buffer {
  const be = Buffer.from(le);
  be.writeUInt32BE(le.readUInt32LE(0), 0);
  be.writeUInt16BE(le.readUInt16LE(4), 4);
  be.writeUInt16BE(le.readUInt16LE(6), 6);
  for (const o of [8, 12, 16, 20]) be.writeUInt32BE(le.readUInt32LE(o), o);
  for (let p = 24; p < le.length; ) {
    const caplen = le.readUInt32LE(p + 8);
    for (let k = 0; k < 16; k += 4) be.writeUInt32BE(le.readUInt32LE(p + k), p + k);
    p += 16 + caplen;
  }
  return be;
}

/** Rewrites an Ethernet pcap with another link-layer header: `frame(ip)` wraps each frame's IP packet (non-IP frames are left out). */
function relink(le: Buffer, linktype: number, frame: (ip: Buffer, ethertype: number) => Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from(le.subarray(0, 24))];
  parts[0].writeUInt32LE(linktype, 20);
  for (let p = 24; p < le.length; ) {
    const caplen = le.readUInt32LE(p + 8);
    const origlen = le.readUInt32LE(p + 12);
    const ethertype = le.readUInt16BE(p + 16 + 12);
    if (ethertype === 0x0800 || ethertype === 0x86dd) {
      const f = frame(le.subarray(p + 16 + 14, p + 16 + caplen), ethertype);
      const h = Buffer.from(le.subarray(p, p + 16));
      h.writeUInt32LE(f.length, 8);
      h.writeUInt32LE(origlen - 14 + (f.length - (caplen - 14)), 12);
      parts.push(h, f);
    }
    p += 16 + caplen;
  }
  return Buffer.concat(parts);
}

const sll = (ip: Buffer, ethertype: number) => {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(0, 0); // to us
  h.writeUInt16BE(1, 2); // ARPHRD_ETHER
  h.writeUInt16BE(6, 4);
  h.writeUInt16BE(ethertype, 14);
  return Buffer.concat([h, ip]);
};
const sll2 = (ip: Buffer, ethertype: number) => {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(ethertype, 0);
  h.writeUInt32BE(1, 4); // ifindex
  h.writeUInt16BE(1, 8); // ARPHRD_ETHER
  h.writeUInt8(6, 11);
  return Buffer.concat([h, ip]);
};
const loopback = (ip: Buffer, ethertype: number) => {
  const h = Buffer.alloc(4);
  h.writeUInt32LE(ethertype === 0x0800 ? 2 : 30, 0); // AF_INET, AF_INET6 (macOS)
  return Buffer.concat([h, ip]);
};

/** An IPv4 packet (header checksum left 0: tshark does not verify it by default). */
function ipv4(src: string, dst: string, proto: number, body: Buffer, frag = 0): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + body.length, 2);
  h.writeUInt16BE(frag, 6);
  h[8] = 64;
  h[9] = proto;
  for (const [i, x] of src.split('.').entries()) h[12 + i] = Number(x);
  for (const [i, x] of dst.split('.').entries()) h[16 + i] = Number(x);
  return Buffer.concat([h, body]);
}

/** An IPv6 packet; `ext` are extension headers already chained to `proto` by the caller. */
function ipv6(src: number, dst: number, next: number, body: Buffer): Buffer {
  const h = Buffer.alloc(40);
  h[0] = 0x60;
  h.writeUInt16BE(body.length, 4);
  h[6] = next;
  h[7] = 64;
  Buffer.from('20010db8000000000000000000000000', 'hex').copy(h, 8);
  Buffer.from('20010db8000000000000000000000000', 'hex').copy(h, 24);
  h[23] = src;
  h[39] = dst;
  return Buffer.concat([h, body]);
}

const ports = (sport: number, dport: number, rest: string) =>
  Buffer.concat([Buffer.from([sport >> 8, sport & 255, dport >> 8, dport & 255]), Buffer.from(rest, 'hex')]);
const icmp = (type: number, code: number, rest = '00000000') =>
  Buffer.concat([Buffer.from([type, code, 0, 0]), Buffer.from(rest, 'hex')]);

/** A classic pcap of raw IP packets (linktype 101), one second apart. */
function rawPcap(packets: Buffer[], snaplen = 65535): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(snaplen, 16);
  h.writeUInt32LE(101, 20);
  const parts: Buffer[] = [h];
  packets.forEach((p, i) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(1_600_000_000 + i, 0);
    r.writeUInt32LE(p.length, 8);
    r.writeUInt32LE(p.length, 12);
    parts.push(r, p);
  });
  return Buffer.concat(parts);
}

/** Protocols the corpus lacks: ICMP pairs and one-way types, ICMPv6, SCTP, GRE, fragments, IPv6 extension headers. */
const protocolZoo = () =>
  rawPcap([
    ipv4('10.0.0.2', '10.0.0.1', 1, icmp(8, 0)), // echo request from the larger address
    ipv4('10.0.0.1', '10.0.0.2', 1, icmp(0, 0)), // its reply: the same community id
    ipv4('10.0.0.1', '10.0.0.2', 1, icmp(13, 0, '0000000000000000000000000000000000000000')), // timestamp
    ipv4('10.0.0.9', '10.0.0.1', 1, icmp(10, 0)), // router solicitation ↔ advertisement
    ipv4('10.0.0.1', '10.0.0.9', 1, icmp(9, 0)),
    ipv4(
      '10.0.0.2',
      '10.0.0.1',
      1,
      icmp(3, 3, `00000000${ipv4('10.0.0.1', '10.0.0.2', 17, ports(5353, 53, '00080000')).toString('hex')}`),
    ),
    ipv4('10.0.0.2', '10.0.0.1', 1, icmp(11, 0)), // time exceeded: one-way
    ipv6(2, 1, 58, icmp(128, 0)),
    ipv6(1, 2, 58, icmp(129, 0)),
    ipv6(3, 1, 58, icmp(135, 0, '00000000' + '20010db8000000000000000000000001')),
    ipv6(1, 3, 58, icmp(136, 0, '00000000' + '20010db8000000000000000000000001')),
    ipv6(3, 1, 58, icmp(1, 4, `00000000${ipv6(1, 3, 17, ports(1053, 53, '00080000')).toString('hex')}`)), // unreachable: one-way
    ipv4('10.0.0.2', '10.0.0.1', 132, ports(6000, 5000, '0000000000000000')), // SCTP
    ipv4('10.0.0.1', '10.0.0.2', 47, Buffer.from('00000800', 'hex')), // GRE: no ports
    ipv4('10.0.0.1', '10.0.0.2', 17, ports(1234, 4321, `00200000${'00'.repeat(16)}`), 0x2000), // first fragment
    ipv4('10.0.0.1', '10.0.0.2', 17, Buffer.alloc(16), 3), // later fragment: no ports
    ipv6(2, 1, 0, Buffer.concat([Buffer.from('1100010400000000', 'hex'), ports(53, 1053, '00080000')])), // hop-by-hop, then UDP
    ipv6(
      2,
      1,
      44,
      Buffer.concat([
        Buffer.from('0600000100000001', 'hex'),
        ports(80, 8080, '00000000000000005002000000000000'),
      ]),
    ), // first fragment of TCP
    ipv4('10.0.0.1', '10.0.0.2', 6, Buffer.from('0050', 'hex')), // TCP header cut after 2 bytes: no ports
  ]);

describeTshark('pcap reader: file variants, checked against tshark reading the same file', () => {
  // [name, make the file, whether libpcap reads it too (it refuses mixed linktypes)]
  const variants: [string, (dir: string) => string, boolean?][] = [
    ['nanosecond pcap (editcap -F nsecpcap)', (d) => editcap(d, 'example.pcap', 'nsecpcap', 'ns.pcap')],
    ['pcapng (editcap -F pcapng)', (d) => editcap(d, 'zeek_dns-edns-ecs.pcap', 'pcapng', 'dns.pcapng')],
    [
      'nanosecond pcapng (if_tsresol 9)',
      (d) => editcap(d, editcap(d, 'example.pcap', 'nsecpcap', 'ns2.pcap'), 'pcapng', 'ns.pcapng'),
    ],
    ['modified (Kuznetzov) pcap', (d) => editcap(d, 'zeek_http_get.pcap', 'modpcap', 'mod.pcap')],
    [
      'big-endian pcap',
      (d) => write(d, 'be.pcap', toBigEndian(readFileSync(join(PCAPS, 'zeek_dns-edns-ecs.pcap')))),
    ],
    [
      'raw IP (linktype 101)',
      (d) =>
        write(
          d,
          'raw.pcap',
          relink(src('zeek_dns-edns-ecs.pcap'), 101, (ip) => ip),
        ),
    ],
    [
      'IPv4 (linktype 228)',
      (d) =>
        write(
          d,
          'ipv4.pcap',
          relink(src('zeek_http_get.pcap'), 228, (ip) => ip),
        ),
    ],
    [
      'IPv6 (linktype 229)',
      (d) =>
        write(
          d,
          'ipv6.pcap',
          relink(src('zeek_ftp_ipv6.pcap'), 229, (ip) => ip),
        ),
    ],
    ['Linux cooked SLL (113)', (d) => write(d, 'sll.pcap', relink(src('zeek_dns-edns-ecs.pcap'), 113, sll))],
    [
      'Linux cooked SLL2 (276)',
      (d) => write(d, 'sll2.pcap', relink(src('zeek_dns-edns-ecs.pcap'), 276, sll2)),
    ],
    [
      'BSD loopback (NULL, 0)',
      (d) => write(d, 'null.pcap', relink(src('zeek_dns-edns-ecs.pcap'), 0, loopback)),
    ],
    [
      'ICMP, ICMPv6, SCTP, GRE, fragments, IPv6 extension headers (built here)',
      (d) => write(d, 'zoo.pcap', protocolZoo()),
    ],
    [
      'pcapng with two interfaces of different linktypes (mergecap)',
      (d) => {
        const raw = write(
          d,
          'raw6.pcap',
          relink(src('zeek_ftp_ipv6.pcap'), 101, (ip) => ip),
        );
        const out = join(d, 'merged.pcapng');
        execFileSync('mergecap', ['-F', 'pcapng', '-w', out, join(PCAPS, 'zeek_http_get.pcap'), raw], {
          stdio: 'ignore',
        });
        return out;
      },
      false,
    ],
  ];
  const src = (name: string) => readFileSync(join(PCAPS, name));
  const write = (dir: string, name: string, bytes: Buffer) => {
    writeFileSync(join(dir, name), bytes);
    return join(dir, name);
  };
  function editcap(dir: string, input: string, format: string, name: string): string {
    const out = join(dir, name);
    execFileSync('editcap', ['-F', format, input.startsWith('/') ? input : join(PCAPS, input), out], {
      stdio: 'ignore',
    });
    return out;
  }
  for (const [name, make, libpcap = true] of variants) {
    test(name, async () => {
      const path = make(tmp);
      const { rows, diagnostics } = await readFile(path);
      expect(diagnostics).toEqual([]);
      const expected = tshark(path);
      expect(rows.length).toBe(expected.length);
      expect(rows.length).toBeGreaterThan(0);
      for (let i = 0; i < rows.length; i++)
        expect({ frame: i + 1, ...rows[i] }).toEqual({ frame: i + 1, ...expected[i] });
      if (HAVE_TCPDUMP && libpcap) expect(rows.length).toBe(tcpdumpCount(path));
    });
  }

  test('two captures concatenated read as one stream', async () => {
    const a = readFileSync(join(PCAPS, 'zeek_http_get.pcap'));
    const b = readFileSync(join(PCAPS, 'zeek_dhcp_dhcp.pcap'));
    const { rows, diagnostics } = await read(Buffer.concat([a, b]), {}, 100);
    expect(diagnostics).toEqual([]);
    expect(rows).toEqual([...(await read(a)).rows, ...(await read(b)).rows]);
  });
});

describe('pcap reader: a later IPv6 fragment (where tshark computes no community id)', () => {
  test('proto from the fragment header, no ports, the community id over addresses and proto', async () => {
    const frag = ipv6(2, 1, 44, Buffer.concat([Buffer.from('0600010000000001', 'hex'), Buffer.alloc(8)]));
    const { rows } = await read(rawPcap([frag]));
    expect(rows[0]).toMatchObject({
      src: '2001:db8::2',
      dst: '2001:db8::1',
      proto: 'tcp',
      sport: null,
      dport: null,
    });
    // The spec's hash input, by node:crypto: seed 0, the smaller address first, proto 6, a zero byte, no ports.
    const input = Buffer.concat([
      Buffer.alloc(2),
      frag.subarray(24, 40),
      frag.subarray(8, 24),
      Buffer.from([6, 0]),
    ]);
    expect(rows[0].community_id).toBe(`1:${createHash('sha1').update(input).digest('base64')}`);
  });
});

describe('pcap reader: records larger than the joining window', () => {
  test('200 KB frames straddling 300 KB chunks', async () => {
    const frame = (i: number) =>
      Buffer.concat([
        ipv4('10.0.0.1', '10.0.0.2', 17, ports(1000 + i, 53, '00080000')),
        Buffer.alloc(200_000 - 28, i),
      ]);
    const bytes = rawPcap([frame(0), frame(1), frame(2), frame(3)], 262_144);
    const whole = await read(bytes, { payload: true }, bytes.length);
    expect(whole.rows.map((r) => r.sport)).toEqual([1000, 1001, 1002, 1003]);
    expect(whole.rows[3].payload).toBe(frame(3).toString('base64'));
    for (const size of [300_000, 70_000, 199_999])
      expect((await read(bytes, { payload: true }, size)).rows).toEqual(whole.rows);
  });
});

describe('pcap reader: pcapng blocks built by hand', () => {
  const block = (type: number, body: Buffer) => {
    const pad = Buffer.alloc((4 - (body.length % 4)) % 4);
    const len = 12 + body.length + pad.length;
    const h = Buffer.alloc(8);
    h.writeUInt32LE(type, 0);
    h.writeUInt32LE(len, 4);
    const t = Buffer.alloc(4);
    t.writeUInt32LE(len, 0);
    return Buffer.concat([h, body, pad, t]);
  };
  const shb = () => {
    const b = Buffer.alloc(16);
    b.writeUInt32LE(0x1a2b3c4d, 0);
    b.writeUInt16LE(1, 4);
    b.writeBigInt64LE(-1n, 8);
    return block(0x0a0d0d0a, b);
  };
  const idb = (linktype: number, options: Buffer = Buffer.alloc(0)) => {
    const b = Buffer.alloc(8);
    b.writeUInt16LE(linktype, 0);
    b.writeUInt32LE(0, 4);
    return block(1, Buffer.concat([b, options]));
  };
  // An IPv4/UDP packet 10.0.0.1:1234 → 10.0.0.2:53 with 4 bytes of payload.
  const udp = () => {
    const ip = Buffer.from('450000200000000040110000' + '0a000001' + '0a000002', 'hex');
    return Buffer.concat([ip, Buffer.from('04d20035000c0000deadbeef', 'hex')]);
  };
  const epb = (iface: number, tsHi: number, tsLo: number, frame: Buffer) => {
    const b = Buffer.alloc(20);
    b.writeUInt32LE(iface, 0);
    b.writeUInt32LE(tsHi, 4);
    b.writeUInt32LE(tsLo, 8);
    b.writeUInt32LE(frame.length, 12);
    b.writeUInt32LE(frame.length, 16);
    return block(6, Buffer.concat([b, frame]));
  };
  const spb = (frame: Buffer) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(frame.length, 0);
    return block(3, Buffer.concat([b, frame]));
  };
  const tsresol = (v: number) => Buffer.from([9, 0, 1, 0, v, 0, 0, 0, 0, 0, 0, 0]);

  test('simple packet blocks (no time), binary and decimal resolutions, unknown blocks skipped', async () => {
    const ms = 1_700_000_000_123; // milliseconds
    const bin = BigInt(1_700_000_000) * 2n ** 20n + 2n ** 19n; // 2^-20 s units: +0.5 s
    const bytes = Buffer.concat([
      shb(),
      idb(101),
      block(0x0bad, Buffer.from('custom block')),
      spb(udp()),
      idb(228, tsresol(3)),
      epb(1, Math.floor(ms / 2 ** 32), ms % 2 ** 32, udp()),
      idb(101, tsresol(0x80 | 20)),
      epb(2, Number(bin >> 32n), Number(bin & 0xffffffffn), udp()),
    ]);
    const { rows, diagnostics } = await read(bytes);
    expect(diagnostics).toEqual([]);
    expect(rows.map((r) => r.time)).toEqual([null, '1700000000123000000', '1700000000500000000']);
    expect(rows[0]).toMatchObject({
      src: '10.0.0.1',
      dst: '10.0.0.2',
      sport: 1234,
      dport: 53,
      proto: 'udp',
      length: '32',
    });
  });

  test('an unsupported interface skips its packets with a recoverable error', async () => {
    const bytes = Buffer.concat([
      shb(),
      idb(105),
      epb(0, 0, 1, udp()),
      idb(101),
      epb(1, 0, 1, udp()),
      epb(7, 0, 1, udp()),
    ]);
    const { rows, diagnostics } = await read(bytes);
    expect(rows).toHaveLength(1);
    expect(diagnostics.map((d) => [d.message, d.recoverable])).toEqual([
      ['pcap: unsupported linktype 105 (IEEE802_11) of interface 0', true],
      ['pcap: packet block at byte 196 names interface 7, but 2 are defined', true],
    ]);
  });
});

describe('pcap reader: broken input (test/fixtures/broken/pcap-*)', () => {
  const fixture = (name: string) => readFileSync(join(BROKEN, name));

  test('truncated mid-record: the packets before it, then a non-recoverable error with the offset', async () => {
    const { rows, diagnostics } = await read(fixture('pcap-truncated.pcap'), {}, 1000);
    expect(rows).toHaveLength(13);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ severity: 'error', recoverable: false });
    expect(diagnostics[0].message).toBe('pcap: truncated record at byte 6253');
  });

  test('truncated pcapng block', async () => {
    const { rows, diagnostics } = await read(fixture('pcap-truncated.pcapng'));
    expect(rows).toHaveLength(99);
    expect(diagnostics.map((d) => d.message)).toEqual([
      expect.stringMatching(/^pcap: truncated block at byte 59040$/),
    ]);
  });

  test('a record header claiming more than the snaplen', async () => {
    const { rows, diagnostics } = await read(fixture('pcap-huge-caplen.pcap'));
    expect(rows).toHaveLength(1);
    expect(diagnostics.map((d) => [d.message, d.recoverable])).toEqual([
      [
        "pcap: record at byte 347 claims 4294967295 captured bytes, more than the file's snaplen 65535",
        false,
      ],
    ]);
  });

  test('an unsupported linktype is named', async () => {
    const { rows, diagnostics } = await read(fixture('pcap-linktype-802_11.pcap'));
    expect(rows).toHaveLength(0);
    expect(diagnostics.map((d) => d.message)).toEqual(['pcap: unsupported linktype 105 (IEEE802_11)']);
  });

  test('garbage is not a capture', async () => {
    const { rows, diagnostics } = await read(fixture('pcap-garbage.pcap'));
    expect(rows).toHaveLength(0);
    expect(diagnostics.map((d) => [d.message, d.recoverable])).toEqual([
      ['pcap: not a pcap or pcapng file', false],
    ]);
  });

  test('empty input is no packets; a few bytes are a cut-off header or not a capture', async () => {
    expect(await read(new Uint8Array(0))).toMatchObject({ rows: [], diagnostics: [] });
    const cut = await read(readFileSync(join(BROKEN, 'pcap-truncated.pcap')).subarray(0, 10));
    expect(cut.diagnostics.map((d) => d.message)).toEqual(['pcap: truncated file header at byte 0']);
    const short = await read(new TextEncoder().encode('ok\n'));
    expect(short.diagnostics.map((d) => d.message)).toEqual(['pcap: not a pcap or pcapng file']);
  });

  test('through readBatches the non-recoverable error stops the read after the good packets', async () => {
    const diagnostics: Diagnostic[] = [];
    let rows = 0;
    await expect(async () => {
      const r = await readAll(
        pcap,
        { path: join(BROKEN, 'pcap-truncated.pcap') },
        { onDiagnostic: (d) => diagnostics.push(d) },
      );
      rows = r.rows;
    }).rejects.toThrow(/truncated record at byte 6253/);
    expect(rows).toBe(0);
    expect(diagnostics).toHaveLength(1);
  });
});

describe('pcap reader: bundled captures (test/data/pcap)', () => {
  test('an empty chunk (idle input) yields the rows so far, before the input ends', async () => {
    const bytes = readFileSync(join(TEST_DATA, 'pcap', 'zeek_http_get.pcap'));
    const yielded: number[] = [];
    let sent = 0;
    async function* input() {
      yield bytes.subarray(0, 1000);
      sent = 1;
      yield new Uint8Array(0);
      sent = 2;
      yield bytes.subarray(1000);
    }
    const ctx: ReaderContext = {
      file: '<test>',
      schemas: registry,
      batchSize: 65_536,
      maxLineBytes: 1 << 20,
      options: {},
      report: () => {},
    };
    for await (const b of readPcap(input(), ctx)) yielded.push(sent, b.numRows);
    // The first batch came while the reader was at the idle marker, with the packets of the first 1000 bytes.
    expect(yielded[0]).toBe(1);
    expect(yielded[1]).toBeGreaterThan(0);
    expect(yielded.filter((_, i) => i % 2 === 1).reduce((a, b) => a + b, 0)).toBe(14);
  });

  test('community ids of example.pcap equal those in Zeek conn.log (joined on the 5-tuple)', async () => {
    const { rows } = await readFile(join(TEST_DATA, 'pcap', 'example.pcap'));
    const log = readFileSync(join(TEST_DATA, 'zeek', 'example-pcap_conn.log'), 'utf8').split('\n');
    const names = log
      .find((l) => l.startsWith('#fields'))!
      .split('\t')
      .slice(1);
    const col = (n: string) => names.indexOf(n);
    const zeek = new Map<string, string>();
    for (const line of log) {
      if (line === '' || line.startsWith('#')) continue;
      const f = line.split('\t');
      const key = [
        f[col('id.orig_h')],
        f[col('id.orig_p')],
        f[col('id.resp_h')],
        f[col('id.resp_p')],
        f[col('proto')],
      ];
      zeek.set(key.join(' '), f[col('community_id')]);
    }
    let joined = 0;
    for (const r of rows) {
      // A packet matches a connection in either direction.
      const fwd = [r.src, r.sport, r.dst, r.dport, r.proto].join(' ');
      const rev = [r.dst, r.dport, r.src, r.sport, r.proto].join(' ');
      const id = zeek.get(fwd) ?? zeek.get(rev);
      if (id === undefined) continue;
      expect(r.community_id, fwd).toBe(id);
      joined++;
    }
    expect(new Set(zeek.values()).size).toBeGreaterThan(20);
    expect(joined).toBeGreaterThan(900);
  });

  test('zeek_http_get.pcap and example.pcap read without the shared corpus', async () => {
    expect((await readFile(join(TEST_DATA, 'pcap', 'zeek_http_get.pcap'))).rows).toHaveLength(14);
    const { rows } = await readFile(join(TEST_DATA, 'pcap', 'example.pcap'));
    expect(rows).toHaveLength(1000);
    expect(rows[0].community_id).toBe('1:Qk7Gm4iQRNO1aS3Yt98NgELpTuM=');
  });
});
