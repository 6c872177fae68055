/**
 * Actions (issue 12) against real receivers on loopback: a node:http webhook,
 * `sh -c` programs, UDP and TCP syslog listeners. Delivery is at least once,
 * in order per action, survives a restart, and never makes `enqueue` wait.
 */
import { createSocket } from 'node:dgram';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ActionDispatcher,
  type ActionSpec,
  type DispatcherOptions,
  formatAction,
  parseAction,
} from '../../../src/detect/actions.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vast-actions-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function open(opts: Partial<DispatcherOptions> & { dir: string }): ActionDispatcher {
  const d = ActionDispatcher.open({ initialBackoffMs: 10, maxBackoffMs: 100, ...opts });
  cleanups.push(() => d.close());
  return d;
}

interface Hook {
  server: Server;
  port: number;
  url: string;
  /** Bodies of every request, in arrival order, with the time each arrived. */
  received: { body: string; at: number }[];
}

/** A webhook receiver on 127.0.0.1; `answer` decides each response (default 200). */
async function webhook(
  answer: (n: number, req: IncomingMessage, res: ServerResponse) => void = (_n, _q, res) => res.end('ok'),
  port = 0,
): Promise<Hook> {
  const received: Hook['received'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString(), at: performance.now() });
      expect(req.method).toBe('POST');
      expect(req.headers['content-type']).toBe('application/json');
      answer(received.length, req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { server, port: bound, url: `http://127.0.0.1:${bound}/hook`, received };
}

const records = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({
    kind: 'sighting',
    n: from + i,
    indicator: `evil${from + i}.example`,
  }));

describe('parseAction / formatAction', () => {
  it('parses the three kinds and prints them back canonically', () => {
    expect(parseAction('webhook=https://siem.example/hook?x=1')).toEqual({
      kind: 'webhook',
      url: 'https://siem.example/hook?x=1',
    });
    expect(parseAction("exec=logger -t vast 'a=b'")).toEqual({
      kind: 'exec',
      command: "logger -t vast 'a=b'",
    });
    expect(parseAction('syslog=10.0.0.1:514')).toEqual({
      kind: 'syslog',
      host: '10.0.0.1',
      port: 514,
      protocol: 'udp',
    });
    expect(parseAction('syslog=tcp://[::1]:6514')).toEqual({
      kind: 'syslog',
      host: '::1',
      port: 6514,
      protocol: 'tcp',
    });
    for (const text of ['webhook=http://127.0.0.1:8080/h', 'exec=cat >> /tmp/x', 'syslog=tcp://[::1]:6514'])
      expect(formatAction(parseAction(text))).toBe(text);
    expect(formatAction(parseAction('syslog=h:514'))).toBe('syslog=udp://h:514');
  });

  it('rejects garbage with a message saying what is wrong', () => {
    expect(() => parseAction('webhook=ftp://x')).toThrow(
      "invalid action 'webhook=ftp://x': webhook URLs must be http or https, not 'ftp'",
    );
    expect(() => parseAction('webhook=not a url')).toThrow("'not a url' is not a URL");
    expect(() => parseAction('syslog=host')).toThrow(/invalid action 'syslog=host': .*missing port/);
    expect(() => parseAction('syslog=quic://h:1')).toThrow(/unknown scheme 'quic'/);
    expect(() => parseAction('bogus=1')).toThrow("invalid action 'bogus=1': unknown action kind 'bogus'");
    expect(() => parseAction('')).toThrow("invalid action '': empty");
    expect(() => parseAction('webhook')).toThrow("missing '='");
    expect(() => parseAction('exec=  ')).toThrow('empty command');
    expect(() => parseAction('')).toThrow(/expected webhook=URL, exec=COMMAND or syslog=/);
  });
});

