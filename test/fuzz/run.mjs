#!/usr/bin/env node
/**
 * The long fuzz run: `npm run fuzz` (all targets) or `npm run fuzz -- zeek pcap`.
 * Runs test/fuzz/fuzz.test.ts once per target, one at a time, with
 * FUZZ_RUNS inputs (default 100 000) and a watchdog: a target that does not
 * finish within FUZZ_TIMEOUT_MIN minutes (default 180) is killed and reported
 * as a hang, with the input it was on (kept in a file by the test).
 * Prints one line per target and exits non-zero if any target failed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const runs = Number(process.env.FUZZ_RUNS ?? 100_000);
const timeoutMs = Number(process.env.FUZZ_TIMEOUT_MIN ?? 180) * 60_000;
const vitest = ['vitest', 'run', 'test/fuzz/fuzz.test.ts'];

/** Target names as the test file declares them (`<name>: N inputs`). */
function allTargets() {
  const r = spawnSync('npx', ['vitest', 'list', 'test/fuzz/fuzz.test.ts', '--json'], {
    encoding: 'utf8',
    env: { ...process.env, FUZZ_RUNS: '1' },
  });
  return JSON.parse(r.stdout)
    .map((t) => /> (\S+): \d+ inputs$/.exec(t.name)?.[1])
    .filter(Boolean);
}

function runTarget(name, dir) {
  const lastInput = join(dir, `${name}.last-input`);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('npx', vitest, {
      env: { ...process.env, FUZZ_RUNS: String(runs), FUZZ_TARGET: name, FUZZ_LAST_INPUT: lastInput },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const watchdog = setTimeout(() => {
      process.kill(-child.pid, 'SIGKILL');
      resolve({ name, result: `HANG: not done after ${timeoutMs / 60_000} min; input in ${lastInput}` });
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(watchdog);
      const secs = Math.round((Date.now() - started) / 1000);
      const failure = /AssertionError: ([^\n]*)/.exec(out)?.[1];
      resolve({
        name,
        ok: code === 0,
        result:
          code === 0
            ? `ok: ${runs} inputs, 0 crashes, 0 hangs (${secs} s)`
            : `FAILED (${secs} s): ${failure ?? out.slice(-2000)}`,
      });
    });
  });
}

const targets = process.argv.length > 2 ? process.argv.slice(2) : allTargets();
const dir = mkdtempSync(join(tmpdir(), 'vast-fuzz-'));
let failed = 0;
for (const name of targets) {
  const r = await runTarget(name, dir);
  if (!r.ok) failed++;
  console.log(`${new Date().toISOString()} ${r.name}: ${r.result}`);
}
process.exit(failed > 0 ? 1 : 0);
