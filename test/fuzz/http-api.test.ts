/**
 * Fuzzing of a node's HTTP API (issue 9, hardening) against one real `vast start`:
 * random methods, paths (the OpenAPI document's and random ones), query strings,
 * headers (broken Authorization included) and bodies (random bytes, invalid
 * UTF-8, JSON of the wrong types, values past the size limits), sent as raw
 * HTTP/1.1 so nothing is cleaned up on the way. Property: never a 5xx, every
 * error answer has a JSON body with a message, the node stays up, and a valid
 * request still works at the end.
 *
 * Short run (vitest): 300 requests. Long run:
 *   npm run build && FUZZ_RUNS=100000 npx vitest run test/fuzz/http-api.test.ts
 * (FUZZ_SEED=n replays a run; a failure prints its seed and shrunk request.)
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDb } from '../integration/cli.js';
import { type RunningNode, startNode } from '../integration/node-helpers.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
/** No answer within this long is a hang. */
const ANSWER_MS = 30_000;

interface RawRequest {
  method: string;
  path: string;
  query: string;
  headers: [string, string][];
  body: Uint8Array;
  [fc.toStringMethod]?: () => string;
}

interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

/** Undoes chunked transfer encoding (responses of streaming routes). */
function dechunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', i);
    if (eol < 0) break;
    const size = Number.parseInt(b.subarray(i, eol).toString(), 16);
    if (!(size > 0)) break;
    out.push(b.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/**
 * Sends one request on a fresh connection and reads the answer. A successful
 * answer is cut after its headers (an export may stream for long); an error
 * answer is read whole (by its Content-Length). The connection is kept alive
 * meanwhile: a node answering before it read a large body then reads the rest
 * instead of closing, which would reset the connection and lose the answer.
 */
function send(endpoint: string, r: RawRequest, pauseMs: number): Promise<RawResponse> {
  const [host, port] = endpoint.split(':');
  const head = [
    `${r.method} ${r.path}${r.query} HTTP/1.1`,
    `host: ${endpoint}`,
    `content-length: ${r.body.length}`,
    ...r.headers.map(([k, v]) => `${k}: ${v}`),
    '',
    '',
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    const s = connect({ host, port: Number(port) });
    const chunks: Buffer[] = [];
    let parsed: { status: number; headers: Map<string, string>; bodyStart: number } | undefined;
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer within ${ANSWER_MS} ms`));
    }, ANSWER_MS);
    const finish = () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      if (!parsed)
        return reject(new Error(`connection closed without an answer: ${JSON.stringify(all.toString())}`));
      const raw = all.subarray(parsed.bodyStart);
      const body = parsed.headers.get('transfer-encoding') === 'chunked' ? dechunk(raw) : raw;
      resolve({ status: parsed.status, headers: parsed.headers, body });
    };
    const complete = () => {
      if (!parsed) return false;
      if (parsed.status < 400 || r.method === 'HEAD') return true;
      const length = parsed.headers.get('content-length');
      const received = chunks.reduce((n, c) => n + c.length, 0) - parsed.bodyStart;
      if (length !== undefined) return received >= Number(length);
      return Buffer.concat(chunks).subarray(-5).toString() === '0\r\n\r\n';
    };
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      if (parsed) {
        if (complete()) s.destroy();
        return;
      }
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = all.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(lines[0].split(' ')[1]);
      const headers = new Map(
        lines
          .slice(1)
          .map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      parsed = { status, headers, bodyStart: end + 4 };
      if (complete()) s.destroy();
    });
    s.on('error', () => {});
    s.on('close', finish);
    // The body follows once the node had a moment to refuse the head (as with Expect: 100-continue):
    // a request it cannot parse is answered and closed at once, and a body still arriving then
    // would reset the connection and lose that answer.
    s.write(head);
    setTimeout(() => {
      if (!parsed && !s.destroyed) s.end(Buffer.from(r.body));
    }, pauseMs);
  });
}

const enc = new TextEncoder();

function requests(paths: string[], tokens: { admin: string; write: string; read: string }) {
  const idSegment = fc.oneof(
    fc.constant('1'),
    fc.string({ maxLength: 40 }).map(encodeURIComponent),
    fc.uuid(),
  );
  const knownPath = fc
    .tuple(fc.constantFrom(...paths), idSegment)
    .map(([p, id]) => p.replace(/\{[^}]+\}/g, id));
  const randomPath = fc.oneof(
    fc.webPath(),
    fc.string({ maxLength: 200 }).map((s) => `/api/v0/${encodeURIComponent(s)}`),
    fc.constantFrom('/', '//api/v0/status', '/api/v0/status/', '/api/v0/../v0/status', '/API/V0/STATUS', '*'),
    fc.stringMatching(/^\/[\x21-\x7e]{0,100}$/),
    fc.nat(20_000).map((n) => `/api/v0/${'a'.repeat(n)}`),
  );
  const paramValue = fc.oneof(
    fc.string({ maxLength: 100 }),
    fc.constantFrom(
      '',
      '-1',
      '1e309',
      'NaN',
      '9007199254740993',
      'true',
      'arrow',
      'json',
      'zeek',
      'skip',
      'fail',
    ),
    fc.constantFrom(
      'proto == "tcp"',
      '#schema == "vast.audit"',
      ':ip in 10.0.0.0/8',
      'x ==',
      '"a" | head 3',
      '| sort x',
    ),
    fc.nat(1_000_000).map(String),
  );
  const paramName = fc.oneof(
    fc.constantFrom(
      'expression',
      'query',
      'limit',
      'n',
      'format',
      'on-error',
      'schema',
      'selector',
      'name',
      'tenant',
    ),
    fc.string({ maxLength: 20 }),
  );
  const query = fc
    .array(fc.tuple(paramName, paramValue), { maxLength: 5 })
    .map((ps) =>
      ps.length === 0
        ? ''
        : `?${ps.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`,
    );
  // Header values as the wire allows them (no CR/LF: those would end the header, not fuzz it).
  const headerText = fc.string({ unit: 'binary', maxLength: 200 }).map((s) => s.replace(/[\r\n\0]/g, ''));
  const latin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
  const authorization = fc.oneof(
    {
      arbitrary: fc
        .constantFrom(tokens.write, tokens.read, tokens.admin)
        .map((t) => ['authorization', `Bearer ${t}`]),
      weight: 6,
    },
    fc.constantFrom(tokens.write, tokens.read).map((t) => ['authorization', `bearer   ${t}`]),
    fc.constantFrom(tokens.write, tokens.read).map((t) => ['x-vast-token', t]),
    fc
      .constantFrom('Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearer vast_', `Bearer ${tokens.write}x`)
      .map((v) => ['authorization', v]),
    headerText.map((v) => ['authorization', latin1(v)]),
    fc.constant(undefined),
  );
  const contentType = fc.oneof(
    fc.constantFrom(
      'application/json',
      'application/vnd.apache.arrow.stream',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      '',
    ),
    headerText.map(latin1),
    fc.constant(undefined),
  );
  const extraHeaders = fc.array(
    fc.tuple(fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9-]{0,20}$/), headerText.map(latin1)),
    { maxLength: 3 },
  );
  const wrongTypes = fc.oneof(
    fc.jsonValue(),
    fc.record(
      {
        tenant: fc.jsonValue(),
        role: fc.jsonValue(),
        expires: fc.jsonValue(),
        source: fc.jsonValue(),
        args: fc.jsonValue(),
        expression: fc.jsonValue(),
      },
      { requiredKeys: [] },
    ),
  );
  const body = fc.oneof(
    fc.constant(new Uint8Array()),
    fc.uint8Array({ maxLength: 4096 }),
    fc.constantFrom(
      Uint8Array.of(0xff, 0xfe, 0xfd),
      Uint8Array.of(0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d),
      Uint8Array.of(0xed, 0xa0, 0x80),
    ),
    wrongTypes.map((v) => enc.encode(JSON.stringify(v))),
    fc.string({ maxLength: 2000 }).map((s) => enc.encode(s)),
    // Past the 1 MiB JSON body limit.
    fc.constant(enc.encode(JSON.stringify({ tenant: 'x'.repeat(1_100_000) }))),
    fc.constant(enc.encode(`{"tenant": ${'['.repeat(5000)}${']'.repeat(5000)}}`)),
  );
  // Mostly methods and tokens that reach the routes; enough of the rest to fuzz the parser and the auth hook.
  const method = fc.oneof(
    {
      arbitrary: fc.constantFrom('GET', 'POST', 'GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS'),
      weight: 9,
    },
    { arbitrary: fc.stringMatching(/^[A-Z]{1,10}$/), weight: 1 },
  );
  return (
    fc
      .record({
        method,
        path: fc.oneof(knownPath, knownPath, randomPath),
        query,
        authorization,
        contentType,
        extraHeaders,
        body,
      })
      .map(
        ({ authorization: a, contentType: ct, extraHeaders: extra, ...r }): RawRequest => ({
          ...r,
          // Failures print a summary, not megabytes of body.
          [fc.toStringMethod]: () =>
            `${r.method} ${r.path.slice(0, 200)}${r.query.slice(0, 300)} [${r.body.length} body bytes: ${JSON.stringify(
              Buffer.from(r.body.subarray(0, 80)).toString('latin1'),
            )}] ${JSON.stringify([a, ct, extra])}`,
          headers: [
            ...(a ? [a as [string, string]] : []),
            ...(ct !== undefined ? [['content-type', ct] as [string, string]] : []),
            ...extra.filter(([k]) => !/^(content-length|transfer-encoding|connection|host|expect)$/i.test(k)),
          ],
        }),
      )
      // The admin token may do anything: stopping the node or running sources is not fuzzing the API.
      .filter(
        (r) =>
          !(
            r.headers.some(([, v]) => v.includes(tokens.admin)) &&
            /\/api\/v0\/(stop|sources)/i.test(r.path) &&
            r.method !== 'GET'
          ),
      )
  );
}

describe('HTTP API fuzzing', () => {
  const t = tempDb();
  let node: RunningNode;
  const tokens = { admin: '', write: '', read: '' };
  let paths: string[] = [];
  beforeAll(async () => {
    node = await startNode(t.db);
    tokens.admin = node.token!;
    const create = async (role: string) => {
      const r = await fetch(node.url('/api/v0/tokens'), {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ tenant: 'fuzz', role }),
      });
      return ((await r.json()) as { token: string }).token;
    };
    tokens.write = await create('write');
    tokens.read = await create('read');
    const doc = (await (
      await fetch(node.url('/api/v0/openapi.json'), { headers: { authorization: `Bearer ${tokens.read}` } })
    ).json()) as { paths: Record<string, unknown> };
    paths = Object.keys(doc.paths);
  });
  afterAll(async () => {
    await node?.stop();
    t.cleanup();
  });

  it(
    `answers ${RUNS} random requests without a 5xx, every error with a JSON message`,
    async () => {
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(requests(paths, tokens), async (req) => {
          // A node busy for more than the short pause may read the head only after the body came, refuse
          // it and close: the body's bytes then reset the connection and the answer is lost in TCP.
          // A second try with a long pause tells that apart from a node that does not answer.
          const res = await send(node.endpoint, req, 10).catch(() => send(node.endpoint, req, 2_000));
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          expect(res.status, `${req.method} ${req.path}`).toBeGreaterThanOrEqual(200);
          expect(res.status, res.body.toString()).toBeLessThan(500);
          if (res.status >= 400 && req.method !== 'HEAD') {
            expect(res.headers.get('content-type')).toMatch(/^application\/json/);
            const body = JSON.parse(res.body.toString()) as { error?: unknown };
            expect(typeof body.error === 'string' && body.error.length > 0, res.body.toString()).toBe(true);
          }
          expect(node.proc.exitCode).toBeNull();
        }),
        { numRuns: RUNS, seed: SEED, interruptAfterTimeLimit: RUNS > 1000 ? undefined : 600_000 },
      );
      process.stderr.write(
        `http-api fuzz: ${RUNS} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}\n`,
      );
      // Still up, still correct.
      const ok = await fetch(node.url('/api/v0/status'), {
        headers: { authorization: `Bearer ${tokens.write}` },
      });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { tenant: string }).tenant).toBe('fuzz');
      expect(node.proc.exitCode).toBeNull();
    },
    3_600_000 * 6,
  );
});
