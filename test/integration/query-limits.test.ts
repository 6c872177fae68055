/**
 * Issue 9, findings 5 and 6 (cursors): no query may freeze the node. Patterns
 * are bounded at parse time; what remains allowed but expensive runs with a
 * time budget, is cancellable (client disconnect, DELETE of a cursor, Ctrl-C,
 * SIGTERM) and yields so that other tenants are served meanwhile. Query
 * cursors are capped per tenant, pages are capped, idle cursors expire.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDb, vast, vastAsync, vastProcess } from './cli.js';
import { plainError, startNode } from './node-helpers.js';

/** Allowed by the limits, but expensive: re2js takes about half a second per distinct 30k-character value. */
const HEAVY = 's in /(?:a+){1,256}$/';
const HEAVY_VALUES = 100;
/** Two cheap events whose `n < 2` matches, then values the heavy pattern grinds through (and never matches). */
const SMALL_JSON = [0, 1, 2].map((n) => JSON.stringify({ n, s: 'aaaaab' })).join('\n');
const HEAVY_JSON = Array.from({ length: HEAVY_VALUES }, (_, k) =>
  JSON.stringify({ n: 100 + k, s: `${'a'.repeat(30_000 - k)}b` }),
).join('\n');
const OVER_BUDGET = 'query exceeded its time budget of 3 s (query-timeout)';

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes, checked by the assertions
const json = async (r: Response): Promise<any> => plainError(await r.json());

