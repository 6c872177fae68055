/**
 * Collects the partition files the test suite writes, for the audit that
 * reads every one of them with DuckDB at the end of the run
 * (`test/audit/partitions.setup.ts`). Tests call `keepPartitions(dir)` before
 * they delete a directory that may hold databases; committed partitions
 * (`partitions/*.parquet`, with their sidecars) are hard-linked into the
 * audit directory, which costs no copy.
 */
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    partitionAuditDir: string;
  }
}

/** Keeps every committed partition under `root` (any depth) for the audit. */
export function keepPartitions(root: string): void {
  const audit = inject('partitionAuditDir');
  if (!audit || !existsSync(root)) return;
  const walk = (dir: string, depth: number) => {
    if (depth > 6) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const sub = join(dir, e.name);
      if (e.name === 'partitions') keepFrom(sub, audit);
      else walk(sub, depth + 1);
    }
  };
  walk(root, 0);
}

function keepFrom(partitions: string, audit: string): void {
  for (const f of readdirSync(partitions)) {
    if (!f.endsWith('.parquet')) continue;
    const id = f.slice(0, -'.parquet'.length);
    const sketch = join(partitions, `${id}.sketch`);
    if (!existsSync(sketch)) continue;
    // Ids are random, but a test may copy a database: one name per kept pair.
    const as = join(audit, randomUUID());
    keep(join(partitions, f), `${as}.parquet`);
    keep(sketch, `${as}.sketch`);
  }
}

function keep(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}
