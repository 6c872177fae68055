/**
 * Layout identity of Arrow schemas: writers that emit one header per layout
 * (CSV, Arrow IPC, Parquet) start a new block when the key changes.
 */
import type * as A from 'apache-arrow';

const layoutKeys = new WeakMap<A.Schema, string>();

/**
 * A text that is equal for two Arrow schemas exactly when batches of one can
 * be written under the other's header: schema metadata (the VAST schema name),
 * field names, types and field metadata. arrow-js's own `compareSchemas`
 * ignores metadata, so `zeek.conn` and a look-alike would merge. With
 * `dictionaryIds`, enum dictionary ids count too (Arrow IPC streams need them).
 */
export function layoutKey(schema: A.Schema, dictionaryIds = false): string {
  if (!dictionaryIds) {
    const cached = layoutKeys.get(schema);
    if (cached !== undefined) return cached;
  }
  const meta = (m: Map<string, string>) =>
    [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`);
  const field = (f: A.Field): unknown => [
    f.name,
    String(f.type),
    dictionaryIds && 'id' in f.type ? f.type.id : null,
    meta(f.metadata),
    (f.type.children ?? []).map(field),
  ];
  const key = JSON.stringify([meta(schema.metadata), schema.fields.map(field)]);
  if (!dictionaryIds) layoutKeys.set(schema, key);
  return key;
}
