/**
 * Measuring child processes: wall time, CPU time and peak resident set size
 * (through `/usr/bin/time` when it is installed, else by polling
 * /proc/PID/status), plus the machine description printed with every result.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, freemem, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

const TIME_BIN = '/usr/bin/time';

/** What one child process did. */
export interface ProcessRun {
  status: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** User + system CPU time, when known (`/usr/bin/time` is installed). */
  cpuMs?: number;
  /** Peak resident set size in bytes, when known. */
  maxRssBytes?: number;
}

const haveTimeBin = (): boolean => existsSync(TIME_BIN);

/**
 * Runs `cmd args` to completion and measures it. Standard output is kept
 * unless `discardStdout` (for `jq . > /dev/null`-style floors); a non-zero
 * exit is returned, not thrown.
 */
export function runMeasured(
  cmd: string,
  args: readonly string[],
  opts: { cwd?: string; discardStdout?: boolean } = {},
): Promise<ProcessRun> {
  const timeFile = join(
    tmpdir(),
    `vast-bench-time-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
  );
  const useTime = haveTimeBin();
  const argv = useTime ? ['-f', '%e %U %S %M', '-o', timeFile, cmd, ...args] : [...args];
  const start = performance.now();
  const child = spawn(useTime ? TIME_BIN : cmd, argv, {
    cwd: opts.cwd,
    stdio: ['ignore', opts.discardStdout ? 'ignore' : 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => err.push(b));
  // Without /usr/bin/time, VmHWM read just before exit is the best we can do.
  let hwm = 0;
  const poll = useTime
    ? undefined
    : setInterval(() => {
        hwm = Math.max(hwm, readHwm(child.pid) ?? 0);
      }, 20);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => {
      const wallMs = performance.now() - start;
      if (poll) clearInterval(poll);
      const run: ProcessRun = {
        status,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        wallMs,
        maxRssBytes: hwm > 0 ? hwm : undefined,
      };
      if (useTime && existsSync(timeFile)) {
        // `time -o` may prepend "Command exited with non-zero status N".
        const last = readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
        const [, user, sys, rssKb] = last.split(' ').map(Number);
        if ([user, sys, rssKb].every(Number.isFinite)) {
          run.cpuMs = (user + sys) * 1000;
          run.maxRssBytes = rssKb * 1024;
        }
        rmSync(timeFile, { force: true });
      }
      resolve(run);
    });
  });
}

function readHwm(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Throws with the child's standard error when it failed. */
export function check(run: ProcessRun, what: string): ProcessRun {
  if (run.status !== 0) throw new Error(`${what} exited with ${run.status}:\n${run.stderr.slice(-4000)}`);
  return run;
}

/** Total size of the files under `dir` (what `du --apparent-size -b` says). */
export function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n += dirBytes(p);
    else if (e.isFile()) n += statSync(p).size;
  }
  return n;
}

/** The first line of `cmd --version`, or undefined when the tool is not installed. */
export function toolVersion(cmd: string): string | undefined {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout.split('\n')[0].trim();
}

/** The machine a result was measured on. */
export interface Machine {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  freeMemoryBytes: number;
  node: string;
  os: string;
  timeBin: boolean;
  /** 1-, 5- and 15-minute load averages when the run started: other work on the machine skews every figure. */
  loadAverage: number[];
}

export function machine(): Machine {
  const c = cpus();
  return {
    cpuModel: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memoryBytes: totalmem(),
    freeMemoryBytes: freemem(),
    node: process.version,
    os: `${process.platform} ${release()}`,
    timeBin: haveTimeBin(),
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** The median of `xs` (undefined for none). */
export function median(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
