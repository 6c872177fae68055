/**
 * Intel sets end to end (issue 12) on real logs (M57 Zeek conn/dns/http/ssl,
 * Suricata's example-pcap EVE, all in test/data): sightings counted by vast,
 * live (content loaded before the events) and retro (after), equal what awk
 * and jq count independently, per (indicator, field); every order of content
 * and events gives the same sightings; a node hunts in the background and
 * matches imports live; bad feeds are clear errors.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATA } from '../helpers/datasets.js';
import { tempDb, vast, vastProcess } from './cli.js';
import {
  addFeed as addIocs,
  type Content,
  expected as expectedOf,
  feedCsv,
  identity,
  importFiles,
  keyOf,
  type Sighting,
  sightings,
  tally,
  totalOf,
} from './intel-oracle.js';
import { type RunningNode, startNode } from './node-helpers.js';

const ZEEK = ['conn.log', 'dns.log', 'http.log', 'ssl.log'].map((f) => join(TEST_DATA, 'zeek', f));
const EVE = join(TEST_DATA, 'suricata', 'example-pcap_eve.json');

const CONTENT: Content = {
  ips: ['216.240.189.196', '74.125.19.148', '207.46.216.54', '192.30.253.113', '143.204.98.3'],
  nets: ['198.189.255.0/24', '72.247.178.0/24'],
  domains: ['microsoft.com', 'google.com', 'mail.m57.biz'],
};
const { ips: IPS, domains: DOMAINS } = CONTENT;
const FEED = feedCsv(CONTENT);
const FILES = { zeek: ZEEK, eve: [EVE] };
const expected = () => expectedOf(FILES, CONTENT);
const importAll = (db: string, env: Record<string, string> = {}, files = [...ZEEK, EVE]) =>
  importFiles(db, files, env);
const addFeed = (db: string, dir: string, env: Record<string, string> = {}) => addIocs(db, dir, CONTENT, env);

describe('intel: live and retro sightings equal awk and jq', () => {
  const oracle = expected();

  it('the oracle finds something of every kind', () => {
    for (const i of [...IPS, ...CONTENT.nets, ...DOMAINS])
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
      const total = totalOf(oracle);
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

  it('a hunt opens only the partitions whose synopses do not rule out every address, with the same sightings', () => {
    const t = tempDb();
    try {
      importAll(t.db);
      const ipsOnly: Content = { ips: CONTENT.ips, nets: CONTENT.nets, domains: [] };
      const out = addIocs(t.db, t.dir, ipsOnly);
      const skipped = Number(/\((\d+) partitions? (and \d+ row groups? )?ruled out/.exec(out)?.[1] ?? 0);
      const partitions = Number(/sightings in (\d+) partition/.exec(out)![1]);
      expect(skipped).toBeGreaterThan(0);
      expect(skipped).toBeLessThan(partitions);
      const want = expectedOf(FILES, ipsOnly);
      expect(tally(sightings(t.db).map(keyOf))).toEqual(want);
      // Addresses in no partition: every partition is ruled out, none is read.
      const absent = addIocs(
        t.db,
        t.dir,
        { ips: ['203.0.113.77', '2001:db8::77'], nets: [], domains: [] },
        {},
        'absent',
      );
      expect(absent).toContain(
        `retro hunt: 0 sightings in ${partitions} partitions (${partitions} partitions ruled out`,
      );
    } finally {
      t.cleanup();
    }
  });

  it('a hunt reads only the row groups whose synopses do not rule out every address', () => {
    const t = tempDb();
    try {
      // conn.log over and over (several 64Ki-row groups in one partition), the last copy with 192.168.1.103 renamed.
      const conn = readFileSync(ZEEK[0], 'utf8').split('\n');
      const body = conn.filter((l) => l !== '' && !l.startsWith('#')).join('\n');
      const header = conn.filter((l) => l.startsWith('#') && !l.startsWith('#close')).join('\n');
      const copies = 2 * Math.ceil(65536 / 8462);
      const renamed = body.replaceAll('192.168.1.103\t', '203.0.113.99\t');
      const file = join(t.dir, 'conn-copies.log');
      writeFileSync(file, [header, ...Array<string>(copies).fill(body), renamed, ''].join('\n'));
      importFiles(t.db, [file]);
      const content: Content = { ips: ['203.0.113.99'], nets: [], domains: [] };
      const want = expectedOf({ zeek: [file], eve: [] }, content);
      expect(totalOf(want)).toBeGreaterThan(0);
      const out = addIocs(t.db, t.dir, content);
      expect(out).toMatch(
        /retro hunt: \d+ sightings in 1 partition \(\d+ row groups? ruled out by their synopses/,
      );
      expect(tally(sightings(t.db).map(keyOf))).toEqual(want);
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
            .slice(0, 1 + IPS.length + CONTENT.nets.length)
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
    expect(runs[0].length).toBe(totalOf(oracle));
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
      // MISP: attributes with to_ids false are context, not detection content, unless asked for.
      const misp = join(TEST_DATA, 'intel', 'misp-event.json');
      const ids = vast(['-d', t.db, 'intel', 'add', 'm', '-r', misp, '--json']);
      expect(ids.stderr).toContain(
        "misp-event.json:96:7: MISP attribute 'ip-dst': '198.51.100.300' is not a valid ip",
      );
      expect(JSON.parse(ids.stdout).set.indicators).toBe(7);
      const all = vast(['-d', t.db, 'intel', 'add', 'm', '-r', misp, '--include-non-ids', '--json']);
      expect(JSON.parse(all.stdout)).toMatchObject({
        set: { indicators: 8, revision: 2 },
        added: 1,
        removed: 0,
      });
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
