/**
 * The security content of one store (a database, or a tenant in a node) and
 * how it runs: live on every batch as it is stored, and retro over what was
 * stored before the content arrived ("unified detection").
 *
 * The content is intel sets (matcher.ts: sightings) and Sigma rules
 * (rule-engine.ts and correlations.ts: alerts).
 *
 * Live and retro never report the same (event, indicator or rule): when a
 * set gets a new revision or rules are added, the live matcher or rule
 * engine is swapped at one instant (synchronously, so no batch is between
 * its placement and its match), and the hunt is given exactly what was
 * stored before that instant: the committed partitions, and the rows the
 * partitions still being written held then (`Cut`). It looks only for what
 * is new in that change (a set revision's new indicators, the rules new or
 * changed); the rest was hunted by its own change's hunt and matched live since.
 *
 * Hunts persist (`intel/hunts/`, for sets and rules alike): what to look for
 * and where, and which partitions are done, so a hunt interrupted by a
 * restart resumes.
 */

import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type * as A from 'apache-arrow';
import { UsageError } from '../diagnostics.js';
import { SketchCache } from '../expr/prune.js';
import { isInternalSchema } from '../query/internal-schemas.js';
import type { SchemaRegistry } from '../schemas/registry.js';
import type { Taxonomy } from '../schemas/taxonomy.js';
import { entrySchema, type PartitionEntry } from '../store/catalog.js';
import { ensureDir, writeFileAtomic } from '../store/fs-util.js';
import { withFields } from '../store/partition.js';
import type { Placement, Store } from '../store/store.js';
import { subnetMayMeet } from '../store/subnet-sketch.js';
import { type FieldSynopsis, type Sketch, sketchMayContain } from '../store/synopsis.js';
import { schemaName } from '../types/arrow.js';
import { ActionDispatcher, type ActionSpec, parseAction } from './actions.js';
import { type Alert, type AlertMode, alertBatches } from './alerts.js';
import type { CorrelationHit } from './correlate.js';
import {
  Correlations,
  correlationAlerts,
  loadCorrelationState,
  saveCorrelationState,
  silentRules,
} from './correlations.js';
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
import { eachRowGroup, RuleEngine } from './rule-engine.js';
import {
  correlationText,
  findRule,
  type Rule,
  RuleBook,
  type RuleOptions,
  type RuleShow,
  summarizeRule,
} from './rules.js';
import { contentJson, partitionRef, type RowRef, SightingBuilder } from './sightings.js';
import { loadSigmaMappings, type SigmaMappings } from './sigma/index.js';
import type { SigmaCorrelation, SigmaDocument } from './sigma/types.js';

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

interface HuntBase {
  id: string;
  cut: Cut;
  started: string;
}

/** A retro hunt of intel: the new indicators of one set revision, over what was stored before it. */
interface IntelHunt extends HuntBase {
  kind: 'intel';
  set: string;
  revision: number;
  indicators: IndicatorTable;
}

/** A retro hunt of rules: the rules new or changed in one `rule add`, over what was stored before it. */
interface RuleHunt extends HuntBase {
  kind: 'rules';
  rules: { id: string; revision: number }[];
}

export type Hunt = IntelHunt | RuleHunt;

export type HuntProgress = { id: string; partitions: number; done: number } & (
  | { kind: 'intel'; set: string; revision: number; indicators: number; sightings: number }
  | { kind: 'rules'; rules: string[]; alerts: number }
);

/** What changing a set did. */
export interface SetUpdate {
  set: IntelSet;
  added: number;
  removed: number;
  hunt?: Hunt;
}

/** What adding rules did. */
export interface RulesUpdate {
  /** Rules new or changed (a new revision each). */
  changed: Rule[];
  /** Rules given that were there already, unchanged. */
  unchanged: number;
  hunt?: Hunt;
}

/** The content events (sightings, alerts) of one batch or partition, as batches to store. */
export interface Findings {
  batches: A.RecordBatch[];
  sightings: number;
  alerts: number;
}

