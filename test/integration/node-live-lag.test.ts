/**
 * A `--continuous` reader that stops reading must not stall anything: its
 * tenant's imports complete (it is dropped once it lags more than
 * `live-max-lag` batches, and learns why when it reads again), and other
 * tenants import and flush meanwhile.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { TEST_DATA } from '../helpers/datasets.js';
import { dataLines, tempDb, vastAsync, vastProcess } from './cli.js';
import { plainError, startNode } from './node-helpers.js';

const CONN_TEXT = readFileSync(join(TEST_DATA, 'zeek', 'conn.log'), 'utf8');
const DATA = dataLines(CONN_TEXT);
const HEADER = CONN_TEXT.split('\n').filter((l) => l.startsWith('#') && !l.startsWith('#close'));
/** Enough data to fill every buffer between the node and a reader that stopped reading. */
const COPIES = 12;
const DROPPED = 'live query dropped: it fell 5 batches behind (live-max-lag 4)';

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes, checked by the assertions
type Json = any;

/** Resolves with `p`, or rejects naming `what` when it takes longer than `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    sleep(ms).then(() => {
      throw new Error(`${what} did not finish within ${ms / 1000} s`);
    }),
  ]);
}

async function waitFor(what: string, f: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('a --continuous reader that stops reading', () => {
  it('is dropped with a message; its tenant imports everything, another tenant imports and flushes', async () => {
    const t = tempDb();
    const cfg = join(t.dir, 'vast.yaml');
    writeFileSync(cfg, 'live-max-lag: 4\nflush-interval: 0.5\n');
    const node = await startNode(t.db, ['--config', cfg]);
    const call = async (path: string, token: string, init: RequestInit = {}) =>
      fetch(node.url(path), { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
    const tokenFor = async (tenant: string): Promise<string> => {
      const r = await call('/api/v0/tokens', node.token!, {
        method: 'POST',
        body: JSON.stringify({ tenant }),
        headers: { 'content-type': 'application/json' },
      });
      return ((await r.json()) as Json).token;
    };
    const status = async (token: string): Promise<Json> => (await call('/api/v0/status', token)).json();
    const slow = await tokenFor('slow');
    const other = await tokenFor('other');

    // Two readers of tenant `slow` that stop reading: the CLI (Arrow) and an HTTP client (NDJSON).
    const cli = vastProcess(['export', 'json', '--continuous', '--node'], node.env(slow));
    cli.stdout!.pause();
    let cliErr = '';
    cli.stderr!.on('data', (d: Buffer) => {
      cliErr += d.toString();
    });
    const cliExit = new Promise<number | null>((r) => cli.once('close', (code) => r(code)));
    // Its answer starts with the first live event: wait for it after the import started.
    const ndjsonResponse = call('/api/v0/export?continuous=true', slow);
    await waitFor('both live queries', async () => (await status(slow)).liveQueries === 2);

    const input = [...HEADER, ...Array.from({ length: COPIES }, () => DATA).flat()].join('\n');
    const slowImport = vastAsync(['import', 'zeek', '--node', '--batch-size', '500'], {
      env: node.env(slow),
      input,
    });
    const ndjson = await within(ndjsonResponse, 60_000, 'the NDJSON export answer');
    expect(ndjson.status).toBe(200);
    // Meanwhile another tenant imports, and its periodic flush writes partitions.
    const otherImport = await within(
      vastAsync(['import', 'zeek', '--node'], {
        env: node.env(other),
        input: [...HEADER, ...DATA.slice(0, 100)].join('\n'),
      }),
      60_000,
      "the other tenant's import",
    );
    expect(otherImport.status, otherImport.stderr).toBe(0);
    await waitFor("the other tenant's periodic flush", async () => {
      const s = await status(other);
      return s.buffered === 0 && s.events === 100;
    });

    const imported = await within(slowImport, 90_000, "the slow reader's tenant's import");
    expect(imported.status, imported.stderr).toBe(0);
    const s = await status(slow);
    expect(s.events + s.buffered).toBe(COPIES * DATA.length);
    expect(s.liveQueries).toBe(0);

    // Reading again, each reader gets what was already on its way, then the reason it was dropped.
    const text = await within(ndjson.text(), 30_000, 'reading the NDJSON stream');
    const lines = text.trimEnd().split('\n');
    expect(plainError(JSON.parse(lines[lines.length - 1]))).toEqual({ error: DROPPED });
    expect(lines.length - 1).toBeLessThan(COPIES * DATA.length);
    for (const line of lines.slice(0, -1)) expect(typeof JSON.parse(line).uid).toBe('string');
    cli.stdout!.resume();
    expect(await within(cliExit, 30_000, 'the CLI reader')).toBe(1);
    expect(cliErr).toContain(`error: ${DROPPED}\n`);
    expect(await node.stop()).toBe(0);
    t.cleanup();
  }, 240_000);
});
