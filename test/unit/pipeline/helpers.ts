/**
 * Helpers for the pipeline tests: batches from JSON rows, running operators,
 * reading results back as plain values (ips and subnets as text, times and
 * integers as bigint).
 */
import type * as A from 'apache-arrow';
import { schemaOf } from '../../../src/pipeline/batch-ops.js';
import type { Operator, OperatorError } from '../../../src/pipeline/operator.js';
import { parsePipeline, runPipeline } from '../../../src/pipeline/parse.js';
import { whereCompiler } from '../../../src/query/run.js';
import { BatchBuilder } from '../../../src/types/batch-builder.js';
import { formatIP } from '../../../src/types/ip.js';
import { parseType } from '../../../src/types/parse-type.js';
import { formatSubnet } from '../../../src/types/subnet.js';
import type { RecordType } from '../../../src/types/type.js';
import { type Value, valueAt } from '../../../src/types/values.js';

/** A batch of schema `name` with type `type` (VAST syntax) from JSON rows. */
export function batch(
  name: string,
  type: string,
  rows: Record<string, unknown>[],
  timestamp?: string,
): A.RecordBatch {
  const b = new BatchBuilder({ name, type: parseType(type) as RecordType, timestamp });
  for (const r of rows) if (!b.appendJson(r)) throw new Error(`row rejected: ${JSON.stringify(r)}`);
  return b.finish();
}

export async function* stream(batches: readonly A.RecordBatch[]): AsyncIterable<A.RecordBatch> {
  yield* batches;
}

export async function collect(input: AsyncIterable<A.RecordBatch>): Promise<A.RecordBatch[]> {
  const out: A.RecordBatch[] = [];
  for await (const b of input) out.push(b);
  return out;
}

/** A plain value for `toEqual`: ips and subnets as text, the rest as `valueAt` gives it. */
export type Plain = null | boolean | number | bigint | string | Plain[] | { [k: string]: Plain };

function plain(v: Value): Plain {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(plain);
  if ('ip' in v && v.ip instanceof Uint8Array) return formatIP(v.ip);
  if ('subnet' in v && v.subnet instanceof Uint8Array) return formatSubnet(v.subnet, v.length as number);
  const out: { [k: string]: Plain } = {};
  for (const [k, x] of Object.entries(v)) out[k] = plain(x as Value);
  return out;
}

/** The rows of a batch as plain objects. */
export function rowsOf(b: A.RecordBatch): { [k: string]: Plain }[] {
  const type = schemaOf(b).type;
  return Array.from(
    { length: b.numRows },
    (_, i) => plain(valueAt(b.data, type, i)) as { [k: string]: Plain },
  );
}

/** All rows of all batches, each tagged with its schema name as `#schema`. */
export function tagged(batches: readonly A.RecordBatch[]): { [k: string]: Plain }[] {
  return batches.flatMap((b) => rowsOf(b).map((r) => ({ '#schema': schemaOf(b).name, ...r })));
}

/** The query engine's `where` compiler, with no stored schemas (nothing to type-check against). */
export const compileWhere = whereCompiler({ aliases: new Map() });

/** Parses a pipeline with the real `where` compiler. */
export function parse(text: string): Operator[] {
  return parsePipeline(text, { compileWhere });
}

/** Runs pipeline text over batches. */
export async function run(text: string, batches: readonly A.RecordBatch[]): Promise<A.RecordBatch[]> {
  return collect(runPipeline(parse(text), stream(batches)));
}

/** Runs pipeline text and returns the tagged rows. */
export async function runRows(
  text: string,
  batches: readonly A.RecordBatch[],
): Promise<{ [k: string]: Plain }[]> {
  return tagged(await run(text, batches));
}

/** The error a function throws (fails the test if it throws none). */
export function errorOf(fn: () => unknown): OperatorError {
  try {
    fn();
  } catch (e) {
    return e as OperatorError;
  }
  throw new Error('expected an error');
}

/** Common fixtures: a conn-like and a dns-like schema. */
const CONN =
  'record{ts: time, id: record{orig_h: ip, orig_p: port, resp_h: ip, resp_p: port}, proto: enum, bytes: uint64, duration: duration}';
const DNS =
  'record{ts: time, id: record{orig_h: ip, resp_h: ip}, proto: string, query: string, answers: list<string>}';

export function conn(rows: Record<string, unknown>[]): A.RecordBatch {
  return batch('zeek.conn', CONN, rows, 'ts');
}

export function dns(rows: Record<string, unknown>[]): A.RecordBatch {
  return batch('zeek.dns', DNS, rows, 'ts');
}
