/**
 * The syslog source against util-linux `logger` (RFC 5424 and RFC 3164, over
 * UDP and TCP, newline and octet-counting framing), on loopback ports. Skips
 * the logger cases visibly where logger is missing (`apt-get install bsdutils`).
 */

import { execFile, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type * as A from 'apache-arrow';
import { describe, expect, test } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics.js';
import type { RunningSource, SourceContext } from '../../src/sources/source.js';
import { parseListen, type SyslogSourceStatus, syslogSource, TcpFramer } from '../../src/sources/syslog.js';
import { schemaName, vastSchema } from '../../src/types/arrow.js';
import { valueAt } from '../../src/types/values.js';
import { testPolicy } from '../helpers/policy.js';
import { registry } from '../helpers/read.js';

const run = promisify(execFile);
const HAVE_LOGGER = spawnSync('sh', ['-c', 'command -v logger']).status === 0;
const describeLogger = HAVE_LOGGER
  ? describe
  : (name: string, fn: () => void) =>
      describe.skip(`${name} (skipped: logger not installed; apt-get install bsdutils)`, fn);

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

type Row = Record<string, unknown>;

/** Events by schema, with maps as objects and times as ms since the epoch. */
function events(batches: A.RecordBatch[], name: string): Row[] {
  const out: Row[] = [];
  for (const b of batches) {
    if (schemaName(b) !== name) continue;
    const s = vastSchema(b.schema);
    for (let i = 0; i < b.numRows; i++) {
      const row: Row = {};
      s.type.fields.forEach((f, k) => {
        const v = valueAt(b.data.children[k], f.type, i);
        if (v === null) row[f.name] = null;
        else if (f.type.kind === 'time') row[f.name] = Number((v as bigint) / 1_000_000n);
        else if (f.type.kind === 'uint64') row[f.name] = Number(v);
        else if (f.type.kind === 'map')
          row[f.name] = Object.fromEntries(
            (v as [string, [string, string][]][]).map(([k2, x]) => [k2, Object.fromEntries(x)]),
          );
        else row[f.name] = v;
      });
      out.push(row);
    }
  }
  return out;
}

const portOf = (s: RunningSource) => Number(/:(\d+)$/.exec(s.status().endpoint!)![1]);

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  for (let t = 0; t < ms && !cond(); t += 20) await sleep(20);
}

/** logger with the clock in UTC (RFC 3164 timestamps are local time without a zone). */
const logger = (port: number, args: string[]) =>
  run('logger', ['-n', '127.0.0.1', '-P', String(port), ...args], { env: { ...process.env, TZ: 'UTC' } });

const HOST = hostname();
const SHORT_HOST = HOST.split('.')[0];

