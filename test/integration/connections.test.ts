/**
 * Idle connections (issue 9, finding 6): sockets that never send a request
 * are closed after `idle-timeout`, at most `max-connections` are open at a
 * time, and once a flood of them is gone a client with a token is served.
 * Requests in progress (a live query waiting for events) are not idle.
 */

import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDb } from './cli.js';
import { type RunningNode, startNode } from './node-helpers.js';

const IDLE_SOCKETS = 300;

describe('idle connections', () => {
  const t = tempDb();
  let node: RunningNode;
  beforeAll(async () => {
    const cfg = join(t.dir, 'vast.yaml');
    writeFileSync(cfg, 'idle-timeout: 1\nheaders-timeout: 1\nmax-connections: 50\n');
    node = await startNode(t.db, ['--config', cfg]);
  });
  afterAll(async () => {
    await node?.stop();
    t.cleanup();
  });

  it('closes a flood of idle sockets, then serves a client with a token', async () => {
    const [host, port] = node.endpoint.split(':');
    const closed: Promise<void>[] = [];
    const sockets: Socket[] = [];
    for (let i = 0; i < IDLE_SOCKETS; i++) {
      const s = connect({ host, port: Number(port) });
      s.on('error', () => {});
      sockets.push(s);
      closed.push(new Promise((r) => s.once('close', () => r())));
    }
    // Every socket is closed by the node (at once beyond max-connections, after idle-timeout the others).
    const all = Promise.all(closed).then(() => 'closed');
    expect(await Promise.race([all, sleep(20_000).then(() => 'still open')])).toBe('closed');
    expect(sockets.every((s) => s.destroyed)).toBe(true);
    const r = await fetch(node.url('/api/v0/status'), { headers: { authorization: `Bearer ${node.token}` } });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { tenant: string }).tenant).toBe('default');
  });

  it('does not cut a live query that waits longer than idle-timeout for its events', async () => {
    const auth = { authorization: `Bearer ${node.token}` };
    // The response starts with the first event: not awaited before the import.
    const live = fetch(
      node.url(`/api/v0/export?continuous=true&expression=${encodeURIComponent('msg == "late"')}`),
      { headers: auth },
    );
    await sleep(2_500);
    const imp = await fetch(node.url('/api/v0/import?format=json'), {
      method: 'POST',
      body: '{"msg": "late"}\n',
      headers: auth,
    });
    expect(imp.status).toBe(200);
    const res = await live;
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    expect(JSON.parse(new TextDecoder().decode(value).trim())).toEqual({ msg: 'late' });
    await reader.cancel();
  });
});
