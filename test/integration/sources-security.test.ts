/**
 * Sources spawned inside a real node, attacked through the HTTP API: the
 * capture program is the operator's (no `--tcpdump`), spawning is the admin's
 * unless the operator allows tenants, files only from `source-paths` (by
 * real path, without telling whether a path exists), listeners only on
 * `source-bind-addresses`, bounded option values, a cap per tenant, and
 * random source ids that one tenant cannot see or kill for another.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATA } from '../helpers/datasets.js';
import { tempDb, vast } from './cli.js';
import { plainError, type RunningNode, startNode } from './node-helpers.js';

const HAVE_TCPDUMP = spawnSync('tcpdump', ['--version'], { stdio: 'ignore' }).status === 0;
const CONN = join(TEST_DATA, 'zeek', 'conn.log');
const CONN_EVENTS = readFileSync(CONN, 'utf8')
  .split('\n')
  .filter((l) => l !== '' && !l.startsWith('#')).length;
const PCAP = join(TEST_DATA, 'pcap', 'example.pcap');

const TENANT_REFUSED =
  'only the admin token may spawn or kill sources (the operator may allow tenants with the tenant-sources setting)';
const pathRefused = (source: string, path: string) =>
  `${source}: may not read '${path}': not an existing file in a directory allowed by the node's source-paths setting`;

/** A response body as loosely typed JSON (the assertions check its shape). */
// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes, checked by the assertions
type Json = any;

/** Calls the node's API with a token; returns the status and the JSON body. */
async function call(
  node: RunningNode,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Json }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(node.url(path), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: plainError(await r.json()) };
}

const spawnSource = (node: RunningNode, token: string, source: string, args: string[]) =>
  call(node, token, 'POST', '/api/v0/sources', { source, args });

async function newToken(node: RunningNode, tenant: string): Promise<string> {
  const r = await call(node, node.token!, 'POST', '/api/v0/tokens', { tenant });
  expect(r.status).toBe(200);
  return r.body.token;
}

