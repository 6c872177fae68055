/**
 * `npm run soak [-- --minutes N]`: one node under mixed load for N minutes:
 *
 * - ingest: Zeek conn.log lines (test/data/zeek/conn.log replayed with
 *   shifted times, `conn-replay.ts`) at a steady rate through the import API;
 * - live subscribers: all conn events and the DNS ones (HTTP), syslog events
 *   (the CLI's `vast export --continuous`);
 * - one-shot queries in turn: a count, an export with a pipeline (CLI), a
 *   cursor paged through `query/new` + `next`, `vast count`;
 * - sources spawned and killed in turn: a syslog TCP listener fed by this
 *   script, and a file source following a file this script appends to.
 *
 * The node's resident set size (VmRSS) and open descriptors are sampled every
 * minute (every 10 s in runs under 10 minutes). Verdict, exit 1 on failure:
 *
 * - RSS is flat: the largest sample of the second half is at most the sample
 *   at the half-way point plus max(15 %, 32 MB) (the allowance absorbs the
 *   garbage collector's sawtooth and the growing catalog);
 * - every count (live, one-shot, final) equals what was sent;
 * - the node logged no errors and stops cleanly.
 *
 * The curve and the counts go to bench/results/soak-<time>.json and .csv.
 */

import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ConnReplay } from './conn-replay.js';
import { ROOT } from './context.js';
import { numberFlag } from './flags.js';
import {
  exportUrl,
  HttpFailure,
  httpRequest,
  type LineStream,
  liveCli,
  liveHttp,
  runVast,
} from './node-client.js';
import {
  expectJson,
  freePort,
  killSource,
  listSources,
  NodeProcess,
  nodeLogFile,
  nodeStatus,
  spawnSource,
  writeNodeConfig,
} from './node-process.js';

const USAGE = `usage: npm run soak -- [flags]

  --minutes N          how long the load runs (default 30)
  --rate N             Zeek conn events per second (default 500)
  --sample-seconds N   RSS sampling interval (default 60; 10 for runs under 10 minutes)
  --query-seconds N    time between one-shot queries (default 10)
  --source-seconds N   time between source spawn/kill cycles (default 30; 15 under 10 minutes)
  --keep               keep the work directory (database, node log)
  --results-dir DIR    where the curve goes (default bench/results)
`;

/** The allowance for RSS growth in the second half: the larger of the two. */
const RSS_GROWTH_FRACTION = 0.15;
const RSS_GROWTH_BYTES = 32 * 1024 * 1024;
/** Live subscribers catch up within this long after the load stops. */
const SETTLE_MS = 30_000;
/** DNS: the subset one live subscriber and some queries select. */
const DNS_PORT = 53;
const CONN = '#schema == "zeek.conn"';
const DNS = `${CONN} && id.resp_p == ${DNS_PORT}`;
const SYSLOG = '#schema == "syslog.rfc5424"';
const FILE_EVENTS = 'soak_file >= 0';
const SYSLOG_MESSAGES = 500;
const FILE_CHUNKS = 4;
const FILE_LINES_PER_CHUNK = 100;

interface Options {
  minutes: number;
  rate: number;
  sampleSeconds: number;
  querySeconds: number;
  sourceSeconds: number;
  keep: boolean;
  resultsDir: string;
}

interface Sample {
  seconds: number;
  rssBytes: number;
  openFds: number;
  ingested: number;
}

/** Counts kept by the load generators, compared with the node's at the end. */
class Soak {
  readonly violations: string[] = [];
  readonly samples: Sample[] = [];
  conn = { sent: 0, acked: 0, dns: 0 };
  syslogSent = 0;
  fileSent = 0;
  sourceCycles = 0;
  queries = 0;
  readonly live = { conn: 0, dns: 0, syslog: 0 };
  stopping = false;

  constructor(
    readonly node: NodeProcess,
    readonly token: string,
    readonly workDir: string,
  ) {}

  violation(message: string): void {
    this.violations.push(message);
    process.stderr.write(`violation: ${message}\n`);
  }

  get base(): string {
    return `http://${this.node.endpoint}`;
  }

  get total(): number {
    return this.conn.acked + this.syslogSent + this.fileSent;
  }
}

