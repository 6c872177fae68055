/**
 * The entry of a scan worker thread (see `ScanPool`): runs the jobs it is
 * sent, one at a time, and answers each with its `ScanResult`. Parsed
 * partition footers are kept across jobs, as the store keeps them.
 */
import { parentPort } from 'node:worker_threads';
import { FooterCache } from '../store/partition.js';
import { runScanJob, type ScanJob, type ScanResult } from './scan-job.js';

const footers = new FooterCache();
const port = parentPort;
if (!port) throw new Error('scan-worker.js runs as a worker thread');

port.on('message', async ({ id, job }: { id: number; job: ScanJob }) => {
  let result: ScanResult;
  try {
    result = await runScanJob(job, footers);
  } catch (e) {
    // A bug, not damage: the caller runs the job itself and reports what happens there.
    result = { ok: false, corrupt: false, message: (e as Error).stack ?? String(e) };
  }
  const transfer = result.ok && result.ipc ? result.ipc.map((b) => b.buffer as ArrayBuffer) : [];
  port.postMessage({ id, result }, transfer);
});

// Loaded: the pool sends this worker jobs without waiting for its start-up from now on.
port.postMessage({ ready: true });
