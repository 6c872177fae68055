/**
 * `writeEvents` waits for its stream to drain after each chunk the stream
 * would not take. Each wait used to leave an 'error' listener behind; the
 * eleventh printed Node's MaxListenersExceededWarning into the terminal
 * (found by `vast sightings | ...`, which writes one chunk per small batch).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as A from 'apache-arrow';
import { expect, it } from 'vitest';
import { writeEvents } from '../../../src/cli/output.js';
import { findFormat } from '../../../src/formats/index.js';
import { bytesInput, readBatches } from '../../../src/formats/read.js';
import { TEST_DATA } from '../../helpers/datasets.js';
import { registry } from '../../helpers/read.js';

it('writes many chunks through drain waits without leaking listeners or warnings', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vast-output-'));
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    // conn.log in batches of 100 rows: 85 chunks, each larger than a file stream's 16 KiB buffer.
    const batches: A.RecordBatch[] = [];
    const conn = readFileSync(join(TEST_DATA, 'zeek', 'conn.log'));
    for await (const b of readBatches(findFormat('zeek', 'read'), bytesInput(conn, 1 << 16), {
      file: 'conn.log',
      schemas: registry,
      batchSize: 100,
    }))
      batches.push(b);
    expect(batches.length).toBeGreaterThan(11);
    const out = join(dir, 'out.json');
    await writeEvents(
      (async function* () {
        yield* batches;
      })(),
      findFormat('json', 'write'),
      out,
    );
    await new Promise((r) => setImmediate(r));
    expect(readFileSync(out, 'utf8').split('\n').filter(Boolean).length).toBe(8462);
    expect(warnings).toEqual([]);
  } finally {
    process.off('warning', onWarning);
    rmSync(dir, { recursive: true, force: true });
  }
});