const NO_FINDINGS: Findings = { batches: [], sightings: 0, alerts: 0 };

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
  /** Rules loaded (detection and correlation), and how many of them no longer compile. */
  rules: number;
  brokenRules: number;
  /** Bytes the live kernels hold. */
  memoryBytes: number;
  hunts: HuntProgress[];
}

export function intelStatus(d: Detection): IntelStatus {
  return {
    sets: d.sets.size,
    indicators: d.sets.list().reduce((n, s) => n + s.indicators.length, 0),
    rules: d.rules.size,
    brokenRules: d.rules.list().filter((r) => r.error !== undefined).length,
    memoryBytes: d.memoryBytes(),
    hunts: d.progress(),
  };
}

/** How a hunt's file stores it (intel hunts of earlier versions have no `kind`). */
type HuntFile =
  | (Omit<IntelHunt, 'indicators' | 'kind'> & { kind?: 'intel'; indicators: IndicatorTableJson })
  | RuleHunt;

export class Detection {
  readonly sets: IntelSets;
  readonly rules: RuleBook;
  private matcher: IntelMatcher;
  private mappings: SigmaMappings | undefined;
  private windowsAtEnd = false;
  /** The live rule engine and correlations, built on first need (a command that lists content compiles no rule). */
  private running: { engine: RuleEngine; correlations: Correlations } | undefined;
  private readonly huntDir: string;
  private readonly hunts = new Map<string, Hunt>();
  private readonly done = new Map<string, Set<string>>();
  private readonly found = new Map<string, number>();
  private dispatcher: ActionDispatcher | undefined;

