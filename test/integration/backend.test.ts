/**
 * One backend for the CLI: every flag gives the same answer embedded (a local
 * database) and through a node. One node and one local database for the whole
 * file, both loaded with the same Zeek log; expected numbers come from awk
 * over the raw file, not from vast.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATA } from '../helpers/datasets.js';
import { type Run, tempDb, vast, vastAsync } from './cli.js';
import { type RunningNode, startNode } from './node-helpers.js';

const CONN = join(TEST_DATA, 'zeek', 'conn.log');
const DNS = join(TEST_DATA, 'zeek', 'dns.log');
const awkCount = (file: string, cond: string) =>
  Number(
    spawnSync('awk', ['-F\t', `!/^#/ && (${cond}) {n++} END {print n+0}`, file], {
      encoding: 'utf8',
    }).stdout.trim(),
  );

const t = tempDb();
let node: RunningNode;
const local = join(t.dir, 'local');

/** `vast ARGS < FILE`, the query in a file on stdin as a shell gives it. */
function vastWithStdinFile(args: string[], text: string, env: Record<string, string>): Run {
  const file = join(t.dir, 'query.txt');
  writeFileSync(file, text);
  return vast(args, { stdinFile: file, env });
}

/** `vast ARGS` against the node (`-e` before the command, as in VAST) or the local database (`-d`). */
const modes = {
  embedded: (args: string[], stdin?: string): Run =>
    stdin === undefined ? vast(['-d', local, ...args]) : vastWithStdinFile(['-d', local, ...args], stdin, {}),
  node: (args: string[], stdin?: string): Run => {
    const all = ['-e', node.endpoint, '--node', ...args];
    const env = { VAST_TOKEN: node.token ?? '' };
    return stdin === undefined ? vast(all, { env }) : vastWithStdinFile(all, stdin, env);
  },
};
const both = Object.entries(modes);

beforeAll(async () => {
  node = await startNode(t.db, ['--max-partition-size', '2000']);
  for (const [, run] of both) {
    // Small batches: the node cuts a partition once its buffer reaches --max-partition-size.
    const r = run(['import', 'zeek', '-r', CONN, '-b', '--batch-size', '1000']);
    expect(r.status, r.stderr).toBe(0);
  }
});
afterAll(async () => {
  await node?.stop();
  t.cleanup();
});