describeLogger('syslog source with logger', () => {
  for (const transport of ['udp', 'tcp'] as const) {
    test(`${transport}: RFC 5424 and RFC 3164 messages, exact fields`, async () => {
      const c = context();
      const source = await syslogSource.start(
        { listen: `${transport}://127.0.0.1:0`, 'flush-interval': 100 },
        c.ctx,
      );
      const port = portOf(source);
      const tcp = transport === 'tcp' ? ['-T'] : ['-d'];
      const before = Date.now();
      await logger(port, [
        ...tcp,
        '--rfc5424',
        '-t',
        'myapp',
        '--id=4242',
        '-p',
        'local3.warning',
        '--msgid',
        'MID7',
        '--sd-id',
        'ex@32473',
        '--sd-param',
        'k="v \\"q\\" \\]"',
        `hello 5424 over ${transport}`,
      ]);
      await logger(port, [
        ...tcp,
        '--rfc3164',
        '-t',
        'app3164',
        '--id=99',
        '-p',
        'user.err',
        `hello 3164 over ${transport}`,
      ]);
      // Framing by octet counting (TCP only) and a message without a tag pid.
      if (transport === 'tcp')
        await logger(port, ['-T', '--octet-count', '--rfc3164', '-t', 'counted', 'octet counted']);
      const expected = transport === 'tcp' ? 3 : 2;
      await until(() => c.batches.reduce((n, b) => n + b.numRows, 0) >= expected);
      await source.stop();
      const after = Date.now();
      expect(c.diagnostics).toEqual([]);
      expect(source.status()).toMatchObject({ events: expected, errors: 0, dropped: 0, unknown: 0 });

      const [e5424] = events(c.batches, 'syslog.rfc5424');
      expect(e5424).toMatchObject({
        facility: 19,
        severity: 4,
        version: 1,
        hostname: HOST,
        app_name: 'myapp',
        process_id: '4242',
        message_id: 'MID7',
        message: `hello 5424 over ${transport}`,
      });
      expect(e5424.structured_data).toMatchObject({
        'ex@32473': { k: 'v "q" ]' },
        timeQuality: { tzKnown: '1' },
      });
      expect(e5424.timestamp as number).toBeGreaterThanOrEqual(before - 1);
      expect(e5424.timestamp as number).toBeLessThanOrEqual(after);

      const r3164 = events(c.batches, 'syslog.rfc3164');
      expect(r3164[0]).toMatchObject({
        facility: 1,
        severity: 3,
        hostname: SHORT_HOST,
        app_name: 'app3164',
        process_id: '99',
        message: `hello 3164 over ${transport}`,
      });
      // Whole seconds, read as UTC in the current year.
      expect(r3164[0].timestamp as number).toBeGreaterThanOrEqual(before - 1000);
      expect(r3164[0].timestamp as number).toBeLessThanOrEqual(after);
      if (transport === 'tcp')
        expect(r3164[1]).toMatchObject({
          facility: 1,
          severity: 5,
          app_name: 'counted',
          process_id: null,
          message: 'octet counted',
        });
    });
  }

  test('tcp: 20 loggers at once, each on its own connection', async () => {
    const c = context();
    const source = await syslogSource.start({ listen: 'tcp://127.0.0.1:0', 'flush-interval': 100 }, c.ctx);
    const port = portOf(source);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        logger(port, [
          '-T',
          ...(i % 2 ? ['--octet-count'] : []),
          '--rfc5424',
          '-t',
          `app${i}`,
          `message ${i}`,
        ]),
      ),
    );
    await until(() => c.batches.reduce((n, b) => n + b.numRows, 0) >= 20);
    await source.stop();
    const got = events(c.batches, 'syslog.rfc5424').map((e) => `${e.app_name} ${e.message}`);
    expect(got.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `app${i} message ${i}`).sort());
  });
});

