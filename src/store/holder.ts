/**
 * Which node serves a database directory. A node writes `<db>/NODE` (its pid
 * and endpoint) when it starts and removes it when it stops. Embedded writers
 * (`vast import` without a node, `vast rebuild`) refuse a database a live node
 * serves: the node keeps its catalog in memory and its next commit would
 * overwrite what they wrote. That happened when a busy node answered the CLI's
 * probe too late and the CLI fell back to embedded mode on the node's own data.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from '../diagnostics.js';
import { writeFileAtomic } from './fs-util.js';
import { alive } from './lock.js';

interface Holder {
  pid: number;
  endpoint: string;
}

const holderPath = (dir: string) => join(dir, 'NODE');

/** The live node serving `dir`, if any (a file left by a killed node does not count). */
function servingNode(dir: string): Holder | undefined {
  let h: Partial<Holder>;
  try {
    h = JSON.parse(readFileSync(holderPath(dir), 'utf8')) as Partial<Holder>;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(h.pid) || typeof h.endpoint !== 'string') return undefined;
  const pid = h.pid as number;
  return pid !== process.pid && alive(pid) ? { pid, endpoint: h.endpoint } : undefined;
}

/** Marks `dir` as served by this process; throws when another live node serves it. Returns the release. */
export function claimDatabase(dir: string, endpoint: string): () => void {
  const other = servingNode(dir);
  if (other)
    throw new StoreError(
      `database ${dir} is already served by a node (pid ${other.pid}, endpoint ${other.endpoint})`,
    );
  writeFileAtomic(holderPath(dir), JSON.stringify({ pid: process.pid, endpoint }));
  return () => rmSync(holderPath(dir), { force: true });
}

/** Throws when a live node serves `dir`: an embedded write would race with it. */
export function refuseIfServed(dir: string, what: string): void {
  const h = servingNode(dir);
  if (h)
    throw new StoreError(
      `cannot ${what} ${dir} directly: a node (pid ${h.pid}) serves it at ${h.endpoint} and did not answer; ` +
        `send the request to that node (-e ${h.endpoint}), or stop it first`,
    );
}
