/**
 * Security of a node's HTTP API (issue 9): token roles and lifecycle (create,
 * list, revoke, expiry, migration of old token files), the `vast.audit` log,
 * and the low findings of issue 9 finding 8 (token request validation, the
 * database path in status, the `bearer` scheme in any case, tenant `default`
 * for non-admin tokens, tokens.json readable by others).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATA } from '../helpers/datasets.js';
import { tempDb, vast } from './cli.js';
import { type RunningNode, startNode } from './node-helpers.js';

const CONN = join(TEST_DATA, 'zeek', 'conn.log');
const CONN_TEXT = readFileSync(CONN, 'utf8');

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes, checked by the assertions
const json = (r: Response): Promise<any> => r.json();

function caller(node: () => RunningNode) {
  return (path: string, init: RequestInit & { token?: string | null; body_json?: unknown } = {}) => {
    const headers = new Headers(init.headers);
    const token = init.token === undefined ? node().token : init.token;
    if (token) headers.set('authorization', `Bearer ${token}`);
    let body = init.body;
    if (init.body_json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(init.body_json);
    }
    return fetch(node().url(path), { ...init, headers, body });
  };
}

/** Creates a token through the CLI; returns its id and clear text. */
function createToken(node: RunningNode, args: string[]): { id: string; token: string } {
  const r = vast(['token', 'create', ...args], { env: node.env() });
  expect(r.status, r.stderr).toBe(0);
  return { id: /token id (\S+)/.exec(r.stderr)![1], token: r.stdout.trim() };
}

/** The node's audit events (as the admin sees them), once `pred` holds for them. */
async function auditEvents(
  call: ReturnType<typeof caller>,
  pred: (events: Record<string, string | null>[]) => boolean,
): Promise<Record<string, string | null>[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await call(`/api/v0/export?expression=${encodeURIComponent('#schema == "vast.audit"')}`);
    expect(r.status).toBe(200);
    const events = (await r.text())
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    if (pred(events)) return events;
    if (Date.now() > deadline) throw new Error(`audit log never matched; it holds ${JSON.stringify(events)}`);
    await sleep(100);
  }
}