/** Writes `chunks` on one TCP connection, then closes it. */
async function tcpSend(port: number, chunks: (string | Buffer)[]): Promise<void> {
  const sock = connect(port, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', () => r()));
  for (const c of chunks) await new Promise<void>((r) => sock.write(c, () => r()));
  await new Promise<void>((r) => sock.end(() => r()));
}

describe('syslog source', () => {
  test('over-long messages are dropped with a diagnostic; the connection goes on', async () => {
    const c = context();
    const source = await syslogSource.start({ listen: 'tcp://127.0.0.1:0', 'max-message-size': 64 }, c.ctx);
    const long = `<13>1 - h app - - - ${'x'.repeat(100)}`;
    await tcpSend(portOf(source), [
      `${long.length} ${long}`, // octet-counted, too long: skipped by its length
      '<13>1 - h app - - - one\n',
      `${long}\n`, // newline-framed, too long: skipped up to its newline
      '<13>1 - h app - - - two\n',
      long.slice(0, 40),
      long.slice(40), // too long without a newline yet, then the rest
      '\n<13>1 - h app - - - three',
    ]);
    await until(() => source.status().events >= 3);
    await source.stop();
    expect(events(c.batches, 'syslog.rfc5424').map((e) => e.message)).toEqual(['one', 'two', 'three']);
    // How the last one reads depends on whether its newline came in the same TCP segment.
    expect(c.diagnostics.map((d) => d.message.replace(/:\d+ /, ':PORT ').replace(' or more', ''))).toEqual([
      `syslog message of ${long.length} bytes from 127.0.0.1:PORT is longer than --max-message-size 64; dropped`,
      `syslog message of ${long.length} bytes from 127.0.0.1:PORT is longer than --max-message-size 64; dropped`,
      `syslog message of ${long.length} bytes from 127.0.0.1:PORT is longer than --max-message-size 64; dropped`,
    ]);
    expect(source.status()).toMatchObject({ dropped: 3, errors: 3 });
  });

  test('tcp backpressure: connections pause while the node is slow; nothing is lost', async () => {
    const c = context();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const got: A.RecordBatch[] = [];
    const ctx: SourceContext = {
      ...c.ctx,
      emit: async (b) => {
        got.push(b);
        await gate;
      },
    };
    const source = await syslogSource.start({ listen: 'tcp://127.0.0.1:0', 'batch-size': 100 }, ctx);
    const lines = Array.from({ length: 5000 }, (_, i) => `<13>1 - h app - - - message ${i}\n`);
    const sending = tcpSend(portOf(source), [lines.join('')]);
    await until(() => got.length > 0);
    await sleep(100);
    // The first batch is stuck: the connection is paused and only a bounded number of events was parsed.
    expect(source.status().events).toBeLessThan(5000);
    release();
    await sending;
    await until(() => source.status().events >= 5000);
    await source.stop();
    expect(got.reduce((n, b) => n + b.numRows, 0)).toBe(5000);
    expect((source.status() as SyslogSourceStatus).dropped).toBe(0);
  });

  test('udp: unknown lines are kept; a datagram over the limit is dropped', async () => {
    const c = context();
    const source = await syslogSource.start({ listen: 'udp://127.0.0.1:0', 'max-message-size': 100 }, c.ctx);
    const { createSocket } = await import('node:dgram');
    const s = createSocket('udp4');
    for (const m of ['not syslog at all\n', '<13>Jun  3 04:05:06 host tag: ok\r\n', 'x'.repeat(200)])
      await new Promise<void>((r) => s.send(m, portOf(source), '127.0.0.1', () => r()));
    s.close();
    await until(() => source.status().events >= 2 && source.status().errors >= 1);
    await source.stop();
    expect(events(c.batches, 'syslog.unknown')).toEqual([{ syslog_message: 'not syslog at all' }]);
    expect(events(c.batches, 'syslog.rfc3164').map((e) => e.message)).toEqual(['ok']);
    expect(source.status()).toMatchObject({ events: 2, unknown: 1, dropped: 1, errors: 1 });
  });

  test('listen addresses', async () => {
    expect(parseListen('udp://127.0.0.1:5514')).toEqual({ transport: 'udp', host: '127.0.0.1', port: 5514 });
    expect(parseListen('tcp://[::1]:601')).toEqual({ transport: 'tcp', host: '::1', port: 601 });
    expect(parseListen('0.0.0.0')).toEqual({ transport: 'udp', host: '0.0.0.0', port: 5514 });
    expect(() => parseListen('tls://x:1')).toThrow(/invalid listen address/);
    const c = context();
    const a = await syslogSource.start({ listen: 'tcp://127.0.0.1:0' }, c.ctx);
    await expect(syslogSource.start({ listen: `tcp://127.0.0.1:${portOf(a)}` }, c.ctx)).rejects.toThrow(
      /EADDRINUSE/,
    );
    c.abort.abort();
    await a.done;
  });

  test('only addresses the operator allows (source-bind-addresses; default loopback)', async () => {
    const c = context();
    for (const [listen, host] of [
      ['udp://0.0.0.0:0', '0.0.0.0'],
      ['tcp://[::]:0', '::'],
      ['udp://:0', '0.0.0.0'],
      ['tcp://localhost:0', 'localhost'],
    ])
      await expect(syslogSource.start({ listen }, c.ctx), listen).rejects.toThrow(
        `syslog: may not listen on '${host}': the node's source-bind-addresses setting allows only 127.0.0.1, ::1`,
      );
    const narrow = context(testPolicy({ 'source-bind-addresses': ['::1'] }));
    await expect(syslogSource.start({ listen: 'udp://127.0.0.1:0' }, narrow.ctx)).rejects.toThrow(
      "syslog: may not listen on '127.0.0.1': the node's source-bind-addresses setting allows only ::1",
    );
  });

  test('the framer: octet counting and newlines across chunk boundaries', () => {
    const frames: string[] = [];
    const f = new TcpFramer(
      1000,
      (b, s, e) => frames.push(Buffer.from(b.subarray(s, e)).toString()),
      () => frames.push('TOO LONG'),
    );
    const input = '11 <13>1 a b c11 <13>1 x\ny z\n\n2024-01-01 plain line\n5 ab';
    for (let i = 0; i < input.length; i += 3) f.push(Buffer.from(input.slice(i, i + 3)));
    f.push(Buffer.from('cde'));
    f.push(Buffer.from('last line'));
    expect(f.end()).toBe(0);
    expect(frames).toEqual(['<13>1 a b c', '<13>1 x\ny z', '2024-01-01 plain line', 'abcde', 'last line']);
    // A connection that ends inside an octet-counted message: the bytes are reported lost.
    f.push(Buffer.from('20 <13>1 cut'));
    expect(f.end()).toBe(12);
    expect(frames).toHaveLength(5);
  });
});
