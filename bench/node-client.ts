/**
 * Talking to a node the way the torture and soak scripts need: one HTTP
 * request per connection (so that a refused connection proves nothing was
 * sent, which pooled keep-alive sockets would blur), NDJSON streams read line
 * by line (live queries over HTTP or through `vast export --continuous`),
 * and one-shot `vast` commands.
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { VAST_BIN } from './context.js';

export interface HttpAnswer {
  status: number;
  body: Buffer;
}

/**
 * A request that got no answer. `refused`: the connection was refused, so the
 * node received nothing; otherwise the request may or may not have arrived.
 */
export class HttpFailure extends Error {
  constructor(
    message: string,
    readonly refused: boolean,
  ) {
    super(message);
  }
}

export interface RequestOptions {
  method?: string;
  token?: string;
  body?: string | Uint8Array;
  contentType?: string;
  timeoutMs?: number;
}

const withToken = (token: string | undefined, headers: Record<string, string>) =>
  token ? { ...headers, authorization: `Bearer ${token}` } : headers;

/** One request on its own connection; rejects with `HttpFailure` when no answer came. */
export function httpRequest(url: string, opts: RequestOptions = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (opts.contentType) headers['content-type'] = opts.contentType;
    const req = request(url, {
      method: opts.method ?? 'GET',
      agent: false,
      headers: withToken(opts.token, headers),
      timeout: opts.timeoutMs ?? 60_000,
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e: NodeJS.ErrnoException) =>
      reject(new HttpFailure(`${e.code ?? ''} ${e.message}`.trim(), e.code === 'ECONNREFUSED')),
    );
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => reject(new HttpFailure(e.message, false)));
      res.on('aborted', () => reject(new HttpFailure('response aborted', false)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.end(opts.body);
  });
}

/** The URL of a one-shot or continuous NDJSON export. */
export function exportUrl(base: string, expression: string, params: Record<string, string> = {}): string {
  const q = new URLSearchParams({ expression, ...params });
  return `${base}/api/v0/export?${q}`;
}

/** A stream of NDJSON lines that ends when the node goes away or `close` is called. */
export interface LineStream {
  /** Resolves when the stream ended; `error` says why, if it was not closed by us. */
  ended: Promise<{ error?: string }>;
  close(): void;
}

/** Splits chunks into complete lines; a line cut off at the end of the stream is dropped. */
function lineSplitter(onLine: (line: string) => void): (chunk: Buffer) => void {
  let partial = '';
  return (chunk) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop()!;
    for (const l of parts) if (l) onLine(l);
  };
}

/** A live query over HTTP (`GET /api/v0/export?continuous=true`). */
export function liveHttp(
  base: string,
  token: string,
  expression: string,
  onLine: (line: string) => void,
): LineStream {
  let closed = false;
  let close = () => {};
  const ended = new Promise<{ error?: string }>((resolve) => {
    const req = request(exportUrl(base, expression, { continuous: 'true' }), {
      agent: false,
      headers: withToken(token, {}),
    });
    close = () => {
      closed = true;
      req.destroy();
    };
    const finish = (error?: string) => resolve(closed ? {} : { error: error ?? 'stream ended' });
    req.on('error', (e) => finish(e.message));
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        finish(`HTTP ${res.statusCode}`);
        return;
      }
      res.on('data', lineSplitter(onLine));
      res.on('error', (e) => finish(e.message));
      res.on('close', () => finish());
    });
    req.end();
  });
  return { ended, close: () => close() };
}

/** A live query through the CLI: `vast export json --node --continuous EXPR`. */
export function liveCli(
  env: Record<string, string>,
  expression: string,
  onLine: (line: string) => void,
): LineStream {
  const p = spawn(process.execPath, [VAST_BIN, 'export', 'json', '--node', '--continuous', expression], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let closed = false;
  let stderr = '';
  p.stdout.on('data', lineSplitter(onLine));
  p.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const ended = new Promise<{ error?: string }>((resolve) =>
    p.once('close', (code) =>
      resolve(closed ? {} : { error: `vast export exited with ${code}: ${stderr.trim().slice(0, 300)}` }),
    ),
  );
  return {
    ended,
    close: () => {
      closed = true;
      p.kill('SIGTERM');
    },
  };
}

export interface VastRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a `vast` client command to completion without blocking the event loop. */
export function runVast(args: readonly string[], env: Record<string, string>): Promise<VastRun> {
  const p = spawn(process.execPath, [VAST_BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  p.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => p.once('close', (status) => resolve({ status, stdout, stderr })));
}

/** A small seeded PRNG (mulberry32), so that a run's random choices can be repeated with --seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
