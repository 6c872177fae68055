/**
 * Micro benchmark for issue 11's dictionary-aware kernels and `summarize`:
 * about 1M conn.log rows in memory (16 batches of 64k rows, conn.log
 * repeated), plain Utf8 vs dictionary-encoded strings (as the store's
 * Parquet reader hands them out). Prints the best of 5 runs per case.
 *
 *   npx tsc -p bench/tsconfig.json && node dist/bench/bench/dict-micro.js
 *
 * `DICT=0` skips the dictionary cases (for a checkout without them).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as A from 'apache-arrow';
import { compileQuery, evaluate } from '../src/expr/compile.js';
import { countSet } from '../src/expr/kernels/bitmap.js';
import { mustParseExpression } from '../src/expr/parser.js';
import { bytesInput, readBatches } from '../src/formats/read.js';
import { zeek } from '../src/formats/zeek/index.js';
import { concat, take } from '../src/pipeline/batch-ops.js';
import { parsePipeline } from '../src/pipeline/parse.js';
import { loadRegistry } from '../src/schemas/registry.js';
import { vastSchema } from '../src/types/arrow.js';
import { dictionaryEncode } from '../test/helpers/dictionary.js';

const ROWS_PER_BATCH = 65536;
const BATCHES = 16;
const registry = loadRegistry();

async function connBatches(): Promise<A.RecordBatch[]> {
  const path = join(import.meta.dirname, '..', '..', '..', 'test', 'data', 'zeek', 'conn.log');
  const read: A.RecordBatch[] = [];
  for await (const b of readBatches(zeek, bytesInput(readFileSync(path), 1 << 20), {
    file: path,
    schemas: registry,
    onDiagnostic: () => {},
  }))
    read.push(b);
  const all = concat(read);
  const out: A.RecordBatch[] = [];
  for (let k = 0; k < BATCHES; k++) {
    const idx = new Int32Array(ROWS_PER_BATCH);
    for (let i = 0; i < idx.length; i++) idx[i] = (k * ROWS_PER_BATCH + i) % all.numRows;
    out.push(take(all, idx));
  }
  return out;
}

async function best(f: () => Promise<number> | number): Promise<{ ms: number; result: number }> {
  let ms = Number.POSITIVE_INFINITY;
  let result = 0;
  for (let k = 0; k < 5; k++) {
    const t = performance.now();
    result = await f();
    ms = Math.min(ms, performance.now() - t);
  }
  return { ms, result };
}

function filterCount(query: string, batches: readonly A.RecordBatch[]): number {
  const expr = mustParseExpression(query);
  const schema = vastSchema(batches[0].schema);
  const compiled = compileQuery(expr, query, [schema], registry);
  const program = compiled.program(schema);
  let n = 0;
  for (const b of batches) n += countSet(evaluate(program, b));
  return n;
}

async function summarizeGroups(pipeline: string, batches: readonly A.RecordBatch[]): Promise<number> {
  const [op] = parsePipeline(pipeline);
  async function* input() {
    yield* batches;
  }
  let n = 0;
  for await (const b of op.run(input())) n += b.numRows;
  return n;
}

const plain = await connBatches();
const withDict = process.env.DICT !== '0';
const dict = withDict ? plain.map((b) => dictionaryEncode(b)) : [];
const cases: [string, (bs: readonly A.RecordBatch[]) => Promise<number> | number][] = [
  ['history == /.*d.*/', (bs) => filterCount('history == /.*d.*/', bs)],
  ['history == /^[DS].*d/', (bs) => filterCount('history == /^[DS].*d/', bs)],
  ['uid ni "Abc"', (bs) => filterCount('uid ni "Abc"', bs)],
  ['service == "dns"', (bs) => filterCount('service == "dns"', bs)],
  ['id.orig_h in 192.168.1.0/24', (bs) => filterCount('id.orig_h in 192.168.1.0/24', bs)],
  ['summarize count() by service', (bs) => summarizeGroups('summarize count() by service', bs)],
  ['summarize count() by history', (bs) => summarizeGroups('summarize count() by history', bs)],
  ['summarize count() by id.orig_h', (bs) => summarizeGroups('summarize count() by id.orig_h', bs)],
  ['summarize count() by id.resp_p', (bs) => summarizeGroups('summarize count() by id.resp_p', bs)],
  [
    'summarize sum(orig_bytes), max(duration) by service, proto',
    (bs) => summarizeGroups('summarize sum(orig_bytes), max(duration) by service, proto', bs),
  ],
];
console.log(`${BATCHES * ROWS_PER_BATCH} rows; best of 5 (ms)`);
console.log(['case', 'plain', 'dictionary', 'result'].join('\t'));
for (const [name, f] of cases) {
  const p = await best(() => f(plain));
  const d = withDict ? await best(() => f(dict)) : undefined;
  if (d && d.result !== p.result) throw new Error(`${name}: ${d.result} != ${p.result}`);
  console.log([name, p.ms.toFixed(1), d ? d.ms.toFixed(1) : '-', p.result].join('\t'));
}
