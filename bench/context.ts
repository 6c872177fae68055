/**
 * What workloads share, computed once and only when a selected workload needs
 * it: the generated data, vast's import of it, DuckDB's Parquet copy of it.
 * Everything runs one thing at a time, so that no measurement competes with
 * another for the CPU.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DuckJob, DuckResult } from './duckdb-worker.js';
import { type DatasetMeta, type Generated, gzipSize, suricataEve, writeMeta, zeekConn } from './generate.js';
import { check, dirBytes, type ProcessRun, runMeasured } from './measure.js';
import type { VastJob, VastResult } from './vast-worker.js';

/** The checkout (three levels above dist/bench/bench/). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const VAST_BIN = join(ROOT, 'bin', 'vast.js');
const HERE = fileURLToPath(new URL('.', import.meta.url));
/** Warm runs stop early (after at least one) once they have taken this long, so that slow queries at 10M events do not take the whole run. */
export const WARM_BUDGET_MS = 60_000;

export interface BenchOptions {
  events: number;
  eveEvents: number;
  /** Warm runs per query (the first, cold run comes on top). */
  repeat: number;
  cacheDir: string;
  workDir: string;
  datasets: string;
  quick: boolean;
  /** Threads for the multi-core comparisons: vast's `--threads` (once it has one) and DuckDB's queries. */
  threads: number;
}

export type DataKind = 'zeek' | 'eve';

export interface Dataset {
  meta: DatasetMeta;
  cached: boolean;
  /** Where the original came from, when it was not the shared corpus. */
  fallback?: string;
}

export interface VastImport {
  db: string;
  run: ProcessRun;
  /** Events and bytes as `vast status --json` reports them. */
  events: number;
  statusBytes: number;
  /** Every file under the database directory. */
  dirBytes: number;
}

/** A database prepared before the import (see `BenchContext.vastImport`). */
export interface ImportSetup {
  name: string;
  before(db: string): Promise<void>;
}

export interface DuckIngest {
  parquet: string;
  run: ProcessRun;
  result: DuckResult;
  bytes: number;
}

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

function once<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    p ??= f();
    return p;
  };
}

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;
const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;

