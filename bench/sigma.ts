/**
 * The Sigma workload of issue 13: the Zeek conn import with 100 Sigma rules
 * loaded (each matched live on every batch), against the plain import of the
 * same file in the same run; the alerts raised must equal what DuckDB counts
 * with the same rules written as SQL.
 *
 * The rules are made from templates of what detection engineers write for
 * connection logs (ports of known tools and services, networks, connection
 * states, history flags, byte thresholds, exclusions), each with its SQL
 * twin. They are rare by design, as real rules are: a rule that fires on
 * every event is a broken rule.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sqlString } from './context.js';
import type { ProcessRun } from './measure.js';
import { prng } from './node-client.js';
import { type Row, row } from './report.js';
import { cpuShare, log, perCore, perSecond, rssRow, vast, type Workload } from './workload-kit.js';

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
const PORTS = [
  4444, 5555, 6666, 6667, 6668, 6669, 1337, 31337, 12345, 54321, 8081, 8888, 9001, 9030, 3389, 5900, 5938, 23,
  2323, 1080,
];
const STATES = ['S0', 'REJ', 'RSTO', 'RSTR', 'SH', 'SHR', 'OTH', 'S1', 'RSTOS0', 'RSTRH'];

/** Rule `i` of the set: the templates in turn, their constants from a seeded generator. */
function generate(i: number, next: () => number): GeneratedRule {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)];
  const ports = (n: number) => [...new Set(Array.from({ length: n }, () => pick(PORTS)))];
  const octet = () => 1 + Math.floor(next() * 222);
  switch (i % 6) {
    case 0: {
      const p = ports(3);
      return {
        detection: `  selection:\n    id.resp_p: ${list(p)}\n    proto: tcp\n  condition: selection`,
        sql: `${q('id.resp_p')} IN ${sqlList(p)} AND lower(proto) = 'tcp'`,
      };
    }
    case 1: {
      const [a, b] = [octet(), octet()];
      const port = pick([22, 445, 139, 3389, 5985]);
      return {
        detection: `  selection:\n    id.resp_h|cidr: ${a}.${b}.0.0/16\n    id.resp_p: ${port}\n  condition: selection`,
        sql: `starts_with(${q('id.resp_h')}, '${a}.${b}.') AND ${q('id.resp_p')} = ${port}`,
      };
    }
    case 2: {
      const state = pick(STATES);
      const p = ports(2);
      return {
        detection: `  selection:\n    conn_state: ${state}\n    id.resp_p: ${list(p)}\n  condition: selection`,
        sql: `lower(conn_state) = lower('${state}') AND ${q('id.resp_p')} IN ${sqlList(p)}`,
      };
    }
    case 3: {
      const bytes = 10_000_000 + Math.floor(next() * 90_000_000);
      const port = pick([53, 123, 161, 443, 80]);
      return {
        detection: `  selection:\n    orig_bytes|gt: ${bytes}\n    id.resp_p: ${port}\n  condition: selection`,
        sql: `orig_bytes > ${bytes} AND ${q('id.resp_p')} = ${port}`,
      };
    }
    case 4: {
      const flags = pick(['ShADadfF', 'ShAdDaFf', 'ShADadR', 'ShAFf', 'Dd']);
      const port = pick(PORTS);
      return {
        detection: `  selection:\n    history|startswith: ${flags}\n    id.resp_p: ${port}\n  condition: selection`,
        sql: `lower(history) LIKE lower('${flags}%') AND ${q('id.resp_p')} = ${port}`,
      };
    }
    default: {
      const p = ports(2);
      const a = octet();
      return {
        detection:
          `  selection:\n    id.resp_p: ${list(p)}\n    service|contains: ssl\n  filter:\n    id.orig_h|cidr: ${a}.0.0.0/8\n` +
          '  condition: selection and not filter',
        sql: `${q('id.resp_p')} IN ${sqlList(p)} AND lower(service) LIKE '%ssl%' AND NOT (coalesce(starts_with(${q('id.orig_h')}, '${a}.'), false))`,
      };
    }
  }
}

/** The rules as one Sigma file per rule under `dir`, and their SQL twins. */
function writeRules(dir: string): GeneratedRule[] {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const next = prng(13);
  const rules = Array.from({ length: RULES }, (_, i) => generate(i, next));
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
    const rules = writeRules(dir);
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
    const plainLabel = `plain vast import (no rules), ${ctx.vastThreadsLabel()}`;
    const share = (r: Row) => {
      r.target = `≥ ${SIGMA_INGEST_SHARE * 100}% of the plain import`;
      r.met = (r.ratio ?? 0) >= SIGMA_INGEST_SHARE;
      return r;
    };
    const base = { unit: 'events/s', better: 'higher', baseline: plainLabel } as const;
    const rows: Row[] = [
      share(
        row({
          ...base,
          metric: `events/s per core (events ÷ CPU seconds), with ${RULES} rules, ${ctx.vastThreadsLabel()}`,
          vast: perCore(n, v.run),
          baselineValue: perCore(n, plain.run),
        }),
      ),
      share(
        row({
          ...base,
          metric: `events/s (wall), with ${RULES} rules, ${ctx.vastThreadsLabel()}`,
          vast: perSecond(n, v.run),
          baselineValue: perSecond(n, plain.run),
        }),
      ),
      rssRow(`peak RSS of the import with ${RULES} rules`, v.run, plainLabel, plain.run),
    ];
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
