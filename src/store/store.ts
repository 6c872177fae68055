/**
 * The store: a database directory of immutable partitions and a catalog.
 *
 *   <db>/catalog.json            committed partitions and their synopses
 *   <db>/partitions/<id>.feather Arrow IPC file, zstd-compressed buffers
 *   <db>/partitions/<id>.sketch  Bloom filters of the partition's ip/string fields
 *   <db>/staging/                partitions being written, not yet committed
 *   <db>/LOCK                    the writer lock (one importer at a time)
 *
 * Commit protocol (nothing acknowledged is lost, nothing partial is visible):
 * partition and sketch files are written and fsync'd in staging/; then the
 * catalog is rewritten atomically to include them (the commit point); then the
 * files are renamed into partitions/. Recovery on the next open rolls a commit
 * that crashed after the catalog write forward, and deletes everything else in
 * staging/ (imports that never committed).
 */

import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type * as A from 'apache-arrow';
import { StoreError } from '../diagnostics.js';
import { arrowSchema, SCHEMA_NAME_KEY, vastSchema } from '../types/arrow.js';
import type { Schema } from '../types/type.js';
import { type PartitionEntry, readCatalog, writeCatalog } from './catalog.js';
import { fsyncDir, writeFileAtomic } from './fs-util.js';
import { acquireLock, type Lock } from './lock.js';
import { layoutFingerprint, PartitionWriter, readPartition, readPartitionBatches } from './partition.js';
import { SynopsisBuilder } from './synopsis.js';

export const DEFAULT_PARTITION_SIZE = 1_048_576;
const IMPORT_TIME_KEY = 'vast.import_time';
const PARTITION_EXT = '.feather';
const SKETCH_EXT = '.sketch';

export interface StoreStatus {
  partitions: number;
  events: number;
  bytes: number;
  schemas: { name: string; partitions: number; events: number; bytes: number; bytesPerEvent: number }[];
}

export class Store {
  private entries: PartitionEntry[];

  private constructor(
    readonly dir: string,
    entries: PartitionEntry[],
  ) {
    this.entries = entries;
  }

  /**
   * Opens (and with `create`, makes) a database directory. Readers never take
   * the lock; a missing or stale catalog is rebuilt under the lock.
   */
  static async open(dir: string, opts: { create?: boolean } = {}): Promise<Store> {
    if (!existsSync(dir)) {
      if (!opts.create)
        throw new StoreError(`no database at ${dir} (import something first, or pass -d DIR)`);
      mkdirSync(join(dir, 'partitions'), { recursive: true });
      mkdirSync(join(dir, 'staging'), { recursive: true });
    }
    const doc = readCatalog(join(dir, 'catalog.json'));
    if (doc) return new Store(dir, doc.partitions);
    const store = new Store(dir, []);
    if (store.partitionFiles().length > 0) await store.rebuild();
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

  /** Batches of the given partitions (default: all), in catalog order. */
  *batches(entries: readonly PartitionEntry[] = this.entries): Generator<A.RecordBatch> {
    for (const e of entries) yield* readPartition(this.partitionPath(e));
  }

  /** The batches of one partition that `want` accepts (by index), reading nothing else from disk. */
  selectedBatches(e: PartitionEntry, want: (index: number) => boolean): AsyncGenerator<A.RecordBatch> {
    return readPartitionBatches(this.partitionPath(e), want);
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
    };
  }

  /** Starts an import; holds the writer lock until `commit` or `abort`. */
  async importer(opts: { atomic?: boolean; partitionSize?: number } = {}): Promise<Importer> {
    const lock = await acquireLock(this.dir);
    try {
      this.recover();
    } catch (e) {
      lock.release();
      throw e;
    }
    return new Importer(this, lock, opts.atomic ?? false, opts.partitionSize ?? DEFAULT_PARTITION_SIZE);
  }

