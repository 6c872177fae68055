/**
 * The workloads of issue 6, each measuring vast and its baselines on the same
 * files in the same run. A workload returns rows (see report.ts); shared
 * preparation (data, imports, Parquet files) comes from BenchContext.
 */
import {
  type BenchContext,
  type DataKind,
  ident,
  parquetCount,
  SkipError,
  sqlString,
  VAST_BIN,
  WARM_BUDGET_MS,
} from './context.js';
import type { DatasetMeta } from './generate.js';
import { check, median, type ProcessRun, runMeasured, toolVersion } from './measure.js';
import { type Row, row, type WorkloadResult } from './report.js';

export interface Workload {
  id: string;
  title: string;
  run(ctx: BenchContext): Promise<Omit<WorkloadResult, 'id' | 'title'>>;
}

const MIB = 2 ** 20;

/** Events per second of wall time. */
const perSecond = (events: number, r: ProcessRun) => events / (r.wallMs / 1000);
/**
 * Events per CPU-second (events/s ÷ CPU/wall): the throughput of one busy core,
 * whether the process used helper threads or lost the CPU to other processes.
 * Falls back to wall time when CPU time is unknown.
 */
const perCore = (events: number, r: ProcessRun) => events / ((r.cpuMs ?? r.wallMs) / 1000);
const cpuShare = (r: ProcessRun) => (r.cpuMs === undefined ? 'unknown' : (r.cpuMs / r.wallMs).toFixed(2));

function ingest(kind: DataKind, title: string, perCoreTarget: number): Workload {
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
      const vastPerCore = perCore(n, v.run);
      const rows: Row[] = [
        row({
          metric: 'events/s per core (events ÷ CPU seconds)',
          unit: 'events/s',
          better: 'higher',
          vast: vastPerCore,
          baseline: `${what}, 1 thread`,
          baselineValue: perCore(n, d1.run),
          target: `≥ ${perCoreTarget.toLocaleString('en-US')}/s per core`,
          met: vastPerCore >= perCoreTarget,
        }),
      ];
      const wall = row({
        metric: 'events/s (wall)',
        unit: 'events/s',
        better: 'higher',
        vast: perSecond(n, v.run),
        baseline: `${what}, 1 thread`,
        baselineValue: perSecond(n, d1.run),
        ...(kind === 'zeek' ? { target: 'not slower than DuckDB' } : {}),
      });
      if (kind === 'zeek') wall.met = (wall.ratio ?? 0) >= 1;
      rows.push(wall);
      rows.push(
        row({
          metric: 'events/s (wall)',
          unit: 'events/s',
          better: 'higher',
          vast: perSecond(n, v.run),
          baseline: `${what}, threads=${dAll.result.threads}`,
          baselineValue: perSecond(n, dAll.run),
        }),
      );
      const notes = [
        `${n.toLocaleString('en-US')} events; vast import ${(v.run.wallMs / 1000).toFixed(2)} s wall, CPU/wall ${cpuShare(v.run)}; ` +
          `DuckDB 1 thread ${(d1.run.wallMs / 1000).toFixed(2)} s (CPU/wall ${cpuShare(d1.run)}), ` +
          `all threads ${(dAll.run.wallMs / 1000).toFixed(2)} s (CPU/wall ${cpuShare(dAll.run)}); ` +
          'all times are whole processes, node start-up included',
      ];
      const details: Record<string, unknown> = { vast: v, duckdb1: d1, duckdbAll: dAll };
      if (kind === 'eve') {
        if (toolVersion('jq')) {
          const jq = check(await runMeasured('jq', ['-c', '.', meta.file], { discardStdout: true }), 'jq');
          rows.push(
            row({
              metric: 'events/s (wall)',
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
  /** Targets for the warm row, if the issue sets any. */
  warmTarget?: { text: string; met: (vastMs: number, ratio: number | undefined) => boolean };
  /** Extra rows (grep, rg) and notes. */
  extra?(
    ctx: BenchContext,
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
        metric: `warm, median of ${warmRuns}`,
        unit: 'ms',
        better: 'lower',
        vast: vastWarm,
        baseline: `${duckLabel}, warm`,
        baselineValue: duckWarm,
      });
      if (spec.warmTarget) {
        warm.target = spec.warmTarget.text;
        warm.met = spec.warmTarget.met(vastWarm, warm.ratio);
      }
      const rows: Row[] = [
        warm,
        row({
          metric: 'cold (fresh process, first query)',
          unit: 'ms',
          better: 'lower',
          vast: vastCold,
          baseline: `${duckLabel}, cold`,
          baselineValue: duckCold,
        }),
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
        const extra = await spec.extra(ctx, meta, vastWarm, warmRuns);
        rows.push(...extra.rows);
        notes.push(...extra.notes);
        details.extra = extra.details;
      }
      return { rows, notes, details };
    },
  };
}

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
  warmTarget: {
    text: '≤ 50 ms warm (at 10M) and ≥ 5× faster than DuckDB',
    met: (ms, ratio) => ms <= 50 && (ratio ?? 0) >= 5,
  },
  async extra(ctx, meta, vastWarm, warmRuns) {
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
      target: '≥ 50× faster than grep',
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
    // The command a user types, end to end: node start-up, catalog, pruning, scan.
    const v = await ctx.vastImport('zeek');
    const cli = check(
      await runMeasured(process.execPath, [
        VAST_BIN,
        'count',
        '-d',
        v.db,
        `id.orig_h == ${needleOf(meta).address}`,
      ]),
      'vast count',
    );
    rows.push(
      row({
        metric: 'cold: `vast count` process, end to end',
        unit: 'ms',
        better: 'lower',
        vast: cli.wallMs,
        baseline: 'grep -F -c (median of 3)',
        baselineValue: grep.ms,
      }),
    );
    counts.push(`vast count ${cli.stdout.trim()}`);
    notes.push(`lines with the address in any column (\\tX\\t): ${counts.join(', ')}`);
    details.cli = cli;
    return { rows, notes, details };
  },
});