describe('token roles and lifecycle', () => {
  const t = tempDb();
  let node: RunningNode;
  const call = caller(() => node);
  beforeAll(async () => {
    node = await startNode(t.db);
  });
  afterAll(async () => {
    await node?.stop();
    t.cleanup();
  });

  it('a read token queries and sees status, but cannot import or flush (403 naming the role)', async () => {
    const { token } = createToken(node, ['--tenant', 'readers', '--role', 'read']);
    expect((await call('/api/v0/status', { token })).status).toBe(200);
    expect((await call('/api/v0/export?expression=', { token })).status).toBe(200);
    const imp = await call('/api/v0/import?format=zeek', { method: 'POST', body: CONN_TEXT, token });
    expect(imp.status).toBe(403);
    expect((await json(imp)).error).toBe(
      "POST /api/v0/import needs a token with the 'write' role; this token's role is 'read'",
    );
    const flush = await call('/api/v0/flush', { method: 'POST', token });
    expect(flush.status).toBe(403);
    expect((await json(flush)).error).toMatch(/needs a token with the 'write' role/);
    // Nothing of the refused import arrived.
    expect((await json(await call('/api/v0/status', { token }))).events).toBe(0);
  });

  it('a write token imports and flushes, but cannot manage tokens, run sources or stop the node', async () => {
    const { token } = createToken(node, ['--tenant', 'writers']);
    const imp = await call('/api/v0/import?format=zeek', { method: 'POST', body: CONN_TEXT, token });
    expect(imp.status).toBe(200);
    expect((await call('/api/v0/flush', { method: 'POST', token })).status).toBe(200);
    for (const [method, path] of [
      ['POST', '/api/v0/tokens'],
      ['GET', '/api/v0/tokens'],
      ['DELETE', '/api/v0/tokens/tok_x'],
      ['POST', '/api/v0/stop'],
    ]) {
      const r = await call(path, { method, token, body_json: method === 'POST' ? {} : undefined });
      expect(r.status, path).toBe(403);
      expect((await json(r)).error).toBe(
        `${method} ${path} needs a token with the 'admin' role; this token's role is 'write'`,
      );
    }
    // Sources need admin unless the operator allows tenants (tenant-sources, off here).
    const spawn = await call('/api/v0/sources', { method: 'POST', token, body_json: { source: 'file' } });
    expect(spawn.status).toBe(403);
    expect((await json(spawn)).error).toBe(
      'only the admin token may spawn or kill sources (the operator may allow tenants with the tenant-sources setting)',
    );
    const cli = vast(['token', 'list'], { env: node.env(token) });
    expect(cli.status).toBe(1);
    expect(cli.stderr).toMatch(/GET \/api\/v0\/tokens needs a token with the 'admin' role/);
  });

  it('lists tokens without secrets, revokes by id, refuses to revoke the last admin token', async () => {
    const { id, token } = createToken(node, ['--tenant', 'acme', '--role', 'read', '--expires', '30d']);
    const list = vast(['token', 'list'], { env: node.env() });
    expect(list.status, list.stderr).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['id', 'tenant', 'role', 'created', 'expires']);
    const mine = lines.find((l) => l.startsWith(id));
    expect(mine?.split(/\s+/).slice(0, 3)).toEqual([id, 'acme', 'read']);
    const expires = Date.parse(mine!.split(/\s+/)[4]);
    expect(Math.abs(expires - (Date.now() + 30 * 86_400_000))).toBeLessThan(120_000);
    expect(list.stdout).not.toContain(token);
    expect(list.stdout).not.toContain(createHash('sha256').update(token).digest('hex'));
    expect(list.stdout).not.toContain(node.token!);

    expect((await call('/api/v0/status', { token })).status).toBe(200);
    const revoked = vast(['token', 'revoke', id], { env: node.env() });
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(revoked.stdout).toBe(`revoked ${id}\n`);
    const after = await call('/api/v0/status', { token });
    expect(after.status).toBe(401);
    expect((await json(after)).error).toBe('invalid token');
    const again = vast(['token', 'revoke', id], { env: node.env() });
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(`no such token: ${id}`);

    const tokens = await json(await call('/api/v0/tokens'));
    const admin = tokens.tokens.find((x: { role: string }) => x.role === 'admin');
    const last = await call(`/api/v0/tokens/${admin.id}`, { method: 'DELETE' });
    expect(last.status).toBe(400);
    expect((await json(last)).error).toBe(
      `cannot revoke ${admin.id}: it is the last admin token (create another admin token first)`,
    );
  });

  it('an expired token is refused with its own message', async () => {
    const r = await call('/api/v0/tokens', { method: 'POST', body_json: { tenant: 'brief', expires: '1s' } });
    expect(r.status).toBe(200);
    const { token, expires } = await json(r);
    expect(Date.parse(expires)).toBeGreaterThan(Date.now() - 5_000);
    await sleep(1_500);
    const late = await call('/api/v0/status', { token });
    expect(late.status).toBe(401);
    expect((await json(late)).error).toBe('token expired');
    const bad = await call('/api/v0/tokens', { method: 'POST', body_json: { tenant: 'x', expires: 'soon' } });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toBe(
      "'expires': expected a positive duration such as 30d, 12h or 90min, got 'soon'",
    );
  });
});

