/**
 * `vast spawn source <any import format>` against a real node: files read
 * once (`-r`), TCP and UDP listeners fed by real sockets, filters, help
 * without a node, located errors for bad arguments, sources resumed after a
 * restart, and `vast start --commands`. Expected counts come from the raw
 * files (awk, grep), not from vast.
 */
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATA } from '../helpers/datasets.js';
import { tempDb, vast } from './cli.js';
import { freePort, type RunningNode, startNode } from './node-helpers.js';

const CONN = join(TEST_DATA, 'zeek', 'conn.log');
const EVE = join(TEST_DATA, 'suricata', 'example-pcap_eve.json');
const awk = (prog: string, file: string) =>
  Number(spawnSync('awk', ['-F\t', prog, file], { encoding: 'utf8' }).stdout.trim());
const CONN_EVENTS = awk('!/^#/ && NF {n++} END {print n+0}', CONN);
const CONN_UDP = awk('!/^#/ && $7 == "udp" {n++} END {print n+0}', CONN);
const EVE_LINES = readFileSync(EVE, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '');

async function waitFor<T>(what: string, f: () => T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Sends bytes over one TCP connection and closes it. */
function sendTcp(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.end(bytes));
    s.on('close', () => resolve());
    s.on('error', reject);
  });
}

