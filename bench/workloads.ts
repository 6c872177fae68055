/**
 * The workloads of issue 6, each measuring vast and its baselines on the same
 * files in the same run. A workload returns rows (see report.ts); shared
 * preparation (data, imports, Parquet files) comes from BenchContext.
 */
import {
  type BenchContext,
  type DataKind,
  type DuckIngest,
  duckWorkerArgs,
  ident,
  parquetCount,
  SkipError,
  sqlString,
  VAST_BIN,
  WARM_BUDGET_MS,
} from './context.js';
import type { DuckResult } from './duckdb-worker.js';
import type { DatasetMeta } from './generate.js';
import { huntSql, INTEL_SIZES, intelFiles } from './intel.js';
import { check, median, type ProcessRun, runMeasured, toolVersion } from './measure.js';
import { type Row, row } from './report.js';
import { sigmaIngest } from './sigma.js';
import {
  cpuShare,
  importShareRows,
  log,
  mib,
  perCore,
  perSecond,
  rssRow,
  vast,
  type Workload,
} from './workload-kit.js';

export type { Workload } from './workload-kit.js';

/**
 * The ingest targets: per core, not slower than DuckDB on one thread (Zeek) or a
 * fixed rate (EVE); for Zeek also the wall time with every core against DuckDB's.
 */
type IngestTarget = { perCoreVsDuck1: true } | { perCore: number };

function ingest(kind: DataKind, title: string, target: IngestTarget): Workload {
  return {
    id: kind === 'zeek' ? 'ingest-zeek' : 'ingest-eve',
    title,
    async run(ctx) {
      const { meta } = await ctx.data(kind);
      const v = await ctx.vastImport(kind);
      const d1 = await ctx.duckIngest(kind, 1);
      const dAll = await ctx.duckIngest(kind, 'all');
      const n = meta.events;
      const what = kind === 'zeek' ? 'DuckDB read_csv → Parquet zstd' : 'DuckDB read_json → Parquet zstd';
      const vastThreads = ctx.vastThreadsLabel();
      const perCoreRow = row({
        metric: `events/s per core (events ÷ CPU seconds), ${vastThreads}`,
        unit: 'events/s',
        better: 'higher',
        vast: perCore(n, v.run),
        baseline: `${what}, threads=1, per core`,
        baselineValue: perCore(n, d1.run),
      });
      if ('perCore' in target) {
        perCoreRow.target = `≥ ${target.perCore.toLocaleString('en-US')}/s per core`;
        perCoreRow.met = perCoreRow.vast >= target.perCore;
      } else {
        perCoreRow.target = '≥ DuckDB threads=1, per core';
        perCoreRow.met = (perCoreRow.ratio ?? 0) >= 1;
      }
      const wall = (baseline: DuckIngest) =>
        row({
          metric: `events/s (wall), ${vastThreads}`,
          unit: 'events/s',
          better: 'higher',
          vast: perSecond(n, v.run),
          baseline: `${what}, threads=${baseline.result.threads}`,
          baselineValue: perSecond(n, baseline.run),
        });
      const wallAll = wall(dAll);
      if ('perCoreVsDuck1' in target) {
        wallAll.target = `wall ≥ DuckDB with every core (threads=${dAll.result.threads})`;
        wallAll.met = (wallAll.ratio ?? 0) >= 1;
      }
      const rows: Row[] = [perCoreRow, wall(d1), wallAll];
      const notes = [
        `${n.toLocaleString('en-US')} events; vast import, ${vastThreads}: ${(v.run.wallMs / 1000).toFixed(2)} s wall, ` +
          `${((v.run.cpuMs ?? Number.NaN) / 1000).toFixed(2)} s CPU (CPU/wall ${cpuShare(v.run)}); ` +
          `DuckDB threads=1 ${(d1.run.wallMs / 1000).toFixed(2)} s (CPU/wall ${cpuShare(d1.run)}), ` +
          `threads=${dAll.result.threads} ${(dAll.run.wallMs / 1000).toFixed(2)} s (CPU/wall ${cpuShare(dAll.run)}); ` +
          'all times are whole processes, node start-up included',
      ];
      const details: Record<string, unknown> = { vast: v, duckdb1: d1, duckdbAll: dAll };
      if (kind === 'eve') {
        if (toolVersion('jq')) {
          const jq = check(await runMeasured('jq', ['-c', '.', meta.file], { discardStdout: true }), 'jq');
          rows.push(
            row({
              metric: `events/s (wall), ${vastThreads}`,
              unit: 'events/s',
              better: 'higher',
              vast: perSecond(n, v.run),
              baseline: 'jq -c . > /dev/null (parse floor)',
              baselineValue: perSecond(n, jq),
            }),
          );
          details.jq = jq;
        } else notes.push('jq is not installed: the jq floor was skipped');
      }
      return { rows, notes, details };
    },
  };
}

