/**
 * What sightings and alerts say about the event they are about: its time, its
 * identifiers (Zeek `uid`, `community_id`, Suricata `flow_id`) and field
 * values as text, read from the batch it is in (stored columns come back
 * dictionary-encoded; values read here are printed as VAST prints them).
 */
import type * as A from 'apache-arrow';
import { matchesFieldName } from '../expr/resolve.js';
import { vastSchema } from '../types/arrow.js';
import { dictionaryEntries, isDictionaryData } from '../types/dictionary-strings.js';
import { printValue } from '../types/print-value.js';
import { basic, indexPath, leaves, type RecordField, type Schema, type VastType } from '../types/type.js';
import { bigintAt, isValid, stringAt } from '../types/values.js';

/** The column at an index path of a batch. */
export function columnAt(batch: A.RecordBatch, path: readonly number[]): A.Data {
  let d: A.Data = batch.data;
  for (const k of path) d = d.children[k];
  return d;
}

/** A top-level field of the event by name and kind, as an index path (for identifiers). */
function identifier(schema: Schema, name: string, kind: 'string' | 'uint64'): number[] | undefined {
  const f = schema.type.fields.find((x) => x.name === name);
  return f && f.type.kind === kind ? indexPath(schema.type, [name]) : undefined;
}

/** A string at row `i`, of a Utf8 column or of a dictionary-encoded one. */
export function stringOf(d: A.Data, i: number): string {
  return isDictionaryData(d)
    ? stringAt(dictionaryEntries(d.dictionary!), (d.values as Int32Array)[i])
    : stringAt(d, i);
}

/** A valid value as text: strings as they are, other types as VAST prints them. */
export const valueText = (d: A.Data, t: VastType, i: number) =>
  t.kind === 'string' ? stringOf(d, i) : printValue(d, t, i, 'ascii');

/**
 * The identifying fields of the event a sighting or an alert is about, in
 * the order both schemas list them: its schema, Zeek's `uid`, the
 * `community_id`, Suricata's `flow_id`, and `ref`, where it is stored
 * (`PARTITION:ROW`).
 */
export const EVENT_REF_FIELDS: readonly RecordField[] = [
  { name: 'schema', type: basic('string') },
  { name: 'uid', type: basic('string') },
  { name: 'community_id', type: basic('string') },
  { name: 'flow_id', type: basic('uint64') },
  { name: 'ref', type: basic('string') },
];

/** Reads one event's facts by row; made once per batch. */
export interface EventFacts {
  readonly schema: Schema;
  /** The columns of the event's time and identifiers, where its schema has them. */
  readonly columns: {
    readonly time?: A.Data;
    readonly uid?: A.Data;
    readonly communityId?: A.Data;
    readonly flowId?: A.Data;
  };
  time(row: number): bigint | null;
  uid(row: number): string | null;
  communityId(row: number): string | null;
  flowId(row: number): bigint | null;
  /** The value of the field `name` names (exact path or suffix), as text; null when unset or absent. */
  field(name: string, row: number): string | null;
  /** The column of the field `name` names (its exact path, else the first whose path ends with it) and its type. */
  column(name: string): { data: A.Data; type: VastType } | undefined;
}

export function eventFacts(batch: A.RecordBatch): EventFacts {
  const schema = vastSchema(batch.schema);
  const timePath = schema.timestamp ? indexPath(schema.type, schema.timestamp) : undefined;
  const timeCol = timePath && columnAt(batch, timePath);
  const column = (name: string, kind: 'string' | 'uint64') => {
    const path = identifier(schema, name, kind);
    return path && columnAt(batch, path);
  };
  const uid = column('uid', 'string');
  const communityId = column('community_id', 'string');
  const flowId = column('flow_id', 'uint64');
  const all = leaves(schema.type);
  const fields = new Map<string, { data: A.Data; type: VastType } | undefined>();
  const fieldColumn = (name: string) => {
    if (!fields.has(name)) {
      const found = all.find((l) => l.path === name) ?? all.find((l) => matchesFieldName(l.path, name));
      const path = found && indexPath(schema.type, found.path);
      fields.set(name, found && path ? { data: columnAt(batch, path), type: found.type } : undefined);
    }
    return fields.get(name);
  };
  const str = (d: A.Data | undefined, row: number) => (d && isValid(d, row) ? stringOf(d, row) : null);
  return {
    schema,
    columns: { time: timeCol, uid, communityId, flowId },
    column: fieldColumn,
    time: (row) => (timeCol && isValid(timeCol, row) ? bigintAt(timeCol, row) : null),
    uid: (row) => str(uid, row),
    communityId: (row) => str(communityId, row),
    flowId: (row) => (flowId && isValid(flowId, row) ? BigInt.asUintN(64, bigintAt(flowId, row)) : null),
    field(name, row) {
      const c = fieldColumn(name);
      return c && isValid(c.data, row) ? valueText(c.data, c.type, row) : null;
    },
  };
}