describe('finding 8: token requests, status, the bearer scheme, tenant default, tokens.json', () => {
  const t = tempDb();
  let node: RunningNode;
  const call = caller(() => node);
  beforeAll(async () => {
    node = await startNode(t.db);
  });
  afterAll(async () => {
    await node?.stop();
    t.cleanup();
  });

  it('POST /api/v0/tokens answers 400 naming the field for a non-string or array tenant', async () => {
    for (const tenant of [42, ['acme'], { a: 1 }, null]) {
      const r = await call('/api/v0/tokens', { method: 'POST', body_json: { tenant } });
      expect(r.status, JSON.stringify(tenant)).toBe(400);
      expect((await json(r)).error).toMatch(/^'tenant': .*expected string/);
    }
    const role = await call('/api/v0/tokens', { method: 'POST', body_json: { tenant: 'a', role: 'root' } });
    expect(role.status).toBe(400);
    expect((await json(role)).error).toMatch(/^'role': /);
    const extra = await call('/api/v0/tokens', { method: 'POST', body_json: { tenant: 'a', admin: true } });
    expect(extra.status).toBe(400);
    expect((await json(extra)).error).toBe("unknown field 'admin'");
    const list = await call('/api/v0/tokens', { method: 'POST', body_json: [{ tenant: 'a' }] });
    expect(list.status).toBe(400);
  });

  it('status shows the database path to the admin only', async () => {
    const admin = await json(await call('/api/v0/status'));
    expect(admin.database).toBe(t.db);
    const { token } = createToken(node, ['--tenant', 'acme']);
    const tenant = await json(await call('/api/v0/status', { token }));
    expect(tenant.tenant).toBe('acme');
    expect(tenant).not.toHaveProperty('database');
    expect(JSON.stringify(tenant)).not.toContain(t.dir);
  });

  it('accepts the bearer scheme in any case (RFC 7235)', async () => {
    for (const scheme of ['bearer', 'BEARER', 'Bearer', 'bEaReR']) {
      const r = await fetch(node.url('/api/v0/status'), {
        headers: { authorization: `${scheme} ${node.token}` },
      });
      expect(r.status, scheme).toBe(200);
    }
  });

  it('refuses a non-admin token for tenant default (the admin data)', async () => {
    for (const role of ['read', 'write']) {
      const r = await call('/api/v0/tokens', { method: 'POST', body_json: { tenant: 'default', role } });
      expect(r.status).toBe(400);
      expect((await json(r)).error).toBe(
        "tenant 'default' holds the admin's data (and the audit log): only admin tokens may use it",
      );
    }
    const cli = vast(['token', 'create', '--tenant', 'default'], { env: node.env() });
    expect(cli.status).toBe(1);
    expect(cli.stderr).toMatch(/only admin tokens may use it/);
  });

  it('writes tokens.json readable by its owner only', () => {
    expect(statSync(join(t.db, 'tokens.json')).mode & 0o777).toBe(0o600);
  });
});

describe('token files from before roles', () => {
  it('keep working: the admin token as admin, the others as write; the file becomes 0600', async () => {
    const t = tempDb();
    mkdirSync(t.db, { recursive: true });
    const h = (s: string) => createHash('sha256').update(s).digest('hex');
    const created = '2026-01-01T00:00:00.000Z';
    writeFileSync(
      join(t.db, 'tokens.json'),
      JSON.stringify([
        { hash: h('vast_oldadmin'), tenant: 'default', admin: true, created },
        { hash: h('vast_oldacme'), tenant: 'acme', admin: false, created },
      ]),
      { mode: 0o644 },
    );
    const node = await startNode(t.db);
    try {
      expect(node.token).toBeUndefined();
      const call = caller(() => node);
      const list = await json(await call('/api/v0/tokens', { token: 'vast_oldadmin' }));
      expect(list.tokens.map((x: { tenant: string; role: string }) => [x.tenant, x.role])).toEqual([
        ['default', 'admin'],
        ['acme', 'write'],
      ]);
      const imp = await call('/api/v0/import?format=zeek', {
        method: 'POST',
        body: CONN_TEXT,
        token: 'vast_oldacme',
      });
      expect(imp.status).toBe(200);
      expect((await call('/api/v0/tokens', { token: 'vast_oldacme' })).status).toBe(403);
      expect(statSync(join(t.db, 'tokens.json')).mode & 0o777).toBe(0o600);
    } finally {
      await node.stop();
      t.cleanup();
    }
  });
});

