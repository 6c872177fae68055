/**
 * The security content of one store (a database, or a tenant in a node) and
 * how it runs: live on every batch as it is stored, and retro over what was
 * stored before the content arrived ("unified detection").
 *
 * Live and retro never report the same (event, indicator): when a set gets a
 * new revision, the live matcher is swapped at one instant (synchronously, so
 * no batch is between its placement and its match), and the hunt is given
 * exactly what was stored before that instant: the committed partitions, and
 * the rows the partitions still being written held then (`Cut`). It looks
 * only for the indicators new in that revision; older ones were hunted by
 * their own revision's hunt and matched live since.
 *
 * Hunts persist (`intel/hunts/`): what to look for and where, and which
 * partitions are done, so a hunt interrupted by a restart resumes.
 */

import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type * as A from 'apache-arrow';
import { UsageError } from '../diagnostics.js';
import { isInternalSchema } from '../query/internal-schemas.js';
import type { Taxonomy } from '../schemas/taxonomy.js';
import { entrySchema, type PartitionEntry } from '../store/catalog.js';
import { ensureDir, writeFileAtomic } from '../store/fs-util.js';
import { withFields } from '../store/partition.js';
import type { Placement, Store } from '../store/store.js';
import { subnetMayMeet } from '../store/subnet-sketch.js';
import { type FieldSynopsis, type Sketch, sketchMayContain } from '../store/synopsis.js';
import { schemaName } from '../types/arrow.js';
import { ActionDispatcher, type ActionSpec, parseAction } from './actions.js';
import type { Indicator } from './indicator.js';
import { IndicatorTable, type IndicatorTableJson } from './indicator-table.js';
import {
  type IntelSet,
  type IntelSetOptions,
  type IntelSetSummary,
  IntelSets,
  newIndicators,
  summarize,
} from './intel-sets.js';
import { IntelMatcher } from './matcher.js';
import { type RowRef, SightingBuilder, sightingJson } from './sightings.js';

/** What was stored before a content change: committed partitions, and the rows of those being written. */
export interface Cut {
  partitions: string[];
  /** Partitions being written at the cut, with how many of their rows were there. */
  staged: Record<string, number>;
}

/**
 * The cut of a content change: the committed partitions of events (sightings
 * are never hunted) and the rows of partitions being written (`staged`).
 */
export function storedCut(store: Store, staged: Record<string, number> = {}): Cut {
  return {
    partitions: store
      .partitions()
      .filter((e) => !isInternalSchema(e.schema))
      .map((e) => e.id),
    staged,
  };
}

/** A retro hunt: the new indicators of one set revision, over what was stored before it. */
export interface Hunt {
  id: string;
  set: string;
  revision: number;
  indicators: IndicatorTable;
  cut: Cut;
  started: string;
}

export interface HuntProgress {
  id: string;
  set: string;
  revision: number;
  indicators: number;
  partitions: number;
  done: number;
  sightings: number;
}

/** What changing a set did. */
export interface SetUpdate {
  set: IntelSet;
  added: number;
  removed: number;
  hunt?: Hunt;
}

/** Sightings of one batch or partition: as batches to store, and as records (for actions). */
export interface Sightings {
  batches: A.RecordBatch[];
  count: number;
}

/** `vast intel show`: a set, what its kernels take, its hunts, its first indicators. */
export interface IntelShow {
  set: IntelSetSummary;
  /** What the set takes in a node: its matching kernels and its indicators. */
  memoryBytes: number;
  kernelBytes: number;
  indicatorBytes: number;
  hunts: HuntProgress[];
  sample: Indicator[];
}

/** The indicators a show lists. */
const SAMPLE = 20;

/** What `vast status` says of a store's content. */
export interface IntelStatus {
  sets: number;
  indicators: number;
  /** Bytes the live kernels hold. */
  memoryBytes: number;
  hunts: HuntProgress[];
}

export function intelStatus(d: Detection): IntelStatus {
  return {
    sets: d.sets.size,
    indicators: d.sets.list().reduce((n, s) => n + s.indicators.length, 0),
    memoryBytes: d.memoryBytes(),
    hunts: d.progress(),
  };
}

const partitionRef =
  (partition: string, base: number): RowRef =>
  (row) =>
    `${partition}:${base + row}`;

export class Detection {
  readonly sets: IntelSets;
  private matcher: IntelMatcher;
  private readonly huntDir: string;
  private readonly hunts = new Map<string, Hunt>();
  private readonly done = new Map<string, Set<string>>();
  private readonly found = new Map<string, number>();
  private dispatcher: ActionDispatcher | undefined;