/** Sends conn.log lines at `rate` per second, in requests of a quarter second each. */
async function ingest(s: Soak, rate: number): Promise<void> {
  const replay = new ConnReplay(join(ROOT, 'test', 'data', 'zeek', 'conn.log'));
  const start = performance.now();
  while (!s.stopping) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate) - s.conn.sent;
    const n = Math.min(due, rate);
    if (n > 0) {
      const { text, withPort } = replay.next(n, DNS_PORT);
      s.conn.sent += n;
      try {
        const a = await httpRequest(`${s.base}/api/v0/import?format=zeek`, {
          method: 'POST',
          token: s.token,
          body: replay.header + text,
          contentType: 'text/plain',
        });
        const r = expectJson<{ events: number; errors: number }>(a, 'import');
        if (r.events !== n || r.errors !== 0)
          s.violation(`import of ${n} conn events: ${r.events} acknowledged, ${r.errors} errors`);
        s.conn.acked += r.events;
        if (r.events === n) s.conn.dns += withPort;
      } catch (e) {
        s.violation(`import of ${n} conn events failed: ${(e as Error).message}`);
      }
    }
    await sleep(250);
  }
}

/** The single number a `... | summarize n=count()` export answers (0 for no events). */
async function countOf(s: Soak, expression: string): Promise<number> {
  const a = await httpRequest(exportUrl(s.base, `${expression} | summarize n=count()`), {
    token: s.token,
    timeoutMs: 300_000,
  });
  if (a.status !== 200) throw new Error(`count of ${expression}: HTTP ${a.status}: ${a.body.toString()}`);
  const line = a.body.toString().trim();
  return line === '' ? 0 : (JSON.parse(line) as { n: number }).n;
}

/** Checks a count taken while ingest runs: at least what was acknowledged before, at most what was sent after. */
function bounded(s: Soak, what: string, n: number, floor: number, ceiling: number): void {
  if (n < floor || n > ceiling) s.violation(`${what}: ${n} events, expected ${floor}..${ceiling}`);
}

const ONE_SHOT: ((s: Soak) => Promise<void>)[] = [
  async (s) => {
    const floor = s.conn.acked;
    const n = await countOf(s, CONN);
    bounded(s, 'count of conn events', n, floor, s.conn.sent);
  },
  async (s) => {
    const r = await runVast(
      [
        'export',
        'json',
        '--node',
        `${CONN} | summarize conns=count(), bytes=sum(orig_bytes) by id.orig_h | sort bytes desc | head 5`,
      ],
      s.node.env(s.token),
    );
    if (r.status !== 0)
      s.violation(`vast export with a pipeline exited with ${r.status}: ${r.stderr.trim()}`);
    else if (s.conn.acked > 0 && r.stdout.trim().split('\n').length !== 5)
      s.violation(`vast export ... | head 5 printed ${r.stdout.trim().split('\n').length} lines`);
  },
  async (s) => {
    const q = await httpRequest(`${s.base}/api/v0/query/new`, {
      method: 'POST',
      token: s.token,
      body: JSON.stringify({ expression: `${DNS} | head 250` }),
      contentType: 'application/json',
    });
    const { id } = expectJson<{ id: string }>(q, 'query/new');
    let events = 0;
    for (let pages = 0; ; pages++) {
      const a = await httpRequest(`${s.base}/api/v0/query/${id}/next?n=100`, { token: s.token });
      const page = expectJson<{ events: unknown[]; done: boolean }>(a, 'query/next');
      events += page.events.length;
      if (page.done) break;
      if (pages > 10) {
        s.violation('a cursor over `head 250` did not finish after 10 pages');
        break;
      }
    }
    if (events > 250) s.violation(`a cursor over \`head 250\` returned ${events} events`);
  },
  async (s) => {
    const floor = s.conn.dns;
    const r = await runVast(['count', '--node', DNS], s.node.env(s.token));
    if (r.status !== 0) s.violation(`vast count exited with ${r.status}: ${r.stderr.trim()}`);
    else bounded(s, 'vast count of DNS events', Number(r.stdout.trim()), floor, s.conn.sent);
  },
];

async function queries(s: Soak, every: number): Promise<void> {
  for (let i = 0; !s.stopping; i++) {
    await sleep(every * 1000);
    try {
      await ONE_SHOT[i % ONE_SHOT.length](s);
      s.queries++;
    } catch (e) {
      s.violation(`one-shot query failed: ${(e as Error).message}`);
    }
  }
}

