/**
 * Sigma rules as content (issue 13), end to end on real logs (M57 Zeek conn
 * and http, test/data): alerts raised live (rules loaded before the events)
 * and retro (after, by the hunt `vast rule add` runs) equal what awk finds
 * independently, for detection rules and for a correlation whose windows
 * cross partition boundaries; suppression counts what it holds back; a node
 * hunts in the background and matches imports live; bad rules and bad
 * requests are clear errors.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATA } from '../helpers/datasets.js';
import { tempDb, vast, vastProcess } from './cli.js';
import { type RunningNode, startNode } from './node-helpers.js';

const CONN = join(TEST_DATA, 'zeek', 'conn.log');
const HTTP = join(TEST_DATA, 'zeek', 'http.log');

/** Connections to port 80 that were never answered or refused. */
const UNANSWERED = `title: Unanswered web connections
id: 6b1c7d4e-0000-4000-8000-000000000001
status: test
level: medium
tags: [attack.discovery, attack.t1046]
logsource: {product: zeek, service: conn}
detection:
  selection:
    id.resp_p: 80
    conn_state: [S0, REJ]
  condition: selection
fields: [id.orig_h, id.resp_h]
`;

/** HTTP requests to a host under espn.go.com (case-insensitive: the rule says ESPN). */
const ESPN = `title: ESPN traffic
id: 6b1c7d4e-0000-4000-8000-000000000002
level: low
logsource: {product: zeek, service: http}
detection:
  selection:
    host|endswith: .ESPN.go.com
  condition: selection
fields: [host, uri]
`;

/** A correlation: 30 or more TCP connections from one host in a minute (and the rule it counts, silent). */
const BURST = `title: TCP connections
id: 6b1c7d4e-0000-4000-8000-000000000003
name: tcp_connections
level: informational
logsource: {product: zeek, service: conn}
detection:
  selection:
    proto: tcp
  condition: selection
---
title: Connection burst
id: 6b1c7d4e-0000-4000-8000-000000000004
level: high
correlation:
  type: event_count
  rules: [tcp_connections]
  group-by: [id.orig_h]
  timespan: 1m
  condition: {gte: 30}
`;

interface AlertRow {
  rule: string;
  mode: string;
  level: string;
  uid: string | null;
  ref: string | null;
  /** The key fields, flattened as the JSON writer prints records (`fields.id.orig_h`). */
  [field: `fields.${string}`]: string | null;
  /** An action's JSON (`kind: "alert"`) has them as an object. */
  fields?: Record<string, unknown>;
  kind?: string;
  count: number;
  suppressed: number;
  window_start: string | null;
  tags: string[];
}

/** Data rows of a Zeek log, by field name (an awk-free split is the same as awk's: TSV, no quoting). */
function awk(file: string, program: string): string[] {
  const r = spawnSync('awk', ['-F', '\t', program, file], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '');
}

const ORACLE = {
  /** uids of port-80 connections in state S0 or REJ. */
  unanswered: () => awk(CONN, '!/^#/ && $6 == 80 && ($12 == "S0" || $12 == "REJ") {print $2}').sort(),
  espn: () => awk(HTTP, '!/^#/ && tolower($9) ~ /\\.espn\\.go\\.com$/ {print $2}').sort(),
  /** (orig_h, minute) cells with 30 or more TCP connections: minute as the window start in seconds. */
  burst: () =>
    awk(
      CONN,
      '!/^#/ && $7 == "tcp" {c[$3 "|" int($1 / 60) * 60]++} END {for (k in c) if (c[k] >= 30) print k "|" c[k]}',
    ).sort(),
};

function alerts(db: string, args: string[] = [], env: Record<string, string> = {}): AlertRow[] {
  const r = vast(['-d', db, 'alerts', ...args], { env });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as AlertRow);
}

