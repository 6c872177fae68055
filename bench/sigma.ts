/**
 * The Sigma workload of issue 13: the Zeek conn import with 100 Sigma rules
 * loaded (each matched live on every batch), against the plain import of the
 * same file in the same run; the alerts raised must equal what DuckDB counts
 * with the same rules written as SQL.
 *
 * The rules are made from templates of what detection engineers write for
 * connection logs (ports of known tools and services, networks, connection
 * states, history flags, byte thresholds, exclusions), each with its SQL
 * twin, and constants that are rare in the data: each fires now and then,
 * as real rules do (a rule that fires on every event is a broken rule).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sqlString } from './context.js';
import type { DatasetMeta } from './generate.js';
import type { ProcessRun } from './measure.js';
import { prng } from './node-client.js';
import { cpuShare, importShareRows, log, vast, type Workload } from './workload-kit.js';

/** How many rules, and the issue's bound on the import with them as a share of the plain import's rate. */
const RULES = 100;
const SIGMA_INGEST_SHARE = 0.7;

interface GeneratedRule {
  /** The Sigma `detection:` block, indented by two spaces. */
  detection: string;
  /** The same condition over the Parquet copy's columns. */
  sql: string;
}

const q = (field: string) => `"${field}"`;
const list = (xs: readonly (string | number)[]) =>
  `[${xs.map((x) => (typeof x === 'number' ? x : `'${x}'`)).join(', ')}]`;
const sqlList = (xs: readonly (string | number)[]) =>
  `(${xs.map((x) => (typeof x === 'number' ? x : sqlString(String(x)))).join(', ')})`;

/** Ports of remote-access tools, IRC, proxies and backdoors: what rules on conn logs look for. */
const TOOL_PORTS = [
  4444, 5555, 6666, 6667, 6668, 6669, 1337, 31337, 12345, 54321, 8081, 8888, 9001, 9030, 5938, 2323,
];

/**
 * Values that are rare in the original log (1 to 3 of its lines), so that
 * each rule fires now and then in every replay as a real rule does: ports,
 * connection states, history strings, /16 networks of remote hosts (the
 * replays keep a public address's /16, see rewrite.ts), and a byte count
 * few connections exceed.
 */
interface RareValues {
  ports: number[];
  states: string[];
  histories: string[];
  nets: string[];
  bigBytes: number;
}

function rareValues(meta: DatasetMeta): RareValues {
  const fields = meta.fields ?? [];
  const col = (name: string) => fields.indexOf(name);
  const [port, state, history, resp, bytes] = [
    'id.resp_p',
    'conn_state',
    'history',
    'id.resp_h',
    'orig_bytes',
  ].map(col);
  const counts = [port, state, history, resp].map(() => new Map<string, number>());
  const sizes: number[] = [];
  for (const line of readFileSync(meta.source, 'utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const c = line.split('\t');
    const net = /^(\d+\.\d+)\.\d+\.\d+$/.exec(c[resp])?.[1];
    const keys = [
      c[port],
      c[state],
      // Sigma compares case-insensitively, and Zeek's history letters differ by case: count them folded.
      c[history].toLowerCase(),
      net && !net.startsWith('192.168') && !net.startsWith('10.') ? net : '-',
    ];
    keys.forEach((k, i) => {
      if (k !== '-') counts[i].set(k, (counts[i].get(k) ?? 0) + 1);
    });
    if (c[bytes] !== '-') sizes.push(Number(c[bytes]));
  }
  const rare = (m: Map<string, number>) =>
    [...m]
      .filter(([, n]) => n >= 1 && n <= 3)
      .map(([k]) => k)
      .sort();
  sizes.sort((a, b) => b - a);
  return {
    ports: rare(counts[0]).map(Number),
    states: [...counts[1].keys()].sort(),
    histories: rare(counts[2]),
    nets: rare(counts[3]),
    bigBytes: sizes[Math.min(3, sizes.length - 1)] ?? 1_000_000,
  };
}

/** Rule `i` of the set: the templates in turn, their constants from the data's rare values and a seeded generator. */
function generate(i: number, next: () => number, v: RareValues): GeneratedRule {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)];
  const ports = () => [...new Set([pick(v.ports), pick(TOOL_PORTS), pick(TOOL_PORTS)])];
  switch (i % 6) {
    case 0: {
      const p = ports();
      return {
        detection: `  selection:\n    id.resp_p: ${list(p)}\n    proto: tcp\n  condition: selection`,
        sql: `${q('id.resp_p')} IN ${sqlList(p)} AND lower(proto) = 'tcp'`,
      };
    }
    case 1: {
      const net = pick(v.nets);
      return {
        detection: `  selection:\n    id.resp_h|cidr: ${net}.0.0/16\n    id.resp_p: [80, 443]\n  condition: selection`,
        sql: `starts_with(${q('id.resp_h')}, '${net}.') AND ${q('id.resp_p')} IN (80, 443)`,
      };
    }
    case 2: {
      const state = pick(v.states);
      const p = ports();
      return {
        detection: `  selection:\n    conn_state: ${state}\n    id.resp_p: ${list(p)}\n  condition: selection`,
        sql: `lower(conn_state) = lower('${state}') AND ${q('id.resp_p')} IN ${sqlList(p)}`,
      };
    }
    case 3: {
      const bytes = Math.floor(v.bigBytes * (0.5 + next()));
      const port = pick([80, 443, 53]);
      return {
        detection: `  selection:\n    orig_bytes|gt: ${bytes}\n    id.resp_p: ${port}\n  condition: selection`,
        sql: `orig_bytes > ${bytes} AND ${q('id.resp_p')} = ${port}`,
      };
    }
    case 4: {
      const flags = pick(v.histories);
      return {
        detection: `  selection:\n    history: '${flags}'\n  condition: selection`,
        sql: `lower(history) = lower('${flags}')`,
      };
    }
    default: {
      const p = [pick(v.ports), pick(TOOL_PORTS)];
      const net = pick(v.nets);
      return {
        detection:
          `  selection:\n    id.resp_p: ${list(p)}\n    service|contains: ssl\n  filter:\n    id.resp_h|cidr: ${net}.0.0/16\n` +
          '  condition: selection and not filter',
        sql: `${q('id.resp_p')} IN ${sqlList(p)} AND lower(service) LIKE '%ssl%' AND NOT coalesce(starts_with(${q('id.resp_h')}, '${net}.'), false)`,
      };
    }
  }
}