describe('ActionDispatcher', () => {
  it('POSTs each record to a webhook, in order, within 1 s of enqueue', async () => {
    const hook = await webhook();
    const d = open({ dir: tempDir() });
    const action = parseAction(`webhook=${hook.url}`);
    const t0 = performance.now();
    d.enqueue([action], records(1));
    expect(await d.drain(5000)).toBe(true);
    const latency = hook.received[0].at - t0;
    console.log(`enqueue → webhook receipt: ${latency.toFixed(1)} ms`);
    expect(latency).toBeLessThan(1000);

    d.enqueue([action], records(49, 1));
    expect(await d.drain(10_000)).toBe(true);
    expect(hook.received.map((r) => JSON.parse(r.body))).toEqual(records(50));
    const s = d.stats();
    expect(s).toMatchObject({ pending: 0, delivered: 50, retries: 0, dropped: 0 });
    expect(s.perAction[`webhook=${hook.url}`]).toEqual({ pending: 0, delivered: 50, failures: 0 });
  });

  it('retries a webhook answering 500 twice, then delivers once it answers 200', async () => {
    const hook = await webhook((n, _q, res) => {
      res.statusCode = n <= 2 ? 500 : 200;
      res.end();
    });
    const logged: string[] = [];
    const d = open({ dir: tempDir(), log: (level, m) => logged.push(`${level}: ${m}`) });
    const record = { kind: 'alert', rule: 'r1', note: 'ümlaut' };
    d.enqueue([{ kind: 'webhook', url: hook.url }], [record]);
    expect(await d.drain(5000)).toBe(true);
    expect(hook.received.map((r) => JSON.parse(r.body))).toEqual([record, record, record]);
    const s = d.stats();
    expect(s).toMatchObject({ pending: 0, delivered: 1, retries: 2, dropped: 0 });
    expect(s.perAction[`webhook=${hook.url}`]).toMatchObject({
      delivered: 1,
      failures: 2,
      lastError: /HTTP 500/,
    });
    expect(logged.filter((l) => l.startsWith('warn:'))).toHaveLength(2);
    expect(logged.at(-1)).toMatch(/^info: .*delivering again after 2 failed attempts/);
  });

  it('pipes each record as a JSON line into an exec program', async () => {
    const dir = tempDir();
    const file = join(dir, 'out.jsonl');
    const d = open({ dir: join(dir, 'outbox') });
    d.enqueue([parseAction(`exec=cat >> '${file}'`)], records(5));
    expect(await d.drain(10_000)).toBe(true);
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).map((l) => JSON.parse(l))).toEqual(records(5));
  });

  it('retries a program that fails, keeping its exit status as the last error', async () => {
    const d = open({ dir: tempDir() });
    d.enqueue([parseAction('exec=echo nope >&2; exit 3')], records(1));
    expect(await d.drain(300)).toBe(false);
    const s = d.stats().perAction['exec=echo nope >&2; exit 3'];
    expect(s.failures).toBeGreaterThanOrEqual(1);
    expect(s.lastError).toBe("exec 'echo nope >&2; exit 3': exit status 3: nope");
    expect(s.pending).toBe(1);
  });

  const RFC5424 =
    /^<12>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z [\x21-\x7e]+ vast \d+ (sighting|vast) - ([\x20-\x7e]+)$/;
  const syslogRecords = [
    { kind: 'sighting', indicator: '192.168.1.1', note: 'naïve ☃' },
    { rule: 'no kind here', n: 1 },
  ];

  it('sends RFC 5424 messages over UDP', async () => {
    const socket = createSocket('udp4');
    const got: string[] = [];
    socket.on('message', (m) => got.push(m.toString()));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    cleanups.push(() => socket.close());
    const d = open({ dir: tempDir() });
    d.enqueue([parseAction(`syslog=127.0.0.1:${socket.address().port}`)], syslogRecords);
    expect(await d.drain(5000)).toBe(true);
    await expect.poll(() => got.length).toBe(2);
    const parsed = got.map((m) => RFC5424.exec(m));
    expect(parsed.map((p) => p?.[1])).toEqual(['sighting', 'vast']);
    expect(parsed.map((p) => JSON.parse(p![2]))).toEqual(syslogRecords);
  });

  it('sends RFC 5424 messages over TCP with octet-counting framing', async () => {
    let data = Buffer.alloc(0);
    const server = createTcpServer((c) => c.on('data', (b: Buffer) => (data = Buffer.concat([data, b]))));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const d = open({ dir: tempDir() });
    const action = parseAction(`syslog=tcp://127.0.0.1:${(server.address() as AddressInfo).port}`);
    d.enqueue([action], syslogRecords);
    expect(await d.drain(5000)).toBe(true);
    await d.close(); // closes the connection, so every byte has arrived once the server sees the end
    await expect.poll(() => data.length).toBeGreaterThan(0);
    const frames: string[] = [];
    for (let at = 0; at < data.length; ) {
      const space = data.indexOf(32, at);
      const len = Number(data.toString('ascii', at, space));
      frames.push(data.toString('utf8', space + 1, space + 1 + len));
      at = space + 1 + len;
    }
    const parsed = frames.map((m) => RFC5424.exec(m));
    expect(parsed.map((p) => p?.[1])).toEqual(['sighting', 'vast']);
    expect(parsed.map((p) => JSON.parse(p![2]))).toEqual(syslogRecords);
  });

  it('keeps what a webhook that is down did not get across a restart, and delivers it once', async () => {
    const dir = tempDir();
    const reserve = await webhook();
    const port = reserve.port;
    await new Promise<void>((resolve) => reserve.server.close(() => resolve()));
    const action: ActionSpec = { kind: 'webhook', url: `http://127.0.0.1:${port}/hook` };
    const first = ActionDispatcher.open({ dir, initialBackoffMs: 10, maxBackoffMs: 50 });
    first.enqueue([action], records(3));
    first.enqueue([action], records(2, 3));
    expect(await first.drain(200)).toBe(false);
    expect(first.stats().retries).toBeGreaterThan(0);
    expect(first.stats().perAction[formatAction(action)].lastError).toMatch(/ECONNREFUSED/);
    await first.close();
    // A crash in the middle of an append leaves a torn last line; the next open cuts it off.
    const [sub] = readdirSync(dir);
    expect(readFileSync(join(dir, sub, 'action'), 'utf8')).toBe(formatAction(action));
    appendFileSync(join(dir, sub, 'outbox.jsonl'), '{"kind":"sigh');

    const second = open({ dir });
    expect(second.stats().pending).toBe(5);
    const hook = await webhook(undefined, port);
    expect(await second.drain(5000)).toBe(true);
    expect(hook.received.map((r) => JSON.parse(r.body))).toEqual(records(5));
    await second.close();

    // Nothing left for a third run: the outbox was compacted.
    const third = open({ dir });
    expect(third.stats().pending).toBe(0);
  });

  it('drops the oldest records beyond maxPending and counts them', async () => {
    const held: ServerResponse[] = [];
    let hold = true;
    const hook = await webhook((_n, _q, res) => (hold ? held.push(res) : res.end()));
    const d = open({ dir: tempDir(), maxPending: 10 });
    const action = parseAction(`webhook=${hook.url}`);
    d.enqueue([action], records(25));
    expect(d.stats()).toMatchObject({ pending: 10, dropped: 15 });
    await expect.poll(() => held.length).toBe(1);
    // The record in flight is never dropped; the next oldest queued one is.
    d.enqueue([action], records(1, 25));
    expect(d.stats()).toMatchObject({ pending: 10, dropped: 16 });
    hold = false;
    held[0].end();
    expect(await d.drain(5000)).toBe(true);
    expect(hook.received.map((r) => JSON.parse(r.body).n)).toEqual([
      15,
      ...Array.from({ length: 9 }, (_, i) => 17 + i),
    ]);
  });

  it('keeps the outbox file bounded while a stuck action overflows, and resumes from the compacted file', async () => {
    const dir = tempDir();
    const held: ServerResponse[] = [];
    let hold = true;
    const hook = await webhook((_n, _q, res) => (hold ? held.push(res) : res.end()));
    const action = parseAction(`webhook=${hook.url}`);
    const first = ActionDispatcher.open({ dir, maxPending: 100 });
    const pad = 'x'.repeat(1000);
    const big = (n: number, from: number) => records(n, from).map((r) => ({ ...r, pad }));
    first.enqueue([action], big(1, 0));
    await expect.poll(() => held.length).toBe(1);
    for (let i = 1; i <= 10_000; i += 100) first.enqueue([action], big(100, i));
    // Kept: the record in flight (0) and the 99 newest.
    expect(first.stats()).toMatchObject({ pending: 100, dropped: 9901 });
    const [sub] = readdirSync(dir);
    // ~10 MB went through the outbox; rewrites keep it near the live records (100 kB) plus 4 MiB of slack.
    expect(statSync(join(dir, sub, 'outbox.jsonl')).size).toBeLessThan(5 << 20);
    await first.close();

    hold = false;
    const second = open({ dir });
    expect(second.stats().pending).toBe(100);
    expect(await second.drain(10_000)).toBe(true);
    const kept = [0, ...Array.from({ length: 99 }, (_, i) => 9902 + i)];
    // The first request (0) was cut off by close and delivered again after the restart.
    expect(hook.received.map((r) => JSON.parse(r.body).n)).toEqual([0, ...kept]);
    expect(statSync(join(dir, sub, 'outbox.jsonl')).size).toBe(0);
  });

  it('returns from enqueue long before a slow webhook answers, and a slow webhook does not delay exec', async () => {
    const SERVER_LATENCY_MS = 2000;
    const hook = await webhook((_n, _q, res) => {
      setTimeout(() => res.end(), SERVER_LATENCY_MS);
    });
    const dir = tempDir();
    const file = join(dir, 'out.jsonl');
    const d = open({ dir: join(dir, 'outbox') });
    const t0 = performance.now();
    d.enqueue([parseAction(`webhook=${hook.url}`), parseAction(`exec=cat >> '${file}'`)], records(1000));
    const took = performance.now() - t0;
    console.log(
      `enqueue of 1000 records for 2 actions: ${took.toFixed(1)} ms (webhook latency ${SERVER_LATENCY_MS} ms)`,
    );
    expect(took).toBeLessThan(SERVER_LATENCY_MS / 10);
    await expect.poll(() => hook.received.length).toBe(1);
    // exec drains its 1000 records while the webhook is still on its first.
    await expect
      .poll(() => d.stats().perAction[`exec=cat >> '${file}'`].delivered, { timeout: 30_000 })
      .toBeGreaterThan(0);
    expect(d.stats().perAction[`webhook=${hook.url}`].delivered).toBe(0);
  });
});
