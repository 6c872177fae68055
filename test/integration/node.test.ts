/**
 * The node: `vast start` as a real process, CLI clients talking to it, the
 * HTTP API with tokens and tenants, live and unified queries, sources,
 * clean shutdown, and bad input at every endpoint.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATA } from '../helpers/datasets.js';
import { dataLines, tempDb, vast, vastAsync, vastProcess } from './cli.js';
import { freePort, type RunningNode, startNode } from './node-helpers.js';

const CONN = join(TEST_DATA, 'zeek', 'conn.log');
const CONN_TEXT = readFileSync(CONN, 'utf8');
const DATA = dataLines(CONN_TEXT);
const HEADER = CONN_TEXT.split('\n').filter((l) => l.startsWith('#') && !l.startsWith('#close'));
const awkCount = (cond: string) =>
  Number(
    spawnSync('awk', ['-F\t', `!/^#/ && (${cond}) {n++} END {print n+0}`, CONN], {
      encoding: 'utf8',
    }).stdout.trim(),
  );

/** A response body as loosely typed JSON (tests check its shape with expect). */
// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes, checked by the assertions
const json = (r: Response): Promise<any> => r.json();

async function waitFor<T>(
  what: string,
  f: () => T | undefined | Promise<T | undefined>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('a node with CLI clients', () => {
  const t = tempDb();
  let node: RunningNode;
  beforeAll(async () => {
    // The file source reads from the test's directory (the database in it stays off limits).
    const cfg = join(t.dir, 'vast.yaml');
    writeFileSync(cfg, `source-paths: [${JSON.stringify(t.dir)}]\n`);
    node = await startNode(t.db, ['--config', cfg]);
  });
  afterAll(async () => {
    await node?.stop();
    t.cleanup();
  });

  it('prints an admin token once, and the CLI imports through the node', () => {
    expect(node.token).toMatch(/^vast_/);
    const r = vast(['import', 'zeek', '-r', CONN], { env: node.env() });
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(vast(['status', '--json'], { env: node.env() }).stdout);
    expect(s.events + s.buffered).toBe(DATA.length);
  });

  it('refuses embedded writes and a second node on the database it serves', async () => {
    // No node answers at the CLI's endpoint here, so the CLI would fall back to the local database.
    const served = `a node (pid ${node.proc.pid}) serves it at ${node.endpoint}`;
    const imp = vast(['import', '-d', t.db, 'zeek', '-r', CONN]);
    expect(imp.status).toBe(1);
    expect(imp.stderr).toContain(`error: cannot import into ${t.db} directly: ${served}`);
    const rebuild = vast(['rebuild', '-d', t.db]);
    expect(rebuild.status).toBe(1);
    expect(rebuild.stderr).toContain(`error: cannot rebuild ${t.db} directly: ${served}`);
    const second = vast(['start', '-d', t.db, '--endpoint', `127.0.0.1:${await freePort()}`]);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(
      `database ${t.db} is already served by a node (pid ${node.proc.pid}, endpoint ${node.endpoint})`,
    );
  });

  it('exports through the node what was imported, before and after a flush', () => {
    const before = vast(['export', 'zeek'], { env: node.env() });
    expect(dataLines(before.stdout)).toEqual(DATA);
    expect(vast(['flush'], { env: node.env() }).status).toBe(0);
    const s = JSON.parse(vast(['status', '--json'], { env: node.env() }).stdout);
    expect(s).toMatchObject({ events: DATA.length, buffered: 0 });
    expect(dataLines(vast(['export', 'zeek'], { env: node.env() }).stdout)).toEqual(DATA);
    expect(vast(['count', 'proto == "udp"'], { env: node.env() }).stdout.trim()).toBe(
      String(awkCount('$7 == "udp"')),
    );
  });

  it('--continuous delivers new matching events as they arrive', async () => {
    const live = vastProcess(['export', 'json', '--continuous', 'proto == "icmp"'], node.env());
    let out = '';
    live.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await sleep(500); // let the subscription register
    expect((await vastAsync(['import', 'zeek', '-r', CONN], { env: node.env() })).status).toBe(0);
    const icmp = awkCount('$7 == "icmp"');
    await waitFor('live events', () =>
      out.trim().split('\n').filter(Boolean).length >= icmp ? true : undefined,
    );
    live.kill('SIGINT');
    const lines = out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(icmp);
    expect(lines.every((e) => e.proto === 'icmp')).toBe(true);
  });

  it('--unified gives history then live events, without gap or duplicate', async () => {
    const t2 = tempDb();
    const n2 = await startNode(t2.db);
    const half = Math.floor(DATA.length / 2);
    const first = [...HEADER, ...DATA.slice(0, half)].join('\n');
    const second = [...HEADER, ...DATA.slice(half)].join('\n');
    expect(vast(['import', 'zeek'], { env: n2.env(), input: first }).status).toBe(0);
    const uni = vastProcess(['export', 'zeek', '--unified'], n2.env());
    let out = '';
    uni.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await sleep(300);
    expect((await vastAsync(['import', 'zeek'], { env: n2.env(), input: second })).status).toBe(0);
    await waitFor('unified events', () => (dataLines(out).length >= DATA.length ? true : undefined));
    await sleep(200);
    uni.kill('SIGINT');
    expect(dataLines(out).sort()).toEqual([...DATA].sort());
    await n2.stop();
    t2.cleanup();
  });

  it('spawns a file source that follows a growing Zeek log, and kills it', async () => {
    const file = join(t.dir, 'growing.log');
    writeFileSync(file, `${HEADER.join('\n')}\n${DATA.slice(0, 100).join('\n')}\n`);
    const before = Number(vast(['count'], { env: node.env() }).stdout.trim());
    const r = vast(['spawn', 'source', 'file', '-r', file, '-f', 'zeek'], { env: node.env() });
    expect(r.status, r.stderr).toBe(0);
    const id = r.stdout.trim();
    expect(id).toMatch(/^file-[0-9a-f]{8}$/);
    await waitFor('first lines', () =>
      Number(vast(['count'], { env: node.env() }).stdout.trim()) >= before + 100 ? true : undefined,
    );
    appendFileSync(file, `${DATA.slice(100, 250).join('\n')}\n`);
    await waitFor('appended lines', () =>
      Number(vast(['count'], { env: node.env() }).stdout.trim()) === before + 250 ? true : undefined,
    );
    const status = vast(['status'], { env: node.env() }).stdout;
    expect(status).toContain(`source ${id}`);
    expect(vast(['kill', id], { env: node.env() }).status).toBe(0);
    const again = vast(['kill', id], { env: node.env() });
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`no such source: ${id}`);
  });
});

