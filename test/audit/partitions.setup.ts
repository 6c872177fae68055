/**
 * The partition audit (issue 11): every partition file the test suite
 * writes is read by DuckDB (`read_parquet`) at the end of the run, and its
 * rows must equal what vast reads from the same file, value for value (see
 * `test/helpers/duckdb-rows.ts` for the normal form). Tests hand their
 * partitions over with `keepPartitions` (`test/helpers/partition-audit.ts`)
 * before they delete them. Files that no longer match their own sidecar's
 * checksums were damaged on purpose by a test (storage faults) and are left
 * out, counted.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type * as A from 'apache-arrow';
import type { TestProject } from 'vitest/node';
import { verifyFile } from '../../src/store/checksum.js';
import { ParquetFile } from '../../src/store/parquet/read.js';
import { decodeSketch } from '../../src/store/synopsis.js';
import { plainStrings } from '../../src/types/dictionary-strings.js';
import { duckRowsInNormalForm, rowsInNormalForm } from '../helpers/duckdb-rows.js';

export default function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'vast-partition-audit-'));
  project.provide('partitionAuditDir', dir);
  return async () => {
    try {
      await audit(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

async function audit(dir: string): Promise<void> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.parquet'));
  if (files.length === 0) return;
  const db = await DuckDBInstance.create(':memory:');
  const duck = await db.connect();
  const query = async (sql: string) =>
    (await duck.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  let audited = 0;
  let damaged = 0;
  let rows = 0;
  const failures: string[] = [];
  try {
    for (const f of files) {
      const path = join(dir, f);
      const bytes = readFileSync(path);
      try {
        const sums = decodeSketch(readFileSync(path.replace(/\.parquet$/, '.sketch'))).file;
        if (sums) verifyFile(path, bytes, sums);
      } catch {
        damaged++;
        continue;
      }
      const file = await ParquetFile.open(memorySource(bytes), bytes.length, path);
      const batches: A.RecordBatch[] = [];
      for (let g = 0; g < file.rowGroups.length; g++) batches.push(plainStrings(await file.readRowGroup(g)));
      const want = rowsInNormalForm(batches, file.schema);
      const got = await duckRowsInNormalForm(query, path, file.schema);
      audited++;
      rows += want.length;
      const diff = firstDifference(got, want);
      if (diff) failures.push(`${file.schema.name} partition (${want.length} rows): ${diff}`);
    }
  } finally {
    duck.closeSync();
    db.closeSync();
  }
  process.stdout.write(
    `partition audit: DuckDB read ${audited} partitions (${rows} rows) written by the tests, ${failures.length} differ from vast's reading; ${damaged} damaged on purpose left out\n`,
  );
  if (failures.length === 0) return;
  // Vitest reports an error of a global teardown but does not fail the run for it: the exit code does.
  process.exitCode = 1;
  throw new Error(`partition audit failed:\n${failures.slice(0, 20).join('\n')}`);
}

const canonical = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));

function firstDifference(got: unknown[], want: unknown[]): string | undefined {
  if (got.length !== want.length) return `DuckDB read ${got.length} rows, vast ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    if (canonical(got[i]) === canonical(want[i])) continue;
    const [g, w] = [got[i] as Record<string, unknown>, want[i] as Record<string, unknown>];
    const fields = Object.keys(w).filter((k) => canonical(g[k]) !== canonical(w[k]));
    return `row ${i}: ${fields.map((k) => `${k}: DuckDB ${canonical(g[k]).slice(0, 200)}, vast ${canonical(w[k]).slice(0, 200)}`).join('; ')}`;
  }
  return undefined;
}

const memorySource = (bytes: Uint8Array) => ({
  async read(buffer: Uint8Array, offset: number, length: number, position: number) {
    const end = Math.min(bytes.length, position + length);
    buffer.set(bytes.subarray(position, end), offset);
    return { bytesRead: Math.max(0, end - position) };
  },
});
