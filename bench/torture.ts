/**
 * `npm run torture [-- --kills N]`: kill -9 a real node N times while several
 * clients import uniquely numbered events batch by batch (NDJSON and Arrow
 * IPC, two tenants), live queries read along and one-shot queries count.
 * Then restart it cleanly and check, event by event:
 *
 * - every acknowledged batch is present, each event exactly once;
 * - a batch whose outcome the client could not know (in flight at a kill) is
 *   there whole or not at all; a batch never sent (or refused) is absent;
 * - no event shows up in the other tenant;
 * - every event a live query delivered is durable (it is in the final data);
 * - every one-shot count saw at least what was acknowledged before it began;
 * - the node logged no errors and stops cleanly at the end.
 *
 * Prints a summary and exits 1 on any violation (the work directory with the
 * database and the node's log is kept then). See bench/README.md.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import * as A from 'apache-arrow';
import { numberFlag } from './flags.js';
import {
  exportUrl,
  HttpFailure,
  httpRequest,
  type LineStream,
  liveCli,
  liveHttp,
  prng,
} from './node-client.js';
import {
  createToken,
  freePort,
  NodeProcess,
  type NodeSpec,
  nodeLogFile,
  writeNodeConfig,
} from './node-process.js';

const USAGE = `usage: npm run torture -- [flags]

  --kills N            kill -9 the node N times (default 100)
  --clients N          concurrent importing clients (default 4; alternating tenants and formats)
  --max-batch N        events per batch: 1..N, random (default 100)
  --min-delay MS       the kill comes MS..max-delay ms after the node is up (default 50)
  --max-delay MS       (default 800; every fifth kill up to 3 x max-delay later)
  --seed N             seed of the random choices (default: time)
  --keep               keep the work directory (database, node log) even when all checks pass
`;

/** The admin's tenant, and a second one made with a token at the first start. */
const TENANTS = ['default', 'torture'] as const;
type TenantName = (typeof TENANTS)[number];
/** Matches every event the clients send (both schemas have the field). */
const ALL_EVENTS = 'client >= 0';

interface Options {
  kills: number;
  clients: number;
  maxBatch: number;
  minDelay: number;
  maxDelay: number;
  seed: number;
  keep: boolean;
}

type Outcome = 'acked' | 'unknown' | 'rejected' | 'unsent';

interface Batch {
  size: number;
  outcome: Outcome;
}

interface Client {
  id: number;
  tenant: TenantName;
  format: 'json' | 'arrow';
  batches: Batch[];
}

/** What the run observed, all of it checked at the end. */
class Run {
  readonly violations: string[] = [];
  readonly clients: Client[] = [];
  /** Events per tenant in acknowledged batches, and in batches ever sent. */
  readonly acked = new Map<TenantName, number>(TENANTS.map((t) => [t, 0]));
  readonly sent = new Map<TenantName, number>(TENANTS.map((t) => [t, 0]));
  /** Events seen by live queries (keys `client/batch/seq`). */
  readonly liveSeen = new Set<string>();
  liveEvents = 0;
  queries = 0;
  queryFailures = 0;
  timeouts = 0;
  nodeErrors = 0;
  stopping = false;

  violation(message: string): void {
    this.violations.push(message);
    if (this.violations.length <= 20) process.stderr.write(`violation: ${message}\n`);
  }
}

const eventKey = (client: number, batch: number, seq: number) => `${client}/${batch}/${seq}`;
const tenantOfClient = (client: number): TenantName => TENANTS[client % TENANTS.length];

/** The request body of one batch: `size` events numbered (client, batch, 0..size-1). */
function batchBody(
  c: Client,
  batch: number,
  size: number,
): { body: Uint8Array; query: string; type: string } {
  const tid = (i: number) => `c${c.id}-b${batch}-e${i}`;
  // Filler, so that batches have some weight and WAL records span several pages.
  const pad = (i: number) => `${tid(i)}:${'x'.repeat((batch * 7 + i) % 64)}`;
  if (c.format === 'json') {
    let text = '';
    for (let i = 0; i < size; i++)
      text += `${JSON.stringify({ tid: tid(i), client: c.id, batch, seq: i, pad: pad(i) })}\n`;
    return {
      body: Buffer.from(text),
      query: 'format=json&schema=torture.json',
      type: 'application/x-ndjson',
    };
  }
  const ints = (f: (i: number) => number) => BigInt64Array.from({ length: size }, (_, i) => BigInt(f(i)));
  const strings = (f: (i: number) => string) =>
    A.vectorFromArray(
      Array.from({ length: size }, (_, i) => f(i)),
      new A.Utf8(),
    );
  const table = new A.Table({
    tid: strings(tid),
    client: A.makeVector(ints(() => c.id)),
    batch: A.makeVector(ints(() => batch)),
    seq: A.makeVector(ints((i) => i)),
    pad: strings(pad),
  });
  // What `vast import` sends: one Arrow IPC stream per batch.
  return {
    body: A.tableToIPC(table, 'stream'),
    query: 'format=arrow&schema=torture.arrow',
    type: 'application/vnd.apache.arrow.stream',
  };
}