const ofRule = (all: AlertRow[], id: string) => all.filter((a) => a.rule === id);
const uids = (all: AlertRow[]) => all.map((a) => a.uid ?? '').sort();
const cells = (all: AlertRow[]) =>
  all.map((a) => `${a['fields.id.orig_h']}|${Date.parse(a.window_start!) / 1000}|${a.count}`).sort();

function writeRules(dir: string): string {
  const rules = join(dir, 'rules');
  mkdirSync(join(rules, 'web'), { recursive: true });
  writeFileSync(join(rules, 'unanswered.yml'), UNANSWERED);
  writeFileSync(join(rules, 'web', 'espn.yaml'), ESPN);
  writeFileSync(join(rules, 'burst.yml'), BURST);
  writeFileSync(join(rules, 'README.txt'), 'not a rule: not loaded');
  return rules;
}

/**
 * conn.log and http.log into `db`; with `partitions`, conn.log in partitions of
 * 1,000 events (batches of 500: a partition is cut after a batch), so that
 * correlation windows cross partition boundaries.
 */
function importLogs(db: string, partitions = false) {
  const small = partitions ? ['--max-partition-size', '1000'] : [];
  const batches = partitions ? ['--batch-size', '500'] : [];
  for (const f of [CONN, HTTP]) {
    const r = vast(['-d', db, ...small, 'import', 'zeek', ...batches, '-r', f]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  }
}

function addRules(db: string, paths: string[], extra: string[] = [], env: Record<string, string> = {}) {
  const r = vast(['-d', db, 'rule', 'add', ...paths, ...extra], { env });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

/** What identifies an alert across databases and modes. */
const identity = (a: AlertRow) =>
  [
    a.rule,
    a.uid,
    a.window_start,
    a.count,
    Object.entries(a)
      .filter(([k]) => k.startsWith('fields.'))
      .join(','),
  ].join('|');

describe('rules: live and retro alerts equal awk', () => {
  const oracle = { unanswered: ORACLE.unanswered(), espn: ORACLE.espn(), burst: ORACLE.burst() };

  it('the oracle finds something for every rule', () => {
    expect(oracle.unanswered.length).toBe(170);
    expect(oracle.espn.length).toBe(4);
    expect(oracle.burst.length).toBeGreaterThan(10);
  });

  let retro: AlertRow[] = [];
  it('retro: the imports, then the rules (a directory, recursively; the hunt runs before rule add returns)', () => {
    const t = tempDb();
    try {
      importLogs(t.db, true);
      const out = addRules(t.db, [writeRules(t.dir)]);
      expect(out).toMatch(/^4 rules new or changed/);
      expect(out).toContain(
        `retro hunt: ${oracle.unanswered.length + oracle.espn.length + oracle.burst.length} alerts`,
      );
      // conn.log in partitions of 1,000 events (and http.log in one): windows cross partition boundaries.
      expect(Number(/alerts in (\d+) partitions/.exec(out)?.[1])).toBe(10);
      retro = alerts(t.db);
      expect(new Set(retro.map((a) => a.mode))).toEqual(new Set(['retro']));
      const unanswered = ofRule(retro, '6b1c7d4e-0000-4000-8000-000000000001');
      expect(uids(unanswered)).toEqual(oracle.unanswered);
      expect(unanswered[0]).toMatchObject({
        level: 'medium',
        tags: ['attack.discovery', 'attack.t1046'],
        count: 1,
      });
      expect(Object.keys(unanswered[0]).filter((k) => k.startsWith('fields.'))).toEqual([
        'fields.id.orig_h',
        'fields.id.resp_h',
      ]);
      expect(unanswered[0].ref).toMatch(/^[0-9a-f-]{36}:\d+$/);
      expect(uids(ofRule(retro, '6b1c7d4e-0000-4000-8000-000000000002'))).toEqual(oracle.espn);
      // The correlation's windows span partitions of 1,000 events; its base rule raises nothing of its own.
      expect(cells(ofRule(retro, '6b1c7d4e-0000-4000-8000-000000000004'))).toEqual(oracle.burst);
      expect(ofRule(retro, '6b1c7d4e-0000-4000-8000-000000000003')).toEqual([]);
      // Loading the same rules again changes nothing and hunts nothing.
      expect(addRules(t.db, [writeRules(t.dir)])).toBe('0 rules new or changed, 4 unchanged\n');
      expect(alerts(t.db).length).toBe(retro.length);
    } finally {
      t.cleanup();
    }
  });

  it('live: the rules, then the imports; the same alerts', () => {
    const t = tempDb();
    try {
      expect(addRules(t.db, [writeRules(t.dir)])).not.toContain('retro hunt');
      importLogs(t.db, true);
      const live = alerts(t.db);
      expect(new Set(live.map((a) => a.mode))).toEqual(new Set(['live']));
      expect(live.map(identity).sort()).toEqual(retro.map(identity).sort());
      // Filters of `vast alerts`: a level and above, one rule.
      expect(alerts(t.db, ['--level', 'medium']).length).toBe(oracle.unanswered.length + oracle.burst.length);
      expect(alerts(t.db, ['--rule', '6b1c7d4e-0000-4000-8000-000000000002']).length).toBe(
        oracle.espn.length,
      );
    } finally {
      t.cleanup();
    }
  });

  it('suppression: one alert per key within the window; the rest are counted on the next', () => {
    const t = tempDb();
    try {
      importLogs(t.db);
      const rules = writeRules(t.dir);
      addRules(t.db, [join(rules, 'unanswered.yml')], ['--suppress', '1h', '--suppress-by', 'id.orig_h']);
      const raised = alerts(t.db);
      // awk, in stored (file) order: a new alert when the host has none within the last hour.
      const expected = awk(
        CONN,
        '!/^#/ && $6 == 80 && ($12 == "S0" || $12 == "REJ") { d = $1 - s[$3]; if (!($3 in s) || d >= 3600 || d <= -3600) { s[$3] = $1; print $2 } }',
      ).sort();
      expect(uids(raised)).toEqual(expected);
      expect(raised.length).toBeLessThan(oracle.unanswered.length);
      const held = raised.reduce((n, a) => n + a.suppressed, 0);
      // What was held back and not yet reported sits with each key's last window.
      expect(held).toBeLessThanOrEqual(oracle.unanswered.length - raised.length);
      expect(held).toBeGreaterThan(0);
    } finally {
      t.cleanup();
    }
  });

  it('list, show, remove: a removed rule stops matching, its alerts stay', () => {
    const t = tempDb();
    try {
      addRules(t.db, [writeRules(t.dir)]);
      const list = vast(['-d', t.db, 'rule', 'list']);
      expect(list.status).toBe(0);
      expect(list.stdout).toMatch(
        /6b1c7d4e-0000-4000-8000-000000000001\s+1\s+medium\s+rule\s+zeek\.conn\s+Unanswered/,
      );
      const show = vast(['-d', t.db, 'rule', 'show', 'tcp_connections']);
      expect(show.stdout).toContain('expression: ');
      expect(show.stdout).toMatch(/#schema == "zeek\.conn"/);
      const sigma = vast(['-d', t.db, 'rule', 'show', '6b1c7d4e-0000-4000-8000-000000000002', '--sigma']);
      expect(sigma.stdout).toBe(ESPN);
      expect(vast(['-d', t.db, 'rule', 'remove', '6b1c7d4e-0000-4000-8000-000000000002']).stdout).toBe(
        'removed 6b1c7d4e-0000-4000-8000-000000000002\n',
      );
      importLogs(t.db);
      expect(ofRule(alerts(t.db), '6b1c7d4e-0000-4000-8000-000000000002')).toEqual([]);
      const gone = vast(['-d', t.db, 'rule', 'remove', 'nope']);
      expect(gone.status).not.toBe(0);
      expect(gone.stderr).toContain("no rule 'nope'");
    } finally {
      t.cleanup();
    }
  });

  it('a bad rule is reported with file:line and skipped; the others load', () => {
    const t = tempDb();
    try {
      const dir = writeRules(t.dir);
      writeFileSync(
        join(dir, 'broken.yml'),
        'title: broken\nlogsource: {product: zeek, service: conn}\ndetection:\n  sel: {proto: tcp}\n  condition: sel and\n',
      );
      writeFileSync(
        join(dir, 'unmapped.yml'),
        'title: x\nlogsource: {product: windows, service: security}\ndetection:\n  sel: {EventID: 4624}\n  condition: sel\n',
      );
      writeFileSync(join(dir, 'bytes.yml'), Buffer.from([0x74, 0x69, 0x3a, 0x20, 0xff, 0xfe, 0x0a]));
      const r = vast(['-d', t.db, 'rule', 'add', dir]);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^4 rules new or changed, 3 files skipped/);
      expect(r.stderr).toMatch(/broken\.yml:5:\d+: .*condition/);
      expect(r.stderr).toMatch(/unmapped\.yml:2:\d+: .*windows/);
      expect(r.stderr).toMatch(/bytes\.yml(:\d+:\d+)?: /);
      const none = vast(['-d', t.db, 'rule', 'add', join(t.dir, 'missing.yml')]);
      expect(none.status).not.toBe(0);
      expect(none.stderr).toContain('cannot read');
      // A correlation whose rule is neither given nor loaded (in a database without it).
      writeFileSync(join(t.dir, 'orphan.yml'), BURST.split('---\n')[1]);
      const orphan = vast(['-d', join(t.dir, 'other.db'), 'rule', 'add', join(t.dir, 'orphan.yml')]);
      expect(orphan.status).not.toBe(0);
      expect(orphan.stderr).toContain("uses rule 'tcp_connections'");
    } finally {
      t.cleanup();
    }
  });
});

describe('rules on a node', () => {
  let t: ReturnType<typeof tempDb>;
  let node: RunningNode;
  beforeAll(async () => {
    t = tempDb();
    node = await startNode(t.db, ['--max-partition-size', '1000']);
  });
  afterAll(async () => {
    await node?.stop();
    t?.cleanup();
  });

  const post = (body: unknown, token = node.token) =>
    fetch(node.url('/api/v0/rules'), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('hunts in the background, then matches imports live; alerts equal awk', async () => {
    const env = node.env();
    for (const f of [CONN, HTTP]) {
      const r = vast(['import', 'zeek', '-r', f], { env });
      expect(r.status, r.stderr).toBe(0);
    }
    expect(vast(['flush'], { env }).status).toBe(0);
    const rules = writeRules(t.dir);
    const added = vast(['rule', 'add', join(rules, 'unanswered.yml')], { env });
    expect(added.status, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/retro hunt rules-\w+ started over \d+ partitions/);
    const deadline = Date.now() + 30_000;
    let seen: AlertRow[] = [];
    while (Date.now() < deadline) {
      seen = alerts(t.db, [], env);
      if (seen.length >= 170) break;
      await sleep(200);
    }
    expect(uids(seen)).toEqual(ORACLE.unanswered());
    expect(new Set(seen.map((a) => a.mode))).toEqual(new Set(['retro']));
    // Live: the same log again raises the same alerts once more, live.
    expect(vast(['import', 'zeek', '-r', CONN], { env }).status).toBe(0);
    const all = alerts(t.db, [], env);
    expect(uids(all.filter((a) => a.mode === 'live'))).toEqual(ORACLE.unanswered());
    const status = vast(['status'], { env });
    expect(status.stdout).toContain('rules: 1');
    const list = vast(['rule', 'list', '--json'], { env });
    expect(JSON.parse(list.stdout)).toMatchObject([
      { id: '6b1c7d4e-0000-4000-8000-000000000001', revision: 1 },
    ]);
  });

  it("alerts go to the rule's webhook and to vast alerts --follow as they are raised", async () => {
    const received: AlertRow[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        received.push(JSON.parse(body) as AlertRow);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const follow = vastProcess(
      ['alerts', '--follow', '--rule', '6b1c7d4e-0000-4000-8000-000000000002'],
      node.env(),
    );
    let followed = '';
    follow.stdout!.on('data', (d: Buffer) => {
      followed += d.toString();
    });
    try {
      const rules = writeRules(t.dir);
      const add = vast(
        ['rule', 'add', join(rules, 'web', 'espn.yaml'), '--action', `webhook=http://127.0.0.1:${port}/hook`],
        { env: node.env() },
      );
      expect(add.stderr).toBe('');
      expect(add.status).toBe(0);
      const want = ORACLE.espn().length;
      // The retro hunt over the http.log imported above, then the same log again, live.
      const deadline = Date.now() + 20_000;
      while (received.length < want && Date.now() < deadline) await sleep(50);
      expect(vast(['import', 'zeek', '-r', HTTP], { env: node.env() }).status).toBe(0);
      while (received.length < 2 * want && Date.now() < deadline) await sleep(50);
      expect(received.map((a) => a.mode).sort()).toEqual([
        ...Array(want).fill('live'),
        ...Array(want).fill('retro'),
      ]);
      expect(received[0]).toMatchObject({
        kind: 'alert',
        rule: '6b1c7d4e-0000-4000-8000-000000000002',
        level: 'low',
      });
      expect(received[0].fields).toMatchObject({ host: expect.stringMatching(/espn\.go\.com$/) });
      // --follow prints the stored alerts, then the new ones.
      const followedLive = () =>
        followed
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as AlertRow)
          .filter((l) => l.mode === 'live');
      while (followedLive().length < want && Date.now() < deadline) await sleep(50);
      expect(followedLive().length).toBe(want);
    } finally {
      follow.kill('SIGINT');
      server.close();
    }
  });

  it('bad requests are clear errors; the node stays up', async () => {
    expect((await post({ files: 3 })).status).toBe(400);
    const notJson = await post('{"files": [');
    expect(notJson.status).toBe(400);
    expect((await post([])).status).toBe(400);
    expect((await post({ files: [{ name: 'x.yml', text: UNANSWERED }] }, 'wrong-token')).status).toBe(401);
    const badSuppress = await post({ files: [{ name: 'x.yml', text: UNANSWERED }], suppress: 'soon' });
    expect(badSuppress.status).toBe(400);
    expect(((await badSuppress.json()) as { error: string }).error).toContain("'soon'");
    // A file that does not compile is a problem in the answer, with its line.
    const bad = await post({ files: [{ name: 'bad.yml', text: 'title: x\ndetection: [1, 2\n' }] });
    expect(bad.status).toBe(200);
    const body = (await bad.json()) as { problems: { file: string; line: number; message: string }[] };
    expect(body.problems).toMatchObject([{ file: 'bad.yml', line: expect.any(Number) }]);
    // Actions are the admin's: a tenant token may not attach one.
    const tok = vast(['token', 'create', '--role', 'write', '--tenant', 'acme'], { env: node.env() });
    expect(tok.status, tok.stderr).toBe(0);
    const tenantToken = /(\S+)\s*$/.exec(tok.stdout)![1];
    const withAction = await post(
      { files: [{ name: 'x.yml', text: UNANSWERED }], action: ['exec=/bin/true'] },
      tenantToken,
    );
    expect(withAction.status).toBe(403);
    // The tenant sees its own rules only.
    const theirs = await fetch(node.url('/api/v0/rules'), {
      headers: { authorization: `Bearer ${tenantToken}` },
    });
    expect(((await theirs.json()) as { rules: unknown[] }).rules).toEqual([]);
    const missing = await fetch(node.url('/api/v0/rules/nope'), {
      headers: { authorization: `Bearer ${node.token}` },
    });
    expect(missing.status).toBe(404);
    expect(
      (await fetch(node.url('/api/v0/status'), { headers: { authorization: `Bearer ${node.token}` } }))
        .status,
    ).toBe(200);
  });
});
