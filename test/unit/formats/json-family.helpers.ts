/**
 * Helpers shared by the json, suricata, zeek-json and csv reader tests:
 * batches back to plain JSON-like rows, columns by dotted path, and shell
 * pipelines (jq, awk) that compute expected answers independently.
 */
import { spawnSync } from 'node:child_process';
import type * as A from 'apache-arrow';
import { schemaName, vastSchema } from '../../../src/types/arrow.js';
import { formatIP } from '../../../src/types/ip.js';
import { formatSubnet } from '../../../src/types/subnet.js';
import { formatTime } from '../../../src/types/time.js';
import type { VastType } from '../../../src/types/type.js';
import { type Value, valueAt } from '../../../src/types/values.js';

/** Runs a shell pipeline and returns its trimmed stdout (exit status 1 of grep is fine). */
export function sh(cmd: string): string {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd}: ${r.stderr}`);
  return r.stdout.trim();
}

/** A value as plain JSON: times ISO 8601, ips and subnets as text, 64-bit integers as numbers. */
function plain(v: Value, t: VastType): unknown {
  if (v === null) return null;
  switch (t.kind) {
    case 'time':
      return formatTime(v as bigint);
    case 'duration':
    case 'int64':
    case 'uint64':
      return Number(v as bigint);
    case 'ip':
      return formatIP((v as { ip: Uint8Array }).ip);
    case 'subnet': {
      const s = v as { subnet: Uint8Array; length: number };
      return formatSubnet(s.subnet, s.length);
    }
    case 'list':
      return (v as Value[]).map((x) => plain(x, t.element));
    case 'record': {
      const o = v as Record<string, Value>;
      const out: Record<string, unknown> = {};
      for (const f of t.fields) out[f.name] = plain(o[f.name], f.type);
      return out;
    }
    default:
      return v;
  }
}

/** All rows of all batches as plain objects, with their schema name under `#schema`. */
export function rowsOf(batches: A.RecordBatch[]): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const b of batches) {
    const s = vastSchema(b.schema);
    for (let i = 0; i < b.numRows; i++) {
      const row = plain(valueAt(b.data, s.type, i), s.type) as Record<string, unknown>;
      rows.push({ '#schema': schemaName(b), ...row });
    }
  }
  return rows;
}

/** The value at a dotted path of a plain row (record fields nest; dots inside names are tried too). */
export function at(row: Record<string, unknown>, path: string): unknown {
  if (path in row) return row[path];
  const i = path.indexOf('.');
  if (i < 0) return undefined;
  const head = row[path.slice(0, i)];
  return head && typeof head === 'object'
    ? at(head as Record<string, unknown>, path.slice(i + 1))
    : undefined;
}

/** The type of a top-level or nested field of a batch, as text (`ip`, `list<string>`). */
export function fieldType(b: A.RecordBatch, path: string): string | undefined {
  let t: VastType = vastSchema(b.schema).type;
  for (const seg of path.split('.')) {
    if (t.kind !== 'record') return undefined;
    const f: { name: string; type: VastType } | undefined = t.fields.find((x) => x.name === seg);
    if (!f) return undefined;
    t = f.type;
  }
  return t.kind === 'list' ? `list<${t.element.kind}>` : t.kind;
}

/** Rows per schema name. */
export function countBySchema(batches: A.RecordBatch[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const b of batches) out[schemaName(b)] = (out[schemaName(b)] ?? 0) + b.numRows;
  return out;
}

/** JSON text with object keys sorted, to compare values independent of key order. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