/** Waits until `done()` holds, polling; false after `ms`. */
async function until(done: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) return false;
    await sleep(200);
  }
  return true;
}

/** Waits until a source has ingested `events`, then kills it. */
async function drainAndKill(s: Soak, id: string, events: number): Promise<void> {
  let seen = 0;
  const ok = await until(async () => {
    const src = (await listSources(s.node, s.token)).find((x) => x.id === id);
    seen = src?.events ?? -1;
    if (src?.state === 'failed') throw new Error(`source ${id} failed: ${src.error}`);
    return seen >= events;
  }, 20_000);
  if (!ok || seen !== events) s.violation(`source ${id} ingested ${seen} of ${events} events`);
  await killSource(s.node, s.token, id);
}

/** A syslog listener on a free loopback port, fed RFC 5424 messages over TCP, then killed. */
async function syslogCycle(s: Soak, cycle: number): Promise<void> {
  const port = await freePort();
  const id = await spawnSource(s.node, s.token, 'syslog', ['-l', `tcp://127.0.0.1:${port}`]);
  let text = '';
  for (let i = 0; i < SYSLOG_MESSAGES; i++)
    text += `<34>1 ${new Date().toISOString()} soak app ${process.pid} C${cycle} - message ${i} of cycle ${cycle}\n`;
  await new Promise<void>((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => sock.end(text));
    sock.on('error', reject);
    sock.on('close', () => resolve());
  });
  s.syslogSent += SYSLOG_MESSAGES;
  await drainAndKill(s, id, SYSLOG_MESSAGES);
}

/**
 * A file source following a file this script appends to. The file lives in
 * the work directory's `files/` (the directory a node confined to allowed
 * paths must be told about, see `main`).
 */
async function fileCycle(s: Soak, cycle: number): Promise<void> {
  const path = join(s.workDir, 'files', `tail-${cycle}.json`);
  const chunk = (c: number) =>
    Array.from(
      { length: FILE_LINES_PER_CHUNK },
      (_, i) => `${JSON.stringify({ soak_file: cycle, chunk: c, seq: i, msg: `line ${i} of chunk ${c}` })}\n`,
    ).join('');
  writeFileSync(path, chunk(0));
  const id = await spawnSource(s.node, s.token, 'file', ['-r', path, '-f', 'json']);
  for (let c = 1; c < FILE_CHUNKS; c++) {
    await sleep(300);
    appendFileSync(path, chunk(c));
  }
  s.fileSent += FILE_CHUNKS * FILE_LINES_PER_CHUNK;
  await drainAndKill(s, id, FILE_CHUNKS * FILE_LINES_PER_CHUNK);
}

async function sources(s: Soak, every: number): Promise<void> {
  for (let cycle = 0; !s.stopping; cycle++) {
    try {
      await (cycle % 2 === 0 ? syslogCycle : fileCycle)(s, cycle);
      s.sourceCycles++;
    } catch (e) {
      s.violation(`source cycle ${cycle} failed: ${(e as Error).message}`);
    }
    const next = Date.now() + every * 1000;
    while (!s.stopping && Date.now() < next) await sleep(250);
  }
}

function sample(s: Soak, start: number): void {
  const rss = s.node.rssBytes();
  const fds = s.node.openFds();
  if (rss === undefined || fds === undefined) {
    s.violation('the node is gone');
    return;
  }
  s.samples.push({
    seconds: Math.round((performance.now() - start) / 1000),
    rssBytes: rss,
    openFds: fds,
    ingested: s.total,
  });
}