const atRest: Workload = {
  id: 'at-rest',
  title: 'Bytes/event at rest',
  async run(ctx) {
    const rows: Row[] = [];
    const notes: string[] = [];
    const details: Record<string, unknown> = {};
    for (const kind of ['zeek', 'eve'] as const) {
      let meta: DatasetMeta;
      try {
        meta = (await ctx.data(kind)).meta;
      } catch (e) {
        if (e instanceof SkipError) {
          notes.push(`${kind}: skipped (${e.message})`);
          continue;
        }
        throw e;
      }
      const v = await ctx.vastImport(kind);
      const d = await ctx.duckIngest(kind, 1);
      const gz = await ctx.gzipBytes(kind);
      const label = kind === 'zeek' ? 'Zeek conn' : 'Suricata EVE';
      const n = meta.events;
      const vastPerEvent = v.dirBytes / n;
      const base = { unit: 'bytes/event', better: 'lower', vast: vastPerEvent } as const;
      rows.push(
        row({
          ...base,
          metric: `${label}: bytes/event`,
          baseline: 'raw file',
          baselineValue: meta.bytes / n,
        }),
      );
      rows.push(
        row({
          ...base,
          metric: `${label}: bytes/event`,
          baseline: 'gzip -6 of the file',
          baselineValue: gz / n,
        }),
      );
      rows.push(
        row({
          ...base,
          metric: `${label}: bytes/event`,
          baseline: 'DuckDB Parquet zstd',
          baselineValue: d.bytes / n,
          target: '≤ DuckDB Parquet zstd',
          met: vastPerEvent <= d.bytes / n,
        }),
      );
      notes.push(
        `${label}: vast database ${v.dirBytes} bytes in all files (status --json: ${v.statusBytes} bytes of partitions and sketches); ` +
          `raw ${meta.bytes}, gzip -6 ${gz}, Parquet ${d.bytes}`,
      );
      details[kind] = {
        vastDirBytes: v.dirBytes,
        vastStatusBytes: v.statusBytes,
        raw: meta.bytes,
        gzip: gz,
        parquet: d.bytes,
      };
    }
    return { rows, notes, details };
  },
};

/** A query run on vast (library, fresh process) and DuckDB (Parquet, fresh process), cold and warm. */
interface QuerySpec {
  id: string;
  title: string;
  vast(meta: DatasetMeta): string;
  /** The DuckDB statement over `parquet`; its result is compared with vast's. */
  duck(parquet: string, meta: DatasetMeta): string;
  /** Whether the statement returns one row per group (compared by row count) instead of a count. */
  grouped?: boolean;
  /** The target for the warm run: vast at least this many times as fast as DuckDB (with `--threads`). */
  warmRatio: number;
  /** What the issue hopes for beyond the target, in words. */
  goal?: string;
  /** Extra rows (grep, rg) and notes. */
  extra?(
    meta: DatasetMeta,
    vastWarmMs: number,
    warmRuns: number,
  ): Promise<{ rows: Row[]; notes: string[]; details: object }>;
  expected?(meta: DatasetMeta): number | undefined;
}

