/**
 * The language's test cases as data (STYLE.md §9): every `test/cases/**\/*.yaml`
 * names its input fixtures (paths under test/data/) and a list of cases, each a
 * query with the expected answer:
 *
 * ```yaml
 * input: [zeek/conn.log]
 * cases:
 *   - query: 'id.resp_p == 80'
 *     count: 2224                          # number of result events
 *     oracle: awk -F'\t' '!/^#/ && $6 == 80' zeek/conn.log | wc -l
 *   - query: 'proto == "icmp" | top id.orig_h 2'
 *     output: [{id.orig_h: 192.168.1.1, count: 3}]   # rows, compared on the keys given
 *     ordered: true                        # default: compared as a multiset
 *   - query: 'orig_hh == 1'
 *     error: unknown field 'orig_hh'       # a substring of the rendered diagnostic
 *     at: '1:1'                            # optional: line:column in it
 *   - query: 'orig_bytes > 1k'
 *     needs: si-suffixes                   # a feature not built yet: skipped visibly
 * ```
 *
 * Expected answers are computed independently of vast: `oracle` is the shell
 * command (run in test/data/) that computed them, with awk or jq over the raw
 * files, and the runner runs it again and checks it still prints the expected
 * answer (a count, or the `output` rows as JSON lines), so a case cannot drift
 * away from its evidence. Cases run in-process: each distinct input list is
 * imported once into a temporary store, and queries go through `prepareQuery`
 * and `runQuery`, the functions `vast export` and `vast count` use.
 *
 * `VAST_CASES_ENABLE=si-suffixes,nil` (or `all`) runs cases that need
 * features, for the merge that brings them.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type * as A from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { renderError } from '../src/diagnostics.js';
import { findFormat } from '../src/formats/index.js';
import { bytesInput, readBatches } from '../src/formats/read.js';
import { countQuery, prepareQuery, runQuery } from '../src/query/run.js';
import { Store } from '../src/store/store.js';
import { ROOT, TEST_DATA } from './helpers/datasets.js';
import { keepPartitions } from './helpers/partition-audit.js';
import { registry } from './helpers/read.js';

const CASES_DIR = join(ROOT, 'test', 'cases');

/** One case of a case file. */
interface Case {
  name?: string;
  query: string;
  count?: number;
  output?: Record<string, unknown>[];
  ordered?: boolean;
  error?: string;
  at?: string;
  oracle?: string;
  needs?: string;
}

interface CaseFile {
  input: string[];
  cases: Case[];
}

/** The input format of a fixture, by its folder under test/data/ (`zeek/conn.log` is Zeek TSV). */
const FORMAT_BY_DIR: Record<string, string> = { zeek: 'zeek', suricata: 'suricata' };

const enabled = new Set((process.env.VAST_CASES_ENABLE ?? '').split(',').filter(Boolean));
const isEnabled = (need: string) => enabled.has('all') || enabled.has(need);

function caseFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? caseFiles(join(dir, e.name)) : e.name.endsWith('.yaml') ? [join(dir, e.name)] : [],
  );
}

function loadCaseFile(path: string): CaseFile {
  const doc = parseYaml(readFileSync(path, 'utf8')) as Partial<CaseFile>;
  if (!Array.isArray(doc.input) || !Array.isArray(doc.cases))
    throw new Error(`${path}: a case file needs 'input' (a list of fixtures) and 'cases'`);
  for (const [i, c] of doc.cases.entries()) {
    if (typeof c.query !== 'string') throw new Error(`${path}: case ${i + 1} has no 'query'`);
    const answers = [c.count, c.output, c.error].filter((a) => a !== undefined).length;
    if (answers !== 1)
      throw new Error(`${path}: case ${i + 1} ('${c.query}') needs exactly one of count, output, error`);
  }
  return doc as CaseFile;
}

/** Temporary stores, one per distinct input list, shared by all case files. */
const stores = new Map<string, Promise<Store>>();
const tempDirs: string[] = [];

async function importFixtures(inputs: readonly string[]): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'vast-cases-'));
  tempDirs.push(dir);
  const store = await Store.open(dir, { create: true });
  const importer = await store.importer();
  for (const input of inputs) {
    const formatName = FORMAT_BY_DIR[input.split('/')[0] ?? ''];
    if (!formatName) throw new Error(`no input format known for fixture ${input}`);
    const path = join(TEST_DATA, input);
    const batches = readBatches(findFormat(formatName, 'read'), bytesInput(readFileSync(path), 64 * 1024), {
      file: path,
      schemas: registry,
      onDiagnostic: (d) => {
        throw new Error(`fixture ${input} has a bad event: ${d.message}`);
      },
    });
    for await (const b of batches) await importer.add(b);
  }
  await importer.commit();
  return store;
}

function storeFor(inputs: readonly string[]): Promise<Store> {
  const key = inputs.join('\n');
  let s = stores.get(key);
  if (!s) {
    s = importFixtures(inputs);
    stores.set(key, s);
  }
  return s;
}

afterAll(() => {
  for (const d of tempDirs) {
    keepPartitions(d);
    rmSync(d, { recursive: true, force: true });
  }
});

