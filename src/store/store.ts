/**
 * The store: a database directory of immutable partitions and a catalog.
 *
 *   <db>/catalog.json            committed partitions and their synopses
 *   <db>/partitions/<id>.parquet Parquet file: row groups of ~64Ki rows, zstd pages
 *   <db>/partitions/<id>.sketch  Bloom filters of the partition's ip/string fields
 *   <db>/staging/                partitions being written, not yet committed
 *   <db>/quarantine/             partitions (and catalogs) that failed verification,
 *                                each with `<id>.reason` saying what failed
 *   <db>/LOCK                    the writer lock (one importer at a time)
 *
 * Commit protocol (nothing acknowledged is lost, nothing partial is visible):
 * partition and sketch files are written and fsync'd in staging/; then the
 * catalog is rewritten atomically to include them (the commit point); then the
 * files are renamed into partitions/. Recovery on the next open rolls a commit
 * that crashed after the catalog write forward, and deletes everything else in
 * staging/ (imports that never committed).
 *
 * Integrity: the catalog carries its own checksum, each sidecar a checksum of
 * itself (also recorded in the catalog) and the chunk checksums of its
 * partition file, verified as queries read (see checksum.ts). A file that
 * fails is quarantined: moved to quarantine/ with a reason, dropped from the
 * catalog, reported as a warning; queries go on over the rest. A catalog that
 * fails is set aside and rebuilt from the partitions.
 */

import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { crc32 } from 'node:zlib';
import type * as A from 'apache-arrow';
import { StoreError } from '../diagnostics.js';
import { arrowSchema, SCHEMA_NAME_KEY, vastSchema } from '../types/arrow.js';
import { plainStrings } from '../types/dictionary-strings.js';
import type { Schema } from '../types/type.js';
import { ID_RE, LEGACY_PARTITION_EXT, type PartitionEntry, readCatalog, writeCatalog } from './catalog.js';
import { type FileChecksums, fileChecksums, verifyFile } from './checksum.js';
import { CorruptionError } from './errors.js';
import { ensureDir, fsyncDir, tightenModes, writeFileAtomic } from './fs-util.js';
import { readLegacyPartition } from './legacy-partition.js';
import { acquireLock, type Lock } from './lock.js';
import {
  FooterCache,
  layoutFingerprint,
  PartitionReader,
  PartitionWriter,
  readPartition,
  type WrittenPartition,
} from './partition.js';
import { SidecarCache, type SketchCacheStats, sketchCost } from './sketch-cache.js';
import { decodeSketch, type Sketch, SynopsisBuilder } from './synopsis.js';

export const DEFAULT_PARTITION_SIZE = 1_048_576;
const IMPORT_TIME_KEY = 'vast.import_time';
const PARTITION_EXT = '.parquet';
const SKETCH_EXT = '.sketch';
const QUARANTINE = 'quarantine';
const REASON_EXT = '.reason';
/** How long a reader waits for the writer lock to quarantine a file before it only skips it. */
const QUARANTINE_LOCK_MS = 5_000;

/** A quarantined partition (or catalog), as its reason file records it. */
export interface QuarantineRecord {
  id: string;
  schema?: string;
  events?: number;
  /** The file that failed, relative to the database directory. */
  file: string;
  reason: string;
  /** ISO 8601. */
  time: string;
}

export interface StoreOptions {
  create?: boolean;
  /** Open a database that still holds partitions of the first format (`vast rebuild` converts them). */
  legacy?: boolean;
  /** Where warnings go (quarantines, rebuilt catalogs); default: standard error. */
  warn?: (message: string) => void;
}

const stderrWarn = (message: string) => {
  process.stderr.write(`warning: ${message}\n`);
};

export interface StoreStatus {
  partitions: number;
  events: number;
  bytes: number;
  schemas: { name: string; partitions: number; events: number; bytes: number; bytesPerEvent: number }[];
  quarantined: QuarantineRecord[];
}

export class Store {
  private entries: PartitionEntry[];
  /** Importers of this object holding the writer lock (catalog changes need no other lock then). */
  private writers = 0;
  /** Decoded sidecars, across queries. */
  private readonly sidecars = new SidecarCache();
  /** Parsed partition footers, across queries (see FooterCache). */
  private readonly footers = new FooterCache();

  private constructor(
    readonly dir: string,
    entries: PartitionEntry[],
    readonly warn: (message: string) => void,
  ) {
    this.entries = entries;
  }

