/**
 * The correlation rules of a store at work: each correlation's `Correlator`
 * (correlate.ts) fed with the matches of the rules it references, as the rule
 * engine finds them (live, batch by batch; retro, row group by row group),
 * and its hits turned into alerts.
 *
 * Live on a node, a window is decided once the event-time watermark (the
 * latest event time seen minus the allowed lateness, `--lateness`, 1 h by
 * default) passes its end, or on a tick once the wall clock minus the
 * lateness does (a quiet stream's last windows). A row that arrives after its
 * window was decided is counted as late. An embedded import decides windows
 * at its end only (by the wall clock): historical data imported in one go,
 * however out of order, gives the alerts a retro hunt over it gives. The open windows are saved when the store closes
 * and resumed when it opens.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, writeFileAtomic } from '../store/fs-util.js';
import type { Alert, AlertMode } from './alerts.js';
import { type CorrelationHit, Correlator, type CorrelatorJson } from './correlate.js';
import type { EventFacts } from './event-facts.js';
import type { MatchSink } from './rule-engine.js';
import { contentFileName, findRule, type Rule } from './rules.js';
import type { RowRef } from './sightings.js';
import type { SigmaCorrelation } from './sigma/types.js';

/**
 * How far behind the latest event time a live window stays open by default:
 * Zeek logs a connection when it ends with the time it began, so conn events
 * arrive as late as their connections last (its TCP inactivity timeout is 5 min).
 */
const DEFAULT_LATENESS_NS = 3_600_000_000_000n;

interface Bound {
  correlator: Correlator;
  /** How the correlation names the rule (its id or its name). */
  as: string;
}

/** The ids of the rules that raise no alerts of their own: those only correlations without `generate` use. */
export function silentRules(rules: readonly Rule[]): Set<string> {
  const silent = new Set<string>();
  const loud = new Set<string>();
  for (const r of rules) {
    if (r.doc?.kind !== 'correlation') continue;
    for (const ref of r.doc.rules) {
      const used = findRule(rules, ref);
      if (used) (r.doc.generate ? loud : silent).add(used.id);
    }
  }
  for (const id of loud) silent.delete(id);
  return silent;
}

export class Correlations {
  private readonly byRule = new Map<string, Bound[]>();
  /** Hits decided and not yet taken (`advance`, `advanceTo`, `flush` take them). */
  private pending: CorrelationHit[] = [];
  readonly correlators: Correlator[] = [];

  /**
   * `correlations`: the correlation rules to run; `rules`: every rule (their
   * references are looked up there); `saved`: open state to resume, by correlation id.
   */
  constructor(
    correlations: readonly Rule[],
    rules: readonly Rule[],
    saved: ReadonlyMap<string, CorrelatorJson> = new Map(),
  ) {
    for (const r of correlations) {
      const doc = r.doc;
      if (doc?.kind !== 'correlation') continue;
      const state = saved.get(doc.id);
      let correlator: Correlator;
      const limits = { latenessNs: r.options.latenessNs ?? DEFAULT_LATENESS_NS };
      try {
        correlator = state ? Correlator.fromJSON(doc, state, limits) : new Correlator(doc, limits);
      } catch {
        correlator = new Correlator(doc, limits); // saved state of an earlier revision: start over
      }
      this.correlators.push(correlator);
      for (const as of doc.rules) {
        const used = findRule(rules, as);
        if (!used) continue;
        const bound = this.byRule.get(used.id) ?? [];
        bound.push({ correlator, as });
        this.byRule.set(used.id, bound);
      }
    }
  }

  get size(): number {
    return this.correlators.length;
  }

  /** The ids of the rules whose matches the correlations need. */
  usedRules(): Set<string> {
    return new Set(this.byRule.keys());
  }

  /** Takes a rule's matches (the rule engine's sink); collects the hits of windows closed to make room. */
  readonly sink: MatchSink = (rule: Rule, rows: Int32Array, facts: EventFacts, ref: RowRef) => {
    const bound = this.byRule.get(rule.id);
    if (!bound) return;
    const time = facts.columns.time;
    if (!time) return; // no event time: no window to count it in (a schema without a timestamp)
    for (const { correlator, as } of bound) {
      const c = correlator.correlation;
      const hits = correlator.add({
        rule: as,
        times: time.values as BigInt64Array,
        timeValid: time.nullCount > 0 ? time.nullBitmap : null,
        rows,
        groupBy: c.groupBy.map((f) => facts.column(f)),
        value: c.type === 'value_count' && c.condition.field ? facts.column(c.condition.field) : undefined,
        ref,
      });
      for (const h of hits) this.pending.push(h);
    }
  };

  /** Decides the windows that ended `latenessNs` before the latest event time (live, after each batch). */
  advance(): CorrelationHit[] {
    for (const c of this.correlators) {
      const w = c.watermark();
      if (w !== undefined) for (const h of c.advance(w)) this.pending.push(h);
    }
    return this.take();
  }

  /** Decides the windows that ended the lateness before `nowNs` (the end of an import, a node's tick). */
  advanceTo(nowNs: bigint): CorrelationHit[] {
    for (const c of this.correlators)
      for (const h of c.advance(nowNs - c.limits.latenessNs)) this.pending.push(h);
    return this.take();
  }

  /** Decides every open window (the end of a retro hunt). */
  flush(): CorrelationHit[] {
    for (const c of this.correlators) for (const h of c.flush()) this.pending.push(h);
    return this.take();
  }

  private take(): CorrelationHit[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /** The open state of each correlation, for `save`. */
  state(): Map<string, CorrelatorJson> {
    return new Map(this.correlators.map((c) => [c.correlation.id, c.toJSON()]));
  }
}

/** The alerts of correlation hits. */
export function correlationAlerts(
  hits: readonly CorrelationHit[],
  byId: ReadonlyMap<string, SigmaCorrelation>,
  mode: AlertMode,
): Alert[] {
  return hits.flatMap((h) => {
    const c = byId.get(h.correlation);
    if (!c) return [];
    return [
      {
        eventTime: h.lastNs,
        rule: c.id,
        title: c.title,
        level: c.level,
        tags: c.tags,
        mode,
        schema: null,
        uid: null,
        communityId: null,
        flowId: null,
        ref: h.events[0] ?? null,
        fields: h.group,
        count: h.count,
        suppressed: 0,
        window: { start: h.windowStart, end: h.windowEnd },
        events: h.events,
      },
    ];
  });
}

/** Where the open windows of live correlations are kept between runs. */
const stateDir = (storeDir: string) => join(storeDir, 'rules', 'correlations');

export function loadCorrelationState(storeDir: string): Map<string, CorrelatorJson> {
  const out = new Map<string, CorrelatorJson>();
  const dir = stateDir(storeDir);
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir))
    if (f.endsWith('.json'))
      try {
        const j = JSON.parse(readFileSync(join(dir, f), 'utf8')) as CorrelatorJson;
        out.set(j.correlation, j);
      } catch {
        // A damaged state file: that correlation starts with no open windows.
      }
  return out;
}

export function saveCorrelationState(storeDir: string, state: ReadonlyMap<string, CorrelatorJson>): void {
  const dir = stateDir(storeDir);
  if (state.size === 0 && !existsSync(dir)) return;
  ensureDir(dir);
  const keep = new Set<string>();
  for (const [id, j] of state) {
    const f = contentFileName(id);
    keep.add(f);
    writeFileAtomic(join(dir, f), JSON.stringify(j));
  }
  for (const f of readdirSync(dir))
    if (f.endsWith('.json') && !keep.has(f)) rmSync(join(dir, f), { force: true });
}