/** Three live subscribers; each counts what it receives. */
function subscribe(s: Soak): LineStream[] {
  const counter = (key: keyof Soak['live']) => () => {
    s.live[key]++;
  };
  return [
    liveHttp(s.base, s.token, CONN, counter('conn')),
    liveHttp(s.base, s.token, DNS, counter('dns')),
    liveCli(s.node.env(s.token), SYSLOG, counter('syslog')),
  ];
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

/** The RSS verdict: the second half's largest sample against the half-way sample plus the allowance. */
function rssVerdict(samples: readonly Sample[], totalSeconds: number) {
  const half = totalSeconds / 2;
  const mid = samples.find((x) => x.seconds >= half) ?? samples[samples.length - 1];
  const second = samples.filter((x) => x.seconds >= mid.seconds);
  const maxSecond = Math.max(...second.map((x) => x.rssBytes));
  const limit = mid.rssBytes + Math.max(mid.rssBytes * RSS_GROWTH_FRACTION, RSS_GROWTH_BYTES);
  return {
    midSeconds: mid.seconds,
    midBytes: mid.rssBytes,
    maxSecondHalfBytes: maxSecond,
    limitBytes: limit,
    flat: maxSecond <= limit,
  };
}

const positive = (v: string | undefined, flag: string, fallback: number) =>
  numberFlag(v, flag, fallback, USAGE);

function options(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: 'string' },
      rate: { type: 'string' },
      'sample-seconds': { type: 'string' },
      'query-seconds': { type: 'string' },
      'source-seconds': { type: 'string' },
      keep: { type: 'boolean', default: false },
      'results-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const minutes = positive(values.minutes, '--minutes', 30);
  const short = minutes < 10;
  return {
    minutes,
    rate: Math.round(positive(values.rate, '--rate', 500)),
    sampleSeconds: positive(values['sample-seconds'], '--sample-seconds', short ? 10 : 60),
    querySeconds: positive(values['query-seconds'], '--query-seconds', 10),
    sourceSeconds: positive(values['source-seconds'], '--source-seconds', short ? 15 : 30),
    keep: values.keep ?? false,
    resultsDir: resolve(values['results-dir'] ?? join(ROOT, 'bench', 'results')),
  };
}