/** The /16 that the middle replay's internal hosts live in (see rewrite.ts). */
const subnetOf = (m: DatasetMeta) => (Math.floor((m.replays - 1) / 2) >> 8) & 255;

const subnet = queryWorkload({
  id: 'subnet',
  title: 'Subnet id.orig_h in 10.X.0.0/16',
  vast: (m) => `id.orig_h in 10.${subnetOf(m)}.0.0/16`,
  duck: (p, m) => parquetCount(p, `${ident('id.orig_h')} LIKE '10.${subnetOf(m)}.%'`),
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
});

const regex = queryWorkload({
  id: 'regex',
  title: 'Regex history == /.*d.*/',
  vast: () => 'history == /.*d.*/',
  duck: (p) => parquetCount(p, `regexp_matches(history, '.*d.*')`),
});

const substring = queryWorkload({
  id: 'substring',
  title: 'Substring uid ni "Abc"',
  vast: () => 'uid ni "Abc"',
  duck: (p) => parquetCount(p, `contains(uid, 'Abc')`),
});

const aggregate = queryWorkload({
  id: 'aggregate',
  title: 'summarize count() by service',
  vast: () => '#schema == "zeek.conn" | summarize count() by service',
  duck: (p) => `SELECT service, count(*) FROM read_parquet(${sqlString(p)}) GROUP BY service`,
  grouped: true,
});

const RSS_LIMIT_MIB = 512;

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
      const mib = v.run.maxRssBytes / MIB;
      rows.push(
        row({
          metric: `${kind === 'zeek' ? 'Zeek conn' : 'Suricata EVE'} import of ${events.toLocaleString('en-US')} events, peak RSS (MiB)`,
          unit: 'MB',
          better: 'lower',
          vast: mib,
          baseline: 'DuckDB → Parquet, 1 thread (whole process)',
          baselineValue: d.run.maxRssBytes === undefined ? undefined : d.run.maxRssBytes / MIB,
          target: `≤ ${RSS_LIMIT_MIB} MB`,
          met: mib <= RSS_LIMIT_MIB,
        }),
      );
    }
    notes.push(
      `measured with ${ctx.opts.quick ? 'quick-mode data (the target is about the full data set)' : 'the full data set'}`,
    );
    return { rows, notes, details: {} };
  },
};

/** Every workload, in the order they run and are reported. */
export const workloads: readonly Workload[] = [
  ingest('zeek', 'Ingest Zeek conn TSV', 1_000_000),
  ingest('eve', 'Ingest Suricata EVE', 300_000),
  atRest,
  needle,
  subnet,
  timeRange,
  regex,
  substring,
  aggregate,
  rss,
];