function queryWorkload(spec: QuerySpec): Workload {
  return {
    id: spec.id,
    title: spec.title,
    async run(ctx) {
      const { meta } = await ctx.zeek();
      const v = await ctx.vastImport('zeek');
      const d = await ctx.duckIngest('zeek', 1);
      const text = spec.vast(meta);
      const sql = spec.duck(d.parquet, meta);
      process.stderr.write(`[bench] ${spec.id}: vast '${text}' ...\n`);
      const vq = await ctx.vastQuery(v.db, text);
      process.stderr.write(`[bench] ${spec.id}: DuckDB ${sql} ...\n`);
      const dq = await ctx.duck({
        threads: ctx.opts.threads,
        steps: [{ name: spec.id, sql, repeat: 1 + ctx.opts.repeat, budgetMs: WARM_BUDGET_MS }],
      });
      const dms = dq.result.steps[0].ms;
      const vastCold = vq.result.ms[0];
      const vastWarm = median(vq.result.ms.slice(1)) ?? vastCold;
      const duckCold = dq.result.initMs + dms[0];
      const duckWarm = median(dms.slice(1)) ?? dms[0];
      const duckLabel = `DuckDB on Parquet (threads=${dq.result.threads})`;
      const warmRuns = vq.result.ms.length - 1;
      const warm = row({
        metric: `warm, median of ${warmRuns} (${VAST_QUERY_SIDE})`,
        unit: 'ms',
        better: 'lower',
        vast: vastWarm,
        baseline: `${duckLabel}, warm`,
        baselineValue: duckWarm,
      });
      warm.target =
        `≥ ${spec.warmRatio}× DuckDB threads=${dq.result.threads}` +
        (spec.goal ? ` (goal: ${spec.goal})` : '');
      warm.met = (warm.ratio ?? 0) >= spec.warmRatio;
      const rows: Row[] = [
        warm,
        row({
          metric: `cold (fresh process, first query; ${VAST_QUERY_SIDE})`,
          unit: 'ms',
          better: 'lower',
          vast: vastCold,
          baseline: `${duckLabel}, cold`,
          baselineValue: duckCold,
        }),
        rssRow('peak RSS of the query process (all its runs)', vq.run, `${duckLabel}, its process`, dq.run),
      ];
      const duckResult = spec.grouped
        ? dq.result.steps[0].rows.length
        : Number(dq.result.steps[0].rows[0]?.[0]);
      const expected = spec.expected?.(meta);
      const agree = vq.result.rows === duckResult && (expected === undefined || expected === duckResult);
      const s = vq.result.stats;
      const notes = [
        `\`${text}\` vs \`${sql.replace(/read_parquet\('[^']*'\)/, "read_parquet('…')")}\``,
        `${spec.grouped ? 'groups' : 'hits'}: vast ${vq.result.rows}, DuckDB ${duckResult}` +
          (expected === undefined ? '' : `, expected ${expected}`) +
          (agree ? ' (agree)' : ' — MISMATCH'),
        `vast opened ${s.opened} of ${s.considered} partitions (${s.prunedBySchema + s.prunedBySynopsis} pruned), scanned ${s.rowsScanned} rows`,
      ];
      const details: Record<string, unknown> = { vastQuery: text, duckSql: sql, vast: vq, duckdb: dq, agree };
      if (spec.extra) {
        const extra = await spec.extra(meta, vastWarm, warmRuns);
        rows.push(...extra.rows);
        notes.push(...extra.notes);
        details.extra = extra.details;
      }
      return { rows, notes, details };
    },
  };
}

/** How vast's query figures are taken (vast-worker.ts): the library, in a process of its own. */
const VAST_QUERY_SIDE = 'vast library, one process, --threads as DuckDB';

/** The median wall time of `runs` runs of a command (warm page cache after the first). */
async function medianRun(cmd: string, args: string[], runs = 3): Promise<{ ms: number; last: ProcessRun }> {
  const times: number[] = [];
  let last: ProcessRun | undefined;
  for (let i = 0; i < runs; i++) {
    last = await runMeasured(cmd, args);
    if (last.status !== 0 && last.status !== 1) check(last, cmd); // grep exits 1 when nothing matched
    times.push(last.wallMs);
  }
  return { ms: median(times)!, last: last! };
}

const needleOf = (meta: DatasetMeta) => {
  if (!meta.needle) throw new SkipError('no originator address is unique per replay');
  return meta.needle;
};