/** Nested records flattened to dotted keys, so expectations read the same for nested and flat JSON. */
function flatten(row: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}) {
  for (const [k, v] of Object.entries(row)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      flatten(v as Record<string, unknown>, key, out);
    else out[key] = v;
  }
  return out;
}

/** Result rows as the JSON writer prints them (the CLI's `export json`), flattened. */
async function rowsOf(batches: AsyncIterable<A.RecordBatch>): Promise<Record<string, unknown>[]> {
  const json = findFormat('json', 'write');
  let text = '';
  const decoder = new TextDecoder();
  for await (const chunk of json.write!(batches, { options: {} }))
    text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => flatten(JSON.parse(l) as Record<string, unknown>));
}

/** Each row reduced to the keys its expectation names (all rows use the first row's keys). */
function project(rows: Record<string, unknown>[], keys: readonly string[]) {
  return rows.map((r) => Object.fromEntries(keys.map((k) => [k, r[k]])));
}

const canonical = (rows: readonly Record<string, unknown>[], ordered: boolean) => {
  const texts = rows.map((r) => JSON.stringify(r));
  return ordered ? texts : texts.sort();
};

/** `VAST_CASES_ORACLES=0` skips re-running the oracles (they spawn processes; the queries do not). */
const RUN_ORACLES = process.env.VAST_CASES_ORACLES !== '0';
/** Oracles running at once: they are processes, started ahead so they overlap the in-process queries. */
const ORACLE_CONCURRENCY = 4;

const oracleQueue: (() => void)[] = [];
let oraclesRunning = 0;

/** Runs a case's oracle in test/data/ (queued, at most ORACLE_CONCURRENCY at once) and returns what it printed. */
function runOracle(oracle: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const start = () => {
      oraclesRunning++;
      execFile(
        'sh',
        ['-c', oracle],
        { cwd: TEST_DATA, encoding: 'utf8', maxBuffer: 1 << 26 },
        (error, stdout) => {
          oraclesRunning--;
          oracleQueue.shift()?.();
          if (error) reject(error);
          else resolve(stdout);
        },
      );
    };
    if (oraclesRunning < ORACLE_CONCURRENCY) start();
    else oracleQueue.push(start);
  });
}

/** Every case's oracle output, started when the case is collected. */
const oracleOutputs = new Map<Case, Promise<string>>();

function startOracle(c: Case): void {
  if (!c.oracle || !RUN_ORACLES) return;
  const p = runOracle(c.oracle);
  p.catch(() => {}); // reported by the case's own test
  oracleOutputs.set(c, p);
}

async function checkOracle(c: Case): Promise<void> {
  const output = oracleOutputs.get(c);
  if (!output) return;
  const printed = await output;
  if (c.count !== undefined) expect(Number(printed.trim()), `oracle: ${c.oracle}`).toBe(c.count);
  else if (c.output) {
    const rows = printed
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(canonical(rows, c.ordered ?? false), `oracle: ${c.oracle}`).toEqual(
      canonical(c.output, c.ordered ?? false),
    );
  }
}

async function runCase(file: CaseFile, c: Case): Promise<void> {
  const store = await storeFor(file.input);
  if (c.error !== undefined) {
    let message: string | undefined;
    try {
      const q = prepareQuery(c.query, store.schemas(), registry);
      // Some errors surface only when the query runs (pipeline operators meeting data).
      await rowsOf(runQuery(store, q));
    } catch (e) {
      message = renderError(e);
    }
    expect(message, `expected an error for '${c.query}'`).toBeDefined();
    expect(message).toContain(c.error);
    if (c.at) expect(message).toContain(` --> query:${c.at}`);
    return;
  }
  await checkOracle(c);
  const q = prepareQuery(c.query, store.schemas(), registry);
  if (c.count !== undefined) {
    let n = 0;
    for await (const b of runQuery(store, q)) n += b.numRows;
    expect(n).toBe(c.count);
    // The count path (`vast count`) skips building rows when there is no pipeline: same answer.
    expect(await countQuery(store, q)).toBe(c.count);
  }
  if (c.output) {
    const rows = await rowsOf(runQuery(store, q));
    const keys = Object.keys(c.output[0] ?? {});
    expect(canonical(project(rows, keys), c.ordered ?? false)).toEqual(
      canonical(project(c.output, keys), c.ordered ?? false),
    );
  }
}

const skippedNeeds = new Map<string, number>();

for (const path of caseFiles(CASES_DIR)) {
  const file = loadCaseFile(path);
  describe(relative(CASES_DIR, path), () => {
    for (const c of file.cases) {
      const title = c.name ? `${c.name}: ${c.query}` : c.query;
      if (c.needs && !isEnabled(c.needs)) {
        skippedNeeds.set(c.needs, (skippedNeeds.get(c.needs) ?? 0) + 1);
        it.skip(`[needs ${c.needs}] ${title}`, () => runCase(file, c));
      } else {
        startOracle(c);
        it(title, () => runCase(file, c));
      }
    }
  });
}

if (skippedNeeds.size > 0)
  process.stderr.write(
    `test/cases: skipped cases that need features not built yet: ${[...skippedNeeds]
      .map(([n, k]) => `${n} (${k})`)
      .join(', ')}; run them with VAST_CASES_ENABLE=<feature>|all\n`,
  );