  private constructor(
    private readonly dir: string,
    private readonly taxonomy: Taxonomy,
    private readonly log: (level: 'info' | 'warn' | 'error', message: string) => void,
  ) {
    this.sets = IntelSets.open(dir);
    this.huntDir = join(dir, 'intel', 'hunts');
    this.matcher = this.compile();
    if (existsSync(this.huntDir))
      for (const f of readdirSync(this.huntDir).sort())
        if (f.endsWith('.json')) {
          const file = JSON.parse(readFileSync(join(this.huntDir, f), 'utf8')) as Omit<Hunt, 'indicators'> & {
            indicators: IndicatorTableJson;
          };
          const h: Hunt = { ...file, indicators: IndicatorTable.fromJson(file.indicators) };
          this.hunts.set(h.id, h);
          const doneFile = join(this.huntDir, `${h.id}.done`);
          const lines = existsSync(doneFile) ? readFileSync(doneFile, 'utf8').split('\n') : [];
          let sightings = 0;
          const done = new Set<string>();
          for (const l of lines) {
            const [p, n] = l.split(' ');
            if (!p) continue;
            done.add(p);
            sightings += Number(n) || 0;
          }
          this.done.set(h.id, done);
          this.found.set(h.id, sightings);
        }
  }

  /**
   * The content kept in `storeDir/intel/`. A long-running owner (a node) passes
   * `resumeActions`: actions a previous run left undelivered go out again now.
   */
  static open(
    storeDir: string,
    taxonomy: Taxonomy,
    log: (level: 'info' | 'warn' | 'error', message: string) => void = () => {},
    opts: { resumeActions?: boolean } = {},
  ): Detection {
    const d = new Detection(storeDir, taxonomy, log);
    if (opts.resumeActions && existsSync(d.outboxDir)) d.actionDispatcher();
    return d;
  }

  private get outboxDir(): string {
    return join(this.dir, 'intel', 'outbox');
  }

  private actionDispatcher(): ActionDispatcher {
    this.dispatcher ??= ActionDispatcher.open({ dir: this.outboxDir, log: this.log });
    return this.dispatcher;
  }

  private compile(): IntelMatcher {
    return new IntelMatcher(
      this.sets.list().map((set) => ({ set, indicators: set.indicators })),
      this.taxonomy,
    );
  }

  /** Whether there is any content to match. */
  get active(): boolean {
    return this.matcher.size > 0;
  }

  /** Bytes the live kernels hold. */
  memoryBytes(): number {
    return this.matcher.memoryBytes();
  }

  /**
   * The live sightings of a batch just placed in its partition (synchronous:
   * see the header). Internal events (sightings themselves) are never matched.
   */
  live(batch: A.RecordBatch, placement: Placement | undefined): Sightings {
    if (!this.active || isInternalSchema(schemaName(batch))) return { batches: [], count: 0 };
    const hits = this.matcher.match(batch);
    if (hits.length === 0) return { batches: [], count: 0 };
    const ref: RowRef = placement ? partitionRef(placement.partition, placement.row) : () => null;
    const b = new SightingBuilder('live');
    b.add(batch, hits, this.matcher, ref);
    return this.emit(b);
  }

  /** The built sightings as batches; those of sets with actions go to the actions too. */
  private emit(b: SightingBuilder): Sightings {
    const count = b.count;
    const batches: A.RecordBatch[] = [];
    for (const { set, batch } of b.finish()) {
      batches.push(batch);
      if (set.actions.length > 0) this.act(set.actions, batch);
    }
    return { batches, count };
  }

  private act(texts: readonly string[], batch: A.RecordBatch): void {
    const actions: ActionSpec[] = texts.map(parseAction);
    const records: Record<string, unknown>[] = [];
    for (let row = 0; row < batch.numRows; row++) records.push(sightingJson(batch, row));
    this.actionDispatcher().enqueue(actions, records);
  }