const needle = queryWorkload({
  id: 'needle',
  title: 'Needle id.orig_h == X',
  vast: (m) => `id.orig_h == ${needleOf(m).address}`,
  duck: (p, m) => parquetCount(p, `${ident('id.orig_h')} = ${sqlString(needleOf(m).address)}`),
  expected: (m) => m.needle?.hits,
  warmRatio: 1,
  goal: '5×, as synopses skip what DuckDB reads',
  async extra(meta, vastWarm, warmRuns) {
    const pattern = `\t${needleOf(meta).address}\t`;
    const rows: Row[] = [];
    const notes: string[] = [];
    const details: Record<string, unknown> = {};
    const grep = await medianRun('grep', ['-F', '-c', pattern, meta.file]);
    const vsGrep = row({
      metric: `warm, median of ${warmRuns}`,
      unit: 'ms',
      better: 'lower',
      vast: vastWarm,
      baseline: 'grep -F -c (median of 3)',
      baselineValue: grep.ms,
      target: '≥ 50× faster than grep (issue 6)',
    });
    vsGrep.met = (vsGrep.ratio ?? 0) >= 50;
    rows.push(vsGrep);
    details.grep = grep;
    const counts = [`grep ${grep.last.stdout.trim()}`];
    if (toolVersion('rg')) {
      const rg = await medianRun('rg', ['-F', '-c', pattern, meta.file]);
      rows.push(
        row({
          metric: `warm, median of ${warmRuns}`,
          unit: 'ms',
          better: 'lower',
          vast: vastWarm,
          baseline: 'rg -F -c (median of 3)',
          baselineValue: rg.ms,
        }),
      );
      counts.push(`rg ${rg.last.stdout.trim() || '0'}`);
      details.rg = rg;
    } else notes.push('ripgrep is not installed: the rg baseline was skipped (apt-get install -y ripgrep)');
    notes.push(`lines with the address in any column (\\tX\\t): ${counts.join(', ')}`);
    return { rows, notes, details };
  },
});

/** The target for queries that must read every row (no synopsis can skip them). */
const SCAN_TARGET = { warmRatio: 0.5, goal: '≥ 1×' } as const;

/** The /16 that the middle replay's internal hosts live in (see rewrite.ts). */
const subnetOf = (m: DatasetMeta) => (Math.floor((m.replays - 1) / 2) >> 8) & 255;

const subnet = queryWorkload({
  id: 'subnet',
  title: 'Subnet id.orig_h in 10.X.0.0/16',
  vast: (m) => `id.orig_h in 10.${subnetOf(m)}.0.0/16`,
  duck: (p, m) => parquetCount(p, `${ident('id.orig_h')} LIKE '10.${subnetOf(m)}.%'`),
  ...SCAN_TARGET,
});

/** A window of 1% of the data's time span, in its middle, on whole seconds. */
function window(m: DatasetMeta): { from: number; to: number } {
  const span = m.tsMaxUs - m.tsMinUs;
  const from = Math.floor((m.tsMinUs + span / 2) / 1e6);
  return { from, to: from + Math.max(1, Math.round(span / 100 / 1e6)) };
}
const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

const timeRange = queryWorkload({
  id: 'time-range',
  title: 'Time range (1% of ts)',
  vast: (m) => `ts >= ${iso(window(m).from)} && ts < ${iso(window(m).to)}`,
  duck: (p, m) =>
    parquetCount(
      p,
      `ts >= make_timestamp(${window(m).from * 1e6}) AND ts < make_timestamp(${window(m).to * 1e6})`,
    ),
  warmRatio: 1,
  goal: '5×',
});

const regex = queryWorkload({
  id: 'regex',
  title: 'Regex history == /.*d.*/',
  vast: () => 'history == /.*d.*/',
  duck: (p) => parquetCount(p, `regexp_matches(history, '.*d.*')`),
  ...SCAN_TARGET,
});

const substring = queryWorkload({
  id: 'substring',
  title: 'Substring uid ni "Abc"',
  vast: () => 'uid ni "Abc"',
  duck: (p) => parquetCount(p, `contains(uid, 'Abc')`),
  ...SCAN_TARGET,
});

const aggregate = queryWorkload({
  id: 'aggregate',
  title: 'summarize count() by service',
  vast: () => '#schema == "zeek.conn" | summarize count() by service',
  duck: (p) => `SELECT service, count(*) FROM read_parquet(${sqlString(p)}) GROUP BY service`,
  grouped: true,
  ...SCAN_TARGET,
});