/** DuckDB column types for Zeek `#types` (containers are read as text and split after). */
function duckType(zeekType: string): string {
  if (/^(set|table|vector)\[/.test(zeekType)) return 'VARCHAR';
  switch (zeekType) {
    case 'time':
    case 'interval':
    case 'double':
      return 'DOUBLE';
    case 'count':
      return 'UBIGINT';
    case 'int':
      return 'BIGINT';
    case 'port':
      return 'USMALLINT';
    case 'bool':
      return 'BOOLEAN';
    default:
      return 'VARCHAR';
  }
}

/**
 * DuckDB's equivalent of `vast import zeek`: typed columns from the header,
 * times as timestamps and sets as lists (the work vast's reader does), then
 * Parquet with zstd.
 */
function zeekToParquetSql(meta: DatasetMeta, out: string): string {
  const fields = meta.fields ?? [];
  const types = meta.types ?? [];
  const columns = fields.map((f, i) => `${sqlString(f)}: ${sqlString(duckType(types[i]))}`).join(', ');
  const replace: string[] = [];
  fields.forEach((f, i) => {
    if (types[i] === 'time')
      replace.push(`make_timestamp(CAST(round(${ident(f)} * 1e6) AS BIGINT)) AS ${ident(f)}`);
    else if (/^(set|table|vector)\[/.test(types[i]))
      replace.push(
        `CASE WHEN ${ident(f)} = '(empty)' THEN []::VARCHAR[] ELSE string_split(${ident(f)}, ',') END AS ${ident(f)}`,
      );
  });
  const select = replace.length > 0 ? `SELECT * REPLACE (${replace.join(', ')})` : 'SELECT *';
  return (
    `COPY (${select} FROM read_csv(${sqlString(meta.file)}, delim='\\t', comment='#', header=false, nullstr='-', ` +
    `quote='', escape='', auto_detect=false, columns={${columns}})) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd)`
  );
}

function eveToParquetSql(meta: DatasetMeta, out: string): string {
  return `COPY (SELECT * FROM read_json(${sqlString(meta.file)}, format='newline_delimited')) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd)`;
}

/** The arguments of node for a DuckDB job in a process of its own (duckdb-worker.ts). */
export const duckWorkerArgs = (job: DuckJob): string[] => [
  join(HERE, 'duckdb-worker.js'),
  JSON.stringify(job),
];

/** `SELECT count(*)` over a Parquet file. */
export const parquetCount = (parquet: string, where: string) =>
  `SELECT count(*) FROM read_parquet(${sqlString(parquet)}) WHERE ${where}`;
export { ident, sqlString };

export class BenchContext {
  readonly notes: string[] = [];
  /** The data sets prepared so far, for the report. */
  readonly prepared: Dataset[] = [];

  constructor(readonly opts: BenchOptions) {}

  private threadFlag: string[] | undefined;

  /**
   * `--threads N` for vast's command line, when vast has that global option (its `--help`
   * lists it); until then nothing, and vast runs as it does by default. Asked once.
   */
  vastThreadArgs(): string[] {
    if (this.threadFlag === undefined) {
      const help = spawnSync(process.execPath, [VAST_BIN, '--help'], { encoding: 'utf8' });
      this.threadFlag = /^\s+--threads\b/m.test(help.stdout) ? ['--threads', String(this.opts.threads)] : [];
      if (this.threadFlag.length === 0)
        this.notes.push(
          `vast has no --threads option yet: its commands ran without one (--threads ${this.opts.threads} applied to DuckDB's queries only)`,
        );
    }
    return this.threadFlag;
  }

  /** How vast's processes were threaded, for row labels. */
  vastThreadsLabel(): string {
    return this.vastThreadArgs().length > 0
      ? `vast --threads ${this.opts.threads}`
      : 'vast (no --threads option)';
  }

  readonly zeek = once(async (): Promise<Dataset> => {
    let source = join(this.opts.datasets, 'zeek', 'conn.log');
    let fallback: string | undefined;
    if (!existsSync(source)) {
      const local = join(ROOT, 'test', 'data', 'zeek', 'conn.log');
      if (!existsSync(local)) throw new Error(`no Zeek conn.log: neither ${source} nor ${local} exists`);
      fallback = `${source} is absent; using ${local}`;
      this.notes.push(`shared datasets absent: Zeek data replayed from ${local}`);
      source = local;
    }
    return this.generate(
      'zeek',
      () => zeekConn({ source, events: this.opts.events, cacheDir: this.opts.cacheDir }),
      fallback,
    );
  });

  readonly eve = once(async (): Promise<Dataset> => {
    const source = join(this.opts.datasets, 'suricata', 'example-pcap_eve.json');
    if (!existsSync(source)) throw new SkipError(`${source} is absent (shared datasets not found)`);
    return this.generate('eve', () =>
      suricataEve({ source, events: this.opts.eveEvents, cacheDir: this.opts.cacheDir }),
    );
  });

  data(kind: DataKind): Promise<Dataset> {
    return kind === 'zeek' ? this.zeek() : this.eve();
  }

  private async generate(kind: DataKind, make: () => Generated, fallback?: string): Promise<Dataset> {
    log(`preparing ${kind} data ...`);
    const { meta, cached } = make();
    log(
      `${kind} data: ${meta.events} events, ${(meta.bytes / 2 ** 20).toFixed(0)} MiB at ${meta.file}` +
        (cached ? ' (cached)' : ` (generated in ${(meta.generateMs / 1000).toFixed(1)} s)`),
    );
    const d = { meta, cached, fallback };
    this.prepared.push(d);
    return d;
  }

  /** Size of the data gzipped at level 6, computed once per file and kept in its meta. */
  async gzipBytes(kind: DataKind): Promise<number> {
    const { meta } = await this.data(kind);
    if (meta.gzipBytes === undefined) {
      log(`gzip -6 of ${meta.file} ...`);
      meta.gzipBytes = await gzipSize(meta.file);
      writeMeta(meta);
    }
    return meta.gzipBytes;
  }

  private readonly imports = new Map<string, Promise<VastImport>>();

  /**
   * `vast import zeek|suricata -r FILE -d DB` into a fresh database, measured. With
   * `setup`, the database is `vast-KIND-NAME.db` and `setup.before` prepares it (loads
   * intel sets, say) before the import; without, it is the plain import the other
   * workloads share.
   */
  vastImport(kind: DataKind, setup?: ImportSetup): Promise<VastImport> {
    const name = setup ? `vast-${kind}-${setup.name}.db` : `vast-${kind}.db`;
    let p = this.imports.get(name);
    if (!p) {
      p = this.runVastImport(kind, join(this.opts.workDir, name), setup);
      this.imports.set(name, p);
    }
    return p;
  }

  private async runVastImport(kind: DataKind, db: string, setup?: ImportSetup): Promise<VastImport> {
    const { meta } = await this.data(kind);
    rmSync(db, { recursive: true, force: true });
    await setup?.before(db);
    log(`vast import ${kind}${setup ? ` (${setup.name})` : ''} (${meta.events} events) ...`);
    const format = kind === 'zeek' ? 'zeek' : 'suricata';
    const run = check(
      await runMeasured(process.execPath, [
        VAST_BIN,
        ...this.vastThreadArgs(),
        'import',
        format,
        '-r',
        meta.file,
        '-d',
        db,
      ]),
      `vast import ${format}`,
    );
    const status = check(
      await runMeasured(process.execPath, [VAST_BIN, 'status', '--json', '-d', db]),
      'vast status',
    );
    const s = JSON.parse(status.stdout) as { events: number; bytes: number };
    log(`vast import ${kind}: ${(run.wallMs / 1000).toFixed(1)} s, ${s.events} events`);
    if (s.events !== meta.events)
      this.notes.push(
        `vast imported ${s.events} of ${meta.events} ${kind} events (stderr: ${run.stderr.trim().slice(-300)})`,
      );
    return { db, run, events: s.events, statusBytes: s.bytes, dirBytes: dirBytes(db) };
  }

  private readonly duckIngests = new Map<string, Promise<DuckIngest>>();

  /** DuckDB's import of the same file into Parquet (zstd), with 1 thread or DuckDB's default (all cores). */
  duckIngest(kind: DataKind, threads: 1 | 'all'): Promise<DuckIngest> {
    const key = `${kind}-${threads}`;
    let p = this.duckIngests.get(key);
    if (!p) {
      p = this.runDuckIngest(kind, threads);
      this.duckIngests.set(key, p);
    }
    return p;
  }

  private async runDuckIngest(kind: DataKind, threads: 1 | 'all'): Promise<DuckIngest> {
    const { meta } = await this.data(kind);
    const parquet = join(this.opts.workDir, `duckdb-${kind}-${threads}.parquet`);
    rmSync(parquet, { force: true });
    const sql = kind === 'zeek' ? zeekToParquetSql(meta, parquet) : eveToParquetSql(meta, parquet);
    log(`DuckDB ${kind} → Parquet (threads=${threads}) ...`);
    const { run, result } = await this.duck({
      threads: threads === 'all' ? undefined : 1,
      steps: [{ name: 'copy', sql }],
    });
    return { parquet, run, result, bytes: statSync(parquet).size };
  }

  /** Runs a DuckDB job in a fresh process. */
  async duck(job: DuckJob): Promise<{ run: ProcessRun; result: DuckResult }> {
    const run = check(await runMeasured(process.execPath, duckWorkerArgs(job)), 'DuckDB worker');
    return { run, result: JSON.parse(run.stdout) as DuckResult };
  }

  /** Runs a vast query in a fresh process: a cold run, then `repeat` warm ones. */
  async vastQuery(db: string, query: string): Promise<{ run: ProcessRun; result: VastResult }> {
    const job: VastJob = {
      db,
      query,
      repeat: 1 + this.opts.repeat,
      budgetMs: WARM_BUDGET_MS,
      threads: this.opts.threads,
    };
    const run = check(
      await runMeasured(process.execPath, [join(HERE, 'vast-worker.js'), JSON.stringify(job)]),
      `vast query '${query}'`,
    );
    return { run, result: JSON.parse(run.stdout) as VastResult };
  }
}

/** A workload that cannot run here (missing data); reported, not fatal. */
export class SkipError extends Error {}
