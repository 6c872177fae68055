/**
 * Runs rules over batches: live on every batch as it is stored, retro over
 * the row groups of stored partitions. A detection rule is a VAST expression
 * compiled by the query compiler (the same kernels as `vast export`), once per
 * layout; a batch is offered only to the rules whose logsource maps to its
 * schema, so a hundred rules over other schemas cost a map lookup.
 *
 * Matching rows become alerts, unless suppressed: with a window, one alert per
 * rule and key (the values of the suppression fields) within the window, by
 * event time; the ones in between are counted and reported on the next alert
 * raised for that key.
 */
import type * as A from 'apache-arrow';
import type { CompileContext, CompiledQuery, Program } from '../expr/compile.js';
import { compileQuery, evaluate } from '../expr/compile.js';
import { setIndices } from '../expr/kernels/bitmap.js';
import { prune, type SketchCache } from '../expr/prune.js';
import { entrySchema, type PartitionEntry } from '../store/catalog.js';
import type { PartitionReader } from '../store/partition.js';
import { vastSchema } from '../types/arrow.js';
import type { Alert, AlertMode } from './alerts.js';
import { type EventFacts, eventFacts } from './event-facts.js';
import type { Rule } from './rules.js';
import { partitionRef, type RowRef } from './sightings.js';
import type { SigmaRule } from './sigma/types.js';

/** A detection rule ready to run. */
interface Active {
  readonly rule: Rule;
  readonly doc: SigmaRule;
  readonly query: CompiledQuery;
  readonly programs: WeakMap<A.Schema, Program>;
  /** Whether it raises alerts of its own (false for a rule only a correlation uses). */
  readonly alerts: boolean;
}

/** What a rule's match gives the correlations that use it, per matching row. */
export type MatchSink = (rule: Rule, rows: Int32Array, facts: EventFacts, ref: RowRef) => void;

/** The most suppression keys remembered; the least recently used go first. */
const MAX_SUPPRESSION_KEYS = 100_000;

/** One alert per rule and key within a window; the others counted. */
class Suppressor {
  private readonly windows = new Map<string, { start: bigint; suppressed: number }>();

  /** The count of alerts suppressed before this one, or undefined when this one is suppressed too. */
  admit(key: string, t: bigint, windowNs: bigint): number | undefined {
    const w = this.windows.get(key);
    if (w) {
      const d = t >= w.start ? t - w.start : w.start - t;
      this.windows.delete(key); // re-inserted below: most recently used last
      if (d < windowNs) {
        w.suppressed++;
        this.windows.set(key, w);
        return undefined;
      }
    }
    this.windows.set(key, { start: t, suppressed: 0 });
    if (this.windows.size > MAX_SUPPRESSION_KEYS) this.windows.delete(this.windows.keys().next().value!);
    return w?.suppressed ?? 0;
  }
}

const ALL = (rows: number) => Int32Array.from({ length: rows }, (_, i) => i);

export class RuleEngine {
  private readonly bySchema = new Map<string, Active[]>();
  private readonly suppressor = new Suppressor();
  readonly size: number;

  /**
   * `rules`: the detection rules to run; `silent`: ids of rules that raise no
   * alerts of their own (used by correlations without `generate`).
   */
  constructor(rules: readonly Rule[], ctx: CompileContext, silent: ReadonlySet<string> = new Set()) {
    let n = 0;
    for (const rule of rules) {
      const doc = rule.doc;
      if (doc?.kind !== 'rule') continue;
      const active: Active = {
        rule,
        doc,
        query: compileQuery(doc.expr, doc.text, [], ctx),
        programs: new WeakMap(),
        alerts: !silent.has(rule.id),
      };
      for (const s of doc.schemas) {
        const list = this.bySchema.get(s) ?? [];
        list.push(active);
        this.bySchema.set(s, list);
      }
      n++;
    }
    this.size = n;
  }