/**
 * One client: sends batch after batch until the run stops. A refused
 * connection means the node is down and got nothing: the same batch is sent
 * again. Any other failure leaves the batch's fate unknown: it is recorded
 * as such and never retried (a retry without batch ids could duplicate it).
 */
async function runClient(run: Run, c: Client, base: string, token: string, rand: () => number, max: number) {
  for (let b = 0; !run.stopping; b++) {
    const size = 1 + Math.floor(rand() * max);
    const { body, query, type } = batchBody(c, b, size);
    const batch: Batch = { size, outcome: 'unsent' };
    c.batches.push(batch);
    while (!run.stopping) {
      if (batch.outcome === 'unsent') run.sent.set(c.tenant, run.sent.get(c.tenant)! + size);
      batch.outcome = 'unknown';
      try {
        const a = await httpRequest(`${base}/api/v0/import?${query}`, {
          method: 'POST',
          token,
          body,
          contentType: type,
        });
        if (a.status === 200) {
          const { events } = JSON.parse(a.body.toString()) as { events: number };
          if (events !== size)
            run.violation(`client ${c.id} batch ${b}: acknowledged ${events} of ${size} events`);
          batch.outcome = 'acked';
          run.acked.set(c.tenant, run.acked.get(c.tenant)! + size);
        } else {
          batch.outcome = 'rejected';
          run.violation(`client ${c.id} batch ${b}: HTTP ${a.status}: ${a.body.toString().slice(0, 200)}`);
        }
      } catch (e) {
        if (!(e instanceof HttpFailure)) throw e;
        if (e.refused) {
          // Nothing reached the node: this batch counts as not sent until it is sent again.
          batch.outcome = 'unsent';
          run.sent.set(c.tenant, run.sent.get(c.tenant)! - size);
          await sleep(20);
          continue;
        }
        if (/timed out/.test(e.message)) run.timeouts++;
      }
      break;
    }
    // A short random pause keeps the CPU moderate and varies where kills land.
    await sleep(rand() * 10);
  }
}

/** Counts a tenant's events; `undefined` when the node was not there to answer. */
async function countEvents(base: string, token: string): Promise<number | undefined> {
  try {
    const a = await httpRequest(exportUrl(base, `${ALL_EVENTS} | summarize n=count()`), { token });
    if (a.status !== 200) throw new Error(`HTTP ${a.status}: ${a.body.toString().slice(0, 200)}`);
    const line = a.body.toString().trim();
    return line === '' ? 0 : (JSON.parse(line) as { n: number }).n;
  } catch (e) {
    if (e instanceof HttpFailure) return undefined;
    throw e;
  }
}

/** One-shot counts while everything runs: each sees at least what was acknowledged before it began. */
async function runQueries(run: Run, base: string, tokens: Map<TenantName, string>) {
  for (let i = 0; !run.stopping; i++) {
    const tenant = TENANTS[i % TENANTS.length];
    const floor = run.acked.get(tenant)!;
    try {
      const n = await countEvents(base, tokens.get(tenant)!);
      const ceiling = run.sent.get(tenant)!;
      if (n === undefined) run.queryFailures++;
      else {
        run.queries++;
        if (n < floor)
          run.violation(`count for ${tenant} saw ${n} events, ${floor} were acknowledged before`);
        if (n > ceiling) run.violation(`count for ${tenant} saw ${n} events, only ${ceiling} were sent`);
      }
    } catch (e) {
      // Before a tenant's first event its fields are unknown to the node: that query is rightly refused.
      if (floor > 0) run.violation(`count for ${tenant} failed: ${(e as Error).message}`);
    }
    await sleep(250);
  }
}

/** Live readers of one node incarnation: the CLI for one tenant, plain HTTP for the other. */
function startLiveReaders(run: Run, node: NodeProcess, tokens: Map<TenantName, string>): LineStream[] {
  return TENANTS.map((tenant, i) => {
    const seen = new Set<string>();
    const onLine = (line: string) => {
      let e: { client: number; batch: number; seq: number };
      try {
        e = JSON.parse(line);
      } catch {
        run.violation(`live query of ${tenant} delivered a line that is not JSON: ${line.slice(0, 200)}`);
        return;
      }
      const key = eventKey(e.client, e.batch, e.seq);
      run.liveEvents++;
      if (seen.has(key)) run.violation(`live query of ${tenant} delivered ${key} twice`);
      if (tenantOfClient(e.client) !== tenant)
        run.violation(`live query of ${tenant} saw ${key} of another tenant`);
      seen.add(key);
      run.liveSeen.add(key);
    };
    const token = tokens.get(tenant)!;
    return i === 0
      ? liveCli(node.env(token), ALL_EVENTS, onLine)
      : liveHttp(`http://${node.endpoint}`, token, ALL_EVENTS, onLine);
  });
}

