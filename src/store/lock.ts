/**
 * The writer lock of a database directory: one importing process at a time,
 * so that catalog updates never race. A lock whose owner died (kill -9) is
 * taken over; a live owner is waited for.
 */
import { closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreError } from '../diagnostics.js';
import { openForWrite } from './fs-util.js';

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface Lock {
  release(): void;
}

export async function acquireLock(dir: string, timeoutMs = 60_000): Promise<Lock> {
  const path = join(dir, 'LOCK');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openForWrite(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return { release: () => rmSync(path, { force: true }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner = Number.NaN;
    try {
      owner = Number(readFileSync(path, 'utf8'));
    } catch {
      continue; // released between our open and read
    }
    if (!Number.isInteger(owner) || owner <= 0 || (!alive(owner) && owner !== process.pid)) {
      rmSync(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new StoreError(`database ${dir} is locked by process ${owner}`);
    await sleep(50);
  }
}