  /**
   * Opens (and with `create`, makes) a database directory. Readers never take
   * the lock; a missing, stale or corrupt catalog is rebuilt under the lock.
   * Writers (`create`) also tighten the modes of files an older version wrote.
   */
  static async open(dir: string, opts: StoreOptions = {}): Promise<Store> {
    if (!existsSync(dir)) {
      if (!opts.create)
        throw new StoreError(`no database at ${dir} (import something first, or pass -d DIR)`);
      ensureDir(join(dir, 'partitions'));
      ensureDir(join(dir, 'staging'));
    }
    if (!opts.legacy && legacyPartitionFiles(dir).length > 0)
      throw new StoreError(
        `the database at ${dir} holds partitions in the old format (Arrow IPC); run 'vast rebuild -d ${dir}' once to convert them to Parquet (nothing is lost)`,
      );
    if (opts.create) tightenModes(dir);
    const store = new Store(dir, [], opts.warn ?? stderrWarn);
    let doc: ReturnType<typeof readCatalog>;
    try {
      doc = readCatalog(store.catalogPath);
    } catch (e) {
      if (!(e instanceof CorruptionError)) throw e;
      await store.rebuild(e);
      return store;
    }
    if (doc) store.entries = doc.partitions;
    else if (store.partitionFiles().length > 0) await store.rebuild();
    return store;
  }

  get catalogPath(): string {
    return join(this.dir, 'catalog.json');
  }

  /** The highest write-ahead-log segment already contained in partitions (see PartitionEntry.walSegment). */
  committedWalSegment(): number {
    return this.entries.reduce((m, e) => Math.max(m, e.walSegment ?? -1), -1);
  }

  /** The distinct layouts (schemas) of all committed partitions. */
  schemas(): Schema[] {
    const seen = new Map<string, Schema>();
    for (const e of this.entries)
      if (!seen.has(e.fingerprint))
        seen.set(e.fingerprint, { name: e.schema, type: e.layout, timestamp: e.timestamp });
    return [...seen.values()];
  }

  /** Committed partitions, oldest first. */
  partitions(): readonly PartitionEntry[] {
    return this.entries;
  }

  /** The file of a partition; during the last step of a commit it may still sit in staging/. */
  partitionPath(e: Pick<PartitionEntry, 'id'>, ext = PARTITION_EXT): string {
    const p = join(this.dir, 'partitions', e.id + ext);
    if (existsSync(p)) return p;
    const staged = join(this.dir, 'staging', e.id + ext);
    return existsSync(staged) ? staged : p;
  }

  sketchPath(e: Pick<PartitionEntry, 'id'>): string {
    return this.partitionPath(e, SKETCH_EXT);
  }

