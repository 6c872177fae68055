/**
 * One diagnostics system end to end: a bad query prints the same rendered
 * diagnostic embedded and through a real node (the node sends structured
 * diagnostics, the client renders them with the same renderer); an API client
 * gets `{error, diagnostics}` JSON; a bad vast.yaml stops `vast start` with a
 * located diagnostic. One node for the whole file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBody } from '../../src/diagnostics/wire.js';
import { ROOT, TEST_DATA } from '../helpers/datasets.js';
import { tempDb, vast, vastAsync } from './cli.js';
import { type RunningNode, startNode } from './node-helpers.js';

const CONN = join(TEST_DATA, 'zeek', 'small_conn.log');

describe('diagnostics through a node and embedded', () => {
  const embedded = tempDb();
  const served = tempDb();
  let node: RunningNode;

  beforeAll(async () => {
    expect(vast(['import', 'zeek', '-r', CONN, '-d', embedded.db]).status).toBe(0);
    node = await startNode(served.db);
    expect((await vastAsync(['import', 'zeek', '-r', CONN], { env: node.env() })).status).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await node?.stop();
    embedded.cleanup();
    served.cleanup();
  });

  /** stderr and status of `vast ARGS` embedded and through the node. */
  async function bothWays(args: string[]) {
    const here = vast([...args, '-d', embedded.db]);
    const there = await vastAsync(args, { env: node.env() });
    return { here, there };
  }

  it('an unknown field: the same located diagnostic both ways', async () => {
    const { here, there } = await bothWays(['count', 'proto == "tcp" && orig_hh == 1.2.3.4']);
    const expected = [
      "error: unknown field 'orig_hh'",
      ' --> query:1:19',
      '  |',
      '1 | proto == "tcp" && orig_hh == 1.2.3.4',
      '  |                   ^^^^^^^',
      "  = hint: did you mean 'id.orig_h'?",
      '',
    ].join('\n');
    expect(here.status).toBe(1);
    expect(here.stderr).toBe(expected);
    expect(there.status).toBe(1);
    expect(there.stderr).toBe(expected);
  });

  it('a syntax error in an export: the same both ways', async () => {
    const { here, there } = await bothWays(['export', 'json', 'id.orig_h == 10.0.0.300']);
    expect(here.stderr).toMatch(/^error: invalid IP address '10\.0\.0\.300'\n --> query:1:14\n/);
    expect(there.stderr).toBe(here.stderr);
    expect([here.status, there.status]).toEqual([1, 1]);
  });

  it('an API client gets {error, diagnostics} JSON with the span in the query', async () => {
    const res = await fetch(node.url(`/api/v0/export?expression=${encodeURIComponent('orig_hh == 1')}`), {
      headers: { authorization: `Bearer ${node.token}` },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = ErrorBody.parse(await res.json());
    expect(body.diagnostics).toEqual([
      {
        severity: 'error',
        message: "unknown field 'orig_hh'",
        location: { source: 'query', line: 1, column: 1, length: 7 },
        excerpt: 'orig_hh == 1',
        hints: ["did you mean 'id.orig_h'?"],
        recoverable: false,
      },
    ]);
    expect(body.error).toContain("unknown field 'orig_hh'");
  });

  it('errors without a location are diagnostics too (unknown endpoint, bad token)', async () => {
    const missing = await fetch(node.url('/api/v0/nope'), {
      headers: { authorization: `Bearer ${node.token}` },
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: 'no such endpoint: GET /api/v0/nope',
      diagnostics: [{ severity: 'error', message: 'no such endpoint: GET /api/v0/nope', recoverable: false }],
    });
    const refused = await fetch(node.url('/api/v0/status'), { headers: { authorization: 'Bearer nope' } });
    expect(refused.status).toBe(401);
    expect(ErrorBody.parse(await refused.json()).diagnostics[0].message).toBe('invalid token');
  });

  it('a bad row imported through the API comes back as a located diagnostic', async () => {
    const bad = join(ROOT, 'test', 'fixtures', 'broken', 'zeek-bad-port.log');
    const res = await fetch(node.url('/api/v0/import?format=zeek&on-error=fail'), {
      method: 'POST',
      headers: { authorization: `Bearer ${node.token}`, 'content-type': 'application/octet-stream' },
      body: readFileSync(bad),
    });
    expect(res.status).toBe(400);
    const body = ErrorBody.parse(await res.json());
    expect(body.diagnostics[0]).toMatchObject({
      severity: 'error',
      message: "invalid value for field 'id.orig_p' (port): 'abc'",
      location: { source: '<request>', line: 10, column: 45 },
    });
  });
});

describe('a bad vast.yaml', () => {
  it('stops `vast start` with the located diagnostic', () => {
    const t = tempDb();
    const cfg = join(t.dir, 'vast.yaml');
    writeFileSync(cfg, 'endpoint: 127.0.0.1:1\nflush-intervall: 5\n');
    const r = vast(['start', '-d', t.db, '--config', cfg]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      [
        "error: unknown setting 'flush-intervall'",
        ` --> ${cfg}:2:1`,
        '  |',
        '2 | flush-intervall: 5',
        '  | ^^^^^^^^^^^^^^^',
        "  = hint: did you mean 'flush-interval'?",
        '',
      ].join('\n'),
    );
    t.cleanup();
  });
});