  /**
   * Stores a set's new revision and swaps the live matcher; with a cut, also
   * starts a hunt for its new indicators (none for a set whose update only
   * removed some).
   */
  updateSet(name: string, indicators: readonly Indicator[], opts: IntelSetOptions, cut: Cut): SetUpdate {
    for (const a of opts.actions)
      try {
        parseAction(a);
      } catch (e) {
        throw new UsageError(`invalid action '${a}': ${(e as Error).message}`);
      }
    const { set, previous } = this.sets.put(name, indicators, opts);
    this.matcher = this.compile();
    const fresh = newIndicators(previous, set);
    const kept = set.indicators.length - fresh.length;
    const removed = (previous?.indicators.length ?? 0) - kept;
    const update: SetUpdate = { set, added: fresh.length, removed };
    if (fresh.length > 0 && (cut.partitions.length > 0 || Object.keys(cut.staged).length > 0)) {
      const hunt: Hunt = {
        id: `${name}-${set.revision}`,
        set: name,
        revision: set.revision,
        indicators: fresh,
        cut,
        started: new Date().toISOString(),
      };
      ensureDir(this.huntDir);
      writeFileAtomic(join(this.huntDir, `${hunt.id}.json`), JSON.stringify(hunt));
      this.hunts.set(hunt.id, hunt);
      this.done.set(hunt.id, new Set());
      this.found.set(hunt.id, 0);
      update.hunt = hunt;
    }
    return update;
  }

  /** A set as `vast intel show` prints it; undefined when there is none. */
  show(name: string): IntelShow | undefined {
    const set = this.sets.get(name);
    if (!set) return undefined;
    const kernelBytes = new IntelMatcher([{ set, indicators: set.indicators }], this.taxonomy).memoryBytes();
    const indicatorBytes = set.indicators.memoryBytes();
    return {
      set: summarize(set),
      memoryBytes: kernelBytes + indicatorBytes,
      kernelBytes,
      indicatorBytes,
      hunts: this.progress().filter((h) => h.set === name),
      sample: set.indicators.head(SAMPLE),
    };
  }

  removeSet(name: string): boolean {
    const removed = this.sets.remove(name);
    if (removed) {
      this.matcher = this.compile();
      // Its unfinished hunts would report indicators that no longer exist.
      for (const h of [...this.hunts.values()]) if (h.set === name) this.finishHunt(h.id);
    }
    return removed;
  }

  pendingHunts(): Hunt[] {
    return [...this.hunts.values()];
  }

  progress(): HuntProgress[] {
    return this.pendingHunts().map((h) => ({
      id: h.id,
      set: h.set,
      revision: h.revision,
      indicators: h.indicators.length,
      partitions: h.cut.partitions.length + Object.keys(h.cut.staged).length,
      done: this.done.get(h.id)?.size ?? 0,
      sightings: this.found.get(h.id) ?? 0,
    }));
  }