async function waitFor<T>(what: string, f: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** A node with a config file, two tenants (`acme` holding the heavy data, `other`), and a fetch helper. */
async function heavyNode(db: string, dir: string, config: string) {
  const configFile = join(dir, 'vast.yaml');
  writeFileSync(configFile, `flush-interval: 3600\n${config}`);
  const node = await startNode(db, ['--config', configFile]);
  const call = (path: string, token: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token}`);
    return fetch(node.url(path), { ...init, headers });
  };
  const tokenFor = async (tenant: string): Promise<string> =>
    (
      await json(
        await call('/api/v0/tokens', node.token!, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ tenant }),
        }),
      )
    ).token;
  const acme = await tokenFor('acme');
  const other = await tokenFor('other');
  // Two imports, two batches: the cheap events come first in a scan.
  for (const body of [SMALL_JSON, HEAVY_JSON]) {
    const r = await call('/api/v0/import?format=json', acme, { method: 'POST', body });
    expect(r.status, await r.clone().text()).toBe(200);
  }
  const running = async (token: string): Promise<number> =>
    (await json(await call('/api/v0/status', token))).runningQueries;
  return { node, call, acme, other, running };
}

const exportPath = (expr: string) => `/api/v0/export?expression=${encodeURIComponent(expr)}`;

describe('patterns are bounded when a query is parsed', () => {
  const t = tempDb();
  afterAll(() => t.cleanup());

  it('refuses a large repetition count with its line:column, in embedded mode', () => {
    expect(vast(['import', '-d', t.db, 'json'], { input: SMALL_JSON }).status).toBe(0);
    const r = vast(['export', '-d', t.db, 'json', 's == /(?:a+){1,1000}$/']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      'error: pattern repetition count 1000 exceeds the limit of 256\n --> query:1:13\n',
    );
    expect(r.stdout).toBe('');
  });

  it('refuses nested counts whose product is too large, and oversized patterns', () => {
    const nested = vast(['count', '-d', t.db, 's in /(?:[a-f]{64}\\.?){1,16}/']);
    expect(nested.status).toBe(1);
    expect(nested.stderr).toContain('pattern nests repetition counts to 1024, exceeding the limit of 1000');
    const long = vast(['count', '-d', t.db, `s in /${'x'.repeat(9000)}/`]);
    expect(long.status).toBe(1);
    expect(long.stderr).toContain('pattern is 9000 characters long, exceeding the limit of 8192');
  });

  it('still runs the patterns real hunting uses', () => {
    for (const expr of [
      's in /[0-9a-f]{128}/',
      's == /(?:\\d{1,3}\\.){3}\\d{1,3}/',
      's in /(?:[a-z0-9-]{1,63}\\.){1,10}[a-z]{2,24}/i',
    ]) {
      const r = vast(['count', '-d', t.db, expr]);
      expect(r.stderr, expr).toBe('');
      expect(r.stdout).toBe('0\n');
    }
    expect(vast(['count', '-d', t.db, 's == /a{5}b/']).stdout).toBe('3\n');
  });
});

describe('a heavy query on a node with query-timeout 3', () => {
  const t = tempDb();
  let h: Awaited<ReturnType<typeof heavyNode>>;
  beforeAll(async () => {
    h = await heavyNode(t.db, t.dir, 'query-timeout: 3\n');
  }, 60_000);
  afterAll(async () => {
    await h?.node.stop();
    t.cleanup();
  });

  it('refuses a bounded-out pattern over HTTP with 400 and the message', async () => {
    const r = await h.call(exportPath('s == /(?:a+){1,1000}$/'), h.acme);
    expect(r.status).toBe(400);
    expect((await json(r)).error).toContain(
      'pattern repetition count 1000 exceeds the limit of 256\n --> query:1:13\n',
    );
  });

  it('does not hold up other tenants, and ends over budget with 504 and a clear message', async () => {
    const heavy = h.call(exportPath(HEAVY), h.acme);
    await sleep(300);
    for (let i = 0; i < 5; i++) {
      const r = await h.call('/api/v0/status', h.other, { signal: AbortSignal.timeout(5_000) });
      expect(r.status).toBe(200);
      expect((await json(r)).tenant).toBe('other');
      await sleep(200);
    }
    const r = await heavy;
    expect(r.status).toBe(504);
    expect(await json(r)).toEqual({ error: OVER_BUDGET });
  }, 60_000);

  it('an expensive pipeline where is bounded by the same budget', async () => {
    const r = await h.call(exportPath(`n >= 0 | where ${HEAVY} | head 1`), h.acme);
    expect(r.status).toBe(504);
    expect(await json(r)).toEqual({ error: OVER_BUDGET });
  }, 60_000);

  it('ends an NDJSON stream that already sent results with an error line', async () => {
    const r = await h.call(exportPath(`n < 2 or ${HEAVY}`), h.acme);
    expect(r.status).toBe(200);
    const lines = (await r.text())
      .trim()
      .split('\n')
      .map((l) => plainError(JSON.parse(l)));
    expect(lines).toEqual([{ n: 0, s: 'aaaaab' }, { n: 1, s: 'aaaaab' }, { error: OVER_BUDGET }]);
  }, 60_000);

  it('the CLI prints the results it got, then the error, and exits non-zero', async () => {
    const r = await vastAsync(['export', 'json', `n < 2 or ${HEAVY}`], { env: h.node.env(h.acme) });
    expect(r.stdout.trim().split('\n')).toEqual(['{"n":0,"s":"aaaaab"}', '{"n":1,"s":"aaaaab"}']);
    expect(r.stderr).toContain(`error: ${OVER_BUDGET}`);
    expect(r.status).toBe(1);
  }, 60_000);

  it('a cursor page over budget answers 504 and the cursor is gone', async () => {
    const { id } = await json(
      await h.call('/api/v0/query/new', h.acme, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ expression: HEAVY }),
      }),
    );
    const page = await h.call(`/api/v0/query/${id}/next?n=10`, h.acme);
    expect(page.status).toBe(504);
    expect(await json(page)).toEqual({ error: OVER_BUDGET });
    const again = await h.call(`/api/v0/query/${id}/next`, h.acme);
    expect(again.status).toBe(404);
    expect(await json(again)).toEqual({ error: `no such query: ${id}` });
  }, 60_000);
});

describe('cancelling queries and capping cursors (query-timeout 600)', () => {
  const t = tempDb();
  let h: Awaited<ReturnType<typeof heavyNode>>;
  const newCursor = (token: string, expression: string) =>
    h.call('/api/v0/query/new', token, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ expression }),
    });
  beforeAll(async () => {
    h = await heavyNode(t.db, t.dir, 'query-timeout: 600\nmax-cursors: 3\ncursor-idle-timeout: 1\n');
  }, 60_000);
  afterAll(async () => {
    await h?.node.kill();
    t.cleanup();
  });

  it('a client that disconnects stops the scan on the node', async () => {
    const abort = new AbortController();
    const heavy = h.call(exportPath(HEAVY), h.acme, { signal: abort.signal }).catch((e: Error) => e);
    await waitFor('the query to run', async () => ((await h.running(h.acme)) === 1 ? true : undefined));
    abort.abort();
    expect(await heavy).toBeInstanceOf(Error);
    await waitFor(
      'the scan to stop',
      async () => ((await h.running(h.acme)) === 0 ? true : undefined),
      10_000,
    );
  }, 60_000);

  it('DELETE of a cursor stops the page being computed (410) and forgets the cursor', async () => {
    const { id } = await json(await newCursor(h.acme, HEAVY));
    const page = h.call(`/api/v0/query/${id}/next`, h.acme);
    await waitFor('the page to be computed', async () =>
      (await h.running(h.acme)) === 1 ? true : undefined,
    );
    const other = await h.call(`/api/v0/query/${id}`, h.other, { method: 'DELETE' });
    expect(other.status).toBe(404);
    expect(await json(other)).toEqual({ error: `no such query: ${id}` });
    const del = await h.call(`/api/v0/query/${id}`, h.acme, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(await json(del)).toEqual({ deleted: id });
    const r = await page;
    expect(r.status).toBe(410);
    expect(await json(r)).toEqual({ error: `query ${id} was deleted` });
    await waitFor(
      'the scan to stop',
      async () => ((await h.running(h.acme)) === 0 ? true : undefined),
      10_000,
    );
    expect((await h.call(`/api/v0/query/${id}/next`, h.acme)).status).toBe(404);
  }, 60_000);

  it('caps open cursors per tenant (429) and the page size (400)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await newCursor(h.acme, 'n < 2');
      expect(r.status).toBe(200);
      ids.push((await json(r)).id);
    }
    const refused = await newCursor(h.acme, 'n < 2');
    expect(refused.status).toBe(429);
    expect((await json(refused)).error).toBe(
      'too many open query cursors (3, max-cursors 3): read them to the end, ' +
        'DELETE /api/v0/query/:id, or wait until idle ones expire',
    );
    // The cap is per tenant.
    expect((await newCursor(h.other, 'n < 2')).status).toBe(200);
    const big = await h.call(`/api/v0/query/${ids[0]}/next?n=10001`, h.acme);
    expect(big.status).toBe(400);
    expect(await json(big)).toEqual({ error: "'n' must be at most 10000 events per page, got 10001" });
    const page = await h.call(`/api/v0/query/${ids[0]}/next?n=10000`, h.acme);
    expect(page.status).toBe(200);
    expect(await json(page)).toEqual({
      events: [
        { n: 0, s: 'aaaaab' },
        { n: 1, s: 'aaaaab' },
      ],
      done: true,
    });
    // A cursor read to the end frees its slot.
    expect((await newCursor(h.acme, 'n < 2')).status).toBe(200);
  });

  it('drops idle cursors after cursor-idle-timeout', async () => {
    // The previous test left cursors open: they expire, so a new one fits again.
    await sleep(2_500);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await newCursor(h.acme, 'n < 2');
      expect(r.status).toBe(200);
      ids.push((await json(r)).id);
    }
    await sleep(2_500);
    const r = await h.call(`/api/v0/query/${ids[0]}/next`, h.acme);
    expect(r.status).toBe(404);
    expect(await json(r)).toEqual({ error: `no such query: ${ids[0]}` });
  }, 20_000);

  it('SIGTERM during a heavy query stops the node within its grace period', async () => {
    const heavy = h.call(exportPath(HEAVY), h.acme).catch((e: Error) => e);
    await waitFor('the query to run', async () => ((await h.running(h.acme)) === 1 ? true : undefined));
    const start = Date.now();
    const code = await h.node.stop();
    expect(code).toBe(0);
    expect(Date.now() - start).toBeLessThan(30_000);
    expect(h.node.stderr()).toContain('stopped');
    await heavy;
  }, 60_000);
});

describe('Ctrl-C in embedded mode', () => {
  const t = tempDb();
  afterAll(() => t.cleanup());

  it('vast export on a local database stops promptly during a heavy scan', async () => {
    // Two imports, two partitions: the cheap one is scanned first.
    for (const input of [SMALL_JSON, HEAVY_JSON])
      expect(vast(['import', '-d', t.db, 'json'], { input }).status).toBe(0);
    const p = vastProcess(['export', '-d', t.db, 'json', `n < 2 or ${HEAVY}`]);
    p.stdin!.end();
    let out = '';
    p.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
    // The cheap batch is printed first: from then on the scan grinds through the heavy one.
    await waitFor('the first results', async () => (out.includes('"n":1') ? true : undefined), 30_000);
    await sleep(500);
    expect(p.exitCode).toBe(null);
    const start = Date.now();
    p.kill('SIGINT');
    const code = await Promise.race([exited, sleep(20_000).then(() => 'still running')]);
    if (code === 'still running') p.kill('SIGKILL');
    expect(code).toBe(0);
    expect(Date.now() - start).toBeLessThan(20_000);
    expect(out).toBe('{"n":0,"s":"aaaaab"}\n{"n":1,"s":"aaaaab"}\n');
  }, 60_000);
});