describe.each(both)('%s', (_mode, run) => {
  const all = awkCount(CONN, '1');
  const udp = awkCount(CONN, '$7 == "udp"');

  it('counts all events and an expression (the numbers awk finds)', () => {
    expect(run(['count']).stdout.trim()).toBe(String(all));
    expect(run(['count', 'proto == "udp"']).stdout.trim()).toBe(String(udp));
  });

  it('reads the query from stdin when none is given', () => {
    expect(run(['count'], 'proto == "udp"\n').stdout.trim()).toBe(String(udp));
    const e = run(['export', 'json'], 'proto == "udp" | head 3');
    expect(e.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('count --estimate is an upper bound from the catalog; --explain prints the plan', () => {
    const r = run(['count', '--estimate', '--explain', 'proto == "udp"']);
    expect(r.status, r.stderr).toBe(0);
    const n = Number(r.stdout.trim());
    expect(n).toBeGreaterThanOrEqual(udp);
    expect(n).toBeLessThanOrEqual(all);
    expect(r.stderr).toMatch(/expression: proto == "udp"/);
    // An estimate opens no partition.
    expect(r.stderr).toMatch(/, 0 opened/);
  });

  it('export --explain prints the plan after the events', () => {
    const r = run(['export', 'json', '--explain', '-n', '2', 'proto == "udp"']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(/expression: proto == "udp"/);
    expect(r.stderr).toMatch(/partitions: \d+ considered/);
  });

  it('status --detailed --json has VAST 2 keys and every partition', () => {
    const r = run(['status', '--detailed', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.catalog['num-events']).toBe(all);
    expect(s.catalog.schemas['zeek.conn']['num-events']).toBe(all);
    expect(s.catalog['num-partitions']).toBe(s.catalog.partitions.length);
    expect(s.catalog.partitions.reduce((n: number, p: { events: number }) => n + p.events, 0)).toBe(all);
    expect(s.version.VAST).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('get prints events by id, their position in stored order (as export prints them), in the order asked', () => {
    // Ids count the partitions in the order they were committed, rows in order within each:
    // the order `export` prints. A node cuts partitions while it imports and may commit the
    // last one first, so the ids follow the export, not necessarily the lines of the file.
    const exported = run(['export', 'json'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l).uid as string);
    expect(exported).toHaveLength(all);
    const r = run(['get', '0', String(all - 1), '5', '99999999']);
    expect(r.status, r.stderr).toBe(0);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).uid),
    ).toEqual([exported[0], exported[all - 1], exported[5]]);
    const bad = run(['get', '-1']);
    expect(bad.status).toBe(1);
  });

  it('a bad query fails with its located diagnostic', () => {
    const r = run(['count', 'orig_hh == 1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unknown field 'orig_hh'/);
  });

  it('import -n N keeps the first N matching events of a filter, and -b makes them queryable at once', () => {
    const r = run(['import', 'zeek', '-r', DNS, '-n', '7', '-b', 'qtype_name == "A"']);
    expect(r.status, r.stderr).toBe(0);
    // More than 7 A queries in the log: -n bounds what was kept.
    expect(awkCount(DNS, '$13 == "A"')).toBeGreaterThan(7);
    expect(run(['count', '#schema == "zeek.dns"']).stdout.trim()).toBe('7');
    expect(run(['count', '#schema == "zeek.dns" && qtype_name != "A"']).stdout.trim()).toBe('0');
  });
});

it('the node took --max-partition-size from its command line', () => {
  const s = JSON.parse(modes.node(['status', '--json', '--detailed']).stdout);
  const conn = s.catalog.partitions.filter((p: { schema: string }) => p.schema === 'zeek.conn');
  // The default (1M events) makes one partition of the log's 8462 events; the node cuts one
  // when its buffer reaches 2000, plus what arrived while it was cutting.
  expect(conn.length).toBeGreaterThanOrEqual(2);
  expect(conn.reduce((n: number, p: { events: number }) => n + p.events, 0)).toBe(awkCount(CONN, '1'));
});

it('a flag one mode cannot honour says why instead of being ignored', () => {
  const r = modes.node(['--max-partition-size', '10', 'import', 'zeek', '-r', CONN]);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/--max-partition-size applies to a local database/);
});

it('live queries embedded say they need a node instead of being ignored', () => {
  const r = modes.embedded(['export', 'json', '--continuous']);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/need a running node/);
});

it('global options go before or after the command, and --config names the database', () => {
  const n = awkCount(CONN, '1');
  const conn = '#schema == "zeek.conn"';
  expect(vast(['count', '-d', local, conn]).stdout.trim()).toBe(String(n));
  const cfg = join(t.dir, 'client.yaml');
  writeFileSync(cfg, `vast:\n  db: ${JSON.stringify(local)}\n`);
  expect(vast([`--config=${cfg}`, 'count', conn]).stdout.trim()).toBe(String(n));
  writeFileSync(join(t.dir, 'bad.yaml'), 'no-such-setting: 1\n');
  const bad = vast(['--config', join(t.dir, 'bad.yaml'), 'count']);
  expect(bad.status).toBe(1);
  expect(bad.stderr).toMatch(/no-such-setting/);
});

it('--help works for every command and subcommand with no node running', async () => {
  const commands = [
    'import',
    'export',
    'count',
    'get',
    'status',
    'rebuild',
    'exec',
    'infer',
    'start',
    'flush',
    'stop',
    'spawn',
    'kill',
    'token',
    'version',
  ];
  const all = [
    ...commands.map((c) => [c, '--help']),
    ['spawn', 'source', '--help'],
    ['spawn', 'source', 'file', '--help'],
  ];
  // Two at a time: the machines this runs on have two cores.
  const runs: Run[] = [];
  for (let i = 0; i < all.length; i += 2)
    runs.push(...(await Promise.all(all.slice(i, i + 2).map((a) => vastAsync(a)))));
  for (const [i, args] of all.entries()) {
    const r = runs[i];
    expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    expect(r.stdout, args.join(' ')).toMatch(/Usage: vast /);
    expect(r.stderr, args.join(' ')).not.toMatch(/no node/);
  }
  expect(runs[all.length - 1].stdout).toMatch(/-r, --read FILE/);
}, 180_000);

it('exec exits non-zero with the diagnostic on a bad query', () => {
  const unknown = vast(['exec', '-r', CONN, 'orig_hh == 1']);
  expect(unknown.status).toBe(1);
  expect(unknown.stderr).toMatch(/unknown field 'orig_hh'\n --> query:1:1/);
  const syntax = vast(['exec', '-r', CONN, 'proto ==']);
  expect(syntax.status).toBe(1);
  expect(syntax.stderr).toMatch(/ --> query:1:\d+/);
});

it('infer prints schema yaml that import -s @FILE -t NAME uses', () => {
  const events = join(t.dir, 'ev.json');
  writeFileSync(events, '{"src":"10.0.0.1","n":3}\n{"src":"10.1.0.2","n":5}\n');
  const inferred = vast(['infer', 'json', '-r', events]);
  expect(inferred.status, inferred.stderr).toBe(0);
  expect(inferred.stdout).toMatch(/src: ip/);
  const schema = join(t.dir, 'mine.yaml');
  writeFileSync(
    schema,
    inferred.stdout.replace(/^ {2}\S+:$/m, '  my.event:').replace('n: int64', 'n: count'),
  );
  const db = join(t.dir, 'infer-db');
  const imp = vast(['-d', db, 'import', 'json', '-r', events, '-s', `@${schema}`, '-t', 'my.event']);
  expect(imp.status, imp.stderr).toBe(0);
  expect(vast(['-d', db, 'count', '#schema == "my.event" && src in 10.1.0.0/16']).stdout.trim()).toBe('1');
  const missing = vast(['-d', db, 'import', 'json', '-r', events, '-s', '@nope.yaml']);
  expect(missing.status).toBe(1);
  expect(missing.stderr).toMatch(/cannot read --schema-file nope.yaml/);
});

it('the count route answers a bad expression with 400 and the located error, a bad flag value too', async () => {
  const auth = { authorization: `Bearer ${node.token}` };
  const bad = await fetch(node.url('/api/v0/count?expression=proto%20%3D%3D'), {
    method: 'POST',
    headers: auth,
  });
  expect(bad.status).toBe(400);
  const badBody = (await bad.json()) as { diagnostics: { message: string; location: object }[] };
  expect(badBody.diagnostics[0]).toMatchObject({
    message: "expected a value after '=='",
    location: { source: 'query', line: 1, column: 9 },
  });
  const wrongType = await fetch(node.url('/api/v0/count'), {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ expression: ['not', 'text'] }),
  });
  expect(wrongType.status).toBe(400);
  expect(((await wrongType.json()) as { error: string }).error).toMatch(/expression/);
  const ok = await fetch(node.url('/api/v0/count?estimate=true'), { method: 'POST', headers: auth });
  expect(ok.status).toBe(200);
  expect(((await ok.json()) as { count: number }).count).toBeGreaterThanOrEqual(awkCount(CONN, '1'));
  // A flag in the JSON body stands when the query string leaves it out (an absent flag is not `false`).
  const countOf = async (body: object) => {
    const r = await fetch(node.url('/api/v0/count'), {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(r.status).toBe(200);
    return ((await r.json()) as { count: number }).count;
  };
  const udp = await countOf({ expression: 'proto == "udp"' });
  expect(udp).toBeGreaterThanOrEqual(awkCount(CONN, '$7 == "udp"'));
  expect(await countOf({ expression: 'proto == "udp"', estimate: true })).toBeGreaterThan(udp);
});