describe('spawn source help needs no node', () => {
  it('lists every import format and prints a source options', () => {
    const list = vast(['spawn', 'source', '--help']);
    expect(list.status, list.stderr).toBe(0);
    for (const name of [
      'zeek',
      'zeek-json',
      'suricata',
      'json',
      'csv',
      'arrow',
      'parquet',
      'pcap',
      'netflow',
      'syslog',
    ])
      expect(list.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    const zeek = vast(['spawn', 'source', 'zeek', '--help']);
    expect(zeek.status, zeek.stderr).toBe(0);
    expect(zeek.stdout).toContain('-r, --read FILE');
    expect(zeek.stdout).toContain('-l, --listen VALUE');
    const pcap = vast(['spawn', 'source', 'pcap', '-h']);
    expect(pcap.stdout).toMatch(/-c, --cutoff N +keep only the first N payload bytes/);
    expect(pcap.stdout).toMatch(/-m, --max-flows N/);
    const unknown = vast(['spawn', 'source', 'telepathy', '--help']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain(
      "unknown source 'telepathy' (choose one of: pcap, netflow, syslog, file, zeek,",
    );
  });

  it("options after 'source' are the source's: pcap's -e is its flow expiry, not the endpoint", () => {
    const r = vast(['spawn', 'source', 'pcap', '-r', 'x.pcap', '-e', '5s']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no node is running at 127.0.0.1:1');
  });

  it('import --help lists every readable format and the pcap options from their declarations', () => {
    const r = vast(['import', '--help']);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain(
      'input format: zeek, zeek-json, suricata, json, csv, pcap, netflow, syslog, arrow, parquet',
    );
    expect(r.stdout).toMatch(/--max-flow-age <value> +pcap: forget flows idle this long/);
  });
});

describe('a node running format sources', () => {
  const t = tempDb();
  const cfg = join(t.dir, 'vast.yaml');
  const conn = join(t.dir, 'conn.log');
  const eve = join(t.dir, 'eve.json');
  let node: RunningNode;
  let token: string;
  const env = () => node.env(token);
  const count = (expr?: string) => {
    const r = vast(['count', ...(expr ? [expr] : [])], { env: env() });
    expect(r.status, r.stderr).toBe(0);
    return Number(r.stdout.trim());
  };
  const spawn = (args: string[]) => vast(['spawn', 'source', ...args], { env: env() });
  /** The node's sources, by the API. */
  const sources = async () => {
    const r = await fetch(node.url('/api/v0/sources'), { headers: { authorization: `Bearer ${token}` } });
    return (
      (await r.json()) as { sources: { id: string; state: string; events: number; endpoint?: string }[] }
    ).sources;
  };

  beforeAll(async () => {
    copyFileSync(CONN, conn);
    copyFileSync(EVE, eve);
    writeFileSync(cfg, `source-paths: [${JSON.stringify(t.dir)}]\n`);
    node = await startNode(t.db, ['--config', cfg]);
    token = node.token as string;
  });
  afterAll(async () => {
    await node?.stop();
    t.cleanup();
  });

  it('reads a Zeek log once with -r, as VAST did (vast spawn source zeek -r conn.log)', async () => {
    const r = spawn(['zeek', '-r', conn]);
    expect(r.status, r.stderr).toBe(0);
    const id = r.stdout.trim();
    expect(id).toMatch(/^zeek-[0-9a-f]{8}$/);
    await waitFor('all events', () => (count() === CONN_EVENTS ? true : undefined));
    expect((await sources()).find((x) => x.id === id)?.state).toBe('done');
  });

  it('reads Suricata EVE with a filter expression (only matching events are stored)', async () => {
    const before = count();
    const alerts = EVE_LINES.filter((l) => JSON.parse(l).event_type === 'alert').length;
    expect(alerts).toBeGreaterThan(0);
    const r = spawn(['suricata', '-r', eve, '#schema == "suricata.alert"']);
    expect(r.status, r.stderr).toBe(0);
    await waitFor('alerts', () => (count() === before + alerts ? true : undefined));
    // No other event type came in.
    await sleep(300);
    expect(count()).toBe(before + alerts);
  });

  it('a listening source reads a file once with -r too (vast spawn source syslog -r FILE)', async () => {
    const file = join(t.dir, 'messages.log');
    const lines = [
      "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - BOM'su root' failed",
      '<13>Oct 11 22:14:15 host app[42]: hello',
      'Oct 11 22:14:16 host app: world',
    ];
    writeFileSync(file, `${lines.join('\n')}\n`);
    const r = spawn(['syslog', '-r', file]);
    expect(r.status, r.stderr).toBe(0);
    await waitFor('syslog events', () =>
      count('#schema == "syslog.rfc5424"') === 1 && count('#schema == "syslog.rfc3164"') === 2
        ? true
        : undefined,
    );
  });

  it('listens on TCP: each connection is its own Zeek stream with its header', async () => {
    const before = count('proto == "udp"');
    const port = await freePort();
    const r = spawn(['zeek', '--listen', `127.0.0.1:${port}`, 'proto == "udp"']);
    expect(r.status, r.stderr).toBe(0);
    const id = r.stdout.trim();
    await sendTcp(port, readFileSync(conn));
    await waitFor('udp connections over TCP', () =>
      count('proto == "udp"') === before + CONN_UDP ? true : undefined,
    );
    expect((await sources()).find((x) => x.id === id)).toMatchObject({
      state: 'running',
      endpoint: `tcp://127.0.0.1:${port}`,
    });
    expect(vast(['kill', id], { env: env() }).status).toBe(0);
  });

  it('listens on UDP (HOST:PORT/udp): datagrams of EVE lines', async () => {
    const before = count('#schema == "suricata.flow"');
    const flows = EVE_LINES.filter((l) => JSON.parse(l).event_type === 'flow');
    expect(flows.length).toBe(21);
    const port = await freePort();
    const r = spawn(['suricata', '--listen', `127.0.0.1:${port}/udp`]);
    expect(r.status, r.stderr).toBe(0);
    const sock = createSocket('udp4');
    // A datagram without its newline still ends its line.
    for (const l of flows) await new Promise<void>((res) => sock.send(l, port, '127.0.0.1', () => res()));
    sock.close();
    await waitFor('flow events over UDP', () =>
      count('#schema == "suricata.flow"') === before + flows.length ? true : undefined,
    );
    expect(vast(['kill', r.stdout.trim()], { env: env() }).status).toBe(0);
  });

  it('takes named options over HTTP, checked by the same declarations', async () => {
    const post = (body: unknown) =>
      fetch(node.url('/api/v0/sources'), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const port = await freePort();
    const ok = await post({ source: 'zeek', options: { listen: `127.0.0.1:${port}` } });
    expect(ok.status).toBe(200);
    const { id } = (await ok.json()) as { id: string };
    expect((await sources()).find((x) => x.id === id)?.endpoint).toBe(`tcp://127.0.0.1:${port}`);
    expect(vast(['kill', id], { env: env() }).status).toBe(0);
    const bad = await post({ source: 'file', options: { read: conn, poll: 1 } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe(
      "option '--poll=1' of source 'file' expects an integer from 50 to 60000 (milliseconds between checks for new data), got '1'",
    );
  });

  it('takes reader options as import parameters, only for their format', async () => {
    const post = (q: string) =>
      fetch(node.url(`/api/v0/import?${q}`), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
        body: readFileSync(conn),
      });
    const wrong = await post('format=zeek&cutoff=5');
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: string }).error).toBe(
      "option 'cutoff' is for format pcap, not 'zeek'",
    );
    const bad = await post('format=pcap&cutoff=lots');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(
      /^option 'cutoff' of format 'pcap' expects an integer of at least 0 \(keep only the first N payload bytes/,
    );
  });

  it('refuses bad arguments with what was expected', () => {
    const neither = spawn(['zeek']);
    expect(neither.status).toBe(1);
    expect(neither.stderr).toContain(
      "source 'zeek' reads either a file (-r FILE) or a socket (--listen HOST:PORT[/udp]), so give exactly one of them",
    );
    const port = spawn(['json', '--listen', '127.0.0.1:99999']);
    expect(port.stderr).toContain("invalid listen address '127.0.0.1:99999': port 99999 is above 65535");
    const bogus = spawn(['csv', '-r', conn, '--bogus']);
    expect(bogus.stderr).toMatch(
      /unknown option '--bogus' for source 'csv' \(options: --read\/-r, --listen\/-l/,
    );
    const outside = spawn(['zeek', '-r', CONN]);
    expect(outside.stderr).toContain('not an existing file in a directory allowed by the node');
    const bind = spawn(['zeek', '--listen', '0.0.0.0:5999']);
    expect(bind.stderr).toContain("may not listen on '0.0.0.0'");
  });

  it('resumes a spawned listener after a restart; a finished -r read is not read again', async () => {
    const port = await freePort();
    const r = spawn(['zeek', '--listen', `127.0.0.1:${port}`]);
    expect(r.status, r.stderr).toBe(0);
    const id = r.stdout.trim();
    const recorded = JSON.parse(readFileSync(join(t.db, 'sources.json'), 'utf8'));
    expect(recorded).toEqual([
      { id, tenant: 'default', source: 'zeek', args: ['--listen', `127.0.0.1:${port}`], taken: 0 },
    ]);
    const before = count();
    expect(await node.stop()).toBe(0);
    node = await startNode(t.db, ['--config', cfg], Number(node.endpoint.split(':')[1]));
    expect(node.stderr()).toContain('source resumed');
    const after = await sources();
    expect(after.map((s) => [s.id, s.state])).toEqual([[id, 'running']]);
    await sleep(500);
    expect(count()).toBe(before);
    await sendTcp(port, readFileSync(conn));
    await waitFor('events through the resumed source', () =>
      count() === before + CONN_EVENTS ? true : undefined,
    );
    // Killed: gone from the record, so the next start does not bring it back.
    expect(vast(['kill', id], { env: env() }).status).toBe(0);
    expect(JSON.parse(readFileSync(join(t.db, 'sources.json'), 'utf8'))).toEqual([]);
  });
  it('resumes a followed file where it was: nothing stored twice, appended events arrive', async () => {
    const followed = join(t.dir, 'followed.log');
    const lines = readFileSync(conn, 'utf8').split('\n');
    const header = lines.filter((l) => l.startsWith('#') && !l.startsWith('#close'));
    const rows = lines.filter((l) => l !== '' && !l.startsWith('#'));
    const half = Math.floor(rows.length / 2);
    writeFileSync(followed, `${[...header, ...rows.slice(0, half)].join('\n')}\n`);
    const before = count();
    const r = spawn(['file', '-r', followed, '--format', 'zeek', '--poll', '50']);
    expect(r.status, r.stderr).toBe(0);
    const id = r.stdout.trim();
    await waitFor('the first half', () => (count() === before + half ? true : undefined));
    expect(await node.stop()).toBe(0);
    const recorded = JSON.parse(readFileSync(join(t.db, 'sources.json'), 'utf8')) as {
      id: string;
      taken: number;
    }[];
    expect(recorded.find((p) => p.id === id)?.taken).toBe(half);
    node = await startNode(t.db, ['--config', cfg], Number(node.endpoint.split(':')[1]));
    expect(node.stderr()).toContain('source resumed');
    // The resumed source reads the file from its start again and skips what the node has.
    await sleep(1000);
    expect(count()).toBe(before + half);
    writeFileSync(followed, `${rows.slice(half).join('\n')}\n`, { flag: 'a' });
    await waitFor('the appended half', () => (count() === before + rows.length ? true : undefined));
    expect(vast(['kill', id], { env: env() }).status).toBe(0);
  });
});

describe('vast start --commands', () => {
  it('spawns sources once the node is up, as VAST did with vast.start.commands', async () => {
    const t = tempDb();
    copyFileSync(CONN, join(t.dir, 'my conn.log'));
    const cfg = join(t.dir, 'vast.yaml');
    writeFileSync(cfg, `source-paths: [${JSON.stringify(t.dir)}]\n`);
    const node = await startNode(t.db, [
      '--config',
      cfg,
      '--commands',
      `spawn source zeek -r '${join(t.dir, 'my conn.log')}' 'proto == "udp"'`,
    ]);
    try {
      await waitFor('events of the start command', () => {
        const r = vast(['count'], { env: node.env() });
        return Number(r.stdout.trim()) === CONN_UDP ? true : undefined;
      });
      await waitFor('the log line', () => (node.stderr().includes('start command ran') ? true : undefined));
      // Not recorded: the command itself spawns it again at the next start.
      expect(
        existsSync(join(t.db, 'sources.json'))
          ? JSON.parse(readFileSync(join(t.db, 'sources.json'), 'utf8'))
          : [],
      ).toEqual([]);
    } finally {
      await node.stop();
      t.cleanup();
    }
  });

  it('refuses to start with a command that cannot run in a node', () => {
    const t = tempDb();
    const r = vast(['start', '-d', t.db, '--endpoint', '127.0.0.1:1', '--commands', 'export json']);
    t.cleanup();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "start command 'export json': only 'spawn source NAME [options] [EXPR]' can run inside the node",
    );
  });
});