  /**
   * Alerts of the rules on a batch (`raise: false`: none, the matches only
   * go to `sink`); matches go to `sink` (the correlations) too.
   */
  match(
    batch: A.RecordBatch,
    ref: RowRef,
    mode: AlertMode,
    opts: { sink?: MatchSink; raise?: boolean } = {},
  ): Alert[] {
    const rules = this.bySchema.get(vastSchema(batch.schema).name);
    if (!rules || batch.numRows === 0) return [];
    const alerts: Alert[] = [];
    let facts: EventFacts | undefined;
    // Rules share their column tests over this batch (many test `proto == /tcp/i` or the same ports).
    const shared = new Map<string, Uint8Array>();
    for (const a of rules) {
      let p = a.programs.get(batch.schema);
      if (!p) {
        p = a.query.program(vastSchema(batch.schema));
        a.programs.set(batch.schema, p);
      }
      if (p.kind === 'const' && !p.value) continue;
      const rows =
        p.kind === 'const'
          ? ALL(batch.numRows)
          : setIndices(evaluate(p, batch, undefined, shared), batch.numRows);
      if (rows.length === 0) continue;
      facts ??= eventFacts(batch);
      opts.sink?.(a.rule, rows, facts, ref);
      if (a.alerts && opts.raise !== false) this.raise(a, rows, facts, ref, mode, alerts);
    }
    return alerts;
  }

  private raise(
    a: Active,
    rows: Int32Array,
    facts: EventFacts,
    ref: RowRef,
    mode: AlertMode,
    out: Alert[],
  ): void {
    const { doc } = a;
    const { suppressNs, suppressBy } = a.rule.options;
    const keyFields = suppressBy ?? doc.fields;
    for (const row of rows) {
      const t = facts.time(row);
      let suppressed = 0;
      if (suppressNs !== undefined) {
        const key = `${doc.id}\u0000${keyFields.map((f) => facts.field(f, row) ?? '').join('\u0000')}`;
        const admitted = this.suppressor.admit(key, t ?? BigInt(Date.now()) * 1_000_000n, suppressNs);
        if (admitted === undefined) continue;
        suppressed = admitted;
      }
      out.push({
        eventTime: t,
        rule: doc.id,
        title: doc.title,
        level: doc.level,
        tags: doc.tags,
        mode,
        schema: facts.schema.name,
        uid: facts.uid(row),
        communityId: facts.communityId(row),
        flowId: facts.flowId(row),
        ref: ref(row),
        fields: Object.fromEntries(doc.fields.map((f) => [f, facts.field(f, row)])),
        count: 1,
        suppressed,
      });
    }
  }

  /**
   * Which stored partitions a retro run of `rules` must read: those whose
   * schema a rule covers and whose synopses do not rule the rule out.
   */
  mayMatch(entry: PartitionEntry, rules: readonly Rule[], sketches: SketchCache): boolean {
    for (const a of this.bySchema.get(entry.schema) ?? []) {
      if (!rules.includes(a.rule)) continue;
      const p = a.query.program(entrySchema(entry));
      if (p.kind === 'const' && !p.value) continue;
      if (prune(p, entry, sketches, a.query.hints) !== 'never') return true;
    }
    return false;
  }
}

/**
 * Runs `each` over the row groups of a stored partition, up to `rows` rows
 * (the rest of a partition being written at a content change was matched
 * live), with the ref of each row.
 */
export async function eachRowGroup(
  reader: PartitionReader,
  entry: PartitionEntry,
  rows: number,
  each: (batch: A.RecordBatch, ref: RowRef) => void,
): Promise<void> {
  let base = 0;
  for (let g = 0; g < reader.rowGroups && base < rows; g++) {
    let batch = await reader.read(g);
    const n = Math.min(batch.numRows, rows - base);
    if (n < batch.numRows) batch = batch.slice(0, n);
    each(batch, partitionRef(entry.id, base));
    base += n;
  }
}
