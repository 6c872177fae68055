/**
 * Intel sets end to end (issue 12) on real logs (M57 Zeek conn/dns/http/ssl,
 * Suricata's example-pcap EVE, all in test/data): sightings counted by vast,
 * live (content loaded before the events) and retro (after), equal what awk
 * and jq count independently, per (indicator, field); every order of content
 * and events gives the same sightings; a node hunts in the background and
 * matches imports live; bad feeds are clear errors.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATA } from '../helpers/datasets.js';
import { tempDb, vast, vastProcess } from './cli.js';
import { type RunningNode, startNode } from './node-helpers.js';

const ZEEK = ['conn.log', 'dns.log', 'http.log', 'ssl.log'].map((f) => join(TEST_DATA, 'zeek', f));
const EVE = join(TEST_DATA, 'suricata', 'example-pcap_eve.json');

const IPS = ['216.240.189.196', '74.125.19.148', '207.46.216.54', '192.30.253.113', '143.204.98.3'];
const NETS = ['198.189.255.0/24', '72.247.178.0/24'];
const DOMAINS = ['microsoft.com', 'google.com', 'mail.m57.biz'];

/** The feed: a CSV with a context column. */
const FEED = [
  'indicator,type,threat',
  ...IPS.map((ip, i) => `${ip},ip,${i % 2 ? 'scanner' : 'c2'}`),
  ...NETS.map((n) => `${n},subnet,botnet`),
  ...DOMAINS.map((d) => `${d},domain,`),
].join('\n');

/**
 * What should be sighted in a Zeek log, by awk: every `addr` (or set/vector of addr) column
 * holding a listed address or one inside a listed /24 (IPv4, by integer arithmetic), and the
 * domain columns (dns query and answers, http host, ssl server_name) equal to a listed domain
 * or ending in `.domain` (case-insensitive). One line per (event, indicator, field).
 */
const AWK = String.raw`
function ip2n(s,   a) { if (split(s, a, ".") != 4) return -1; return ((a[1] * 256 + a[2]) * 256 + a[3]) * 256 + a[4] }
BEGIN {
  ni = split(ips, I, ","); for (i = 1; i <= ni; i++) want[I[i]] = 1
  nn = split(nets, N, ","); for (j = 1; j <= nn; j++) { split(N[j], p, "/"); base[j] = ip2n(p[1]); span[j] = 2 ^ (32 - p[2]) }
  nd = split(domains, D, ",")
  dom["query"] = 1; dom["answers"] = 1; dom["host"] = 1; dom["server_name"] = 1
}
/^#fields/ { for (i = 2; i <= NF; i++) name[i - 1] = $i; next }
/^#types/ { for (i = 2; i <= NF; i++) typ[i - 1] = $i; next }
/^#/ { next }
{
  for (i = 1; i <= NF; i++) {
    if ($i == "-" || $i == "(empty)") continue
    k = split($i, vals, ","); delete seen
    for (v = 1; v <= k; v++) {
      x = vals[v]
      if (typ[i] ~ /addr/) {
        if ((x in want) && !(x in seen)) { print x "\t" name[i]; seen[x] = 1 }
        y = ip2n(x)
        for (j = 1; j <= nn; j++)
          if (y >= 0 && int(y / span[j]) == int(base[j] / span[j]) && !(N[j] in seen)) { print N[j] "\t" name[i]; seen[N[j]] = 1 }
      } else if (name[i] in dom) {
        lx = tolower(x)
        for (d = 1; d <= nd; d++) {
          suffix = "." D[d]
          if ((lx == D[d] || substr(lx, length(lx) - length(suffix) + 1) == suffix) && !(D[d] in seen)) { print D[d] "\t" name[i]; seen[D[d]] = 1 }
        }
      }
    }
  }
}`;

/** jq: the EVE events' src_ip/dest_ip equal to a listed address or inside a listed /24. */
const JQ = String.raw`
  def n: split(".") | map(tonumber) | ((.[0] * 256 + .[1]) * 256 + .[2]) * 256 + .[3];
  ($ips | split(",")) as $ips | ($nets | split(",")) as $nets
  | . as $e | ["src_ip", "dest_ip"][] as $f | ($e[$f] // empty) as $v
  | ($ips[] | select(. == $v) | "\(.)\t\($f)"),
    ($nets[] | . as $net | split("/") as [$b, $l] | pow(2; 32 - ($l | tonumber)) as $s
      | select(($v | test("^[0-9.]+$")) and (($v | n) / $s | floor) == (($b | n) / $s | floor)) | "\($net)\t\($f)")`;