const rss: Workload = {
  id: 'rss',
  title: 'Peak RSS of an import',
  async run(ctx) {
    const rows: Row[] = [];
    const notes: string[] = [];
    for (const kind of ['zeek', 'eve'] as const) {
      let events: number;
      try {
        events = (await ctx.data(kind)).meta.events;
      } catch (e) {
        if (e instanceof SkipError) {
          notes.push(`${kind}: skipped (${e.message})`);
          continue;
        }
        throw e;
      }
      const v = await ctx.vastImport(kind);
      const d = await ctx.duckIngest(kind, 1);
      if (v.run.maxRssBytes === undefined) {
        notes.push(`${kind}: peak RSS unknown (no /usr/bin/time and /proc polling failed)`);
        continue;
      }
      rows.push(
        rssRow(
          `${kind === 'zeek' ? 'Zeek conn' : 'Suricata EVE'} import of ${events.toLocaleString('en-US')} events, peak RSS (MiB), ${ctx.vastThreadsLabel()}`,
          v.run,
          'DuckDB → Parquet, threads=1 (whole process)',
          d.run,
        ),
      );
    }
    notes.push(
      "each query's peak RSS is in its own workload's rows",
      `measured with ${ctx.opts.quick ? 'quick-mode data (the target is about the full data set)' : 'the full data set'}`,
    );
    return { rows, notes, details: {} };
  },
};

/** The bound on a cold `vast count`, node start-up included. */
const COLD_COUNT_LIMIT_MS = 200;
const COLD_RUNS = 5;

/**
 * The command a user types, end to end: `vast count` on the needle as a fresh process
 * (node start-up, module loading, catalog, pruning, scan; files in the page cache), against
 * node's own start-up and against DuckDB's fastest cold start from node (a fresh process
 * that loads @duckdb/node-api and counts on the Parquet file: DuckDB without its CLI).
 */
const coldCount: Workload = {
  id: 'cold-count',
  title: 'Cold `vast count` (whole process)',
  async run(ctx) {
    const { meta } = await ctx.zeek();
    const v = await ctx.vastImport('zeek');
    const d = await ctx.duckIngest('zeek', 1);
    const address = needleOf(meta).address;
    const vast = await medianRun(
      process.execPath,
      [VAST_BIN, ...ctx.vastThreadArgs(), 'count', '-d', v.db, `id.orig_h == ${address}`],
      COLD_RUNS,
    );
    check(vast.last, 'vast count');
    // Without an expression every event matches: the catalog alone answers.
    const all = await medianRun(
      process.execPath,
      [VAST_BIN, ...ctx.vastThreadArgs(), 'count', '-d', v.db],
      COLD_RUNS,
    );
    check(all.last, 'vast count (no expression)');
    const node = await medianRun(process.execPath, ['-e', '0'], COLD_RUNS);
    const duckJob = {
      threads: ctx.opts.threads,
      steps: [
        { name: 'count', sql: parquetCount(d.parquet, `${ident('id.orig_h')} = ${sqlString(address)}`) },
      ],
    };
    const duck = await medianRun(process.execPath, duckWorkerArgs(duckJob), COLD_RUNS);
    const duckCount = (JSON.parse(check(duck.last, 'DuckDB worker').stdout) as DuckResult).steps[0]
      .rows[0]?.[0];
    const metric = `fresh process, median of ${COLD_RUNS}, ${ctx.vastThreadsLabel()}`;
    const base = { metric, unit: 'ms', better: 'lower', vast: vast.ms } as const;
    const rows: Row[] = [
      row({
        ...base,
        baseline: '`node -e 0` (node start-up alone)',
        baselineValue: node.ms,
        target: `≤ ${COLD_COUNT_LIMIT_MS} ms`,
        met: vast.ms <= COLD_COUNT_LIMIT_MS,
      }),
      row({
        ...base,
        metric: `${metric}, no expression`,
        vast: all.ms,
        baseline: '`node -e 0` (node start-up alone)',
        baselineValue: node.ms,
        target: `≤ ${COLD_COUNT_LIMIT_MS} ms`,
        met: all.ms <= COLD_COUNT_LIMIT_MS,
      }),
      row({
        ...base,
        baseline: `DuckDB from node, fresh process: load, connect, one count on Parquet (threads=${ctx.opts.threads})`,
        baselineValue: duck.ms,
      }),
      rssRow('peak RSS of a `vast count` process', vast.last, 'DuckDB from node, fresh process', duck.last),
    ];
    const hits = vast.last.stdout.trim();
    const notes = [
      `vast count without an expression: ${all.last.stdout.trim()} events, expected ${meta.events}` +
        (all.last.stdout.trim() === String(meta.events) ? ' (agree)' : ' — MISMATCH'),
      `vast count − node start-up: ${(vast.ms - node.ms).toFixed(0)} ms of vast's own`,
      `hits: vast count ${hits}, DuckDB ${String(duckCount)}, expected ${meta.needle?.hits}` +
        (hits === String(duckCount) ? ' (agree)' : ' — MISMATCH'),
    ];
    return { rows, notes, details: { vast, node, duck, agree: hits === String(duckCount) } };
  },
};

