/**
 * The pcap source with a real tcpdump: live capture on the loopback interface
 * of traffic this test sends (to 127.0.0.1 and ::1 only, never anywhere else),
 * and file reading. The source is driven directly through a SourceContext
 * that collects what it emits and reports.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as A from 'apache-arrow';
import { afterAll, describe, expect, test } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics.js';
import { pcapSource, tcpdumpArgs } from '../../src/sources/pcap.js';
import type { RunningSource, SourceContext, SourceOptions } from '../../src/sources/source.js';
import { vastSchema } from '../../src/types/arrow.js';
import { formatIP } from '../../src/types/ip.js';
import { valueAt } from '../../src/types/values.js';
import { TEST_DATA } from '../helpers/datasets.js';
import { testPolicy } from '../helpers/policy.js';
import { registry } from '../helpers/read.js';

const HAVE_TCPDUMP = spawnSync('tcpdump', ['--version'], { stdio: 'ignore' }).status === 0;

/** Whether tcpdump may capture on lo here, checked once: it says "listening on" when it may. */
const CAPTURE = (() => {
  if (!HAVE_TCPDUMP) return 'tcpdump not installed';
  const r = spawnSync('tcpdump', ['-i', 'lo', '-w', '/dev/null', 'udp port 9'], {
    timeout: 1500,
    encoding: 'utf8',
  });
  return r.stderr.includes('listening on')
    ? undefined
    : `tcpdump may not capture on lo: ${r.stderr.trim().split('\n')[0]}`;
})();
const describeLive = (name: string, fn: () => void) =>
  CAPTURE === undefined ? describe(name, fn) : describe.skip(`${name} (skipped: ${CAPTURE})`, fn);
const describeTcpdump = (name: string, fn: () => void) =>
  HAVE_TCPDUMP ? describe(name, fn) : describe.skip(`${name} (skipped: tcpdump not installed)`, fn);