function expected(): Map<string, number> {
  const lines: string[] = [];
  for (const f of ZEEK)
    lines.push(
      ...execFileSync(
        'awk',
        ['-F', '\t', '-v', `ips=${IPS}`, '-v', `nets=${NETS}`, '-v', `domains=${DOMAINS}`, AWK, f],
        { encoding: 'utf8' },
      )
        .split('\n')
        .filter(Boolean),
    );
  lines.push(
    ...execFileSync('jq', ['-r', '--arg', 'ips', `${IPS}`, '--arg', 'nets', `${NETS}`, JQ, EVE], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean),
  );
  return tally(lines);
}

const tally = (keys: readonly string[]) => {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return new Map([...m].sort(([a], [b]) => a.localeCompare(b)));
};

interface Sighting {
  time: string;
  indicator: string;
  indicator_type: string;
  field: string;
  value: string;
  mode: string;
  schema: string;
  set: string;
  uid: string | null;
  flow_id: number | string | null;
  event_time: string | null;
  ref: string;
  revision: number;
  'context.threat'?: string | null;
}

/** `indicator<TAB>field path`, as the oracles print them. */
const keyOf = (s: Sighting) => `${s.indicator}\t${s.field}`;

function sightings(db: string, env: Record<string, string> = {}): Sighting[] {
  const r = vast(['-d', db, 'sightings'], { env });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Sighting);
}

/** What identifies a sighting across databases (the refs name each database's own partitions). */
const identity = (s: Sighting) =>
  [s.set, s.indicator, s.field, s.value, s.schema, s.uid, s.flow_id, s.event_time].join('|');

function importAll(db: string, env: Record<string, string> = {}, files = [...ZEEK, EVE]) {
  for (const f of files) {
    const r = vast(['-d', db, 'import', f.endsWith('.json') ? 'suricata' : 'zeek', '-r', f], { env });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  }
}

