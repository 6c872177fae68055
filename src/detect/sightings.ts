/**
 * Sightings: the events intel matching produces, of schema `vast.sighting`,
 * stored like any other event (internal: a query sees them when it asks with
 * `#schema == "vast.sighting"`). One per matched (event, indicator, field).
 *
 * The layout is fixed but for `context`, a record of the set's context
 * columns (a CSV feed's other columns, a STIX indicator's name and labels), so
 * that `context.threat == "c2"` is a query like any other. Sets with different
 * context columns thus write `vast.sighting` partitions of different layouts.
 */
import type * as A from 'apache-arrow';
import { vastSchema } from '../types/arrow.js';
import { BatchBuilder } from '../types/batch-builder.js';
import type { Int64Builder } from '../types/builder/int64.js';
import type { ColumnBuilder } from '../types/builder.js';
import { formatTime } from '../types/time.js';
import { basic, type RecordField, record, type Schema, type VastType } from '../types/type.js';
import { bigintAt, isValid, listRange, type Value, valueAt } from '../types/values.js';
import { EVENT_REF_FIELDS, eventFacts, stringOf, valueText } from './event-facts.js';
import { type Indicator, indicatorMatchesValue } from './indicator.js';
import type { IntelSet } from './intel-sets.js';
import type { Hit, IntelMatcher } from './matcher.js';

const SIGHTING_SCHEMA = 'vast.sighting';

export type SightingMode = 'live' | 'retro';

const BASE_FIELDS: readonly RecordField[] = [
  // When vast saw it.
  { name: 'time', type: basic('time') },
  // The event's own time (null when its schema has none).
  { name: 'event_time', type: basic('time') },
  { name: 'set', type: basic('string') },
  { name: 'revision', type: basic('uint64') },
  { name: 'indicator', type: basic('string') },
  // ip, subnet, domain, url, md5, sha1, sha256, string
  { name: 'indicator_type', type: basic('string') },
  // The matched field's path in the event (`id.resp_h`, `dns.rrname`).
  { name: 'field', type: basic('string') },
  // The matched value as printed (a subdomain, an address inside a subnet).
  { name: 'value', type: basic('string') },
  // live (matched on ingest) or retro (found by a hunt over stored events).
  { name: 'mode', type: basic('string') },
  ...EVENT_REF_FIELDS,
];

const schemas = new WeakMap<IntelSet, { schema: Schema; keys: string[] }>();

/** The sighting layout of a set (with its context record), once per set revision. */
function sightingSchema(set: IntelSet): { schema: Schema; keys: string[] } {
  let s = schemas.get(set);
  if (!s) {
    const keys = set.indicators.contextKeys();
    const context = keys.map((k) => ({ name: k, type: basic('string') }));
    const fields =
      context.length > 0 ? [...BASE_FIELDS, { name: 'context', type: record(context) }] : BASE_FIELDS;
    s = { schema: { name: SIGHTING_SCHEMA, type: record(fields), timestamp: 'time' }, keys };
    schemas.set(set, s);
  }
  return s;
}

/** Where the event of a batch row is stored, as a sighting's `ref`. */
export type RowRef = (row: number) => string | null;

/** The refs of a batch whose first row is row `base` of a partition: `PARTITION:ROW`. */
export const partitionRef =
  (partition: string, base: number): RowRef =>
  (row) =>
    `${partition}:${base + row}`;

/** The matched value: the value of the field, or of a list the element the indicator matches. */
function matchedValue(h: Hit, indicator: Indicator, subdomains: boolean): string {
  const t = h.leaf.type;
  if (t.kind === 'list') {
    const child = h.column.children[0];
    const [from, to] = listRange(h.column, h.row);
    for (let j = from; j < to; j++) {
      if (!isValid(child, j)) continue;
      const v = valueText(child, t.element, j);
      if (indicatorMatchesValue(indicator, v, subdomains)) return v;
    }
  }
  return valueText(h.column, t, h.row);
}

/** What a set's sightings are being built into. */
interface SetSightings {
  builder: BatchBuilder;
  /** The set's context keys, in the layout's order. */
  keys: string[];
}

/** A 64-bit column's values as 32-bit words (low, high per row): copied into a builder without a BigInt. */
function words(d: A.Data | undefined): Uint32Array | undefined {
  if (!d) return undefined;
  const v = d.values as BigInt64Array;
  return new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
}

/**
 * Sightings built straight into `vast.sighting` columns, one builder per
 * set (its context columns make its layout): a retro hunt can find millions,
 * and a JS record per sighting would cost ten times the memory and time.
 * Hits outside an indicator's validity window (by event time) are left out;
 * a value listed twice in one list field is one sighting of (event,
 * indicator, field).
 */
export class SightingBuilder {
  private readonly bySet = new Map<IntelSet, SetSightings>();
  private readonly now: Uint32Array;
  /** Sightings built so far. */
  count = 0;