describe('a node with many clients and a syslog source', () => {
  it('takes concurrent imports from several clients, every event exactly once', async () => {
    const t = tempDb();
    const node = await startNode(t.db);
    const parts = 4;
    const size = Math.ceil(DATA.length / parts);
    const runs = await Promise.all(
      Array.from({ length: parts }, (_, k) =>
        vastAsync(['import', 'zeek'], {
          env: node.env(),
          input: [...HEADER, ...DATA.slice(k * size, (k + 1) * size)].join('\n'),
        }),
      ),
    );
    for (const r of runs) expect(r.status, r.stderr).toBe(0);
    const out = await vastAsync(['export', 'zeek'], { env: node.env() });
    expect(dataLines(out.stdout).sort()).toEqual([...DATA].sort());
    await node.stop();
    t.cleanup();
  });

  const haveLogger = spawnSync('sh', ['-c', 'command -v logger']).status === 0;
  (haveLogger ? it : it.skip)('runs a syslog source spawned with vast spawn, fed by logger', async () => {
    const t = tempDb();
    const node = await startNode(t.db);
    const port = await freePort();
    const spawned = vast(['spawn', 'source', 'syslog', '--listen', `udp://127.0.0.1:${port}`], {
      env: node.env(),
    });
    expect(spawned.status, spawned.stderr).toBe(0);
    for (const msg of ['first message', 'second message', 'third message'])
      spawnSync('logger', ['-n', '127.0.0.1', '-P', String(port), '--rfc5424', '-t', 'vasttest', msg]);
    const count = () => Number(vast(['count', 'app_name == "vasttest"'], { env: node.env() }).stdout.trim());
    await waitFor('syslog events', () => (count() === 3 ? true : undefined));
    const out = vast(['export', 'json', 'app_name == "vasttest"'], { env: node.env() });
    expect(
      out.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).message)
        .sort(),
    ).toEqual(['first message', 'second message', 'third message']);
    expect(vast(['kill', spawned.stdout.trim()], { env: node.env() }).status).toBe(0);
    await node.stop();
    t.cleanup();
  });
});