const tmp = mkdtempSync(join(tmpdir(), 'vast-pcap-live-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Harness {
  ctx: SourceContext;
  batches: A.RecordBatch[];
  diagnostics: Diagnostic[];
  abort: AbortController;
  rows(): Record<string, unknown>[];
}

/** Capture files come from the test data and fixtures, and from this test's temporary directory. */
const READABLE = { 'source-paths': [join(TEST_DATA, '..'), tmp] };

function harness(policy = testPolicy(READABLE)): Harness {
  const batches: A.RecordBatch[] = [];
  const diagnostics: Diagnostic[] = [];
  const abort = new AbortController();
  const ctx: SourceContext = {
    id: 'pcap-test',
    schemas: registry,
    emit: async (b) => {
      batches.push(b);
    },
    report: (d) => diagnostics.push(d),
    signal: abort.signal,
    policy,
  };
  const rows = () =>
    batches.flatMap((b) => {
      const t = vastSchema(b.schema).type;
      return Array.from({ length: b.numRows }, (_, i) => {
        const v = valueAt(b.data, t, i) as Record<string, unknown>;
        for (const k of ['src', 'dst']) if (v[k] !== null) v[k] = formatIP((v[k] as { ip: Uint8Array }).ip);
        return v;
      });
    });
  return { ctx, batches, diagnostics, abort, rows };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(50);
}

/** A UDP socket bound to a loopback address and a free port. */
async function bound(type: 'udp4' | 'udp6', address: string): Promise<Socket | undefined> {
  const s = createSocket(type);
  return new Promise((resolve) => {
    s.once('error', () => resolve(undefined));
    s.bind(0, address, () => resolve(s));
  });
}

const send = (s: Socket, payload: string, port: number, address: string) =>
  new Promise<void>((resolve, reject) => s.send(payload, port, address, (e) => (e ? reject(e) : resolve())));

describeLive('pcap source: live capture on loopback', () => {
  for (const iface of ['lo', 'any']) {
    test(`-i ${iface} with a BPF filter captures exactly the datagrams sent, with their 5-tuples`, async () => {
      const receiver = (await bound('udp4', '127.0.0.1'))!;
      const receiver6 = await bound('udp6', '::1');
      const port = receiver.address().port;
      const sender = (await bound('udp4', '127.0.0.1'))!;
      const sender6 = receiver6 && (await bound('udp6', '::1'));
      const h = harness();
      const filter = receiver6
        ? `udp port ${port} or udp port ${receiver6.address().port}`
        : `udp port ${port}`;
      const source = await pcapSource.start({ interface: iface, filter }, h.ctx);
      try {
        const expected: string[] = [];
        for (let i = 0; i < 3; i++) {
          await send(sender, `datagram ${i}`, port, '127.0.0.1');
          expected.push(`127.0.0.1 ${sender.address().port} 127.0.0.1 ${port} udp ${14 + 20 + 8 + 10}`);
        }
        if (receiver6 && sender6) {
          for (let i = 0; i < 2; i++) {
            await send(sender6, `v6 datagram ${i}`, receiver6.address().port, '::1');
            expected.push(
              `::1 ${sender6.address().port} ::1 ${receiver6.address().port} udp ${14 + 40 + 8 + 13}`,
            );
          }
        }
        // Emitted while still capturing: the partial batch is flushed on the one-second timer.
        await until(() => h.rows().length >= expected.length);
        expect(h.rows().length).toBe(expected.length);
        await sleep(1500);
        await source.stop();
        // `any` captures with Linux cooked v2 headers (20 bytes) instead of Ethernet (14) in front of IP.
        const header = iface === 'any' ? 20 : 14;
        const got = h
          .rows()
          .map((r) => `${r.src} ${r.sport} ${r.dst} ${r.dport} ${r.proto} ${Number(r.length) - header + 14}`);
        expect(got).toEqual(expected);
        const ids = new Set(h.rows().map((r) => r.community_id));
        expect(ids.size).toBe(receiver6 ? 2 : 1);
        expect(h.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        expect(source.status()).toMatchObject({
          events: expected.length,
          errors: 0,
          endpoint: `pcap://${iface}`,
        });
        expect(source.status().bytes).toBeGreaterThan(24);
      } finally {
        await source.stop();
        for (const s of [receiver, receiver6, sender, sender6]) s?.close();
      }
    });
  }

  test('the abort signal stops tcpdump; done resolves', async () => {
    const h = harness();
    const source = await pcapSource.start({ interface: 'lo', filter: 'udp port 9' }, h.ctx);
    const t0 = Date.now();
    h.abort.abort();
    await source.done;
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(h.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  test('a filter that looks like an option is a filter: tcpdump -w does not run (live)', async () => {
    const target = join(tmp, 'overwritten-by-live-filter');
    const h = harness();
    const error = await pcapSource.start({ interface: 'lo', filter: `-w${target}` }, h.ctx).catch((e) => e);
    expect(error.message).toBe('pcap: tcpdump failed to capture on lo (exit code 1)');
    expect(error.diagnostic.notes.join('\n')).toMatch(/syntax error/);
    expect(existsSync(target)).toBe(false);
  });

  test('cutoff, payload and snaplen options on a live capture', async () => {
    const receiver = (await bound('udp4', '127.0.0.1'))!;
    const sender = (await bound('udp4', '127.0.0.1'))!;
    const port = receiver.address().port;
    const h = harness();
    const options: SourceOptions = {
      interface: 'lo',
      filter: `udp port ${port}`,
      cutoff: 25,
      payload: true,
      snaplen: 48,
    };
    const source = await pcapSource.start(options, h.ctx);
    try {
      // 10 payload bytes each: the third datagram starts at 20 < 25 and is kept, the fourth (30) is cut.
      for (let i = 0; i < 5; i++) await send(sender, `0123456789`, port, '127.0.0.1');
      await until(() => h.rows().length >= 3);
      await sleep(1500);
      await source.stop();
      const rows = h.rows();
      expect(rows).toHaveLength(3);
      for (const r of rows) {
        const frame = Buffer.from(r.payload as string, 'base64');
        // 52 bytes on the wire (14 + 20 + 8 + 10), 48 captured; the cutoff counts the full 10 payload bytes.
        expect(frame.length).toBe(48);
        expect(frame.subarray(42).toString()).toBe('012345');
        expect(r.length).toBe(52n);
      }
    } finally {
      await source.stop();
      receiver.close();
      sender.close();
    }
  });
});

describeTcpdump('pcap source: tcpdump failures are clear errors', () => {
  test('an interface that does not exist', async () => {
    const h = harness();
    await expect(pcapSource.start({ interface: 'nosuchif0' }, h.ctx)).rejects.toThrow(
      /pcap: tcpdump failed to capture on nosuchif0/,
    );
  });

  test('a bad BPF filter', async () => {
    const h = harness();
    await expect(pcapSource.start({ interface: 'lo', filter: 'udp prot 53' }, h.ctx)).rejects.toMatchObject({
      diagnostic: { notes: [expect.stringMatching(/syntax error/)] },
    });
  });

  test.skipIf(process.getuid?.() !== 0 || spawnSync('setpriv', ['--version']).status !== 0)(
    'capture without the capability: permission denied, with the setcap advice',
    async () => {
      // The real tcpdump, run as `nobody` (no capabilities) through setpriv.
      const wrapper = join(tmp, 'tcpdump-as-nobody');
      writeFileSync(
        wrapper,
        '#!/bin/sh\nexec setpriv --reuid=nobody --regid=nogroup --clear-groups tcpdump "$@"\n',
      );
      chmodSync(wrapper, 0o755);
      const h = harness(testPolicy({ 'capture-program': wrapper }));
      const error = await pcapSource.start({ interface: 'lo' }, h.ctx).catch((e) => e);
      expect(error.message).toBe('pcap: tcpdump may not capture on lo: permission denied');
      expect(error.diagnostic.notes).toContain(
        'grant tcpdump the capture capabilities once: sudo setcap cap_net_raw,cap_net_admin=eip $(which tcpdump)',
      );
    },
  );

  test('tcpdump not installed', async () => {
    const h = harness(testPolicy({ 'capture-program': join(tmp, 'no-such-tcpdump') }));
    await expect(pcapSource.start({ interface: 'lo' }, h.ctx)).rejects.toThrow(
      /not found: install tcpdump \(e\.g\. apt-get install tcpdump\) or set the node's capture-program setting/,
    );
  });

  test('the tcpdump command line: the filter after --', () => {
    expect(tcpdumpArgs({ interface: 'eth0', snaplen: 96, filter: 'tcp port 80' })).toEqual([
      '-i',
      'eth0',
      '-w',
      '-',
      '-U',
      '-s',
      '96',
      '--',
      'tcp port 80',
    ]);
    expect(tcpdumpArgs({ read: 'x.pcap', filter: '-w/tmp/x' }, '/data/x.pcap')).toEqual([
      '-r',
      '/data/x.pcap',
      '-w',
      '-',
      '-U',
      '--',
      '-w/tmp/x',
    ]);
  });

  test('interface names and snaplens that could be options are refused', () => {
    for (const iface of ['-w/x', '-wx', 'lo -w', 'eth0;id', '', 'a'.repeat(16), '../lo'])
      if (iface !== '')
        expect(() => tcpdumpArgs({ interface: iface }), iface).toThrow(
          `pcap: invalid interface name '${iface}' (letters, digits, '.', '_', ':' and '-', at most 15, not starting with '-')`,
        );
    for (const iface of ['lo', 'eth0', 'any', 'enp0s31f6', 'br-1a2b3c4d5e6f', 'eth0.100', 'wlan0:1'])
      expect(tcpdumpArgs({ interface: iface }).slice(0, 2)).toEqual(['-i', iface]);
    for (const snaplen of [0, -1, 1.5, 262_145, '-w/x'])
      expect(() => tcpdumpArgs({ interface: 'lo', snaplen }), String(snaplen)).toThrow(
        `pcap: --snaplen expects an integer from 1 to 262144, got '${snaplen}'`,
      );
    // A relative read path could start with '-': only resolved absolute paths reach tcpdump.
    expect(() => tcpdumpArgs({ read: '-w/x' }, '-w/x')).toThrow(/resolved absolute path/);
  });

  test('a filter that looks like an option is a filter: tcpdump -w does not run (reading a file)', async () => {
    const target = join(tmp, 'overwritten-by-filter');
    const h = harness();
    const file = join(TEST_DATA, 'pcap', 'example.pcap');
    const error = await pcapSource.start({ read: file, filter: `-w${target}` }, h.ctx).catch((e) => e);
    // tcpdump saw the text as a filter expression and rejected its syntax.
    expect(error.message).toMatch(/^pcap: tcpdump failed to read .*example\.pcap \(exit code 1\)$/);
    expect(error.diagnostic.notes.join('\n')).toMatch(/syntax error/);
    expect(existsSync(target)).toBe(false);
  });
});

describe('pcap source: reading a file', () => {
  const file = join(TEST_DATA, 'pcap', 'example.pcap');

  test('-r emits every packet and ends by itself', async () => {
    const h = harness();
    const source = await pcapSource.start({ read: file }, h.ctx);
    await source.done;
    expect(h.rows()).toHaveLength(1000);
    expect(source.status()).toEqual({ events: 1000, bytes: statSync(file).size, errors: 0, endpoint: file });
  });

  test.skipIf(!HAVE_TCPDUMP)(
    '-r with a filter goes through tcpdump; the count equals tcpdump -r FILE FILTER',
    async () => {
      const h = harness();
      const source = await pcapSource.start({ read: file, filter: 'tcp port 22' }, h.ctx);
      await source.done;
      const expected = execFileSync('tcpdump', ['-r', file, '-nn', 'tcp port 22'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      })
        .split('\n')
        .filter((l) => l !== '').length;
      expect(expected).toBeGreaterThan(0);
      expect(h.rows()).toHaveLength(expected);
      expect(h.rows().every((r) => r.sport === 22 || r.dport === 22)).toBe(true);
    },
  );

  test.skipIf(!HAVE_TCPDUMP)('-r with a bad filter fails to start', async () => {
    const h = harness();
    await expect(pcapSource.start({ read: file, filter: 'tcp prot 22' }, h.ctx)).rejects.toThrow(
      /pcap: tcpdump failed to read .*example.pcap \(exit code 1\)/,
    );
  });

  test('options arrive as command-line strings', async () => {
    const h = harness();
    const source: RunningSource = await pcapSource.start(
      { read: file, cutoff: '0', 'max-flow-age': '5min' },
      h.ctx,
    );
    await source.done;
    expect(h.rows()).toHaveLength(0); // every packet of example.pcap is IP; cutoff 0 keeps none
  });

  test('usage errors', async () => {
    const h = harness();
    await expect(pcapSource.start({}, h.ctx)).rejects.toThrow(/either --interface \(-i\) or --read \(-r\)/);
    await expect(pcapSource.start({ read: file, interface: 'lo' }, h.ctx)).rejects.toThrow(/either/);
    await expect(pcapSource.start({ read: join(tmp, 'missing.pcap') }, h.ctx)).rejects.toThrow(
      `pcap: may not read '${join(tmp, 'missing.pcap')}': not an existing file in a directory allowed by the node's source-paths setting`,
    );
    await expect(pcapSource.start({ read: file, cutoff: 'lots' }, h.ctx)).rejects.toThrow(/--cutoff expects/);
  });

  test('a broken file: the good packets, then the error', async () => {
    const h = harness();
    const broken = join(TEST_DATA, '..', 'fixtures', 'broken', 'pcap-truncated.pcap');
    const source = await pcapSource.start({ read: broken }, h.ctx);
    await source.done;
    expect(h.rows()).toHaveLength(13);
    expect(h.diagnostics.map((d) => d.message)).toEqual(['pcap: truncated record at byte 6253']);
    expect(source.status().errors).toBe(1);
  });
});