async function waitFor(what: string, f: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('a node with default source settings and source-paths', () => {
  const t = tempDb();
  /** The one directory the operator allows; the database lies inside it and stays off limits. */
  const allowed = t.dir;
  const files = join(t.dir, 'files');
  let node: RunningNode;
  let admin: string;
  let acme: string;

  beforeAll(async () => {
    mkdirSync(files);
    const cfg = join(t.dir, 'vast.yaml');
    writeFileSync(cfg, `source-paths: [${JSON.stringify(allowed)}]\n`);
    node = await startNode(t.db, ['--config', cfg]);
    admin = node.token!;
    acme = await newToken(node, 'acme');
  });
  afterAll(async () => {
    await node?.stop();
    t.cleanup();
  });

  it('finding 1: --tcpdump is an unknown option; the program given never runs', async () => {
    const perl = await spawnSource(node, admin, 'pcap', ['--tcpdump', '/usr/bin/perl', '-i', 'lo']);
    expect(perl.status).toBe(400);
    expect(perl.body.error).toMatch(/^unknown option '--tcpdump' for source 'pcap' \(options: /);
    // A program that would leave a mark if it ran, given every way the option parser takes values.
    const marker = join(t.dir, 'ran');
    const program = join(t.dir, 'evil.sh');
    writeFileSync(program, `#!/bin/sh\ntouch '${marker}'\nsleep 30\n`);
    chmodSync(program, 0o755);
    for (const args of [
      ['--tcpdump', program, '-i', 'lo'],
      [`--tcpdump=${program}`, '-i', 'lo'],
    ]) {
      const r = await spawnSource(node, admin, 'pcap', args);
      expect(r.status).toBe(400);
      expect(r.body.error).toMatch(/^unknown option '--tcpdump/);
    }
    await sleep(500);
    expect(existsSync(marker)).toBe(false);
    expect((await call(node, admin, 'GET', '/api/v0/sources')).body.sources).toEqual([]);
  });

  it('finding 2: a tenant token may neither spawn nor kill sources (403), also through the CLI', async () => {
    const spawned = await spawnSource(node, acme, 'syslog', ['--listen', 'udp://127.0.0.1:0']);
    expect(spawned).toEqual({ status: 403, body: { error: TENANT_REFUSED } });
    const file = await spawnSource(node, acme, 'file', ['-r', '/etc/passwd', '-f', 'json']);
    expect(file).toEqual({ status: 403, body: { error: TENANT_REFUSED } });
    const killed = await call(node, acme, 'DELETE', '/api/v0/sources/syslog-00000000');
    expect(killed).toEqual({ status: 403, body: { error: TENANT_REFUSED } });
    const cli = vast(['spawn', 'source', 'syslog', '--listen', 'udp://127.0.0.1:0'], { env: node.env(acme) });
    expect(cli.status).toBe(1);
    expect(cli.stderr).toContain(TENANT_REFUSED);
    expect((await call(node, admin, 'GET', '/api/v0/sources')).body.sources).toEqual([]);
  });

  it('finding 2: the admin cannot read outside source-paths, nor the database, nor through symlinks or ..', async () => {
    // Some of acme's data on disk, in the database directory (which lies inside the allowed one).
    const imported = await fetch(node.url('/api/v0/import?format=zeek'), {
      method: 'POST',
      headers: { authorization: `Bearer ${acme}`, 'content-type': 'text/plain' },
      body: readFileSync(CONN),
    });
    expect(imported.status).toBe(200);
    expect((await call(node, acme, 'POST', '/api/v0/flush')).status).toBe(200);
    const acmeFiles = readdirSync(join(t.db, 'tenants', 'acme'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
    expect(acmeFiles.length).toBeGreaterThan(0);
    symlinkSync('/etc/passwd', join(files, 'passwd-link'));
    symlinkSync(join(t.db, 'tokens.json'), join(files, 'tokens-link'));
    symlinkSync('/etc', join(files, 'etc-link'));
    const forbidden = [
      '/etc/passwd',
      '/proc/self/environ',
      join(t.db, 'tokens.json'),
      ...acmeFiles,
      join(files, 'passwd-link'),
      join(files, 'tokens-link'),
      join(files, 'etc-link', 'passwd'),
      `${files}/../../../../../../../../etc/passwd`,
      '../../../../../../../../etc/passwd',
    ];
    for (const path of forbidden) {
      for (const [source, args] of [
        ['file', ['-r', path, '-f', 'zeek']],
        ['pcap', ['-r', path]],
      ] as const) {
        const r = await spawnSource(node, admin, source, [...args]);
        expect(r, `${source} ${path}`).toEqual({ status: 403, body: { error: pathRefused(source, path) } });
      }
    }
    expect((await call(node, admin, 'GET', '/api/v0/sources')).body.sources).toEqual([]);
  });

  it('finding 2: a missing file and a forbidden file get the same answer', async () => {
    const answers = new Set<string>();
    for (const path of [
      '/etc/passwd',
      '/etc/no-such-file-here',
      join(files, 'no-such-file.log'),
      join(files, 'no-such-dir', 'x.log'),
      '/root/.no-such-file',
    ]) {
      const r = await spawnSource(node, admin, 'file', ['-r', path]);
      answers.add(`${r.status} ${r.body.error.replace(path, 'PATH')}`);
    }
    expect([...answers]).toEqual([`403 ${pathRefused('file', 'PATH')}`]);
  });

  it('finding 2: a file inside source-paths is read (file and pcap sources)', async () => {
    const log = join(files, 'conn.log');
    copyFileSync(CONN, log);
    copyFileSync(PCAP, join(files, 'example.pcap'));
    const before = (await call(node, admin, 'GET', '/api/v0/status')).body;
    const f = await spawnSource(node, admin, 'file', ['-r', log, '-f', 'zeek']);
    expect(f.status).toBe(200);
    expect(f.body.id).toMatch(/^file-[0-9a-f]{8}$/);
    const p = await spawnSource(node, admin, 'pcap', ['-r', join(files, 'example.pcap')]);
    expect(p.status).toBe(200);
    expect(p.body.id).toMatch(/^pcap-[0-9a-f]{8}$/);
    const total = (s: Json) => s.events + s.buffered;
    await waitFor('events from both sources', async () => {
      const s = (await call(node, admin, 'GET', '/api/v0/status')).body;
      return total(s) === total(before) + CONN_EVENTS + 1000;
    });
    const listed = (await call(node, admin, 'GET', '/api/v0/sources')).body.sources;
    expect(listed.map((s: Json) => [s.id, s.events])).toEqual([
      [f.body.id, CONN_EVENTS],
      [p.body.id, 1000],
    ]);
    for (const id of [f.body.id, p.body.id])
      expect(await call(node, admin, 'DELETE', `/api/v0/sources/${id}`)).toEqual({
        status: 200,
        body: { killed: id },
      });
  });

  it('vast spawn makes a relative path absolute against the shell, not the node', async () => {
    writeFileSync(join(files, 'relative.log'), readFileSync(CONN));
    for (const args of [['-r', 'files/relative.log'], ['--read=files/relative.log']]) {
      const r = vast(['spawn', 'source', 'file', ...args, '-f', 'zeek'], { env: node.env(), cwd: t.dir });
      expect(r.status, r.stderr).toBe(0);
      const id = r.stdout.trim();
      const listed = (await call(node, admin, 'GET', '/api/v0/sources')).body.sources;
      expect(listed.find((s: Json) => s.id === id)?.endpoint).toBe(`file://${join(files, 'relative.log')}`);
      expect(vast(['kill', id], { env: node.env() }).status).toBe(0);
    }
    // From elsewhere, the same relative path means another file, outside source-paths.
    const r = vast(['spawn', 'source', 'file', '-r', 'files/relative.log'], { env: node.env(), cwd: '/' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(pathRefused('file', '/files/relative.log'));
  });

  it('finding 6: listeners bind only addresses in source-bind-addresses (default loopback)', async () => {
    const allowedOnly = "the node's source-bind-addresses setting allows only 127.0.0.1, ::1";
    for (const [source, listen, host] of [
      ['syslog', 'udp://0.0.0.0:5514', '0.0.0.0'],
      ['syslog', 'tcp://[::]:5514', '::'],
      ['syslog', 'udp://:5514', '0.0.0.0'],
      ['netflow', '0.0.0.0:2055', '0.0.0.0'],
      ['netflow', '[::]:2055', '::'],
    ]) {
      const r = await spawnSource(node, admin, source, ['--listen', listen]);
      expect(r, listen).toEqual({
        status: 403,
        body: { error: `${source}: may not listen on '${host}': ${allowedOnly}` },
      });
    }
    const ok = await spawnSource(node, admin, 'netflow', ['--listen', '127.0.0.1:0']);
    expect(ok.status).toBe(200);
    expect((await call(node, admin, 'DELETE', `/api/v0/sources/${ok.body.id}`)).status).toBe(200);
  });

  it('finding 6: busy-loop and oversized option values are 400 with the bounds', async () => {
    const log = join(files, 'poll.log');
    writeFileSync(log, '');
    const cases: [string, string[], string][] = [
      [
        'file',
        ['-r', log, '--poll', '0'],
        "option '--poll' of source 'file' expects an integer from 50 to 60000 (milliseconds between checks for new data), got '0'",
      ],
      [
        'file',
        ['-r', log, '--poll=-5'],
        "option '--poll=-5' of source 'file' expects an integer from 50 to 60000 (milliseconds between checks for new data), got '-5'",
      ],
      [
        'syslog',
        ['--flush-interval', '0'],
        "option '--flush-interval' of source 'syslog' expects an integer from 50 to 3600000 (milliseconds after which a partial batch is emitted), got '0'",
      ],
      [
        'netflow',
        ['--batch-size', '0'],
        "option '--batch-size' of source 'netflow' expects an integer from 1 to 1048576 (flows per batch), got '0'",
      ],
      [
        'syslog',
        ['--max-message-size', '1e12'],
        "option '--max-message-size' of source 'syslog' expects an integer from 1 to 16777216 (longest message in bytes; longer ones are dropped), got '1e12'",
      ],
    ];
    for (const [source, args, error] of cases)
      expect(await spawnSource(node, admin, source, args), args.join(' ')).toEqual({
        status: 400,
        body: { error },
      });
    expect((await call(node, admin, 'GET', '/api/v0/sources')).body.sources).toEqual([]);
  });

  it('finding 3: interface names that are options are 400; nothing is written', async () => {
    const target = join(t.dir, 'written-by-tcpdump');
    for (const iface of [`-w${target}`, '-w', `lo -w ${target}`]) {
      const r = await spawnSource(node, admin, 'pcap', ['-i', iface]);
      expect(r, iface).toEqual({
        status: 400,
        body: {
          error: `pcap: invalid interface name '${iface}' (letters, digits, '.', '_', ':' and '-', at most 15, not starting with '-')`,
        },
      });
    }
    expect(existsSync(target)).toBe(false);
  });

  it.skipIf(!HAVE_TCPDUMP)(
    'finding 3: a filter that looks like an option is a filter; nothing is written',
    async () => {
      const target = join(t.dir, 'written-by-filter');
      copyFileSync(PCAP, join(files, 'filtered.pcap'));
      const r = await spawnSource(node, admin, 'pcap', [
        '-r',
        join(files, 'filtered.pcap'),
        '--filter',
        `-w${target}`,
      ]);
      expect(r.status).toBe(400);
      expect(r.body.error).toBe(`pcap: tcpdump failed to read ${join(files, 'filtered.pcap')} (exit code 1)`);
      await sleep(300);
      expect(existsSync(target)).toBe(false);
    },
  );
});

describe('a node whose operator lets tenants spawn sources', () => {
  const t = tempDb();
  let node: RunningNode;
  let admin: string;
  let acme: string;
  let globex: string;

  beforeAll(async () => {
    const cfg = join(t.dir, 'vast.yaml');
    writeFileSync(cfg, 'tenant-sources: true\nmax-sources-per-tenant: 2\n');
    node = await startNode(t.db, ['--config', cfg]);
    admin = node.token!;
    acme = await newToken(node, 'acme');
    globex = await newToken(node, 'globex');
  });
  afterAll(async () => {
    await node?.stop();
    t.cleanup();
  });

  const syslog = (token: string) => spawnSource(node, token, 'syslog', ['--listen', 'udp://127.0.0.1:0']);
  const ids = async (token: string) =>
    (await call(node, token, 'GET', '/api/v0/sources')).body.sources.map((s: Json) => s.id).sort();

  it('finding 6: at most max-sources-per-tenant sources per tenant (429), counted per tenant', async () => {
    const a1 = await syslog(acme);
    const a2 = await syslog(acme);
    expect([a1.status, a2.status]).toEqual([200, 200]);
    const a3 = await syslog(acme);
    expect(a3).toEqual({
      status: 429,
      body: {
        error:
          "tenant 'acme' has 2 sources, the most the node allows (max-sources-per-tenant: 2); kill one first (vast kill ID)",
      },
    });
    // Another tenant has its own allowance.
    const g1 = await syslog(globex);
    expect(g1.status).toBe(200);
    expect(await call(node, acme, 'DELETE', `/api/v0/sources/${a1.body.id}`)).toEqual({
      status: 200,
      body: { killed: a1.body.id },
    });
    const a4 = await syslog(acme);
    expect(a4.status).toBe(200);
    for (const [token, id] of [
      [acme, a2.body.id],
      [acme, a4.body.id],
      [globex, g1.body.id],
    ])
      expect((await call(node, token, 'DELETE', `/api/v0/sources/${id}`)).status).toBe(200);
  });

  it('finding 8: random ids; a tenant neither sees nor kills another tenant’s sources (404)', async () => {
    const a = await syslog(acme);
    const g = await syslog(globex);
    expect(a.body.id).toMatch(/^syslog-[0-9a-f]{8}$/);
    expect(g.body.id).toMatch(/^syslog-[0-9a-f]{8}$/);
    expect(a.body.id).not.toBe(g.body.id);
    expect(await ids(acme)).toEqual([a.body.id]);
    expect(await ids(globex)).toEqual([g.body.id]);
    expect(await ids(admin)).toEqual([a.body.id, g.body.id].sort());
    const status = (await call(node, globex, 'GET', '/api/v0/status')).body;
    expect(status.sources.map((s: Json) => s.id)).toEqual([g.body.id]);
    expect(await call(node, globex, 'DELETE', `/api/v0/sources/${a.body.id}`)).toEqual({
      status: 404,
      body: { error: `no such source: ${a.body.id}` },
    });
    expect(await ids(acme)).toEqual([a.body.id]);
    // The admin may kill any tenant's source.
    expect((await call(node, admin, 'DELETE', `/api/v0/sources/${a.body.id}`)).status).toBe(200);
    expect((await call(node, globex, 'DELETE', `/api/v0/sources/${g.body.id}`)).status).toBe(200);
    expect(await ids(admin)).toEqual([]);
  });

  it('finding 2: without source-paths, no file is read through a source', async () => {
    for (const token of [acme, admin]) {
      const r = await spawnSource(node, token, 'file', ['-r', CONN]);
      expect(r).toEqual({
        status: 403,
        body: {
          error: `file: may not read '${CONN}': reading files through spawned sources is disabled (the operator allows directories with the node's source-paths setting)`,
        },
      });
    }
  });
});
