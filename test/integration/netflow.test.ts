/**
 * The netflow source against a real exporter: softflowd replays a pcap from
 * ../shared/datasets as NetFlow v5, v9 and IPFIX to the source on a loopback
 * port, and the same softflowd invocation (deterministic with `-a`, which
 * takes times from the pcap) goes to nfcapd, whose flows `nfdump` prints for
 * an independent decoding to compare with. Needs softflowd and nfdump
 * (`apt-get install softflowd nfdump`); skips visibly without them.
 */

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as A from 'apache-arrow';
import { afterAll, describe, expect, test } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics.js';
import { netflow } from '../../src/formats/netflow/index.js';
import { type NetflowSourceStatus, netflowSource } from '../../src/sources/netflow.js';
import type { RunningSource, SourceContext } from '../../src/sources/source.js';
import { schemaName, vastSchema } from '../../src/types/arrow.js';
import { formatIP } from '../../src/types/ip.js';
import { valueAt } from '../../src/types/values.js';
import { DATASETS, dataset, describeSkipped, HAVE_DATASETS } from '../helpers/datasets.js';
import { testPolicy } from '../helpers/policy.js';
import { readAll, registry } from '../helpers/read.js';

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const missing = ['softflowd', 'nfcapd', 'nfdump'].filter((t) => !has(t));
const describeTools =
  missing.length === 0 && HAVE_DATASETS
    ? describe
    : (name: string, _fn: () => void) =>
        describeSkipped(
          name,
          missing.length > 0
            ? `${missing.join(', ')} not installed (apt-get install softflowd nfdump)`
            : `${DATASETS} not found (set VAST_DATASETS)`,
        );

const tmp = mkdtempSync(join(tmpdir(), 'vast-netflow-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A free UDP port on 127.0.0.1 (bound and released). */
async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Flow {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  proto: number;
  packets: number;
  octets: number;
  flags: number;
  /** `type/code` for ICMP (whose flows have no ports or flags), else empty. */
  icmp: string;
  first: string;
  last: string;
}

const key = (f: Flow, times = true) =>
  [
    f.src,
    f.dst,
    f.sport,
    f.dport,
    f.proto,
    f.icmp,
    f.packets,
    f.octets,
    f.flags,
    ...(times ? [f.first, f.last] : []),
  ].join(' ');

/** nfdump's decoding of the same export, via nfcapd. */
async function nfdumpFlows(pcaps: string[], args: string[]): Promise<Flow[]> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmp, 'nfcapd-'));
  const nfcapd = spawn('nfcapd', ['-b', '127.0.0.1', '-p', String(port), '-w', dir], { stdio: 'ignore' });
  const exited = new Promise((r) => nfcapd.once('exit', r));
  await sleep(800);
  for (const p of pcaps) softflowdRun(p, port, args);
  await sleep(800);
  nfcapd.kill('SIGTERM');
  await exited;
  const files = readdirSync(dir).filter((f) => f.startsWith('nfcapd.'));
  const flows: Flow[] = [];
  for (const f of files) {
    const json = execFileSync('nfdump', ['-r', join(dir, f), '-o', 'json'], {
      encoding: 'utf8',
      env: { ...process.env, TZ: 'UTC' },
    });
    // nfcapd may leave a file without flows (rotation under load); nfdump then prints a note, not JSON.
    if (json.includes('No matching flows')) continue;
    for (const r of JSON.parse(json) as Record<string, string | number>[]) {
      const icmp = r.icmp_type !== undefined;
      flows.push({
        src: String(r.src4_addr ?? r.src6_addr),
        dst: String(r.dst4_addr ?? r.dst6_addr),
        sport: icmp ? 0 : Number(r.src_port),
        dport: icmp ? 0 : Number(r.dst_port),
        proto: Number(r.proto),
        icmp: icmp ? `${r.icmp_type}/${r.icmp_code}` : '',
        packets: Number(r.in_packets),
        octets: Number(r.in_bytes),
        flags: icmp ? 0 : nfdumpFlags(String(r.tcp_flags)),
        first: `${r.first}Z`,
        last: `${r.last}Z`,
      });
    }
  }
  return flows;
}