/** The rules as one Sigma file per rule under `dir`, and their SQL twins. */
function writeRules(dir: string, meta: DatasetMeta): GeneratedRule[] {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const next = prng(13);
  const rare = rareValues(meta);
  const rules = Array.from({ length: RULES }, (_, i) => generate(i, next, rare));
  rules.forEach((r, i) => {
    const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    writeFileSync(
      join(dir, `rule-${String(i).padStart(3, '0')}.yml`),
      `title: bench rule ${i}\nid: ${id}\nlevel: medium\nlogsource:\n  product: zeek\n  service: conn\ndetection:\n${r.detection}\n`,
    );
  });
  return rules;
}

/** DuckDB's count of (event, rule) matches: the sum over the rules of the rows each matches. */
function alertsSql(parquet: string, rules: readonly GeneratedRule[]): string {
  const terms = rules.map((r) => `count(*) FILTER (WHERE coalesce(${r.sql}, false))`);
  return `SELECT ${terms.join(' + ')} FROM read_parquet(${sqlString(parquet)})`;
}

export const sigmaIngest: Workload = {
  id: 'sigma-ingest',
  title: `Ingest Zeek conn with ${RULES} Sigma rules`,
  async run(ctx) {
    const { meta } = await ctx.zeek();
    const dir = join(ctx.opts.workDir, 'sigma-rules');
    const rules = writeRules(dir, meta);
    const plain = await ctx.vastImport('zeek');
    let load: ProcessRun | undefined;
    const v = await ctx.vastImport('zeek', {
      name: 'sigma',
      async before(db) {
        log(`sigma-ingest: loading ${RULES} rules ...`);
        load = await vast(ctx, ['-d', db, 'rule', 'add', dir], 'vast rule add');
      },
    });
    const counted = await vast(ctx, ['-d', v.db, 'count', '#schema == "vast.alert"'], 'vast count alerts');
    const alerts = Number(counted.stdout.trim());
    const d = await ctx.duckIngest('zeek', 1);
    const duck = await ctx.duck({
      threads: ctx.opts.threads,
      steps: [{ name: 'rules', sql: alertsSql(d.parquet, rules) }],
    });
    const duckAlerts = Number(duck.result.steps[0].rows[0]?.[0]);
    const n = meta.events;
    const rows = importShareRows(
      ctx,
      n,
      { loaded: v.run, plain: plain.run },
      { with: `with ${RULES} rules`, without: 'no rules' },
      SIGMA_INGEST_SHARE,
    );
    const seconds = (r: ProcessRun | undefined) => (r ? `${(r.wallMs / 1000).toFixed(2)} s` : '?');
    const notes = [
      `${n.toLocaleString('en-US')} events; import with the rules ${seconds(v.run)} wall (CPU/wall ${cpuShare(v.run)}), ` +
        `plain import ${seconds(plain.run)} wall (CPU/wall ${cpuShare(plain.run)}); rule add ${seconds(load)}`,
      `alerts: vast ${alerts}, DuckDB with the rules as SQL ${duckAlerts}${alerts === duckAlerts ? ' (agree)' : ' — MISMATCH'}`,
    ];
    return {
      rows,
      notes,
      details: { vast: v, plain, load, alerts, duckdb: duck, agree: alerts === duckAlerts },
    };
  },
};