  /**
   * A partition's sidecar, verified against the checksum in its catalog
   * entry; throws a CorruptionError if it is missing, damaged or foreign.
   */
  sketch(e: Pick<PartitionEntry, 'id' | 'sketchBytes' | 'sketchCrc'>): Sketch {
    const cached = this.sidecars.get(e);
    if (cached) return cached;
    const path = this.sketchPath(e);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new CorruptionError(path, 'sidecar is missing');
      throw err;
    }
    if (e.sketchCrc !== undefined) {
      if (bytes.length !== e.sketchBytes)
        throw new CorruptionError(
          path,
          `sidecar is ${bytes.length} bytes, the catalog says ${e.sketchBytes}`,
        );
      if (crc32(bytes) !== e.sketchCrc) throw new CorruptionError(path, 'sidecar checksum mismatch');
    }
    const sketch = decodeSketch(bytes, path);
    this.sidecars.put(e, sketch, sketchCost(bytes.length, sketch));
    return sketch;
  }

  /** How the cache of decoded sidecars is doing. */
  sketchCacheStats(): SketchCacheStats {
    return this.sidecars.stats();
  }

  /** The verified sidecar of a committed partition, by id (for queries' sketch caches). */
  sketchOf(id: string): Sketch {
    const e = this.entries.find((x) => x.id === id);
    if (!e) throw new CorruptionError(this.sketchPath({ id }), 'partition is no longer in the catalog');
    return this.sketch(e);
  }

  /** The chunk checksums of a partition file, or undefined for a legacy (unverified) partition. */
  private checksums(e: PartitionEntry): FileChecksums | undefined {
    const sums = this.sketch(e).file;
    if (!sums) {
      // Legacy partition: at least its size must match the catalog.
      const path = this.partitionPath(e);
      const size = statOrMissing(path);
      if (size !== e.bytes)
        throw new CorruptionError(path, `size is ${size} bytes, the catalog says ${e.bytes}`);
    }
    return sums;
  }

  /** Batches (row groups) of the given partitions (default: all), in catalog order, verified. */
  async *batches(entries: readonly PartitionEntry[] = this.entries): AsyncGenerator<A.RecordBatch> {
    for (const e of entries) yield* this.selectedBatches(e, () => true);
  }

  /** The row groups of one partition that `want` accepts (by index), reading (and verifying) nothing else. */
  selectedBatches(e: PartitionEntry, want: (index: number) => boolean): AsyncGenerator<A.RecordBatch> {
    const { path, sums } = this.partitionFile(e);
    return readPartition(path, { want, sums });
  }

  /** Opens a partition for reading row groups column by column (close it when done). */
  openPartition(e: PartitionEntry): Promise<PartitionReader> {
    const { path, sums } = this.partitionFile(e);
    return PartitionReader.open(path, sums, this.footers);
  }

  /** A committed partition's file and the checksums to verify it with; throws if it is gone. */
  partitionFile(e: PartitionEntry): { path: string; sums: FileChecksums | undefined } {
    const path = this.partitionPath(e);
    const sums = this.checksums(e);
    if (!existsSync(path)) throw new CorruptionError(path, 'partition file is missing');
    return { path, sums };
  }

  /**
   * Takes a partition that failed verification out of the database: its
   * files go to quarantine/ with a reason file, its catalog entry goes. A
   * query calls this and goes on; returns the warning it logged. Idempotent.
   */
  async quarantine(e: PartitionEntry, err: CorruptionError): Promise<string> {
    this.sidecars.drop(e.id);
    const what = `partition ${e.id} (${e.schema}, ${e.events} events)`;
    const message = `quarantined ${what}: ${relative(this.dir, err.file) || err.file}: ${err.reason}`;
    try {
      await this.underWriterLock(() => {
        this.moveToQuarantine({ id: e.id, schema: e.schema, events: e.events }, err);
        const current = this.writers > 0 ? this.entries : (readCatalog(this.catalogPath)?.partitions ?? []);
        const next = current.filter((x) => x.id !== e.id);
        if (next.length !== current.length) writeCatalog(this.catalogPath, next);
        this.entries = next;
      });
    } catch (lockErr) {
      if (!(lockErr instanceof StoreError) || lockErr instanceof CorruptionError) throw lockErr;
      const skipped = `${what} failed verification and is skipped (${relative(this.dir, err.file)}: ${err.reason}); not quarantined: ${lockErr.message}`;
      this.entries = this.entries.filter((x) => x.id !== e.id);
      this.warn(skipped);
      return skipped;
    }
    this.warn(message);
    return message;
  }

  /** Runs `fn` holding the writer lock: our own importer's, or taken for the call. */
  private async underWriterLock(fn: () => void): Promise<void> {
    if (this.writers > 0) return fn();
    const lock = await acquireLock(this.dir, QUARANTINE_LOCK_MS);
    try {
      fn();
    } finally {
      lock.release();
    }
  }

  /** Writes the reason file, then moves the files (the catalog change is the caller's). */
  private moveToQuarantine(
    who: Pick<QuarantineRecord, 'id' | 'schema' | 'events'>,
    err: CorruptionError,
  ): void {
    const qdir = join(this.dir, QUARANTINE);
    ensureDir(qdir);
    const reasonPath = join(qdir, who.id + REASON_EXT);
    if (!existsSync(reasonPath)) {
      const record: QuarantineRecord = {
        ...who,
        file: relative(this.dir, err.file) || basename(err.file),
        reason: err.reason,
        time: new Date().toISOString(),
      };
      writeFileAtomic(reasonPath, `${JSON.stringify(record)}\n`);
    }
    for (const ext of [PARTITION_EXT, LEGACY_PARTITION_EXT, SKETCH_EXT])
      for (const sub of ['partitions', 'staging']) {
        const from = join(this.dir, sub, who.id + ext);
        if (existsSync(from)) renameSync(from, join(qdir, who.id + ext));
      }
    fsyncDir(qdir);
  }

  /** The quarantined files, oldest first. */
  quarantined(): QuarantineRecord[] {
    const qdir = join(this.dir, QUARANTINE);
    if (!existsSync(qdir)) return [];
    const out: QuarantineRecord[] = [];
    for (const f of readdirSync(qdir).filter((x) => x.endsWith(REASON_EXT))) {
      try {
        out.push(JSON.parse(readFileSync(join(qdir, f), 'utf8')) as QuarantineRecord);
      } catch {
        out.push({ id: f.slice(0, -REASON_EXT.length), file: f, reason: 'unreadable reason file', time: '' });
      }
    }
    return out.sort((a, b) => a.time.localeCompare(b.time));
  }

  status(): StoreStatus {
    const bySchema = new Map<string, { partitions: number; events: number; bytes: number }>();
    for (const e of this.entries) {
      const s = bySchema.get(e.schema) ?? { partitions: 0, events: 0, bytes: 0 };
      s.partitions++;
      s.events += e.events;
      s.bytes += e.bytes + e.sketchBytes;
      bySchema.set(e.schema, s);
    }
    const schemas = [...bySchema.entries()]
      .map(([name, s]) => ({ name, ...s, bytesPerEvent: s.events ? s.bytes / s.events : 0 }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return {
      partitions: this.entries.length,
      events: schemas.reduce((n, s) => n + s.events, 0),
      bytes: schemas.reduce((n, s) => n + s.bytes, 0),
      schemas,
      quarantined: this.quarantined(),
    };
  }

  /** Starts an import; holds the writer lock until `commit` or `abort`. */
  async importer(opts: { atomic?: boolean; partitionSize?: number } = {}): Promise<Importer> {
    const lock = await acquireLock(this.dir);
    try {
      await this.recover();
    } catch (e) {
      lock.release();
      throw e;
    }
    this.writers++;
    const release = () => {
      this.writers--;
      lock.release();
    };
    return new Importer(
      this,
      { release },
      opts.atomic ?? false,
      opts.partitionSize ?? DEFAULT_PARTITION_SIZE,
    );
  }

  /**
   * Re-reads the catalog and finishes or discards interrupted commits. Runs
   * under the writer lock.
   */
  private async recover(): Promise<void> {
    try {
      this.entries = readCatalog(this.catalogPath)?.partitions ?? this.entries;
    } catch (e) {
      if (!(e instanceof CorruptionError)) throw e;
      await this.rebuildLocked(e);
    }
    ensureDir(join(this.dir, 'staging'));
    ensureDir(join(this.dir, 'partitions'));
    const committed = new Set(this.entries.map((e) => e.id));
    const missing: string[] = [];
    for (const e of this.entries) {
      for (const ext of [PARTITION_EXT, SKETCH_EXT]) {
        const final = join(this.dir, 'partitions', e.id + ext);
        const staged = join(this.dir, 'staging', e.id + ext);
        if (!existsSync(final) && existsSync(staged)) renameSync(staged, final);
      }
      if (!existsSync(join(this.dir, 'partitions', e.id + PARTITION_EXT))) missing.push(e.id);
    }
    for (const f of readdirSync(join(this.dir, 'staging'))) {
      if (!committed.has(f.replace(/\.[^.]+$/, ''))) rmSync(join(this.dir, 'staging', f), { force: true });
    }
    if (missing.length > 0) {
      // Only possible if files were deleted by hand; keep the catalog truthful.
      this.entries = this.entries.filter((e) => !missing.includes(e.id));
      writeCatalog(this.catalogPath, this.entries);
      this.warn(`dropped ${missing.length} catalog entries whose partition files are gone`);
    }
    this.sidecars.retain(this.entries);
    fsyncDir(join(this.dir, 'partitions'));
  }

  /** Makes staged partitions part of the database (see the commit protocol above). */
  commit(staged: readonly PartitionEntry[]): void {
    if (staged.length === 0) return;
    // Written first: if the write fails (a full disk), the store stays as it was.
    const next = [...this.entries, ...staged];
    writeCatalog(this.catalogPath, next);
    this.entries = next;
    for (const e of staged) {
      for (const ext of [PARTITION_EXT, SKETCH_EXT]) {
        const from = join(this.dir, 'staging', e.id + ext);
        if (existsSync(from)) renameSync(from, join(this.dir, 'partitions', e.id + ext));
      }
    }
    fsyncDir(join(this.dir, 'partitions'));
  }

  /**
   * Recomputes every synopsis from the partition files and rewrites the
   * catalog. With `damaged`, the catalog failed verification: it is set aside
   * in quarantine/ first. Partitions whose sidecar verifies are checked
   * against its checksums (and quarantined if they fail); the others (legacy,
   * or a damaged sidecar) are read unverified and get checksums now.
   */
  async rebuild(damaged?: CorruptionError): Promise<{ partitions: number; events: number }> {
    const lock = await acquireLock(this.dir);
    try {
      return await this.rebuildLocked(damaged);
    } finally {
      lock.release();
    }
  }

  private async rebuildLocked(damaged?: CorruptionError): Promise<{ partitions: number; events: number }> {
    if (damaged) {
      const id = `catalog-${Date.now()}`;
      const qdir = join(this.dir, QUARANTINE);
      ensureDir(qdir);
      if (existsSync(this.catalogPath)) renameSync(this.catalogPath, join(qdir, `${id}.json`));
      writeFileAtomic(
        join(qdir, id + REASON_EXT),
        `${JSON.stringify({ id, file: 'catalog.json', reason: damaged.reason, time: new Date().toISOString() })}\n`,
      );
      this.warn(
        `catalog.json failed verification (${damaged.reason}); set aside in quarantine/ and rebuilt from the partitions`,
      );
    }
    await this.convertLegacy();
    const entries: PartitionEntry[] = [];
    const known = new Map(this.entries.map((e) => [e.id, e]));
    for (const file of this.partitionFiles()) {
      const id = file.slice(0, -PARTITION_EXT.length);
      if (!ID_RE.test(id)) continue;
      const path = join(this.dir, 'partitions', file);
      const old = this.oldSketch(id);
      let schema: Schema | undefined;
      let synopsis: SynopsisBuilder | undefined;
      let events = 0;
      let importTime: string | undefined;
      let sums: FileChecksums;
      try {
        const bytes = readFileSync(path);
        if (old?.file) verifyFile(path, bytes, old.file);
        sums = fileChecksums(bytes);
        // One synopsis per row group, as the writer made them: batch synopses are indexed by row group.
        for await (const batch of readPartition(path, { sums })) {
          if (!schema) {
            schema = vastSchema(batch.schema);
            synopsis = new SynopsisBuilder(schema.type);
            importTime = batch.schema.metadata.get(IMPORT_TIME_KEY);
          }
          synopsis!.add(plainStrings(batch));
          events += batch.numRows;
        }
      } catch (e) {
        if (!(e instanceof CorruptionError)) throw e;
        this.moveToQuarantine({ id, schema: schema?.name, events: old ? undefined : events }, e);
        this.warn(`quarantined partition ${id}: ${relative(this.dir, e.file)}: ${e.reason}`);
        continue;
      }
      if (!schema || !synopsis) continue;
      const walSegment = old?.walSegment ?? known.get(id)?.walSegment;
      const syn = synopsis.finish({ file: sums, walSegment });
      writeFileAtomic(join(this.dir, 'partitions', id + SKETCH_EXT), syn.sketch);
      const entry = makeEntry(
        id,
        schema,
        events,
        sums.bytes,
        syn,
        importTime ?? known.get(id)?.importTime ?? mtimeNs(path),
      );
      entries.push(walSegment === undefined ? entry : { ...entry, walSegment });
    }
    // Keep the original import order where we know it.
    const order = new Map(this.entries.map((e, i) => [e.id, i]));
    entries.sort(
      (a, b) =>
        (order.get(a.id) ?? Infinity) - (order.get(b.id) ?? Infinity) || cmp(a.importTime, b.importTime),
    );
    writeCatalog(this.catalogPath, entries);
    this.entries = entries;
    this.sidecars.retain(entries);
    return { partitions: entries.length, events: entries.reduce((n, e) => n + e.events, 0) };
  }

  /**
   * Rewrites every partition of the first format (Arrow IPC) as a Parquet
   * partition of the same id, verified against its old sidecar where that
   * verifies. The new file is written and fsync'd before the old one goes,
   * so a crash leaves one of the two (a leftover old file is converted again).
   * The catalog is rebuilt afterwards by the caller.
   */
  private async convertLegacy(): Promise<void> {
    for (const file of legacyPartitionFiles(this.dir)) {
      const id = file.slice(0, -LEGACY_PARTITION_EXT.length);
      const from = join(this.dir, 'partitions', file);
      const to = join(this.dir, 'partitions', id + PARTITION_EXT);
      if (!ID_RE.test(id)) continue;
      if (existsSync(to)) {
        rmSync(from);
        continue;
      }
      const staged = join(this.dir, 'staging', id + PARTITION_EXT);
      ensureDir(join(this.dir, 'staging'));
      let writer: PartitionWriter | undefined;
      try {
        for (const batch of readLegacyPartition(from, this.oldSketch(id)?.file)) {
          writer ??= new PartitionWriter(staged, vastSchema(batch.schema), batch.schema.metadata);
          writer.add(batch);
        }
        if (!writer) {
          rmSync(from);
          continue;
        }
        await writer.finish();
      } catch (e) {
        await writer?.abort();
        rmSync(staged, { force: true });
        if (!(e instanceof CorruptionError)) throw e;
        this.moveToQuarantine({ id }, e);
        this.warn(`quarantined partition ${id}: ${relative(this.dir, e.file)}: ${e.reason}`);
        continue;
      }
      renameSync(staged, to);
      fsyncDir(join(this.dir, 'partitions'));
      rmSync(from);
      // Its checksums were the old file's; the rebuild that follows writes a new sidecar.
      rmSync(join(this.dir, 'partitions', id + SKETCH_EXT), { force: true });
    }
  }

  /** A partition's existing sidecar if it verifies by itself, for its checksums and WAL segment. */
  private oldSketch(id: string): Sketch | undefined {
    try {
      return decodeSketch(readFileSync(join(this.dir, 'partitions', id + SKETCH_EXT)));
    } catch {
      return undefined;
    }
  }

  private partitionFiles(): string[] {
    const dir = join(this.dir, 'partitions');
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((f) => f.endsWith(PARTITION_EXT));
  }
}

/** The partition files of the first format in a database directory. */
function legacyPartitionFiles(dir: string): string[] {
  const parts = join(dir, 'partitions');
  if (!existsSync(parts)) return [];
  return readdirSync(parts).filter((f) => f.endsWith(LEGACY_PARTITION_EXT));
}

/** A file's size, or -1 if it is gone. */
function statOrMissing(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

const cmp = (a: string, b: string) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0);
const nowNs = () => (BigInt(Date.now()) * 1_000_000n).toString();
const mtimeNs = (p: string) => (BigInt(Math.round(statSync(p).mtimeMs)) * 1_000_000n).toString();

function makeEntry(
  id: string,
  schema: Schema,
  events: number,
  bytes: number,
  syn: { fields: PartitionEntry['fields']; sketch: Uint8Array },
  importTime: string,
): PartitionEntry {
  const ts = schema.timestamp ? syn.fields[schema.timestamp] : undefined;
  return {
    id,
    schema: schema.name,
    fingerprint: layoutFingerprint(schema),
    layout: schema.type,
    timestamp: schema.timestamp,
    events,
    bytes,
    sketchBytes: syn.sketch.length,
    sketchCrc: crc32(syn.sketch),
    importTime,
    minTime: ts?.min === undefined ? undefined : String(ts.min),
    maxTime: ts?.max === undefined ? undefined : String(ts.max),
    fields: syn.fields,
  };
}

/** Where an imported batch lies: its partition and the row of its first event there. */
export interface Placement {
  partition: string;
  row: number;
}

export interface ImportSummary {
  events: number;
  partitions: number;
  bytes: number;
  /** Events per schema name. */
  schemas: Record<string, number>;
}

interface Active {
  writer: PartitionWriter;
  id: string;
  schema: Schema;
  /** Also stored in the file's schema metadata, so that `rebuild` restores it. */
  importTime: string;
}

/**
 * Routes batches into one active partition per layout, flushing a partition
 * when it reaches the size limit. Non-atomic imports commit each partition as
 * it fills (a long import becomes visible piece by piece, and a crash loses
 * only what was not yet committed); atomic imports (`--on-error=fail`) commit
 * everything at the end or nothing.
 */
export class Importer {
  private readonly active = new Map<string, Active>();
  private readonly staged: PartitionEntry[] = [];
  /** Events per partition of this import, until it is committed. */
  private readonly rows = new Map<string, number>();
  private readonly summary: ImportSummary = { events: 0, partitions: 0, bytes: 0, schemas: {} };
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly lock: Lock,
    private readonly atomic: boolean,
    private readonly partitionSize: number,
  ) {}

  /** Set by a node before `commit`: the last WAL segment whose batches this import holds. */
  walSegment: number | undefined;

  /** Adds a batch; resolves once a partition it filled is flushed (and, unless atomic, committed). */
  async add(batch: A.RecordBatch): Promise<Placement | undefined> {
    const placed = this.place(batch);
    if (placed?.full) await this.flush(placed.key, placed.active);
    return placed?.placement;
  }

  /**
   * Where the batch goes, decided and written to the active partition at once (synchronously):
   * its partition id and the row its first event has there, a stable reference to every event
   * (sightings carry it). Nothing else can come between the placement and a caller's next step.
   */
  private place(
    batch: A.RecordBatch,
  ): { placement: Placement; full: boolean; key: string; active: Active } | undefined {
    if (batch.numRows === 0) return undefined;
    if (this.closed) throw new StoreError('import already finished');
    if (!batch.schema.metadata.has(SCHEMA_NAME_KEY)) throw new StoreError('batch without a schema name');
    const schema = vastSchema(batch.schema);
    const key = layoutFingerprint(schema);
    let a = this.active.get(key);
    if (!a) {
      const id = randomUUID();
      const importTime = nowNs();
      const arrow = arrowSchema(schema);
      arrow.metadata.set(IMPORT_TIME_KEY, importTime);
      const path = join(this.store.dir, 'staging', id + PARTITION_EXT);
      a = { writer: new PartitionWriter(path, schema, arrow.metadata), id, schema, importTime };
      this.active.set(key, a);
    }
    const placement = { partition: a.id, row: a.writer.events };
    a.writer.add(batch);
    this.rows.set(a.id, a.writer.events);
    this.summary.events += batch.numRows;
    this.summary.schemas[schema.name] = (this.summary.schemas[schema.name] ?? 0) + batch.numRows;
    return { placement, full: a.writer.events >= this.partitionSize, key, active: a };
  }

  /**
   * Adds a batch to a partition that never fills (a node's importer, `partitionSize` infinite)
   * and returns its placement synchronously.
   */
  addNow(batch: A.RecordBatch): Placement | undefined {
    const placed = this.place(batch);
    if (placed?.full) throw new StoreError('addNow on an importer whose partitions fill');
    return placed?.placement;
  }

  /**
   * The partitions this import is writing, with the events each holds so far:
   * a cut through the import. A partition stays listed until the import's
   * commit put it in the catalog (then the import is closed and lists none).
   */
  activeRows(): Map<string, number> {
    return this.closed ? new Map() : new Map(this.rows);
  }

  private async flush(key: string, a: Active): Promise<void> {
    this.active.delete(key);
    let written: WrittenPartition;
    try {
      written = await a.writer.finish(this.walSegment);
      writeFileAtomic(join(this.store.dir, 'staging', a.id + SKETCH_EXT), written.synopsis.sketch);
    } catch (e) {
      await a.writer.abort().catch(() => {});
      rmSync(a.writer.path, { force: true });
      throw e;
    }
    const made = makeEntry(a.id, a.schema, written.events, written.bytes, written.synopsis, a.importTime);
    const entry = this.walSegment === undefined ? made : { ...made, walSegment: this.walSegment };
    this.summary.partitions++;
    this.summary.bytes += written.bytes + written.synopsis.sketch.length;
    if (this.atomic) this.staged.push(entry);
    else this.store.commit([entry]);
  }

  /** Flushes and commits everything; the data is durable when this returns. */
  async commit(): Promise<ImportSummary> {
    if (this.closed) throw new StoreError('import already finished');
    try {
      for (const [key, a] of [...this.active]) await this.flush(key, a);
      fsyncDir(join(this.store.dir, 'staging'));
      this.store.commit(this.staged);
      this.closed = true;
      this.lock.release();
      return this.summary;
    } catch (e) {
      // Nothing of a failed commit stays behind (a full disk must not stay full of staged files).
      await this.abort();
      throw e;
    }
  }

  /** Discards everything not yet committed. */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      for (const a of this.active.values()) await a.writer.abort().catch(() => {});
      for (const a of this.active.values()) rmSync(a.writer.path, { force: true });
      for (const e of this.staged) {
        rmSync(join(this.store.dir, 'staging', e.id + PARTITION_EXT), { force: true });
        rmSync(join(this.store.dir, 'staging', e.id + SKETCH_EXT), { force: true });
      }
    } finally {
      this.lock.release();
    }
  }
}
