/**
 * A real `vast start` process for the torture and soak scripts: how a node is
 * configured and started, how its log is read, how tokens are made and how
 * sources are spawned and killed. Everything that depends on the node's
 * command line, configuration keys or admin API is in this one file, so that
 * changes there (roles, TLS, allowed source paths) are adapted here only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { VAST_BIN } from './context.js';
import { type HttpAnswer, httpRequest } from './node-client.js';

/** Settings for the node's `vast.yaml` (keys as in src/node/config.ts). */
export type NodeSettings = Record<string, string | number | boolean | readonly string[]>;

/** A loopback port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * Writes the node's configuration file. Where the node grows settings the
 * scripts need (e.g. directories file sources may read), they are passed in
 * `settings` by the caller: this function only renders them.
 */
export function writeNodeConfig(path: string, settings: NodeSettings): string {
  const yaml = Object.entries(settings)
    .map(([k, v]) =>
      Array.isArray(v)
        ? `${k}:\n${v.map((x) => `  - ${JSON.stringify(x)}`).join('\n')}`
        : `${k}: ${JSON.stringify(v)}`,
    )
    .join('\n');
  writeFileSync(path, `${yaml}\n`);
  return path;
}

/** What it takes to (re)start the same node. */
export interface NodeSpec {
  db: string;
  port: number;
  configFile: string;
  /** The node's standard error goes here, appended across restarts. */
  logFile: string;
}

/** One line of the node's log: pino JSON, or plain text (the admin-token line). */
export interface LogLine {
  level: number;
  msg: string;
  raw: string;
}

const PINO_ERROR = 50;
const PINO_WARN = 40;

function parseLogLine(raw: string): LogLine {
  if (raw.startsWith('{')) {
    try {
      const j = JSON.parse(raw) as { level?: number; msg?: string };
      return { level: j.level ?? 30, msg: j.msg ?? '', raw };
    } catch {
      // A line cut by kill -9: plain text below.
    }
  }
  return { level: 30, msg: raw, raw };
}

/** A running (or killed) node process. */
export class NodeProcess {
  readonly endpoint: string;
  /** The admin token printed on the database's first start; undefined on later starts. */
  adminToken: string | undefined;
  readonly exited: Promise<number | null>;
  private readonly lines: LogLine[] = [];

  private constructor(
    readonly spec: NodeSpec,
    readonly proc: ChildProcess,
  ) {
    this.endpoint = `127.0.0.1:${spec.port}`;
    this.exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
    let partial = '';
    proc.stderr!.on('data', (d: Buffer) => {
      const text = d.toString();
      appendFileSync(spec.logFile, text);
      const parts = (partial + text).split('\n');
      partial = parts.pop()!;
      for (const raw of parts) if (raw) this.lines.push(parseLogLine(raw));
    });
  }

  /** Starts `vast start` and resolves once it listens (or throws with its log). */
  static async start(spec: NodeSpec, timeoutMs = 60_000): Promise<NodeProcess> {
    const proc = spawn(
      process.execPath,
      [VAST_BIN, 'start', '-d', spec.db, '--endpoint', `127.0.0.1:${spec.port}`, '--config', spec.configFile],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    const node = new NodeProcess(spec, proc);
    const deadline = Date.now() + timeoutMs;
    while (!node.lines.some((l) => l.msg === 'node started')) {
      if (proc.exitCode !== null || proc.signalCode !== null || Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`node did not start:\n${node.lines.map((l) => l.raw).join('\n')}`);
      }
      await sleep(10);
    }
    node.adminToken = node.lines
      .map((l) => /admin token[^:]*: (\S+)/.exec(l.raw)?.[1])
      .find((t) => t !== undefined);
    return node;
  }

  get pid(): number {
    return this.proc.pid!;
  }

  url(path: string): string {
    return `http://${this.endpoint}${path}`;
  }

  /** Environment for `vast` client commands talking to this node. */
  env(token: string): Record<string, string> {
    return { VAST_ENDPOINT: this.endpoint, VAST_TOKEN: token };
  }

  async kill9(): Promise<void> {
    this.proc.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (a clean stop: flush, close) and its exit code. */
  async stop(): Promise<number | null> {
    this.proc.kill('SIGTERM');
    return this.exited;
  }

  /** Log lines at error level or above (pino 50+). */
  errors(): LogLine[] {
    return this.lines.filter((l) => l.level >= PINO_ERROR);
  }

  warnings(): LogLine[] {
    return this.lines.filter((l) => l.level === PINO_WARN);
  }

  /** Resident set size in bytes (VmRSS), or undefined once the process is gone. */
  rssBytes(): number | undefined {
    try {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  /** Open file descriptors (sockets included), or undefined once the process is gone. */
  openFds(): number | undefined {
    try {
      return readdirSync(`/proc/${this.pid}/fd`).length;
    } catch {
      return undefined;
    }
  }
}

/** Nodes started by this process; killed if the script dies, so none is left behind. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

/** The answer's JSON body, or an error naming what was asked and what came back. */
export function expectJson<T>(a: HttpAnswer, what: string): T {
  if (a.status < 200 || a.status >= 300) throw new Error(`${what}: HTTP ${a.status}: ${a.body.toString()}`);
  return JSON.parse(a.body.toString()) as T;
}

async function postJson<T>(node: NodeProcess, token: string, path: string, body: unknown): Promise<T> {
  const a = await httpRequest(node.url(path), {
    method: 'POST',
    token,
    body: JSON.stringify(body),
    contentType: 'application/json',
  });
  return expectJson<T>(a, `POST ${path}`);
}

/** A token for `tenant`, made with the admin token. */
export async function createToken(node: NodeProcess, adminToken: string, tenant: string): Promise<string> {
  return (await postJson<{ token: string }>(node, adminToken, '/api/v0/tokens', { tenant })).token;
}

/** Starts a source inside the node (as `vast spawn source NAME ARGS...`); returns its id. */
export async function spawnSource(
  node: NodeProcess,
  token: string,
  name: string,
  args: readonly string[],
): Promise<string> {
  return (await postJson<{ id: string }>(node, token, '/api/v0/sources', { source: name, args })).id;
}

export async function killSource(node: NodeProcess, token: string, id: string): Promise<void> {
  const a = await httpRequest(node.url(`/api/v0/sources/${encodeURIComponent(id)}`), {
    method: 'DELETE',
    token,
  });
  expectJson(a, `DELETE source ${id}`);
}

/** The status fields of a running source the scripts look at. */
export interface SourceStatus {
  id: string;
  state: string;
  events: number;
  errors: number;
  error?: string;
}

export async function listSources(node: NodeProcess, token: string): Promise<SourceStatus[]> {
  const a = await httpRequest(node.url('/api/v0/sources'), { token });
  return expectJson<{ sources: SourceStatus[] }>(a, 'GET /api/v0/sources').sources;
}

/** The node's status for the token's tenant (the fields the scripts use). */
export interface NodeStatus {
  events: number;
  buffered: number;
  ingested: number;
  liveQueries: number;
}

export async function nodeStatus(node: NodeProcess, token: string): Promise<NodeStatus> {
  return expectJson<NodeStatus>(await httpRequest(node.url('/api/v0/status'), { token }), 'status');
}

export const nodeLogFile = (dir: string) => join(dir, 'node.log');