/** Reads every event of every tenant after the clean restart and checks them against the clients' records. */
async function verify(run: Run, base: string, tokens: Map<TenantName, string>) {
  const present = new Map<string, number>();
  let events = 0;
  for (const tenant of TENANTS) {
    const a = await httpRequest(exportUrl(base, ALL_EVENTS), {
      token: tokens.get(tenant)!,
      timeoutMs: 600_000,
    });
    if (a.status !== 200) {
      // No event ever reached this tenant (possible in a very short run): nothing to read.
      if (run.sent.get(tenant) === 0) continue;
      throw new Error(`final export of ${tenant}: HTTP ${a.status}: ${a.body.toString()}`);
    }
    let lines = 0;
    for (const line of a.body.toString().split('\n')) {
      if (!line) continue;
      lines++;
      const e = JSON.parse(line) as { client: number; batch: number; seq: number };
      const key = eventKey(e.client, e.batch, e.seq);
      present.set(key, (present.get(key) ?? 0) + 1);
      if (tenantOfClient(e.client) !== tenant) run.violation(`${key} is stored in tenant ${tenant}`);
    }
    events += lines;
    const counted = await countEvents(base, tokens.get(tenant)!);
    if (counted !== lines) run.violation(`${tenant}: count says ${counted}, export gave ${lines} events`);
  }
  const stats = { missing: 0, duplicates: 0, phantoms: 0, whole: 0, absent: 0, partial: 0 };
  const known = new Set<string>();
  for (const c of run.clients)
    c.batches.forEach((b, i) => {
      let found = 0;
      for (let s = 0; s < b.size; s++) {
        const key = eventKey(c.id, i, s);
        known.add(key);
        const n = present.get(key) ?? 0;
        if (n > 1) {
          stats.duplicates += n - 1;
          run.violation(`${key} is present ${n} times`);
        }
        if (n > 0) found++;
      }
      if (b.outcome === 'acked' && found < b.size) {
        stats.missing += b.size - found;
        run.violation(
          `client ${c.id} batch ${i}: acknowledged, but ${b.size - found} of ${b.size} events missing`,
        );
      } else if (b.outcome === 'unsent' && found > 0) {
        stats.phantoms += found;
        run.violation(`client ${c.id} batch ${i}: never sent, but ${found} events present`);
      } else if (b.outcome === 'unknown' || b.outcome === 'rejected') {
        if (found === b.size) stats.whole++;
        else if (found === 0) stats.absent++;
        else {
          stats.partial++;
          run.violation(
            `client ${c.id} batch ${i}: outcome unknown and ${found} of ${b.size} events present`,
          );
        }
      }
    });
  for (const key of present.keys())
    if (!known.has(key)) {
      stats.phantoms++;
      run.violation(`${key} is present but was never generated`);
    }
  let notDurable = 0;
  for (const key of run.liveSeen)
    if (!present.has(key)) {
      notDurable++;
      run.violation(`${key} was delivered live but is not in the final data`);
    }
  return { ...stats, events, notDurable };
}

const integer = (v: string | undefined, flag: string, fallback: number, min = 1) =>
  numberFlag(v, flag, fallback, USAGE, { integer: true, min });

function options(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      kills: { type: 'string' },
      clients: { type: 'string' },
      'max-batch': { type: 'string' },
      'min-delay': { type: 'string' },
      'max-delay': { type: 'string' },
      seed: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const o: Options = {
    kills: integer(values.kills, '--kills', 100),
    clients: integer(values.clients, '--clients', 4),
    maxBatch: integer(values['max-batch'], '--max-batch', 100),
    minDelay: integer(values['min-delay'], '--min-delay', 50, 0),
    maxDelay: integer(values['max-delay'], '--max-delay', 800, 0),
    seed: integer(values.seed, '--seed', Date.now() % 1_000_000, 0),
    keep: values.keep ?? false,
  };
  if (o.maxDelay < o.minDelay) throw new Error('--max-delay must not be below --min-delay');
  return o;
}

