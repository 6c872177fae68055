/** Starting a real `vast start` process on a free loopback port, for node tests. */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { vastProcess } from './cli.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface RunningNode {
  endpoint: string;
  /** The admin token printed on first start (undefined on later starts of the same database). */
  token: string | undefined;
  proc: ChildProcess;
  stderr: () => string;
  /** Environment for CLI clients of this node. */
  env: (token?: string) => Record<string, string>;
  /** SIGTERM and wait; resolves with the exit code. */
  stop: () => Promise<number | null>;
  /** SIGKILL and wait. */
  kill: () => Promise<void>;
  url: (path: string) => string;
}

/** Nodes still running; killed when the test worker exits, so a failed test leaves none behind. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

/** Starts a node and waits until it listens. */
export async function startNode(db: string, extra: string[] = [], port?: number): Promise<RunningNode> {
  const p = port ?? (await freePort());
  const endpoint = `127.0.0.1:${p}`;
  const proc = vastProcess(['start', '-d', db, '--endpoint', endpoint, ...extra]);
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  running.add(proc);
  const exited = new Promise<number | null>((r) =>
    proc.once('exit', (code) => {
      running.delete(proc);
      r(code);
    }),
  );
  const deadline = Date.now() + 20_000;
  while (!/node started/.test(err)) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`node did not start:\n${err}`);
    await sleep(25);
  }
  const token = /admin token[^:]*: (\S+)/.exec(err)?.[1];
  return {
    endpoint,
    token,
    proc,
    stderr: () => err,
    env: (t) => ({ VAST_ENDPOINT: endpoint, VAST_TOKEN: t ?? token ?? '' }),
    stop: async () => {
      proc.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      proc.kill('SIGKILL');
      await exited;
    },
    url: (path) => `http://${endpoint}${path}`,
  };
}

/**
 * An API answer with its `diagnostics` dropped when they only repeat `error`
 * (one diagnostic of that message, no location), so expectations can name the
 * message alone. Other diagnostics stay, and an expectation without them fails.
 */
export function plainError<T>(body: T): T {
  if (typeof body !== 'object' || body === null || !('diagnostics' in body) || !('error' in body))
    return body;
  const { diagnostics, ...rest } = body as { error: unknown; diagnostics: unknown };
  const plain = [{ severity: 'error', message: rest.error, recoverable: false }];
  return (JSON.stringify(diagnostics) === JSON.stringify(plain) ? rest : body) as T;
}