/** nfdump prints TCP flags as `CEUAPRSF` with dots for unset bits. */
function nfdumpFlags(s: string): number {
  let v = 0;
  for (let i = 0; i < 8; i++) if (s[i] !== '.') v |= 0x80 >> i;
  return v;
}

/** Replays `pcap` with softflowd to 127.0.0.1:port. */
function softflowdRun(pcap: string, port: number, args: string[]): string {
  return execFileSync(
    'softflowd',
    // -d: foreground; -c none: no control socket (softflowd 1.1 blocks on it with -r); -a: times from the pcap.
    [
      '-d',
      '-c',
      'none',
      '-p',
      join(tmp, 'softflowd.pid'),
      '-r',
      pcap,
      '-n',
      `127.0.0.1:${port}`,
      '-a',
      ...args,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/** A little-endian classic pcap of Ethernet/IPv4/UDP frames from 127.0.0.1:port to 127.0.0.1:2055. */
function pcapOf(payloads: { data: Buffer; port: number }[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  const records = payloads.map(({ data, port }, i) => {
    const frame = Buffer.alloc(14 + 20 + 8 + data.length);
    frame.writeUInt16BE(0x0800, 12);
    frame[14] = 0x45;
    frame.writeUInt16BE(28 + data.length, 16);
    frame[22] = 64;
    frame[23] = 17;
    frame.set([127, 0, 0, 1, 127, 0, 0, 1], 26);
    frame.writeUInt16BE(port, 34);
    frame.writeUInt16BE(2055, 36);
    frame.writeUInt16BE(8 + data.length, 38);
    data.copy(frame, 42);
    const r = Buffer.alloc(16);
    r.writeUInt32LE(1_700_000_000 + i, 0);
    r.writeUInt32LE(frame.length, 8);
    r.writeUInt32LE(frame.length, 12);
    return Buffer.concat([r, frame]);
  });
  return Buffer.concat([header, ...records]);
}

/** A SourceContext that collects what the source emits. */
function context(policy = testPolicy()) {
  const batches: A.RecordBatch[] = [];
  const diagnostics: Diagnostic[] = [];
  const abort = new AbortController();
  const ctx: SourceContext = {
    id: 'test',
    schemas: registry,
    emit: async (b) => {
      batches.push(b);
    },
    report: (d) => diagnostics.push(d),
    signal: abort.signal,
    policy,
  };
  return { ctx, batches, diagnostics, abort };
}

/** Flows as ms-precision records (nfdump prints milliseconds, truncated). */
function ourFlows(batches: A.RecordBatch[]): (Flow & { version: number; exporter: string })[] {
  const out: (Flow & { version: number; exporter: string })[] = [];
  for (const b of batches) {
    expect(schemaName(b)).toBe('netflow.flow');
    const s = vastSchema(b.schema);
    const col = (name: string) => {
      const k = s.type.fields.findIndex((f) => f.name === name);
      return { data: b.data.children[k], type: s.type.fields[k].type };
    };
    const get = (name: string, i: number) => {
      const c = col(name);
      return valueAt(c.data, c.type, i);
    };
    // Truncated to milliseconds, as nfdump prints them.
    const ms = (v: unknown) => new Date(Number((v as bigint) / 1_000_000n)).toISOString();
    for (let i = 0; i < b.numRows; i++) {
      const proto = Number(get('protocol', i));
      const icmp = proto === 1 || proto === 58;
      out.push({
        version: Number(get('version', i)),
        exporter: formatIP((get('exporter', i) as { ip: Uint8Array }).ip),
        src: formatIP((get('src_addr', i) as { ip: Uint8Array }).ip),
        dst: formatIP((get('dst_addr', i) as { ip: Uint8Array }).ip),
        sport: icmp ? 0 : Number(get('src_port', i)),
        dport: icmp ? 0 : Number(get('dst_port', i)),
        proto,
        icmp: icmp ? `${get('icmp_type', i)}/${get('icmp_code', i)}` : '',
        packets: Number(get('packets', i)),
        octets: Number(get('octets', i)),
        flags: icmp ? 0 : Number(get('tcp_flags', i)),
        first: ms(get('flow_start', i)),
        last: ms(get('flow_end', i)),
      });
    }
  }
  return out;
}

/** Runs the source, replays the pcaps into it, waits for `expected` flows, stops it. */
async function collect(pcaps: string[], args: string[], expected: number) {
  const c = context();
  const source: RunningSource = await netflowSource.start(
    { listen: '127.0.0.1:0', 'flush-interval': 200 },
    c.ctx,
  );
  const port = Number(/:(\d+)$/.exec(source.status().endpoint!)![1]);
  for (const p of pcaps) softflowdRun(p, port, args);
  for (let i = 0; i < 100 && source.status().events < expected; i++) await sleep(50);
  await source.stop();
  await source.done;
  return { ...c, status: source.status() as NetflowSourceStatus, flows: ourFlows(c.batches) };
}

const sorted = (flows: Flow[], times = true) => flows.map((f) => key(f, times)).sort();

describeTools('netflow source with softflowd and nfdump', () => {
  const example = dataset('pcap', 'example.pcap');
  const alerts = dataset('pcap', 'zui_alerts.pcap');
  const ipv6 = dataset('pcap', 'zeek_ftp_ipv6.pcap');

  test('NetFlow v5: every flow as nfdump decodes it, times to the millisecond', async () => {
    const reference = await nfdumpFlows([example, alerts], ['-v', '5']);
    expect(reference.length).toBe(42 + 249);
    const r = await collect([example, alerts], ['-v', '5'], reference.length);
    expect(r.diagnostics).toEqual([]);
    expect(r.status).toMatchObject({ events: reference.length, errors: 0, dropped: 0 });
    expect(sorted(r.flows)).toEqual(sorted(reference));
    expect(new Set(r.flows.map((f) => `${f.version} ${f.exporter}`))).toEqual(new Set(['5 127.0.0.1']));
    // The first flow of example.pcap, by hand from softflowd's debug output and the pcap.
    expect(r.flows).toContainEqual(
      expect.objectContaining({
        src: '83.135.95.78',
        dst: '192.168.168.100',
        sport: 22,
        dport: 61183,
        packets: 12,
        octets: 2281,
        first: '2018-10-30T08:56:07.459Z',
      }),
    );
    const totals = (fs: Flow[]) => fs.reduce((a, f) => [a[0] + f.packets, a[1] + f.octets], [0, 0]);
    expect(totals(r.flows)).toEqual(totals(reference));
  });

  test('NetFlow v9 (templates, IPv4 and IPv6): every flow as nfdump decodes it', async () => {
    const args = ['-v', '9', '-6'];
    const reference = await nfdumpFlows([alerts, ipv6], args);
    expect(reference.filter((f) => f.src.includes(':')).length).toBeGreaterThan(0);
    const r = await collect([alerts, ipv6], args, reference.length);
    expect(r.diagnostics).toEqual([]);
    expect(r.status).toMatchObject({ events: reference.length, errors: 0, missingTemplate: 0 });
    expect(sorted(r.flows)).toEqual(sorted(reference));
    expect(new Set(r.flows.map((f) => f.version))).toEqual(new Set([9]));
  });

  test('IPFIX with absolute millisecond times (-A milli): every flow as nfdump decodes it', async () => {
    const args = ['-v', '10', '-6', '-A', 'milli'];
    const reference = await nfdumpFlows([alerts, ipv6], args);
    const r = await collect([alerts, ipv6], args, reference.length);
    expect(r.diagnostics).toEqual([]);
    expect(sorted(r.flows)).toEqual(sorted(reference));
    expect(new Set(r.flows.map((f) => f.version))).toEqual(new Set([10]));
  });

  test("vast import netflow: a pcap of softflowd's v9 export reads like the live source", async () => {
    // Catch the export datagrams on a plain socket and write them as a pcap (Ethernet/IPv4/UDP).
    const sock = createSocket('udp4');
    const payloads: { data: Buffer; port: number }[] = [];
    sock.on('message', (m, r) => payloads.push({ data: m, port: r.port }));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    softflowdRun(alerts, sock.address().port, ['-v', '9', '-6']);
    softflowdRun(ipv6, sock.address().port, ['-v', '9', '-6']);
    await sleep(300);
    await new Promise<void>((r) => sock.close(() => r()));
    const path = join(tmp, 'export.pcap');
    writeFileSync(path, pcapOf(payloads));
    const { batches, diagnostics } = await readAll(netflow, { path });
    expect(diagnostics).toEqual([]);
    const reference = await nfdumpFlows([alerts, ipv6], ['-v', '9', '-6']);
    expect(sorted(ourFlows(batches))).toEqual(sorted(reference));
  });

  test('IPFIX with sysUpTime times (softflowd default): same flows; times anchored by systemInitTimeMilliseconds', async () => {
    // nfdump 1.7 swaps this encoding's start and end, so its times are no reference here:
    // the same flows exported with absolute times (-A milli) are.
    const reference = await nfdumpFlows([alerts, ipv6], ['-v', '10', '-6']);
    const absolute = await collect([alerts, ipv6], ['-v', '10', '-6', '-A', 'milli'], reference.length);
    const r = await collect([alerts, ipv6], ['-v', '10', '-6'], reference.length);
    expect(r.diagnostics).toEqual([]);
    expect(r.status.events).toBe(reference.length);
    expect(sorted(r.flows, false)).toEqual(sorted(reference, false));
    // softflowd truncates the init time and each uptime to milliseconds on their own, so their sum
    // is the truncated absolute time or 1 ms short of it, never more.
    const times = (fs: Flow[]) => {
      const m = new Map<string, number[][]>();
      for (const f of fs)
        m.set(key(f, false), [...(m.get(key(f, false)) ?? []), [Date.parse(f.first), Date.parse(f.last)]]);
      for (const v of m.values()) v.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      return m;
    };
    const ours = times(r.flows);
    const theirs = times(absolute.flows);
    expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
    for (const [k, v] of ours) {
      v.forEach(([first, last], i) => {
        const [f2, l2] = theirs.get(k)![i];
        expect([0, 1], k).toContain(f2 - first);
        expect([0, 1], k).toContain(l2 - last);
      });
    }
    for (const f of r.flows) expect(f.first <= f.last).toBe(true);
  });
});

/** A NetFlow v5 packet with one record, built by hand. */
function v5Packet(sequence: number): Uint8Array {
  const b = Buffer.alloc(24 + 48);
  b.writeUInt16BE(5, 0);
  b.writeUInt16BE(1, 2);
  b.writeUInt32BE(100_000, 4);
  b.writeUInt32BE(1_700_000_000, 8);
  b.writeUInt32BE(sequence, 16);
  b.set([10, 0, 0, 1, 10, 0, 0, 2], 24);
  b.writeUInt32BE(3, 24 + 16); // packets
  b.writeUInt32BE(300, 24 + 20); // octets
  b.writeUInt32BE(99_000, 24 + 24);
  b.writeUInt32BE(99_500, 24 + 28);
  b[24 + 38] = 6;
  return b;
}

async function send(port: number, packets: Uint8Array[], host = '127.0.0.1'): Promise<number> {
  const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((r) => s.bind(0, host, () => r()));
  for (const p of packets) await new Promise<void>((r, j) => s.send(p, port, host, (e) => (e ? j(e) : r())));
  const { port: from } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return from;
}

const portOf = (s: RunningSource) => Number(/:(\d+)$/.exec(s.status().endpoint!)![1]);

describe('netflow source', () => {
  test('broken datagrams: a diagnostic naming the exporter, the source goes on', async () => {
    const c = context();
    const source = await netflowSource.start({ listen: '127.0.0.1:0' }, c.ctx);
    const port = portOf(source);
    const v7 = Buffer.from(v5Packet(1));
    v7.writeUInt16BE(7, 0);
    const from = await send(port, [v7, v5Packet(2).subarray(0, 50), v5Packet(3)]);
    for (let i = 0; i < 100 && source.status().events < 1; i++) await sleep(20);
    await source.stop();
    expect(c.diagnostics.map((d) => [d.severity, d.message, d.notes?.[0]])).toEqual([
      [
        'error',
        'unsupported NetFlow version 7 (vast reads 5, 9 and 10, IPFIX)',
        `packet 1 from exporter 127.0.0.1:${from}, byte offset 0`,
      ],
      [
        'error',
        'truncated NetFlow v5 packet: 1 records need 72 bytes, the packet has 50',
        `packet 2 from exporter 127.0.0.1:${from}, byte offset 50`,
      ],
    ]);
    expect(source.status()).toMatchObject({ events: 1, errors: 2, packets: 3, dropped: 0 });
    expect(ourFlows(c.batches)).toEqual([
      expect.objectContaining({
        version: 5,
        exporter: '127.0.0.1',
        src: '10.0.0.1',
        dst: '10.0.0.2',
        packets: 3,
        octets: 300,
      }),
    ]);
  });

  test('while the node is slow to take a batch, at most --max-pending datagrams wait; the rest are counted as dropped', async () => {
    const c = context();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const emitted: A.RecordBatch[] = [];
    const ctx: SourceContext = {
      ...c.ctx,
      emit: async (b) => {
        emitted.push(b);
        await gate;
      },
    };
    const source = await netflowSource.start(
      { listen: '127.0.0.1:0', 'batch-size': 1, 'max-pending': 5 },
      ctx,
    );
    await send(
      portOf(source),
      Array.from({ length: 50 }, (_, i) => v5Packet(i)),
    );
    for (let i = 0; i < 100 && (source.status() as NetflowSourceStatus).packets < 50; i++) await sleep(20);
    expect(source.status()).toMatchObject({ packets: 50, dropped: 44, events: 1 });
    release();
    await source.stop();
    expect(source.status()).toMatchObject({ events: 6, dropped: 44 });
    expect(emitted.reduce((n, b) => n + b.numRows, 0)).toBe(6);
  });

  test('flushes a partial batch on the interval; IPv6 listener; abort stops it', async () => {
    const c = context();
    let source: RunningSource;
    try {
      source = await netflowSource.start({ listen: '[::1]:0', 'flush-interval': 100 }, c.ctx);
    } catch {
      return; // no IPv6 loopback here
    }
    expect(source.status().endpoint).toMatch(/^udp:\/\/\[::1\]:\d+$/);
    await send(portOf(source), [v5Packet(1)], '::1');
    for (let i = 0; i < 100 && c.batches.length === 0; i++) await sleep(20);
    expect(c.batches.length).toBe(1);
    expect(c.diagnostics).toEqual([]);
    expect(ourFlows(c.batches)[0].exporter).toBe('::1');
    c.abort.abort();
    await source.done;
  });

  test('a taken port is an error at start', async () => {
    const c = context();
    const a = await netflowSource.start({ listen: '127.0.0.1:0' }, c.ctx);
    await expect(netflowSource.start({ listen: `127.0.0.1:${portOf(a)}` }, c.ctx)).rejects.toThrow(
      /cannot listen on udp:\/\/127\.0\.0\.1:\d+: .*EADDRINUSE/,
    );
    await expect(netflowSource.start({ listen: 'udp://[::1' }, c.ctx)).rejects.toThrow(
      /invalid listen address/,
    );
    await a.stop();
  });

  test('only addresses the operator allows (source-bind-addresses; default loopback)', async () => {
    const c = context();
    for (const [listen, host] of [
      ['0.0.0.0:0', '0.0.0.0'],
      ['[::]:2055', '::'],
      [':0', '0.0.0.0'],
    ])
      await expect(netflowSource.start({ listen }, c.ctx), listen).rejects.toThrow(
        `netflow: may not listen on '${host}': the node's source-bind-addresses setting allows only 127.0.0.1, ::1`,
      );
    // Another spelling of ::1 is ::1 (IPv6 may be unavailable here: then only the bind fails).
    const other = await netflowSource.start({ listen: '[0:0:0:0:0:0:0:1]:0' }, c.ctx).catch((e) => e);
    if (other instanceof Error) expect(other.message).toMatch(/^netflow: cannot listen on/);
    else {
      expect(other.status().endpoint).toMatch(/^udp:\/\/\[::1\]:\d+$/);
      await other.stop();
    }
  });
});