  constructor(
    private readonly mode: SightingMode,
    now = BigInt(Date.now()) * 1_000_000n,
  ) {
    this.now = new Uint32Array(BigUint64Array.of(BigInt.asUintN(64, now)).buffer);
  }

  add(batch: A.RecordBatch, hits: readonly Hit[], matcher: IntelMatcher, ref: RowRef): void {
    if (hits.length === 0) return;
    const facts = eventFacts(batch);
    const { schema } = facts;
    const { time: timeCol, uid, communityId, flowId } = facts.columns;
    const timeWords = words(timeCol);
    const flowWords = words(flowId);
    // Hits come column by column; a row's hits of one column are together.
    let lastColumn: A.Data | undefined;
    const seen = new Set<number>();
    for (const h of hits) {
      if (h.column !== lastColumn) {
        lastColumn = h.column;
        seen.clear();
      }
      const key = h.row * matcher.size + h.target;
      if (seen.has(key)) continue;
      seen.add(key);
      const eventValid = timeCol !== undefined && isValid(timeCol, h.row);
      const window = matcher.validity(h.target);
      if (window && eventValid) {
        const t = bigintAt(timeCol, h.row);
        if (
          (window.from !== undefined && t < window.from) ||
          (window.until !== undefined && t > window.until)
        )
          continue;
      }
      const set = matcher.setOf(h.target);
      const indicator = matcher.indicatorOf(h.target);
      const out = this.forSet(set);
      const l = out.builder.leaves;
      // In the order of BASE_FIELDS, then the context columns.
      (l[0] as Int64Builder).appendWords(this.now[0], this.now[1]);
      if (eventValid) (l[1] as Int64Builder).appendWords(timeWords![2 * h.row], timeWords![2 * h.row + 1]);
      else l[1].appendNull();
      l[2].appendText(set.name);
      (l[3] as Int64Builder).appendNumber(set.revision);
      l[4].appendText(indicator.value);
      l[5].appendText(indicator.type);
      l[6].appendText(h.leaf.path);
      l[7].appendText(matchedValue(h, indicator, set.subdomains));
      l[8].appendText(this.mode);
      l[9].appendText(schema.name);
      appendString(l[10], uid, h.row);
      appendString(l[11], communityId, h.row);
      if (flowId && isValid(flowId, h.row))
        (l[12] as Int64Builder).appendWords(flowWords![2 * h.row], flowWords![2 * h.row + 1]);
      else l[12].appendNull();
      const r = ref(h.row);
      if (r === null) l[13].appendNull();
      else l[13].appendText(r);
      out.keys.forEach((k, j) => {
        const v = indicator.context[k];
        if (v === undefined) l[14 + j].appendNull();
        else l[14 + j].appendText(v);
      });
      out.builder.commitRow();
      this.count++;
    }
  }

  private forSet(set: IntelSet): SetSightings {
    let out = this.bySet.get(set);
    if (!out) {
      const { schema, keys } = sightingSchema(set);
      out = { builder: new BatchBuilder(schema), keys };
      this.bySet.set(set, out);
    }
    return out;
  }

  /** The sightings as batches of `vast.sighting`, one per set with any; the builder starts over. */
  finish(): { set: IntelSet; batch: A.RecordBatch }[] {
    const out: { set: IntelSet; batch: A.RecordBatch }[] = [];
    for (const [set, s] of this.bySet) if (s.builder.rows > 0) out.push({ set, batch: s.builder.finish() });
    this.bySet.clear();
    this.count = 0;
    return out;
  }
}

function appendString(b: ColumnBuilder, col: A.Data | undefined, row: number): void {
  if (col && isValid(col, row)) b.appendText(stringOf(col, row));
  else b.appendNull();
}

/**
 * An event of content (a sighting, an alert) as the JSON an action delivers:
 * `kind`, its fields by name, times in ISO 8601 (UTC), records as objects,
 * and 64-bit integers beyond 2^53 as strings.
 */
export function contentJson(kind: string, batch: A.RecordBatch, row: number): Record<string, unknown> {
  const out: Record<string, unknown> = { kind };
  vastSchema(batch.schema).type.fields.forEach((f, k) => {
    out[f.name] = plainJson(valueAt(batch.data.children[k], f.type, row), f.type);
  });
  return out;
}

function plainJson(v: Value, t: VastType): unknown {
  if (v === null) return null;
  if (typeof v === 'bigint') {
    if (t.kind === 'time') return formatTime(v);
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : String(v);
  }
  if (t.kind === 'record' && typeof v === 'object') {
    const o = v as Record<string, Value>;
    return Object.fromEntries(t.fields.map((f) => [f.name, plainJson(o[f.name] ?? null, f.type)]));
  }
  return v;
}