async function main(argv: string[]): Promise<number> {
  const o = options(argv);
  if (!o) {
    process.stdout.write(USAGE);
    return 0;
  }
  const dir = mkdtempSync(join(tmpdir(), 'vast-torture-'));
  const spec: NodeSpec = {
    db: join(dir, 'db'),
    port: await freePort(),
    // Small partitions and frequent flushes: kills land in flushes and WAL rotations too.
    configFile: writeNodeConfig(join(dir, 'vast.yaml'), {
      'max-partition-size': 2000,
      'flush-interval': 0.3,
    }),
    logFile: nodeLogFile(dir),
  };
  const rand = prng(o.seed);
  const started = performance.now();
  let node = await NodeProcess.start(spec);
  const admin = node.adminToken;
  if (!admin) throw new Error('the node printed no admin token on its first start');
  const tokens = new Map<TenantName, string>([
    ['default', admin],
    ['torture', await createToken(node, admin, 'torture')],
  ]);
  const base = `http://${node.endpoint}`;
  const run = new Run();
  for (let id = 0; id < o.clients; id++)
    run.clients.push({
      id,
      tenant: tenantOfClient(id),
      format: Math.floor(id / TENANTS.length) % 2 === 0 ? 'json' : 'arrow',
      batches: [],
    });
  const workers = [
    ...run.clients.map((c) =>
      runClient(run, c, base, tokens.get(c.tenant)!, prng(o.seed + c.id + 1), o.maxBatch),
    ),
    runQueries(run, base, tokens),
  ];
  const noteErrors = (n: NodeProcess) => {
    for (const e of n.errors()) {
      run.nodeErrors++;
      run.violation(`node logged an error: ${e.raw.slice(0, 300)}`);
    }
  };
  for (let k = 1; k <= o.kills; k++) {
    const readers = startLiveReaders(run, node, tokens);
    // Every fifth kill comes later (up to 4 × --max-delay), so that the CLI's live query and the counts get going too.
    const longer = k % 5 === 0 ? rand() * 3 * o.maxDelay : 0;
    await sleep(o.minDelay + rand() * (o.maxDelay - o.minDelay) + longer);
    await node.kill9();
    for (const r of readers) r.close();
    await Promise.all(readers.map((r) => r.ended));
    noteErrors(node);
    if (k % 10 === 0 || k === o.kills)
      process.stderr.write(
        `kill ${k}/${o.kills}: ${[...run.acked.values()].reduce((a, b) => a + b)} events acknowledged\n`,
      );
    node = await NodeProcess.start(spec);
  }
  // Stop the clients while the node runs, so their last batches get an answer, then crash it once more.
  run.stopping = true;
  await Promise.all(workers);
  await node.kill9();
  noteErrors(node);
  node = await NodeProcess.start(spec);
  const result = await verify(run, base, tokens);
  const exit = await node.stop();
  noteErrors(node);
  if (exit !== 0) run.violation(`the clean stop exited with ${exit}`);
  const seconds = (performance.now() - started) / 1000;

  const batches = run.clients.flatMap((c) => c.batches);
  const count = (outcome: Outcome) => batches.filter((b) => b.outcome === outcome);
  const sum = (bs: Batch[]) => bs.reduce((a, b) => a + b.size, 0);
  const rows: [string, number | string][] = [
    ['kills (kill -9)', `${o.kills} under load, 1 after the clients stopped`],
    ['batches acknowledged', `${count('acked').length} (${sum(count('acked'))} events)`],
    [
      'batches unknown',
      `${count('unknown').length} (whole ${result.whole}, absent ${result.absent}, partial ${result.partial})`,
    ],
    ['batches rejected', count('rejected').length],
    ['batches never sent', count('unsent').length],
    ['events checked', result.events],
    ['missing (acknowledged)', result.missing],
    ['duplicates', result.duplicates],
    ['phantoms (never sent)', result.phantoms],
    ['live events seen', `${run.liveEvents} (not durable: ${result.notDurable})`],
    ['one-shot counts', `${run.queries} (${run.queryFailures} cut off by kills)`],
    ['request timeouts', run.timeouts],
    ['node errors logged', run.nodeErrors],
    ['clean stop exit code', String(exit)],
  ];
  process.stdout.write(
    `torture: ${o.kills} kills in ${seconds.toFixed(1)} s, ${o.clients} clients, seed ${o.seed}\n` +
      rows.map(([k, v]) => `  ${k.padEnd(24)} ${v}`).join('\n') +
      '\n',
  );
  const ok = run.violations.length === 0;
  process.stdout.write(ok ? 'PASS\n' : `FAIL: ${run.violations.length} violations (first ones above)\n`);
  if (ok && !o.keep) rmSync(dir, { recursive: true, force: true });
  else process.stdout.write(`work directory (database, node.log): ${dir}\n`);
  return ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`torture: ${e.stack ?? e.message}\n`);
    process.exit(2);
  },
);
