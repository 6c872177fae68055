/**
 * `exec=CMD`: runs `sh -c CMD` once per record with the record's JSON and a
 * newline on stdin. Exit status 0 is delivery; another status, a signal, a
 * failure to start or running longer than the timeout is a failure to retry.
 * The program runs in its own process group so a timeout or `close` kills
 * what it started too.
 */
import { spawn } from 'node:child_process';
import { DELIVERY_TIMEOUT_MS, type Deliverer, DeliveryError } from './deliverer.js';

/** How much of the program's stderr goes into the error message. */
const STDERR_TAIL = 500;

export function execDeliverer(command: string): Deliverer {
  return {
    deliver(json, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal.aborted) return reject(new DeliveryError('aborted'));
        const child = spawn('sh', ['-c', command], { stdio: ['pipe', 'ignore', 'pipe'], detached: true });
        let stderr = '';
        let killedWhy: string | undefined;
        const kill = (why: string) => {
          killedWhy ??= why;
          try {
            if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
          } catch {
            child.kill('SIGKILL');
          }
        };
        const timer = setTimeout(
          () => kill(`still running after ${DELIVERY_TIMEOUT_MS} ms`),
          DELIVERY_TIMEOUT_MS,
        );
        timer.unref();
        const onAbort = () => kill('aborted');
        signal.addEventListener('abort', onAbort, { once: true });
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (s: string) => {
          stderr = (stderr + s).slice(-STDERR_TAIL);
        });
        // A program that exits without reading stdin makes the write fail with EPIPE: its exit status decides.
        child.stdin.on('error', () => {});
        child.stdin.end(`${json}\n`);
        const done = (err?: Error) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          if (err) reject(err);
          else resolve();
        };
        child.on('error', (e) => done(new DeliveryError(`exec '${command}': ${e.message}`)));
        child.on('close', (code, sig) => {
          if (code === 0 && killedWhy === undefined) return done();
          const why = killedWhy ?? (sig ? `killed by ${sig}` : `exit status ${code}`);
          const tail = stderr.trim();
          done(new DeliveryError(`exec '${command}': ${why}${tail ? `: ${tail}` : ''}`));
        });
      });
    },
    close() {},
  };
}
