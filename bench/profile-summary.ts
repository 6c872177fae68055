/**
 * Summarises V8 CPU profiles (`node --cpu-prof`): self time aggregated by
 * function and source location, and by file.
 *
 * Usage: `node dist/bench/bench/profile-summary.js PROFILE.cpuprofile|DIR [TOP]`
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time in microseconds per key. */
type Totals = Map<string, number>;

const ROOT_URL = new URL('../../../', import.meta.url).href;

function shortUrl(url: string): string {
  if (url === '') return '(native)';
  return url.startsWith(ROOT_URL) ? url.slice(ROOT_URL.length) : url.replace(/^file:\/\//, '');
}

/** Adds the self time of every sample in `p` to the totals by function and by file. */
export function aggregate(p: Profile, byFunction: Totals, byFile: Totals): number {
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    // A sample lasts until the next one (as DevTools counts it); the last one gets nothing.
    const us = p.timeDeltas[i + 1] ?? 0;
    const node = nodes.get(p.samples[i]);
    if (!node) continue;
    const f = node.callFrame;
    const name = f.functionName || '(anonymous)';
    const file = shortUrl(f.url);
    const fnKey = f.url ? `${name}  ${file}:${f.lineNumber + 1}` : name;
    byFunction.set(fnKey, (byFunction.get(fnKey) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
    total += us;
  }
  return total;
}

function table(title: string, totals: Totals, total: number, top: number): string {
  const rows = [...totals.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  const lines = [
    `${title}`,
    '   self ms      %  ',
    ...rows.map(
      ([k, us]) =>
        `${(us / 1000).toFixed(0).padStart(8)}  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`,
    ),
  ];
  return lines.join('\n');
}

function main(args: string[]): void {
  const [target, topText = '25'] = args;
  if (!target) {
    process.stderr.write('usage: profile-summary PROFILE.cpuprofile|DIR [TOP]\n');
    process.exitCode = 2;
    return;
  }
  const files = statSync(target).isDirectory()
    ? readdirSync(target)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => join(target, f))
    : [target];
  const byFunction: Totals = new Map();
  const byFile: Totals = new Map();
  let total = 0;
  for (const f of files)
    total += aggregate(JSON.parse(readFileSync(f, 'utf8')) as Profile, byFunction, byFile);
  const top = Number(topText);
  process.stdout.write(`${files.length} profile(s), ${(total / 1000).toFixed(0)} ms sampled\n\n`);
  process.stdout.write(`${table('Top functions by self time', byFunction, total, top)}\n\n`);
  process.stdout.write(`${table('Self time by file', byFile, total, top)}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // `| head` closes the pipe early; that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
  main(process.argv.slice(2));
}