async function main(argv: string[]): Promise<number> {
  const o = options(argv);
  if (!o) {
    process.stdout.write(USAGE);
    return 0;
  }
  const dir = mkdtempSync(join(tmpdir(), 'vast-soak-'));
  mkdirSync(join(dir, 'files'));
  // Default settings but a shorter flush interval, so that partitions are written (and the catalog grows) all along.
  const configFile = writeNodeConfig(join(dir, 'vast.yaml'), {
    'flush-interval': 5,
    // File sources read only from directories the operator allows.
    'source-paths': [join(dir, 'files')],
  });
  const node = await NodeProcess.start({
    db: join(dir, 'db'),
    port: await freePort(),
    configFile,
    logFile: nodeLogFile(dir),
  });
  if (!node.adminToken) throw new Error('the node printed no admin token on its first start');
  // Spawning sources is the admin's right: the soak works as the admin, in the default tenant.
  const s = new Soak(node, node.adminToken, dir);
  const readers = subscribe(s);
  if (!(await until(async () => (await nodeStatus(node, s.token)).liveQueries === readers.length, 30_000)))
    throw new Error('the live subscribers did not register within 30 s');
  const startedAt = new Date();
  const start = performance.now();
  sample(s, start);
  const sampler = setInterval(() => sample(s, start), o.sampleSeconds * 1000);
  const loops = [ingest(s, o.rate), queries(s, o.querySeconds), sources(s, o.sourceSeconds)];
  const totalSeconds = o.minutes * 60;
  for (let left = totalSeconds; left > 0; left -= 60) {
    await sleep(Math.min(left, 60) * 1000);
    const last = s.samples[s.samples.length - 1];
    process.stderr.write(
      `soak: ${Math.round((performance.now() - start) / 1000)} s, ${s.total} events, RSS ${mb(last.rssBytes)} MB\n`,
    );
  }
  clearInterval(sampler);
  // The last sample at the end, unless the interval just took it.
  if ((performance.now() - start) / 1000 - s.samples[s.samples.length - 1].seconds > 1) sample(s, start);
  s.stopping = true;
  await Promise.all(loops);

  // Live subscribers catch up, then everything is counted once more, exactly.
  const expectedLive = { conn: s.conn.acked, dns: s.conn.dns, syslog: s.syslogSent };
  await until(
    () =>
      (Object.keys(expectedLive) as (keyof typeof expectedLive)[]).every((k) => s.live[k] >= expectedLive[k]),
    SETTLE_MS,
  );
  for (const r of readers) r.close();
  for (const k of Object.keys(expectedLive) as (keyof typeof expectedLive)[])
    if (s.live[k] !== expectedLive[k])
      s.violation(`live subscriber '${k}' received ${s.live[k]} events, expected ${expectedLive[k]}`);
  expectJson(await httpRequest(`${s.base}/api/v0/flush`, { method: 'POST', token: s.token }), 'flush');
  const finals: [string, string, number][] = [
    ['conn events', CONN, s.conn.acked],
    ['DNS conn events', DNS, s.conn.dns],
    ['syslog events', SYSLOG, s.syslogSent],
    ['file source events', FILE_EVENTS, s.fileSent],
  ];
  const counted: Record<string, number> = {};
  for (const [what, expr, expected] of finals) {
    counted[what] = await countOf(s, expr);
    if (counted[what] !== expected)
      s.violation(`${what}: the node counts ${counted[what]}, ${expected} were sent`);
  }
  const status = await nodeStatus(node, s.token);
  if (status.events !== s.total) s.violation(`status: ${status.events} events stored, ${s.total} were sent`);
  if (status.ingested !== s.total)
    s.violation(`status: ${status.ingested} events ingested, ${s.total} were sent`);
  const exit = await node.stop();
  if (exit !== 0) s.violation(`the clean stop exited with ${exit}`);
  for (const e of node.errors()) s.violation(`node logged an error: ${e.raw.slice(0, 300)}`);
  const rss = rssVerdict(s.samples, totalSeconds);
  if (!rss.flat)
    s.violation(
      `RSS grew: ${mb(rss.maxSecondHalfBytes)} MB in the second half, limit ${mb(rss.limitBytes)} MB (${mb(rss.midBytes)} MB at ${rss.midSeconds} s)`,
    );

  const ok = s.violations.length === 0;
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  mkdirSync(o.resultsDir, { recursive: true });
  const jsonFile = join(o.resultsDir, `soak-${stamp}.json`);
  const csvFile = join(o.resultsDir, `soak-${stamp}.csv`);
  writeFileSync(
    jsonFile,
    `${JSON.stringify(
      {
        startedAt,
        options: o,
        samples: s.samples,
        rss,
        sent: { conn: s.conn.acked, dns: s.conn.dns, syslog: s.syslogSent, file: s.fileSent },
        counted,
        live: s.live,
        queries: s.queries,
        sourceCycles: s.sourceCycles,
        nodeWarnings: node.warnings().length,
        violations: s.violations,
        pass: ok,
      },
      null,
      2,
    )}\n`,
  );
  writeFileSync(
    csvFile,
    `seconds,rss_bytes,open_fds,events\n${s.samples.map((x) => `${x.seconds},${x.rssBytes},${x.openFds},${x.ingested}`).join('\n')}\n`,
  );
  const table = [
    '| s | RSS MB | open fds | events |',
    '|---:|---:|---:|---:|',
    ...s.samples.map((x) => `| ${x.seconds} | ${mb(x.rssBytes)} | ${x.openFds} | ${x.ingested} |`),
  ];
  process.stdout.write(
    `soak: ${o.minutes} min, ${o.rate} conn events/s, ${s.queries} one-shot queries, ${s.sourceCycles} source cycles\n` +
      `${table.join('\n')}\n` +
      `RSS: ${mb(rss.midBytes)} MB at ${rss.midSeconds} s, second-half max ${mb(rss.maxSecondHalfBytes)} MB, limit ${mb(rss.limitBytes)} MB: ${rss.flat ? 'flat' : 'GROWING'}\n` +
      `sent/counted: conn ${s.conn.acked}/${counted['conn events']}, dns ${s.conn.dns}/${counted['DNS conn events']}, ` +
      `syslog ${s.syslogSent}/${counted['syslog events']}, file ${s.fileSent}/${counted['file source events']}; ` +
      `live conn ${s.live.conn}, dns ${s.live.dns}, syslog ${s.live.syslog}\n` +
      `node: ${node.errors().length} errors, ${node.warnings().length} warnings logged; clean stop exit code ${exit}\n` +
      `results: ${jsonFile}\n` +
      (ok ? 'PASS\n' : `FAIL: ${s.violations.length} violations (above)\n`),
  );
  if (ok && !o.keep) rmSync(dir, { recursive: true, force: true });
  else process.stdout.write(`work directory (database, node.log): ${dir}\n`);
  return ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(
      `soak: ${e instanceof HttpFailure ? `no answer from the node: ${e.message}` : (e.stack ?? e.message)}\n`,
    );
    process.exit(2);
  },
);