describe('the HTTP API refuses bad requests clearly', () => {
  const t = tempDb();
  let node: RunningNode;
  const call = (path: string, init: RequestInit & { token?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    const token = init.token === undefined ? node.token : init.token;
    if (token) headers.set('authorization', `Bearer ${token}`);
    return fetch(node.url(path), { ...init, headers });
  };
  beforeAll(async () => {
    node = await startNode(t.db);
  });
  afterAll(async () => {
    await node?.stop();
    t.cleanup();
  });

  it('401 without or with a wrong token, on every endpoint', async () => {
    for (const path of ['/api/v0/status', '/api/v0/export', '/api/v0/sources', '/api/v0/openapi.json']) {
      const none = await call(path, { token: null });
      expect(none.status, path).toBe(401);
      expect((await json(none)).error).toMatch(/missing token/);
      const wrong = await call(path, { token: 'vast_wrong' });
      expect(wrong.status).toBe(401);
      expect((await json(wrong)).error).toBe('invalid token');
    }
    const xHeader = await fetch(node.url('/api/v0/status'), { headers: { 'x-vast-token': node.token! } });
    expect(xHeader.status).toBe(200);
  });

  it('400 for an unknown format, a garbage Arrow body, bad JSON and bad expressions', async () => {
    const fmt = await call('/api/v0/import?format=pcapx', { method: 'POST', body: 'x' });
    expect(fmt.status).toBe(400);
    expect((await json(fmt)).error).toMatch(/unknown input format 'pcapx'/);
    const arrow = await call('/api/v0/import', {
      method: 'POST',
      body: 'this is not arrow',
      headers: { 'content-type': 'application/vnd.apache.arrow.stream' },
    });
    expect(arrow.status).toBe(400);
    expect((await json(arrow)).error).toMatch(/Arrow/);
    const bad = await call('/api/v0/sources', {
      method: 'POST',
      body: '{not json',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toBe('request body is not valid JSON');
    const expr = await call('/api/v0/export?expression=id.orig_h%20%3D%3D');
    expect(expr.status).toBe(400);
    expect((await json(expr)).error).toMatch(/expected a value after '=='\n --> query:1:/);
    const limit = await call('/api/v0/export?limit=-3');
    expect(limit.status).toBe(400);
  });

  it('imports raw bodies, reporting bad lines with line and column, keeping the rest', async () => {
    const lines = CONN_TEXT.split('\n');
    lines[9] = lines[9].replace(/\t\d+\t/, '\tbadport\t');
    const r = await call('/api/v0/import?format=zeek', { method: 'POST', body: lines.join('\n') });
    expect(r.status).toBe(200);
    const body = await json(r);
    expect(body.events).toBe(DATA.length - 1);
    expect(body.errors).toBe(1);
    expect(body.diagnostics[0]).toMatchObject({
      severity: 'error',
      location: { source: '<request>', line: 10 },
    });
    expect(body.diagnostics[0].message).toMatch(/badport/);
    const status = await json(await call('/api/v0/status'));
    expect(status.events + status.buffered).toBe(DATA.length - 1);
  });

  it('exports NDJSON as VAST 2 wrote it (dotted keys), nested records with nested=true', async () => {
    const expr = encodeURIComponent('uid == "Pii6cUUq1v4"');
    const flat = JSON.parse(await (await call(`/api/v0/export?expression=${expr}`)).text());
    expect(flat['id.orig_h']).toBe('192.168.1.102');
    expect(flat.duration).toBe('163.82ms');
    expect(flat.ts).toBe('2009-11-18T08:00:21.486539');
    const nested = JSON.parse(await (await call(`/api/v0/export?nested=true&expression=${expr}`)).text());
    expect(nested.id).toEqual({ orig_h: '192.168.1.102', orig_p: 68, resp_h: '192.168.1.1', resp_p: 67 });
    expect(nested['id.orig_h']).toBeUndefined();
  });

  it('404 for unknown source ids, queries and endpoints; 400 for unknown sources', async () => {
    const kill = await call('/api/v0/sources/nope-1', { method: 'DELETE' });
    expect(kill.status).toBe(404);
    expect((await json(kill)).error).toBe('no such source: nope-1');
    const next = await call('/api/v0/query/123/next');
    expect(next.status).toBe(404);
    expect((await call('/api/v0/nothing')).status).toBe(404);
    const spawn = await call('/api/v0/sources', {
      method: 'POST',
      body: JSON.stringify({ source: 'telepathy' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(spawn.status).toBe(400);
    expect((await json(spawn)).error).toMatch(/unknown source 'telepathy'/);
    const opt = await call('/api/v0/sources', {
      method: 'POST',
      body: JSON.stringify({ source: 'file', args: ['--bogus'] }),
      headers: { 'content-type': 'application/json' },
    });
    expect(opt.status).toBe(400);
    expect((await json(opt)).error).toMatch(/unknown option '--bogus'/);
  });

  it('pages through results with query/new and query/:id/next', async () => {
    const { id } = await json(
      await call('/api/v0/query/new', {
        method: 'POST',
        body: JSON.stringify({ expression: 'proto == "icmp"' }),
        headers: { 'content-type': 'application/json' },
      }),
    );
    const seen: unknown[] = [];
    for (;;) {
      const page = await json(await call(`/api/v0/query/${id}/next?n=7`));
      seen.push(...page.events);
      if (page.done) break;
      expect(page.events).toHaveLength(7);
    }
    expect(seen).toHaveLength(awkCount('$7 == "icmp"'));
  });

  it('serves an OpenAPI document', async () => {
    const doc = await json(await call('/api/v0/openapi.json'));
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/api/v0/export');
  });

  it('isolates tenants: a tenant sees and writes only its own data', async () => {
    const created = vast(['token', 'create', '--tenant', 'acme'], { env: node.env() });
    expect(created.status, created.stderr).toBe(0);
    const acme = created.stdout.trim();
    const mine = await json(await call('/api/v0/status', { token: acme }));
    expect(mine).toMatchObject({ tenant: 'acme', events: 0, buffered: 0 });
    expect(
      vast(['import', 'zeek'], { env: node.env(acme), input: [...HEADER, ...DATA.slice(0, 10)].join('\n') })
        .status,
    ).toBe(0);
    expect(vast(['count'], { env: node.env(acme) }).stdout.trim()).toBe('10');
    const admin = Number(vast(['count'], { env: node.env() }).stdout.trim());
    expect(admin).toBe(DATA.length - 1);
    const forbidden = vast(['token', 'create', '--tenant', 'evil'], { env: node.env(acme) });
    expect(forbidden.status).toBe(1);
    expect(forbidden.stderr).toMatch(/POST \/api\/v0\/tokens needs a token with the 'admin' role/);
  });
});

describe('node lifecycle', () => {
  it('stops cleanly on SIGTERM with everything flushed, and keeps the admin token hashed', async () => {
    const t = tempDb();
    const node = await startNode(t.db);
    expect(vast(['import', 'zeek', '-r', CONN], { env: node.env() }).status).toBe(0);
    expect(await node.stop()).toBe(0);
    // Embedded mode now sees everything in partitions, nothing left in the WAL.
    const s = JSON.parse(vast(['status', '--json', '-d', t.db]).stdout);
    expect(s.events).toBe(DATA.length);
    const tokens = readFileSync(join(t.db, 'tokens.json'), 'utf8');
    expect(tokens).not.toContain(node.token!);
    const again = await startNode(t.db);
    expect(again.token).toBeUndefined();
    expect(again.stderr()).not.toMatch(/admin token/);
    await again.stop();
    t.cleanup();
  });

  it('fails clearly with --node and no node, and on an invalid config key', () => {
    const r = vast(['status', '--node']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no node is running at 127\.0\.0\.1:1/);
    const t = tempDb();
    const cfg = join(t.dir, 'vast.yaml');
    writeFileSync(cfg, 'endpoint: 127.0.0.1:42999\nflush-interval: soon\n');
    const bad = vast(['start', '-d', t.db, '--config', cfg]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/invalid setting 'flush-interval'.*\n --> .*vast\.yaml:2:17\n/);
    writeFileSync(cfg, 'endpiont: 127.0.0.1:42999\n');
    expect(vast(['start', '-d', t.db, '--config', cfg]).stderr).toMatch(/unknown setting 'endpiont'/);
    t.cleanup();
  });
});