describe('the audit log', () => {
  const t = tempDb();
  let node: RunningNode;
  const call = caller(() => node);
  beforeAll(async () => {
    node = await startNode(t.db);
  });
  afterAll(async () => {
    await node?.stop();
    t.cleanup();
  });

  it('records queries, imports, token changes and refused tokens as vast.audit events, for the admin only', async () => {
    const { id, token } = createToken(node, ['--tenant', 'acme']);
    const imp = vast(['import', 'zeek', '-r', CONN], { env: node.env(token) });
    expect(imp.status, imp.stderr).toBe(0);
    const counted = vast(['count', 'proto == "udp"'], { env: node.env(token) });
    expect(counted.status, counted.stderr).toBe(0);
    // Twenty bad tokens from one address: one event, the rest counted in the next window.
    for (let i = 0; i < 20; i++)
      expect((await call('/api/v0/status', { token: `vast_bad${i}` })).status).toBe(401);
    expect(vast(['token', 'revoke', id], { env: node.env() }).status).toBe(0);

    const events = await auditEvents(call, (es) => es.some((e) => e.action === 'token.revoke'));
    const of = (action: string) => events.filter((e) => e.action === action);
    expect(of('token.create')).toEqual([
      expect.objectContaining({
        tenant: 'default',
        role: 'admin',
        target: id,
        details: JSON.stringify({ tenant: 'acme', role: 'write', expires: null }),
        remote: '127.0.0.1',
        outcome: 'success',
      }),
    ]);
    const imports = of('import');
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.every((e) => e.token_id === id && e.tenant === 'acme' && e.role === 'write')).toBe(true);
    expect(imports.reduce((n, e) => n + JSON.parse(e.details!).events, 0)).toBe(
      CONN_TEXT.split('\n').filter((l) => l && !l.startsWith('#')).length,
    );
    // (The admin's own reads of the audit log are queries too.)
    expect(of('query').filter((e) => e.tenant === 'acme')).toEqual([
      expect.objectContaining({
        token_id: id,
        tenant: 'acme',
        // `vast count` through a node is the count route: the query as the user wrote it.
        target: 'proto == "udp"',
        details: JSON.stringify({ route: 'count' }),
      }),
    ]);
    expect(of('auth.failure')).toEqual([
      expect.objectContaining({
        token_id: null,
        target: '/api/v0/status',
        details: JSON.stringify({ reason: 'invalid token', suppressed: 0 }),
        remote: '127.0.0.1',
        outcome: 'denied',
      }),
    ]);
    expect(of('token.revoke')).toEqual([expect.objectContaining({ target: id, outcome: 'success' })]);
    expect(events.every((e) => typeof e.time === 'string' && !Number.isNaN(Date.parse(e.time!)))).toBe(true);

    // A tenant's token sees no audit events (they are the admin's data) ...
    const { token: other } = createToken(node, ['--tenant', 'acme', '--role', 'read']);
    const theirs = vast(['export', 'json', '#schema == "vast.audit"'], { env: node.env(other) });
    expect(theirs.status, theirs.stderr).toBe(0);
    expect(theirs.stdout).toBe('');
    // ... and the admin's queries that do not ask for them by #schema do not see them either.
    expect(vast(['count'], { env: node.env() }).stdout.trim()).toBe('0');
    const status = await json(await call('/api/v0/status'));
    expect(status.events + status.buffered).toBe(0);
    expect(status.internal.events + status.internal.buffered).toBeGreaterThan(0);
    // The CLI shows them to the admin.
    const cli = vast(['export', 'json', '#schema == "vast.audit" && action == "token.revoke"'], {
      env: node.env(),
    });
    expect(
      cli.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).target),
    ).toEqual([id]);
  });

  it('records a node stop through the API, durable across the restart', async () => {
    const admin = node.token!;
    const r = vast(['stop'], { env: node.env() });
    expect(r.status, r.stderr).toBe(0);
    expect(await node.stop()).toBe(0);
    node = await startNode(t.db);
    const events = await auditEvents(
      (path) => fetch(node.url(path), { headers: { authorization: `Bearer ${admin}` } }),
      (es) => es.some((e) => e.action === 'node.stop'),
    );
    expect(events.filter((e) => e.action === 'node.stop')).toEqual([
      expect.objectContaining({ tenant: 'default', role: 'admin', target: 'node', outcome: 'success' }),
    ]);
  });
});