  private constructor(
    private readonly dir: string,
    private readonly registry: SchemaRegistry,
    private readonly log: (level: 'info' | 'warn' | 'error', message: string) => void,
  ) {
    this.sets = IntelSets.open(dir);
    this.rules = RuleBook.open(dir, () => this.sigmaMappings);
    this.huntDir = join(dir, 'intel', 'hunts');
    this.matcher = this.compile();
    if (existsSync(this.huntDir))
      for (const f of readdirSync(this.huntDir).sort())
        if (f.endsWith('.json')) {
          const file = JSON.parse(readFileSync(join(this.huntDir, f), 'utf8')) as HuntFile;
          const h: Hunt =
            file.kind === 'rules'
              ? file
              : { ...file, kind: 'intel', indicators: IndicatorTable.fromJson(file.indicators) };
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
   * The content kept in `storeDir/intel/` and `storeDir/rules/`. A long-running owner (a node) passes
   * `resumeActions`: actions a previous run left undelivered go out again now.
   * An embedded import passes `windowsAtEnd`: its correlation windows are
   * decided at its end (`tick`), not as the event-time watermark passes them
   * (correlations.ts).
   */
  static open(
    storeDir: string,
    registry: SchemaRegistry,
    log: (level: 'info' | 'warn' | 'error', message: string) => void = () => {},
    opts: { resumeActions?: boolean; windowsAtEnd?: boolean } = {},
  ): Detection {
    const d = new Detection(storeDir, registry, log);
    d.windowsAtEnd = opts.windowsAtEnd ?? false;
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

  /**
   * The live rule engine and correlations of the rules now loaded, built anew
   * after a change (open correlation windows carry over, or come from disk).
   */
  private compileRules(): { engine: RuleEngine; correlations: Correlations } {
    const all = this.rules.list();
    if (!this.running)
      for (const r of all)
        if (r.error)
          this.log(
            'warn',
            `rule ${r.id} (${r.file ?? 'no file'}) does not compile any more and is not run: ${r.error}`,
          );
    this.running = {
      correlations: new Correlations(
        all.filter((r) => r.doc?.kind === 'correlation'),
        all,
        this.running?.correlations.state() ?? loadCorrelationState(this.dir),
      ),
      engine: new RuleEngine(all, this.registry, silentRules(all)),
    };
    return this.running;
  }

  private get engine(): RuleEngine {
    return (this.running ?? this.compileRules()).engine;
  }

  private get correlations(): Correlations {
    return (this.running ?? this.compileRules()).correlations;
  }

  /** How Sigma logsources and fields map to the schemas (shipped data and the user's, read once). */
  get sigmaMappings(): SigmaMappings {
    this.mappings ??= loadSigmaMappings(this.registry);
    return this.mappings;
  }

  private get taxonomy(): Taxonomy {
    return this.registry.taxonomy;
  }

  /** Correlation alerts of hits, by the rules now loaded. */
  private correlationAlerts(hits: readonly CorrelationHit[], mode: AlertMode): Alert[] {
    if (hits.length === 0) return [];
    const byId = new Map<string, SigmaCorrelation>();
    for (const r of this.rules.list()) if (r.doc?.kind === 'correlation') byId.set(r.doc.id, r.doc);
    return correlationAlerts(hits, byId, mode);
  }

  /** Whether there is any content to match. */
  get active(): boolean {
    return this.matcher.size > 0 || this.rules.size > 0;
  }

  /** Bytes the live kernels hold. */
  memoryBytes(): number {
    return this.matcher.memoryBytes();
  }

  /**
   * The live sightings of a batch just placed in its partition (synchronous:
   * see the header). Internal events (sightings themselves) are never matched.
   */
  live(batch: A.RecordBatch, placement: Placement | undefined): Findings {
    if (!this.active || isInternalSchema(schemaName(batch))) return NO_FINDINGS;
    const ref: RowRef = placement ? partitionRef(placement.partition, placement.row) : () => null;
    const hits = this.matcher.size > 0 ? this.matcher.match(batch) : [];
    const sightings = new SightingBuilder('live');
    if (hits.length > 0) sightings.add(batch, hits, this.matcher, ref);
    const alerts =
      this.engine.size > 0
        ? this.engine.match(
            batch,
            ref,
            'live',
            this.correlations.size > 0 ? { sink: this.correlations.sink } : {},
          )
        : [];
    if (this.correlations.size > 0 && !this.windowsAtEnd)
      alerts.push(...this.correlationAlerts(this.correlations.advance(), 'live'));
    return this.emit(sightings, alerts);
  }

  /**
   * The alerts of live correlation windows that ended the allowed lateness
   * before `nowNs` by the wall clock: at the end of an import (historical
   * data imported in one go then gives what a retro hunt gives) and on a
   * node's tick (a quiet stream's last windows are decided).
   */
  tick(nowNs = BigInt(Date.now()) * 1_000_000n): Findings {
    if (this.correlations.size === 0) return NO_FINDINGS;
    return this.emit(
      new SightingBuilder('live'),
      this.correlationAlerts(this.correlations.advanceTo(nowNs), 'live'),
    );
  }

  /** Sightings and alerts as batches; those of content with actions go to the actions too. */
  private emit(b: SightingBuilder, alerts: readonly Alert[]): Findings {
    const sightings = b.count;
    const batches: A.RecordBatch[] = [];
    for (const { set, batch } of b.finish()) {
      batches.push(batch);
      if (set.actions.length > 0) this.act(set.actions, batch, 'sighting');
    }
    for (const b of alertBatches(alerts)) {
      batches.push(b);
      this.actOnAlerts(b);
    }
    return { batches, sightings, alerts: alerts.length };
  }

  private act(
    texts: readonly string[],
    batch: A.RecordBatch,
    kind: 'sighting' | 'alert',
    rows?: number[],
  ): void {
    const actions: ActionSpec[] = texts.map(parseAction);
    const records: Record<string, unknown>[] = [];
    for (const row of rows ?? Array.from({ length: batch.numRows }, (_, i) => i))
      records.push(contentJson(kind, batch, row));
    this.actionDispatcher().enqueue(actions, records);
  }

  /** Alerts of rules with actions go to their actions, rule by rule. */
  private actOnAlerts(batch: A.RecordBatch): void {
    const ruleColumn = batch.getChild('rule');
    if (!ruleColumn) return;
    const rowsOf = new Map<string, number[]>();
    for (let row = 0; row < batch.numRows; row++) {
      const id = ruleColumn.get(row) as string;
      if (!this.rules.get(id)?.options.actions.length) continue;
      const rows = rowsOf.get(id) ?? [];
      rows.push(row);
      rowsOf.set(id, rows);
    }
    for (const [id, rows] of rowsOf) this.act(this.rules.get(id)!.options.actions, batch, 'alert', rows);
  }

  /**
   * Stores a set's new revision and swaps the live matcher; with a cut, also
   * starts a hunt for its new indicators (none for a set whose update only
   * removed some).
   */
  updateSet(name: string, indicators: readonly Indicator[], opts: IntelSetOptions, cut: Cut): SetUpdate {
    checkActions(opts.actions);
    const { set, previous } = this.sets.put(name, indicators, opts);
    this.matcher = this.compile();
    const fresh = newIndicators(previous, set);
    const kept = set.indicators.length - fresh.length;
    const removed = (previous?.indicators.length ?? 0) - kept;
    const update: SetUpdate = { set, added: fresh.length, removed };
    if (fresh.length > 0 && !cutIsEmpty(cut))
      update.hunt = this.startHunt({
        kind: 'intel',
        id: `${name}-${set.revision}`,
        set: name,
        revision: set.revision,
        indicators: fresh,
        cut,
        started: new Date().toISOString(),
      });
    return update;
  }

  /** Persists a new hunt; runHunt runs it (now, or after a restart). */
  private startHunt(hunt: Hunt): Hunt {
    ensureDir(this.huntDir);
    writeFileAtomic(join(this.huntDir, `${hunt.id}.json`), JSON.stringify(hunt));
    this.hunts.set(hunt.id, hunt);
    this.done.set(hunt.id, new Set());
    this.found.set(hunt.id, 0);
    return hunt;
  }

  /**
   * Stores rules (Sigma documents with the text of their file) and swaps the
   * live rule engine; with a cut, starts one hunt for the rules new or
   * changed. A correlation's rules must be there (given now, or before).
   */
  addRules(
    docs: readonly { doc: SigmaDocument; source: string; file?: string }[],
    opts: RuleOptions,
    cut: Cut,
  ): RulesUpdate {
    checkActions(opts.actions);
    const known = [...this.rules.list(), ...docs.map(({ doc }) => ({ id: doc.id, doc }))];
    for (const { doc } of docs)
      if (doc.kind === 'correlation')
        for (const ref of doc.rules)
          if (!findRule(known, ref))
            throw new UsageError(
              `correlation ${doc.id} uses rule '${ref}', which is neither given nor loaded`,
            );
    const changed: Rule[] = [];
    for (const { doc, source, file } of docs) {
      const r = this.rules.put(doc, source, file, opts);
      if (r.changed) changed.push(r.rule);
    }
    this.compileRules();
    const update: RulesUpdate = { changed, unchanged: docs.length - changed.length };
    if (changed.length > 0 && !cutIsEmpty(cut)) {
      const revision = changed.map((r) => `${r.id}@${r.revision}`).join(',');
      update.hunt = this.startHunt({
        kind: 'rules',
        id: `rules-${createHash('sha256').update(revision).digest('hex').slice(0, 12)}`,
        rules: changed.map((r) => ({ id: r.id, revision: r.revision })),
        cut,
        started: new Date().toISOString(),
      });
    }
    return update;
  }

  /** A rule as `vast rule show` prints it (by id, or by name); undefined when there is none. */
  showRule(id: string): RuleShow | undefined {
    const rule = this.rules.get(id) ?? findRule(this.rules.list(), id);
    if (!rule) return undefined;
    return {
      rule: summarizeRule(rule),
      compiled: rule.doc ? (rule.doc.kind === 'rule' ? rule.doc.text : correlationText(rule.doc)) : '',
      source: rule.source,
      hunts: this.progress().filter((h) => h.kind === 'rules' && h.rules.includes(rule.id)),
    };
  }

  removeRule(id: string): boolean {
    const removed = this.rules.remove(id);
    if (removed) this.compileRules();
    return removed;
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
      hunts: this.progress().filter((h) => h.kind === 'intel' && h.set === name),
      sample: set.indicators.head(SAMPLE),
    };
  }

  removeSet(name: string): boolean {
    const removed = this.sets.remove(name);
    if (removed) {
      this.matcher = this.compile();
      // Its unfinished hunts would report indicators that no longer exist.
      for (const h of [...this.hunts.values()])
        if (h.kind === 'intel' && h.set === name) this.finishHunt(h.id);
    }
    return removed;
  }

  pendingHunts(): Hunt[] {
    return [...this.hunts.values()];
  }

  progress(): HuntProgress[] {
    return this.pendingHunts().map((h) => {
      const base = {
        id: h.id,
        partitions: h.cut.partitions.length + Object.keys(h.cut.staged).length,
        done: this.done.get(h.id)?.size ?? 0,
      };
      const found = this.found.get(h.id) ?? 0;
      return h.kind === 'intel'
        ? {
            ...base,
            kind: h.kind,
            set: h.set,
            revision: h.revision,
            indicators: h.indicators.length,
            sightings: found,
          }
        : { ...base, kind: h.kind, rules: h.rules.map((r) => r.id), alerts: found };
    });
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
    const hunter =
      hunt.kind === 'intel' ? this.intelHunter(store, hunt, run) : this.ruleHunter(store, hunt, run);
    if (!hunter) {
      this.finishHunt(hunt.id);
      return run;
    }
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
    const record = async (found: Findings, key: string) => {
      const n = found.sightings + found.alerts;
      await write(found.batches, `retro:${hunt.id}:${key}`);
      appendFileSync(join(this.huntDir, `${hunt.id}.done`), `${key} ${n}\n`);
      done.add(key);
      this.found.set(hunt.id, (this.found.get(hunt.id) ?? 0) + n);
    };
    for (const [e, rows] of work) {
      if (signal?.aborted) return run;
      if (isInternalSchema(e.schema)) continue;
      if (done.has(e.id)) await hunter.replay?.(e, rows);
      else await record(await hunter.partition(e, rows), e.id);
    }
    if (hunter.finish && !done.has(END)) await record(hunter.finish(), END);
    this.finishHunt(hunt.id);
    this.log(
      'info',
      `retro hunt ${hunt.id} done: ${this.found.get(hunt.id) ?? 0} ${hunt.kind === 'intel' ? 'sightings' : 'alerts'}; ` +
        `${run.skipped} partitions and ${run.groups} row groups ruled out by their synopses`,
    );
    return run;
  }

  /** What an intel hunt finds in one partition; undefined when its set is gone or newer. */
  private intelHunter(
    store: Store,
    hunt: IntelHunt,
    run: { skipped: number; groups: number },
  ): Hunter | undefined {
    const set = this.sets.get(hunt.set);
    if (!set || set.revision < hunt.revision) return undefined;
    const matcher = new IntelMatcher([{ set, indicators: hunt.indicators }], this.taxonomy);
    return {
      partition: async (e, rows) => {
        const synopses = huntSketch(store, e, matcher);
        const may = synopses === undefined || mayHold(synopses, e.fields, e.events);
        if (!may) {
          run.skipped++;
          return NO_FINDINGS;
        }
        const skippedGroups = { groups: 0 };
        const found = await huntPartition(store, e, rows, matcher, synopses, skippedGroups);
        run.groups += skippedGroups.groups;
        return this.emit(found, []);
      },
    };
  }

  /**
   * What a rule hunt finds in one partition: the hunted rules that are still
   * at their hunted revision (a newer one has its own hunt), and the rules the
   * hunted correlations use (their own alerts were raised when they were
   * hunted), run by an engine of their own (retro suppression is apart from
   * live). The correlations see every partition, also those done before an
   * interruption (`replay`), and decide their windows at the end (`finish`).
   * Undefined when none of the hunted rules is left.
   */
  private ruleHunter(
    store: Store,
    hunt: RuleHunt,
    run: { skipped: number; groups: number },
  ): Hunter | undefined {
    const all = this.rules.list();
    const hunted = hunt.rules.flatMap(({ id, revision }) => {
      const r = this.rules.get(id);
      return r?.revision === revision && r.doc !== undefined ? [r] : [];
    });
    if (hunted.length === 0) return undefined;
    const correlations = new Correlations(
      hunted.filter((r) => r.doc?.kind === 'correlation'),
      all,
    );
    const used = correlations.usedRules();
    const huntedIds = new Set(hunted.map((r) => r.id));
    const rules = [...hunted, ...all.filter((r) => used.has(r.id) && !huntedIds.has(r.id))];
    const silent = silentRules(all);
    for (const r of rules) if (!huntedIds.has(r.id)) silent.add(r.id);
    const engine = new RuleEngine(rules, this.registry, silent);
    const sink = correlations.size > 0 ? correlations.sink : undefined;
    const sketches = new SketchCache((e) => store.sketchOf(e.id));
    const scan = async (e: PartitionEntry, rows: number, raise: boolean): Promise<Alert[]> => {
      const alerts: Alert[] = [];
      const reader = await store.openPartition(e);
      try {
        await eachRowGroup(reader, e, rows, (batch, ref) => {
          for (const a of engine.match(batch, ref, 'retro', { sink, raise })) alerts.push(a);
        });
      } finally {
        await reader.close();
      }
      return alerts;
    };
    return {
      partition: async (e, rows) => {
        if (!engine.mayMatch(e, rules, sketches)) {
          run.skipped++;
          return NO_FINDINGS;
        }
        return this.emit(new SightingBuilder('retro'), await scan(e, rows, true));
      },
      ...(correlations.size > 0
        ? {
            replay: async (e: PartitionEntry, rows: number) => {
              if (engine.mayMatch(e, rules, sketches)) await scan(e, rows, false);
            },
            finish: () =>
              this.emit(new SightingBuilder('retro'), this.correlationAlerts(correlations.flush(), 'retro')),
          }
        : {}),
    };
  }

  private finishHunt(id: string): void {
    this.hunts.delete(id);
    this.done.delete(id);
    rmSync(join(this.huntDir, `${id}.json`), { force: true });
    rmSync(join(this.huntDir, `${id}.done`), { force: true });
  }

  /** Saves the open correlation windows; waits (bounded) for actions to be delivered (what is left stays in the outbox). */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.running) saveCorrelationState(this.dir, this.running.correlations.state());
    if (!this.dispatcher) return;
    await this.dispatcher.drain(timeoutMs);
    await this.dispatcher.close();
    this.dispatcher = undefined;
  }
}

/** What a hunt finds in one partition, up to `rows` rows of it. */
interface Hunter {
  /** What the hunt finds in a partition, up to `rows` rows of it. */
  partition(e: PartitionEntry, rows: number): Promise<Findings>;
  /** A partition done before an interruption, read again by what must see all of them (correlations). */
  replay?(e: PartitionEntry, rows: number): Promise<void>;
  /** What the hunt finds once it has seen every partition (correlation windows). */
  finish?(): Findings;
}

/** The key under which a hunt's `finish` findings are written and marked done. */
const END = '<end>';

const cutIsEmpty = (cut: Cut) => cut.partitions.length === 0 && Object.keys(cut.staged).length === 0;

function checkActions(actions: readonly string[]): void {
  for (const a of actions)
    try {
      parseAction(a);
    } catch (e) {
      throw new UsageError(`invalid action '${a}': ${(e as Error).message}`);
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
