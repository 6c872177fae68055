/** Running the built `vast` command as a real process, for integration tests. */
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/datasets.js';
import { keepPartitions } from '../helpers/partition-audit.js';

const VAST_BIN = join(ROOT, 'bin', 'vast.js');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Embedded-mode tests must not talk to a node a developer happens to run on
 * the default endpoint: point the CLI at a port where nothing listens.
 */
const NO_NODE = { VAST_ENDPOINT: '127.0.0.1:1' };

/**
 * Standard input from a file, as a shell's `< FILE` gives it: spawn's pipes are sockets, from
 * which vast reads no query (see cli/query-text.ts). The descriptor is closed once `f` has
 * handed it to the child.
 */
function withStdinFile<T>(path: string | undefined, f: (fd: number | undefined) => T): T {
  const fd = path === undefined ? undefined : openSync(path, 'r');
  try {
    return f(fd);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Runs `vast ARGS` to completion; `input` is fed to stdin, or `stdinFile` is stdin. */
export function vast(
  args: string[],
  opts: { input?: string | Buffer; cwd?: string; env?: Record<string, string>; stdinFile?: string } = {},
): Run {
  const r: SpawnSyncReturns<string> = withStdinFile(opts.stdinFile, (fd) =>
    spawnSync(process.execPath, [VAST_BIN, ...args], {
      stdio: [fd ?? 'pipe', 'pipe', 'pipe'],
      input: opts.input,
      cwd: opts.cwd,
      env: { ...process.env, ...NO_NODE, ...opts.env },
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    }),
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs `vast ARGS` without blocking the test's event loop: needed while the
 * test also reads another vast process's output (a blocked reader would make
 * that process, and through backpressure the node, wait).
 */
export function vastAsync(
  args: string[],
  opts: { input?: string | Buffer; env?: Record<string, string>; stdinFile?: string } = {},
): Promise<Run> {
  const p = withStdinFile(opts.stdinFile, (fd) =>
    fd === undefined
      ? vastProcess(args, opts.env)
      : spawn(process.execPath, [VAST_BIN, ...args], {
          stdio: [fd, 'pipe', 'pipe'],
          env: { ...process.env, ...NO_NODE, ...opts.env },
        }),
  );
  let stdout = '';
  let stderr = '';
  p.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  p.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  p.stdin?.end(opts.input ?? '');
  return new Promise((resolve) => p.once('close', (status) => resolve({ status, stdout, stderr })));
}

/** Starts `vast ARGS` without waiting (for crash tests). */
export function vastProcess(args: string[], env: Record<string, string> = {}) {
  return spawn(process.execPath, [VAST_BIN, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...NO_NODE, ...env },
  });
}

/** A fresh temporary directory and a database path inside it; `cleanup` removes both. */
export function tempDb(): { dir: string; db: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'vast-it-'));
  return {
    dir,
    db: join(dir, 'db'),
    cleanup: () => {
      keepPartitions(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Lines of Zeek TSV that are data (not `#` directives). */
export const dataLines = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
