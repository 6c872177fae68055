/**
 * One normal form per VAST type, computed twice independently: by DuckDB
 * (SQL over a Parquet file) and by the test (from Arrow values through
 * `valueAt`). Two readers agree on a file when their rows in this form are
 * equal. DuckDB shows times in microseconds and addresses as bytes, so the
 * form is: 64-bit integers as decimal text, times as epoch microseconds,
 * addresses as hex, maps as lists of {k, v}, empty records as 'record'.
 */
import type * as A from 'apache-arrow';
import type { Schema, VastType } from '../../src/types/type.js';
import { type Value, valueAt } from '../../src/types/values.js';

/** An SQL identifier. */
export const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;
const q = quoted;

/** SQL that turns a column of type `t` into the normal form. */
function sqlNorm(t: VastType, e: string, depth = 0): string {
  const x = `x${depth}`;
  switch (t.kind) {
    case 'int64':
    case 'uint64':
    case 'duration':
      return `(${e})::varchar`;
    case 'time':
      // DuckDB reads TIMESTAMP(NANOS, UTC) as microseconds.
      return `epoch_us(${e})::varchar`;
    case 'ip':
      return `lower(hex(${e}))`;
    case 'subnet':
      return `CASE WHEN ${e} IS NULL THEN NULL ELSE struct_pack(address := lower(hex((${e}).address)), length := (${e}).length) END`;
    case 'list':
      return `list_transform(${e}, lambda ${x}: ${sqlNorm(t.element, x, depth + 1)})`;
    case 'map':
      return `list_transform(map_entries(${e}), lambda ${x}: struct_pack(k := ${sqlNorm(t.key, `${x}.key`, depth + 1)}, v := ${sqlNorm(t.value, `${x}.value`, depth + 1)}))`;
    case 'record':
      if (t.fields.length === 0) return `CASE WHEN ${e} IS NULL THEN NULL ELSE 'record' END`;
      return `CASE WHEN ${e} IS NULL THEN NULL ELSE struct_pack(${t.fields
        .map((f) => `${q(f.name)} := ${sqlNorm(f.type, `(${e}).${q(f.name)}`, depth)}`)
        .join(', ')}) END`;
    default:
      return e;
  }
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The same normal form from an Arrow value. */
function jsNorm(v: Value, t: VastType): unknown {
  if (v === null) return null;
  switch (t.kind) {
    case 'int64':
    case 'uint64':
    case 'duration':
      return String(v);
    case 'time':
      // DuckDB reads nanoseconds as microseconds, truncated toward zero (as BigInt division is).
      return String((v as bigint) / 1000n);
    case 'ip':
      return hex((v as { ip: Uint8Array }).ip);
    case 'subnet': {
      const s = v as { subnet: Uint8Array; length: number };
      return { address: hex(s.subnet), length: s.length };
    }
    case 'list':
      return (v as Value[]).map((e) => jsNorm(e, t.element));
    case 'map':
      return (v as Value[][]).map(([k, x]) => ({ k: jsNorm(k, t.key), v: jsNorm(x, t.value) }));
    case 'record': {
      if (t.fields.length === 0) return 'record';
      const r = v as Record<string, Value>;
      return Object.fromEntries(t.fields.map((f) => [f.name, jsNorm(r[f.name], f.type)]));
    }
    default:
      return v;
  }
}

/** Rows of a Parquet file as DuckDB reads them, in file order, in the normal form. */
export function duckRowsInNormalForm(
  query: (sql: string) => Promise<Record<string, unknown>[]>,
  path: string,
  schema: Schema,
): Promise<Record<string, unknown>[]> {
  const cols = schema.type.fields.map((f) => `${sqlNorm(f.type, q(f.name))} AS ${q(f.name)}`).join(', ');
  return query(
    `SELECT ${cols} FROM read_parquet('${path.replaceAll("'", "''")}', file_row_number = true) ORDER BY file_row_number`,
  );
}

/** Rows of Arrow batches (plain strings) in the normal form. */
export function rowsInNormalForm(batches: readonly A.RecordBatch[], schema: Schema): unknown[] {
  const out: unknown[] = [];
  for (const b of batches)
    for (let i = 0; i < b.numRows; i++)
      out.push(
        Object.fromEntries(
          schema.type.fields.map((f, k) => [f.name, jsNorm(valueAt(b.data.children[k], f.type, i), f.type)]),
        ),
      );
  return out;
}
