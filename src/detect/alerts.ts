/**
 * Alerts: the events rules raise, of schema `vast.alert`, stored like any
 * other event (internal: a query sees them when it asks with
 * `#schema == "vast.alert"`). One per matching event of a detection rule,
 * one per firing window and group of a correlation rule.
 *
 * Unlike sightings (one per matched indicator, millions in a retro hunt of a
 * large feed), alerts are few by design (a rule that fires on every event is
 * a broken rule, and suppression bounds it), so each is built as one record.
 */
import type * as A from 'apache-arrow';
import { BatchBuilder } from '../types/batch-builder.js';
import { formatTime } from '../types/time.js';
import { basic, list, type RecordField, record, type Schema, unflatten } from '../types/type.js';
import { EVENT_REF_FIELDS } from './event-facts.js';

const ALERT_SCHEMA = 'vast.alert';

export type AlertMode = 'live' | 'retro';

const FIELDS: readonly RecordField[] = [
  // When vast raised it.
  { name: 'time', type: basic('time') },
  // The event's own time (a correlation: the last event of its window); null when its schema has none.
  { name: 'event_time', type: basic('time') },
  // The rule's id (a SigmaHQ UUID) and what it says of itself.
  { name: 'rule', type: basic('string') },
  { name: 'title', type: basic('string') },
  // informational, low, medium, high, critical
  { name: 'level', type: basic('string') },
  // Triage status: new (acknowledged and closed are set by triage).
  { name: 'status', type: basic('string') },
  // The rule's tags, ATT&CK among them (`attack.t1071.004`).
  { name: 'tags', type: list(basic('string')) },
  // live (raised on ingest) or retro (found by a hunt over stored events).
  { name: 'mode', type: basic('string') },
  // The event (`ref`: a correlation's first event).
  ...EVENT_REF_FIELDS,
  { name: 'count', type: basic('uint64') },
  // Alerts of the same rule and key suppressed (counted, not raised) since the last one raised.
  { name: 'suppressed', type: basic('uint64') },
  // A correlation: its window, and the events that made it fire (the first ones, bounded).
  { name: 'window_start', type: basic('time') },
  { name: 'window_end', type: basic('time') },
  { name: 'events', type: list(basic('string')) },
];

/**
 * The layout of alerts with these key fields (Sigma `fields:`, a correlation's
 * group-by): the fixed fields, then `fields`, a record of the key fields'
 * values as printed (`fields.id.orig_h`), so that it is queried like any
 * record. Rules with different key fields thus write `vast.alert` partitions
 * of different layouts, as intel sets with different context columns do.
 */
function alertSchema(keys: readonly string[]): Schema {
  // A name that is also the prefix of another (`id` beside `id.orig_h`) would be a leaf and a record at once.
  const kept = [...new Set(keys)].filter((k) => !keys.some((m) => m.startsWith(`${k}.`)));
  const fields =
    kept.length > 0
      ? [
          ...FIELDS,
          { name: 'fields', type: unflatten(kept.map((name) => ({ name, type: basic('string') }))) },
        ]
      : FIELDS;
  return { name: ALERT_SCHEMA, type: record(fields), timestamp: 'time' };
}

/** A flat record (`{"id.orig_h": v}`) as the nested JSON object its record type takes. */
function nested(flat: Readonly<Record<string, string | null>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(flat)) {
    const parts = k.split('.');
    let at = out;
    for (const p of parts.slice(0, -1)) {
      if (typeof at[p] !== 'object' || at[p] === null) at[p] = {};
      at = at[p] as Record<string, unknown>;
    }
    at[parts[parts.length - 1]] ??= v;
  }
  return out;
}

/** One alert, as the rule engine makes it (times in ns since the epoch). */
export interface Alert {
  eventTime: bigint | null;
  rule: string;
  title: string;
  level: string;
  tags: readonly string[];
  mode: AlertMode;
  /** The event's schema; null for a correlation (its events may be of several). */
  schema: string | null;
  uid: string | null;
  communityId: string | null;
  flowId: bigint | null;
  ref: string | null;
  fields: Readonly<Record<string, string | null>>;
  count: number;
  suppressed: number;
  window?: { start: bigint; end: bigint };
  events?: readonly string[];
}

const time = (ns: bigint | null | undefined) => (ns === null || ns === undefined ? null : formatTime(ns));

/** Alerts as batches of `vast.alert`, one per layout (key fields), raised at `now`. */
export function alertBatches(
  alerts: readonly Alert[],
  now = BigInt(Date.now()) * 1_000_000n,
): A.RecordBatch[] {
  const builders = new Map<string, BatchBuilder>();
  const raised = formatTime(now);
  for (const a of alerts) {
    const keys = Object.keys(a.fields);
    const layout = keys.join('\u0000');
    let b = builders.get(layout);
    if (!b) {
      b = new BatchBuilder(alertSchema(keys));
      builders.set(layout, b);
    }
    const ok = b.appendJson({
      time: raised,
      event_time: time(a.eventTime),
      rule: a.rule,
      title: a.title,
      level: a.level,
      status: 'new',
      tags: a.tags,
      mode: a.mode,
      schema: a.schema,
      uid: a.uid,
      community_id: a.communityId,
      flow_id: a.flowId === null ? null : a.flowId.toString(),
      ref: a.ref,
      count: a.count,
      suppressed: a.suppressed,
      window_start: time(a.window?.start),
      window_end: time(a.window?.end),
      events: a.events ?? [],
      ...(keys.length > 0 ? { fields: nested(a.fields) } : {}),
    });
    // Every value above is of its field's type: a refusal is a bug here, not bad input.
    if (!ok) throw new Error(`alert of rule ${a.rule} does not fit ${ALERT_SCHEMA}`);
  }
  return [...builders.values()].map((b) => b.finish());
}