  /**
   * Runs a hunt over the store: each partition of its cut that still exists
   * and is not done yet, in order; `write` stores one partition's sightings
   * (idempotently, under `key`), after which the partition is marked done.
   * Partitions still being written at the cut must be committed first (the
   * caller flushes): one that never was (a crash lost it before its commit;
   * the replay matched its events live) is skipped. A partition whose
   * synopses rule out every indicator is not opened (`skipped` counts them).
   */
  async runHunt(
    store: Store,
    hunt: Hunt,
    write: (batches: A.RecordBatch[], key: string) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<{ skipped: number; groups: number }> {
    // Partitions, and row groups of partitions read, that their synopses ruled out.
    const run = { skipped: 0, groups: 0 };
    const set = this.sets.get(hunt.set);
    if (!set || set.revision < hunt.revision) {
      this.finishHunt(hunt.id);
      return run;
    }
    const matcher = new IntelMatcher([{ set, indicators: hunt.indicators }], this.taxonomy);
    const byId = new Map(store.partitions().map((e) => [e.id, e]));
    const done = this.done.get(hunt.id) ?? new Set<string>();
    const work: [PartitionEntry, number][] = [];
    for (const id of hunt.cut.partitions) {
      const e = byId.get(id);
      if (e) work.push([e, Number.POSITIVE_INFINITY]);
    }
    for (const [id, rows] of Object.entries(hunt.cut.staged)) {
      const e = byId.get(id);
      if (e) work.push([e, rows]);
    }
    for (const [e, rows] of work) {
      if (signal?.aborted) return run;
      if (done.has(e.id) || isInternalSchema(e.schema)) continue;
      const synopses = huntSketch(store, e, matcher);
      const may = synopses === undefined || mayHold(synopses, e.fields, e.events);
      if (!may) run.skipped++;
      const skippedGroups = { groups: 0 };
      const found = may
        ? await huntPartition(store, e, rows, matcher, synopses, skippedGroups)
        : new SightingBuilder('retro');
      run.groups += skippedGroups.groups;
      const sightings = this.emit(found);
      await write(sightings.batches, `retro:${hunt.id}:${e.id}`);
      appendFileSync(join(this.huntDir, `${hunt.id}.done`), `${e.id} ${sightings.count}\n`);
      done.add(e.id);
      this.found.set(hunt.id, (this.found.get(hunt.id) ?? 0) + sightings.count);
    }
    this.finishHunt(hunt.id);
    this.log(
      'info',
      `retro hunt ${hunt.id} done: ${this.found.get(hunt.id) ?? 0} sightings; ${run.skipped} partitions and ${run.groups} row groups ruled out by their synopses`,
    );
    return run;
  }

  private finishHunt(id: string): void {
    this.hunts.delete(id);
    this.done.delete(id);
    rmSync(join(this.huntDir, `${id}.json`), { force: true });
    rmSync(join(this.huntDir, `${id}.done`), { force: true });
  }

  /** Waits (bounded) for actions to be delivered; what is left stays in the outbox. */
  async close(timeoutMs = 5000): Promise<void> {
    if (!this.dispatcher) return;
    await this.dispatcher.drain(timeoutMs);
    await this.dispatcher.close();
    this.dispatcher = undefined;
  }
}

/** What the synopses say of a partition's layout for a hunt: its ip-only plan and the sidecar. */
interface HuntSketch {
  plan: NonNullable<ReturnType<IntelMatcher['ipPlan']>>;
  sketch: Sketch;
}

/**
 * The synopses a hunt can prune a partition by: when its layout is matched on
 * ip columns alone, each indicator can be tested against a column's Bloom
 * filter (addresses) and prefix sketches (subnets), for the partition and for
 * each of its row groups. Undefined when they cannot rule anything out.
 */
function huntSketch(store: Store, e: PartitionEntry, matcher: IntelMatcher): HuntSketch | undefined {
  const plan = matcher.ipPlan(entrySchema(e));
  if (!plan) return undefined;
  try {
    return { plan, sketch: store.sketchOf(e.id) };
  } catch {
    return undefined; // A damaged sidecar proves nothing: the scan decides (and reports the damage).
  }
}

/**
 * Whether some indicator may be in the partition or row group whose field
 * synopses are `fields`, of `events` rows. A typical feed meets few of a
 * day's partitions: most of such a hunt is this test, not a scan.
 */
function mayHold(h: HuntSketch, fields: Readonly<Record<string, FieldSynopsis>>, events: number): boolean {
  const blob = h.sketch.blob;
  for (const leaf of h.plan.leaves) {
    const f = fields[leaf.path];
    if (!f) return true;
    if (f.nulls === events) continue;
    for (const { bytes, length } of h.plan.networks) {
      const may =
        length === 128
          ? sketchMayContain(blob, f, bytes) && subnetMayMeet(blob, f, bytes, length)
          : subnetMayMeet(blob, f, bytes, length);
      if (may) return true;
    }
  }
  return false;
}

/**
 * The retro sightings of one partition: its row groups, reading only the
 * columns the matcher needs (and, for a row group with a hit, the event's
 * time and identifiers), up to `rows` rows (the rest of a partition being
 * written at the cut was matched live). Row groups whose synopses rule out
 * every indicator are not read.
 */
async function huntPartition(
  store: Store,
  e: PartitionEntry,
  rows: number,
  matcher: IntelMatcher,
  synopses: HuntSketch | undefined,
  skipped: { groups: number },
): Promise<SightingBuilder> {
  const out = new SightingBuilder('retro');
  const reader = await store.openPartition(e);
  try {
    const { match, extra } = matcher.fieldsFor(reader.schema);
    if (match.length === 0) return out;
    // One batch synopsis per row group, when the sidecar has them as such.
    const groups = synopses?.sketch.batches ?? [];
    const perGroup =
      synopses !== undefined &&
      groups.length === reader.rowGroups &&
      groups.reduce((n, b) => n + b.rows, 0) === e.events;
    let base = 0;
    for (let g = 0; g < reader.rowGroups && base < rows; g++) {
      if (perGroup && !mayHold(synopses, groups[g].fields ?? {}, groups[g].rows)) {
        base += groups[g].rows;
        skipped.groups++;
        continue;
      }
      let batch = await reader.read(g, match);
      const n = Math.min(batch.numRows, rows - base);
      if (n < batch.numRows) batch = batch.slice(0, n);
      const hits = matcher.match(batch);
      if (hits.length === 0) {
        base += n;
        continue;
      }
      // Only row groups with a hit pay for the sighting's other columns (time, identifiers).
      if (extra.length > 0) batch = withFields(batch, await reader.read(g, extra), extra);
      out.add(batch, hits, matcher, partitionRef(e.id, base));
      base += n;
    }
  } finally {
    await reader.close();
  }
  return out;
}