/** The sightings stored in `db` (internal events: only a query that names their schema sees them). */
async function sightings(ctx: BenchContext, db: string): Promise<number> {
  const r = await vast(ctx, ['-d', db, 'count', '#schema == "vast.sighting"'], 'vast count sightings');
  return Number(r.stdout.trim());
}

/** Bytes of the matching kernels of an intel set (`vast intel show NAME --json`). */
async function setMemory(ctx: BenchContext, db: string, name: string): Promise<number> {
  const r = await vast(ctx, ['-d', db, 'intel', 'show', name, '--json'], 'vast intel show');
  return (JSON.parse(r.stdout) as { memoryBytes: number }).memoryBytes;
}

/** DuckDB's count of the (event, indicator, field) matches of an IP list on the Parquet copy. */
async function duckHunt(ctx: BenchContext, parquet: string, file: string) {
  const dq = await ctx.duck({
    threads: ctx.opts.threads,
    steps: [{ name: 'hunt', sql: huntSql(parquet, file) }],
  });
  return { ...dq, matches: Number(dq.result.steps[0].rows[0]?.[0]) };
}

const agreement = (vastCount: number, duckCount: number) =>
  `sightings: vast ${vastCount}, DuckDB join ${duckCount}${vastCount === duckCount ? ' (agree)' : ' — MISMATCH'}`;

/** The bound on ingest with intel sets loaded, as a share of the plain ingest's rate. */
const INTEL_INGEST_SHARE = 0.8;

/**
 * Ingest with a million IPs and 100,000 domains of intel loaded (matched live on every
 * event) against the plain ingest of the same file in the same run.
 */
const intelIngest: Workload = {
  id: 'intel-ingest',
  title: `Ingest Zeek conn with intel (${INTEL_SIZES.ips.toLocaleString('en-US')} IPs, ${INTEL_SIZES.domains.toLocaleString('en-US')} domains)`,
  async run(ctx) {
    const { meta } = await ctx.zeek();
    const files = intelFiles(meta, ctx.opts.cacheDir, ctx.opts.quick);
    const plain = await ctx.vastImport('zeek');
    const loads: Record<string, ProcessRun> = {};
    const v = await ctx.vastImport('zeek', {
      name: 'intel',
      async before(db) {
        log('intel-ingest: loading the sets ...');
        loads.ips = await vast(ctx, ['-d', db, 'intel', 'add', 'ips', '-r', files.ips], 'vast intel add ips');
        loads.domains = await vast(
          ctx,
          ['-d', db, 'intel', 'add', 'domains', '-r', files.domains, '--subdomains'],
          'vast intel add domains',
        );
      },
    });
    const n = meta.events;
    const seen = await sightings(ctx, v.db);
    const memory = { ips: await setMemory(ctx, v.db, 'ips'), domains: await setMemory(ctx, v.db, 'domains') };
    const d = await ctx.duckIngest('zeek', 1);
    const duck = await duckHunt(ctx, d.parquet, files.ips);
    const rows = importShareRows(
      ctx,
      n,
      { loaded: v.run, plain: plain.run },
      { with: 'with the sets', without: 'no sets' },
      INTEL_INGEST_SHARE,
    );
    const seconds = (r: ProcessRun) => `${(r.wallMs / 1000).toFixed(2)} s`;
    const notes = [
      `${n.toLocaleString('en-US')} events; import with the sets ${seconds(v.run)} wall, ` +
        `${((v.run.cpuMs ?? Number.NaN) / 1000).toFixed(2)} s CPU; plain import ${seconds(plain.run)} wall, ` +
        `${((plain.run.cpuMs ?? Number.NaN) / 1000).toFixed(2)} s CPU`,
      `sets loaded before the import: ${files.sizes.ips.size.toLocaleString('en-US')} IPs in ${seconds(loads.ips)} (${mib(memory.ips)}: matching kernels and indicators), ` +
        `${files.sizes.domains.size.toLocaleString('en-US')} domains --subdomains in ${seconds(loads.domains)} (${mib(memory.domains)})`,
      `${agreement(seen, duck.matches)} (the IP list on id.orig_h and id.resp_h; conn events have no domain field)`,
    ];
    return {
      rows,
      notes,
      details: {
        vast: v,
        plain,
        loads,
        sightings: seen,
        memoryBytes: memory,
        duckdb: duck,
        agree: seen === duck.matches,
      },
    };
  },
};