  /**
   * Re-reads the catalog and finishes or discards interrupted commits. Runs
   * under the writer lock.
   */
  private recover(): void {
    this.entries = readCatalog(this.catalogPath)?.partitions ?? this.entries;
    mkdirSync(join(this.dir, 'staging'), { recursive: true });
    mkdirSync(join(this.dir, 'partitions'), { recursive: true });
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
      process.emitWarning(`dropped ${missing.length} catalog entries whose partition files are gone`);
    }
    fsyncDir(join(this.dir, 'partitions'));
  }

  /** Makes staged partitions part of the database (see the commit protocol above). */
  commit(staged: readonly PartitionEntry[]): void {
    if (staged.length === 0) return;
    this.entries = [...this.entries, ...staged];
    writeCatalog(this.catalogPath, this.entries);
    for (const e of staged) {
      for (const ext of [PARTITION_EXT, SKETCH_EXT]) {
        const from = join(this.dir, 'staging', e.id + ext);
        if (existsSync(from)) renameSync(from, join(this.dir, 'partitions', e.id + ext));
      }
    }
    fsyncDir(join(this.dir, 'partitions'));
  }

  /** Recomputes every synopsis from the partition files and rewrites the catalog. */
  async rebuild(): Promise<{ partitions: number; events: number }> {
    const lock = await acquireLock(this.dir);
    try {
      const entries: PartitionEntry[] = [];
      const known = new Map(this.entries.map((e) => [e.id, e]));
      for (const file of this.partitionFiles()) {
        const id = file.slice(0, -PARTITION_EXT.length);
        const path = join(this.dir, 'partitions', file);
        let schema: Schema | undefined;
        let synopsis: SynopsisBuilder | undefined;
        let events = 0;
        let importTime: string | undefined;
        try {
          for (const batch of readPartition(path)) {
            if (!schema) {
              schema = vastSchema(batch.schema);
              synopsis = new SynopsisBuilder(schema.type);
              importTime = batch.schema.metadata.get(IMPORT_TIME_KEY);
            }
            synopsis!.add(batch);
            events += batch.numRows;
          }
        } catch (e) {
          process.emitWarning(`skipping unreadable partition ${path}: ${(e as Error).message}`);
          continue;
        }
        if (!schema || !synopsis) continue;
        const syn = synopsis.finish();
        writeFileAtomic(join(this.dir, 'partitions', id + SKETCH_EXT), syn.sketch);
        entries.push(
          makeEntry(
            id,
            schema,
            events,
            statSync(path).size,
            syn,
            importTime ?? known.get(id)?.importTime ?? mtimeNs(path),
          ),
        );
      }
      // Keep the original import order where we know it.
      const order = new Map(this.entries.map((e, i) => [e.id, i]));
      entries.sort(
        (a, b) =>
          (order.get(a.id) ?? Infinity) - (order.get(b.id) ?? Infinity) || cmp(a.importTime, b.importTime),
      );
      writeCatalog(this.catalogPath, entries);
      this.entries = entries;
      return { partitions: entries.length, events: entries.reduce((n, e) => n + e.events, 0) };
    } finally {
      lock.release();
    }
  }

  private partitionFiles(): string[] {
    const dir = join(this.dir, 'partitions');
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((f) => f.endsWith(PARTITION_EXT));
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
    importTime,
    minTime: ts?.min === undefined ? undefined : String(ts.min),
    maxTime: ts?.max === undefined ? undefined : String(ts.max),
    fields: syn.fields,
  };
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
  private readonly schemaCache = new WeakMap<A.Schema, Schema>();
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

  async add(batch: A.RecordBatch): Promise<void> {
    if (batch.numRows === 0) return;
    if (!batch.schema.metadata.has(SCHEMA_NAME_KEY)) throw new StoreError('batch without a schema name');
    let schema = this.schemaCache.get(batch.schema);
    if (!schema) {
      schema = vastSchema(batch.schema);
      this.schemaCache.set(batch.schema, schema);
    }
    const key = layoutFingerprint(schema);
    let a = this.active.get(key);
    if (!a) {
      const id = randomUUID();
      const importTime = nowNs();
      const arrow = arrowSchema(schema);
      arrow.metadata.set(IMPORT_TIME_KEY, importTime);
      const path = join(this.store.dir, 'staging', id + PARTITION_EXT);
      a = { writer: new PartitionWriter(path, schema, arrow), id, schema, importTime };
      this.active.set(key, a);
    }
    a.writer.add(batch);
    this.summary.events += batch.numRows;
    this.summary.schemas[schema.name] = (this.summary.schemas[schema.name] ?? 0) + batch.numRows;
    if (a.writer.events >= this.partitionSize) await this.flush(key, a);
  }

  private async flush(key: string, a: Active): Promise<void> {
    this.active.delete(key);
    const written = await a.writer.finish();
    writeFileAtomic(join(this.store.dir, 'staging', a.id + SKETCH_EXT), written.synopsis.sketch);
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
      return this.summary;
    } finally {
      this.closed = true;
      this.lock.release();
    }
  }

  /** Discards everything not yet committed. */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      for (const a of this.active.values()) await a.writer.abort();
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