function addFeed(db: string, dir: string, env: Record<string, string> = {}, extra: string[] = []) {
  const feed = join(dir, 'feed.csv');
  writeFileSync(feed, FEED);
  const r = vast(['-d', db, 'intel', 'add', 'iocs', '-r', feed, '--subdomains', ...extra], { env });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

describe('intel: live and retro sightings equal awk and jq', () => {
  const oracle = expected();

  it('the oracle finds something of every kind', () => {
    for (const i of [...IPS, ...NETS, ...DOMAINS])
      expect(
        [...oracle.keys()].some((k) => k.startsWith(`${i}\t`)),
        i,
      ).toBe(true);
  });

  it('live: content first, then the imports', () => {
    const t = tempDb();
    try {
      addFeed(t.db, t.dir);
      importAll(t.db);
      const s = sightings(t.db);
      expect(new Set(s.map((x) => x.mode))).toEqual(new Set(['live']));
      expect(tally(s.map(keyOf))).toEqual(oracle);
      // Context columns of the feed, and a reference to the stored event.
      const c2 = s.find((x) => x.indicator === IPS[0])!;
      expect(c2['context.threat']).toBe('c2');
      expect(c2.ref).toMatch(/^[0-9a-f-]{36}:\d+$/);
      expect(c2.uid).toMatch(/^\w+$/);
    } finally {
      t.cleanup();
    }
  });

  it('retro: the imports, then the content (the hunt runs before intel add returns)', () => {
    const t = tempDb();
    try {
      importAll(t.db);
      const out = addFeed(t.db, t.dir);
      const total = [...oracle.values()].reduce((a, b) => a + b, 0);
      expect(out).toContain(`retro hunt: ${total} sightings`);
      const s = sightings(t.db);
      expect(new Set(s.map((x) => x.mode))).toEqual(new Set(['retro']));
      expect(tally(s.map(keyOf))).toEqual(oracle);
      // The ref finds the event: row ROW of partition ID is the sighted event.
      const one = s.find((x) => x.schema === 'zeek.conn')!;
      const [, row] = one.ref.split(':');
      expect(Number(row)).toBeGreaterThanOrEqual(0);
    } finally {
      t.cleanup();
    }
  });

  it('every order of content and events gives the same sightings, and an update hunts only what is new', () => {
    const runs: string[][] = [];
    const orders: ((db: string, dir: string) => void)[] = [
      (db, dir) => {
        addFeed(db, dir);
        importAll(db);
      },
      (db, dir) => {
        importAll(db);
        addFeed(db, dir);
      },
      (db, dir) => {
        importAll(db, {}, [ZEEK[0], EVE]);
        addFeed(db, dir);
        importAll(db, {}, ZEEK.slice(1));
      },
      (db, dir) => {
        // A first revision without the domains, then the whole feed: revision 2 hunts the domains alone.
        const partial = join(dir, 'partial.csv');
        writeFileSync(
          partial,
          FEED.split('\n')
            .slice(0, 1 + IPS.length + NETS.length)
            .join('\n'),
        );
        expect(vast(['-d', db, 'intel', 'add', 'iocs', '-r', partial, '--subdomains']).status).toBe(0);
        importAll(db, {}, ZEEK.slice(0, 2));
        const out = addFeed(db, dir);
        expect(out).toContain(`revision 2: ${FEED.split('\n').length - 1} indicators`);
        expect(out).toContain(`${DOMAINS.length} new, 0 removed`);
        importAll(db, {}, [...ZEEK.slice(2), EVE]);
      },
    ];
    for (const order of orders) {
      const t = tempDb();
      try {
        order(t.db, t.dir);
        runs.push(sightings(t.db).map(identity).sort());
      } finally {
        t.cleanup();
      }
    }
    expect(runs[0].length).toBe([...oracle.values()].reduce((a, b) => a + b, 0));
    for (const r of runs.slice(1)) expect(r).toEqual(runs[0]);
  });

  it('remove: the set stops matching; list and show describe it', () => {
    const t = tempDb();
    try {
      addFeed(t.db, t.dir);
      const list = vast(['-d', t.db, 'intel', 'list', '--json']);
      const [set] = JSON.parse(list.stdout) as {
        name: string;
        indicators: number;
        types: Record<string, number>;
      }[];
      expect(set).toMatchObject({ name: 'iocs', indicators: 10, types: { ip: 5, subnet: 2, domain: 3 } });
      const show = vast(['-d', t.db, 'intel', 'show', 'iocs']);
      expect(show.stdout).toMatch(/memory: [\d.]+ MiB/);
      expect(vast(['-d', t.db, 'intel', 'remove', 'iocs']).stdout).toBe('removed iocs\n');
      importAll(t.db, {}, [ZEEK[0]]);
      expect(sightings(t.db)).toEqual([]);
      const again = vast(['-d', t.db, 'intel', 'remove', 'iocs']);
      expect(again.status).toBe(1);
      expect(again.stderr).toContain("no intel set 'iocs'");
    } finally {
      t.cleanup();
    }
  });

  it('bad feeds: a malformed document is an error with its line and column; bad indicators are skipped and named', () => {
    const t = tempDb();
    try {
      const broken = join(t.dir, 'broken.json');
      writeFileSync(broken, '{"type": "bundle", "objects": [\n  {"type": "indicator",\n');
      const r = vast(['-d', t.db, 'intel', 'add', 'x', '-r', broken, '-f', 'stix']);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/broken\.json:\d+:\d+/);
      const list = join(t.dir, 'list.txt');
      writeFileSync(list, '# a comment\n10.1.2.3\nnot an indicator!\n192.168.1.1\n');
      const ok = vast(['-d', t.db, 'intel', 'add', 'x', '-r', list]);
      expect(ok.status).toBe(0);
      expect(ok.stderr).toMatch(/list\.txt:3(:\d+)?: .*not an indicator!/);
      expect(ok.stdout).toContain('2 indicators (2 ip)');
      const name = vast(['-d', t.db, 'intel', 'add', '../evil', '-r', list]);
      expect(name.status).toBe(1);
      expect(name.stderr).toContain('invalid intel set name');
    } finally {
      t.cleanup();
    }
  });
});