const HUNT_LINE = /retro hunt: (\d+) sightings in (\d+) partitions?/;

/**
 * `vast intel add` of a 10,000-IP set over the stored conn events (the command returns
 * once its retro hunt is done), against the same hunt as a DuckDB join on the Parquet copy.
 * It adds a set and sightings to the shared database: it runs after the workloads that
 * read that database.
 */
const intelHunt: Workload = {
  id: 'intel-hunt',
  title: `Retro hunt of ${INTEL_SIZES.hunt.toLocaleString('en-US')} IPs`,
  async run(ctx) {
    const { meta } = await ctx.zeek();
    const files = intelFiles(meta, ctx.opts.cacheDir, ctx.opts.quick);
    const v = await ctx.vastImport('zeek');
    const d = await ctx.duckIngest('zeek', 1);
    log('intel-hunt: vast intel add hunt10k ...');
    const hunt = await vast(
      ctx,
      ['-d', v.db, 'intel', 'add', 'hunt10k', '-r', files.hunt],
      'vast intel add hunt10k',
    );
    const m = HUNT_LINE.exec(hunt.stdout);
    if (!m) throw new Error(`vast intel add printed no retro hunt line:\n${hunt.stdout}`);
    const [found, partitions] = [Number(m[1]), Number(m[2])];
    const stored = await sightings(ctx, v.db);
    log('intel-hunt: DuckDB join ...');
    const duck = await duckHunt(ctx, d.parquet, files.hunt);
    const duckLabel = `DuckDB join on Parquet (threads=${duck.result.threads})`;
    const base = {
      metric: `whole process: \`vast intel add\` with its retro hunt, ${ctx.vastThreadsLabel()}`,
      unit: 'ms',
      better: 'lower',
      vast: hunt.wallMs,
    } as const;
    const whole = row({
      ...base,
      baseline: `${duckLabel}, whole process (node, load, connect, query)`,
      baselineValue: duck.run.wallMs,
      target: 'faster than DuckDB (> 1×)',
    });
    whole.met = (whole.ratio ?? 0) > 1;
    const rows: Row[] = [
      whole,
      row({
        ...base,
        baseline: `${duckLabel}, the query alone`,
        baselineValue: duck.result.steps[0].ms[0],
      }),
      rssRow('peak RSS of `vast intel add` with its hunt', hunt, `${duckLabel}, its process`, duck.run),
    ];
    const notes = [
      `${files.sizes.hunt.size.toLocaleString('en-US')} IPs (${files.sizes.hunt.real.toLocaleString('en-US')} of them from the data) over ` +
        `${meta.events.toLocaleString('en-US')} events in ${partitions} partitions; vast ${(hunt.wallMs / 1000).toFixed(2)} s wall, ` +
        `${((hunt.cpuMs ?? Number.NaN) / 1000).toFixed(2)} s CPU (CPU/wall ${cpuShare(hunt)})`,
      `${agreement(found, duck.matches)}; stored sightings after the hunt: ${stored}` +
        (stored === found ? '' : " — differs from the hunt's own count"),
    ];
    return {
      rows,
      notes,
      details: {
        vast: hunt,
        sightings: found,
        stored,
        partitions,
        duckdb: duck,
        agree: found === duck.matches,
      },
    };
  },
};

/** Every workload, in the order they run and are reported. */
export const workloads: readonly Workload[] = [
  ingest('zeek', 'Ingest Zeek conn TSV', { perCoreVsDuck1: true }),
  ingest('eve', 'Ingest Suricata EVE', { perCore: 300_000 }),
  atRest,
  needle,
  subnet,
  timeRange,
  regex,
  substring,
  aggregate,
  coldCount,
  rss,
  intelIngest,
  sigmaIngest,
  // Last: it adds a set and sightings to the database the workloads above read.
  intelHunt,
];
