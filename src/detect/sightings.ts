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
import { dictionaryEntries, isDictionaryData } from '../types/dictionary-strings.js';
import { printValue } from '../types/print-value.js';
import { formatTime } from '../types/time.js';
import { basic, indexPath, type RecordField, record, type Schema, type VastType } from '../types/type.js';
import { bigintAt, isValid, listRange, stringAt } from '../types/values.js';
import { type Indicator, indicatorMatchesValue } from './indicator.js';
import type { IntelSet } from './intel-sets.js';
import { columnAt, type Hit, type IntelMatcher } from './matcher.js';

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
  { name: 'schema', type: basic('string') },
  { name: 'uid', type: basic('string') },
  { name: 'community_id', type: basic('string') },
  { name: 'flow_id', type: basic('uint64') },
  // The stored event: `PARTITION:ROW` (its partition's id and its row there).
  { name: 'ref', type: basic('string') },
];

/** The context columns of a set: every key any of its indicators has, in first-seen order. */
function contextKeys(set: IntelSet): string[] {
  const keys = new Set<string>();
  for (const i of set.indicators) for (const k of Object.keys(i.context)) keys.add(k);
  return [...keys];
}

const schemas = new WeakMap<IntelSet, { schema: Schema; keys: string[] }>();

/** The sighting layout of a set (with its context record), once per set revision. */
function sightingSchema(set: IntelSet): { schema: Schema; keys: string[] } {
  let s = schemas.get(set);
  if (!s) {
    const keys = contextKeys(set);
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

/** A top-level field of the event by name and kind, as an index path (for identifiers). */
function identifier(schema: Schema, name: string, kind: 'string' | 'uint64'): number[] | undefined {
  const f = schema.type.fields.find((x) => x.name === name);
  return f && f.type.kind === kind ? indexPath(schema.type, [name]) : undefined;
}

/** A string at row `i`, of a Utf8 column or of a dictionary-encoded one (as stored columns come back). */
function stringOf(d: A.Data, i: number): string {
  return isDictionaryData(d)
    ? stringAt(dictionaryEntries(d.dictionary!), (d.values as Int32Array)[i])
    : stringAt(d, i);
}

/** A valid value as text: strings as they are, other types as VAST prints them. */
const valueText = (d: A.Data, t: VastType, i: number) =>
  t.kind === 'string' ? stringOf(d, i) : printValue(d, t, i, 'ascii');

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

/** Sightings as records (for actions and tests), grouped by set. */
export type SightingRecords = Map<IntelSet, Record<string, unknown>[]>;

/**
 * The sightings of a batch's hits, by set. Hits outside an indicator's
 * validity window (by event time) are left out.
 */
export function sightingRecords(
  batch: A.RecordBatch,
  hits: readonly Hit[],
  matcher: IntelMatcher,
  mode: SightingMode,
  ref: RowRef,
  now = BigInt(Date.now()) * 1_000_000n,
): SightingRecords {
  const out: SightingRecords = new Map();
  if (hits.length === 0) return out;
  const schema = vastSchema(batch.schema);
  const timePath = schema.timestamp ? indexPath(schema.type, schema.timestamp) : undefined;
  const timeCol = timePath && columnAt(batch, timePath);
  const idCols = {
    uid: identifier(schema, 'uid', 'string'),
    community_id: identifier(schema, 'community_id', 'string'),
    flow_id: identifier(schema, 'flow_id', 'uint64'),
  };
  const text = (path: number[] | undefined, row: number) => {
    if (!path) return null;
    const c = columnAt(batch, path);
    return isValid(c, row) ? stringOf(c, row) : null;
  };
  const flow = idCols.flow_id && columnAt(batch, idCols.flow_id);
  const seen = new Set<string>();
  const nowText = formatTime(now);
  for (const h of hits) {
    const target = matcher.target(h.target);
    const eventTime = timeCol && isValid(timeCol, h.row) ? bigintAt(timeCol, h.row) : undefined;
    if (eventTime !== undefined) {
      if (target.from !== undefined && eventTime < target.from) continue;
      if (target.until !== undefined && eventTime > target.until) continue;
    }
    // A value listed twice in one list field is still one sighting of (event, indicator, field).
    const key = `${h.row}\0${h.target}\0${h.leaf.path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const { indicator, set } = target;
    const keys = sightingSchema(set).keys;
    const context: Record<string, string> = {};
    for (const k of keys) if (indicator.context[k] !== undefined) context[k] = indicator.context[k];
    let list = out.get(set);
    if (!list) {
      list = [];
      out.set(set, list);
    }
    list.push({
      time: nowText,
      event_time: eventTime === undefined ? null : formatTime(eventTime),
      set: set.name,
      revision: set.revision,
      indicator: indicator.value,
      indicator_type: indicator.type,
      field: h.leaf.path,
      value: matchedValue(h, indicator, set.subdomains),
      mode,
      schema: schema.name,
      uid: text(idCols.uid, h.row),
      community_id: text(idCols.community_id, h.row),
      flow_id: flow && isValid(flow, h.row) ? bigintAt(flow, h.row) : null,
      ref: ref(h.row),
      ...(keys.length > 0 ? { context } : {}),
    });
  }
  return out;
}

/** The records as batches of `vast.sighting`, one per set (its context columns make its layout). */
export function sightingBatches(records: SightingRecords): A.RecordBatch[] {
  const batches: A.RecordBatch[] = [];
  for (const [set, rows] of records) {
    const b = new BatchBuilder(sightingSchema(set).schema);
    for (const r of rows) b.appendJson(r);
    if (b.rows > 0) batches.push(b.finish());
  }
  return batches;
}