describe('intel on a node', () => {
  let t: ReturnType<typeof tempDb>;
  let node: RunningNode;
  const oracle = expected();

  beforeAll(async () => {
    t = tempDb();
    node = await startNode(t.db);
  });
  afterAll(async () => {
    await node?.stop();
    t?.cleanup();
  });

  const status = () =>
    JSON.parse(vast(['status', '--json'], { env: node.env() }).stdout) as {
      intel: { sets: number; hunts: unknown[] };
    };

  it('hunts in the background, then matches imports live; the sightings equal the oracle', async () => {
    importAll(t.db, node.env(), ZEEK.slice(0, 2));
    expect(vast(['flush'], { env: node.env() }).status).toBe(0);
    const out = addFeed(t.db, t.dir, node.env());
    expect(out).toMatch(/retro hunt iocs-1 started over \d+ partitions/);
    const deadline = Date.now() + 30_000;
    while (status().intel.hunts.length > 0 && Date.now() < deadline) await sleep(50);
    expect(status().intel).toMatchObject({ sets: 1, hunts: [] });
    importAll(t.db, node.env(), [...ZEEK.slice(2), EVE]);
    const s = sightings(t.db, node.env());
    expect(tally(s.map(keyOf))).toEqual(oracle);
    const modes = tally(s.map((x) => `${x.mode}\t${x.schema}`));
    expect(modes.get('retro\tzeek.conn')).toBeGreaterThan(0);
    expect(modes.get('live\tsuricata.alert')).toBeGreaterThan(0);
  });

  it('a webhook action gets each live sighting within a second of the import, and sightings --follow prints it', async () => {
    const received: { at: number; body: Sighting }[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        received.push({ at: Date.now(), body: JSON.parse(body) as Sighting });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const follow = vastProcess(['sightings', '--follow', '--set', 'hooked'], node.env());
    let followed = '';
    follow.stdout!.on('data', (d: Buffer) => {
      followed += d.toString();
    });
    try {
      const feed = join(t.dir, 'hooked.txt');
      writeFileSync(feed, '143.204.98.3\n');
      const add = vast(
        ['intel', 'add', 'hooked', '-r', feed, '--action', `webhook=http://127.0.0.1:${port}/hook`],
        {
          env: node.env(),
        },
      );
      expect(add.stderr).toBe('');
      await sleep(500);
      const before = Date.now();
      importAll(t.db, node.env(), [EVE]);
      const want = (oracle.get('143.204.98.3\tsrc_ip') ?? 0) + (oracle.get('143.204.98.3\tdest_ip') ?? 0);
      expect(want).toBeGreaterThan(0);
      const deadline = Date.now() + 10_000;
      while (received.filter((r) => r.body.mode === 'live').length < want && Date.now() < deadline)
        await sleep(20);
      const live = received.filter((r) => r.body.mode === 'live');
      expect(live.length).toBe(want);
      expect(live[0].body).toMatchObject({ set: 'hooked', indicator: '143.204.98.3', kind: 'sighting' });
      const latency = Math.min(...live.map((r) => r.at)) - before;
      // The node stamps a sighting when it matches the batch: from there to the webhook is the action's own delay.
      const delivery = Math.max(...live.map((r) => r.at - Date.parse(r.body.time)));
      process.stderr.write(
        `ingest to webhook: ${latency} ms (first live sighting, import process start included); match to webhook: ≤ ${delivery} ms\n`,
      );
      expect(delivery).toBeLessThan(1000);
      while (followed.split('\n').filter(Boolean).length < want && Date.now() < deadline) await sleep(20);
      const lines = followed
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Sighting);
      expect(lines.filter((l) => l.mode === 'live').length).toBe(want);
    } finally {
      follow.kill('SIGINT');
      server.close();
    }
  });

  it('the API: actions need the admin token, a tenant sees only its sets, bad input is a 400', async () => {
    const tok = vast(['token', 'create', '--tenant', 'acme', '--role', 'write'], { env: node.env() });
    const tenant = tok.stdout.trim();
    const post = (path: string, body: string, token = tenant) =>
      fetch(node.url(path), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
        body,
      });
    expect((await post('/api/v0/intel/t1?action=exec%3Did', '10.0.0.1\n')).status).toBe(403);
    const bad = await post('/api/v0/intel/t1?format=stix', '{"type": "bundle", "objects": [');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/:1:\d+/);
    expect((await post('/api/v0/intel/t1', '10.0.0.1\n', 'wrong-token')).status).toBe(401);
    expect((await post('/api/v0/intel/t1?type=bogus', '10.0.0.1\n')).status).toBe(400);
    const ok = await post('/api/v0/intel/t1', '10.0.0.1\n');
    expect(ok.status).toBe(200);
    const mine = (await (
      await fetch(node.url('/api/v0/intel'), { headers: { authorization: `Bearer ${tenant}` } })
    ).json()) as { sets: { name: string }[] };
    expect(mine.sets.map((s) => s.name)).toEqual(['t1']);
    const gone = await fetch(node.url('/api/v0/intel/nope'), {
      method: 'DELETE',
      headers: { authorization: `Bearer ${tenant}` },
    });
    expect(gone.status).toBe(404);
  });
});
