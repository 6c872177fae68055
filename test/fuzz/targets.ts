/**
 * Fuzz targets: every reader of the format registry, the expression parser
 * and the query/pipeline parser. A target turns one input into an outcome;
 * `problem` says what is wrong with it (a crash, a hang, an unclear error),
 * or undefined when the input was read or rejected properly.
 *
 * The properties: nothing but a `VastError` escapes (no TypeError,
 * RangeError, unhandled rejection), every error and every diagnostic says
 * where (a location, or the input's name in the message), and each input is
 * done within a time budget.
 */
import type * as A from 'apache-arrow';
import fc from 'fast-check';
import { type Diagnostic, VastError } from '../../src/diagnostics.js';
import { parseExpression } from '../../src/expr/parser.js';
import { writeArrow } from '../../src/formats/arrow.js';
import type { FormatDef } from '../../src/formats/format.js';
import { findFormat, formats } from '../../src/formats/index.js';
import { encodeParquet } from '../../src/formats/parquet.js';
import { bytesInput, readBatches } from '../../src/formats/read.js';
import { prepareQuery } from '../../src/query/run.js';
import { loadRegistry } from '../../src/schemas/registry.js';
import { generated, MAX_LINE_BYTES, mutated, seedsFor, tokenText } from './inputs.js';

const registry = loadRegistry();
const FILE = '<fuzz>';

/** Per-input time budget: generous (2 shared cores), far below what a hang takes. */
const TIME_BUDGET_MS = 10_000;

export interface Target<T> {
  readonly name: string;
  /** Generated and mutated inputs. */
  readonly arbitrary: fc.Arbitrary<T>;
  /** A problem with the outcome of `input`, or undefined when it was handled well. */
  check(input: T): Promise<string | undefined>;
}

/** What is wrong with an error thrown for bad input, if anything. */
function errorProblem(e: unknown, name: string): string | undefined {
  if (!(e instanceof VastError)) {
    const err = e as Error;
    return `crash: ${err?.name ?? typeof e}: ${err?.message ?? String(e)}\n${err?.stack ?? ''}`;
  }
  if (e.message.trim() === '') return 'unclear error: empty message';
  if (!e.diagnostic?.location && !e.message.includes(name))
    return `unclear error: no location and no input name: ${e.message}`;
  return undefined;
}

/** What is wrong with a reported rejection (errors; warnings may summarise the whole input). */
function diagnosticProblem(d: Diagnostic, name: string): string | undefined {
  if (d.severity !== 'error') return undefined;
  if (d.message.trim() === '') return 'unclear diagnostic: empty message';
  // Binary formats say where in a note (`<file>: byte offset N`).
  const text = [d.message, ...(d.notes ?? [])].join('\n');
  if (!d.location && !text.includes(name)) return `unclear diagnostic: no location: ${d.message}`;
  return undefined;
}

/** Reads `bytes` to the end in chunks of `chunk` bytes; the reader's problem, if any. */
async function readProblem(
  format: FormatDef,
  bytes: Uint8Array,
  chunk: number,
  onError: 'skip' | 'fail',
): Promise<string | undefined> {
  let problem: string | undefined;
  try {
    const batches = readBatches(format, bytesInput(bytes, chunk), {
      file: FILE,
      schemas: registry,
      onError,
      batchSize: 64,
      maxLineBytes: MAX_LINE_BYTES,
      maxInputBytes: 64 * 1024 * 1024,
      maxInputBytesName: 'fuzz-max-input',
      onDiagnostic: (d) => {
        problem ??= diagnosticProblem(d, FILE);
      },
    });
    for await (const b of batches) touch(b);
  } catch (e) {
    return errorProblem(e, FILE) ?? problem;
  }
  return problem;
}

/** Reads every value of a batch, as a writer or query would: lazily broken data shows here. */
function touch(b: A.RecordBatch): void {
  for (const col of b.schema.fields.map((_, k) => b.getChildAt(k))) col?.toArray();
}

/** Tokens per format: enough of each grammar that generated inputs reach the parsers' inner parts. */
const TOKENS: Record<string, string[]> = {
  zeek: [
    '#separator \\x09\n',
    '#fields\t',
    '#types\t',
    '#path\tconn\n',
    '\t',
    '\n',
    '-',
    '(empty)',
    'ts',
    'uid',
    'count',
    'addr',
    'port',
    'time',
    'interval',
    'string',
    'vector[string]',
    'set[addr]',
    '1.5',
    '10.0.0.1',
    '::1',
    'T',
    'F',
    ',',
    '\\x41',
    '#close\t',
  ],
  'zeek-json': [
    '{"_path":"conn",',
    '"ts":',
    '"id.orig_h":"10.0.0.1"',
    '"uid":"C1"',
    '1.5',
    '}',
    '\n',
    '[',
    ']',
    ',',
    '"',
    'null',
    'true',
    '"2009-11-18T08:00:21.123456Z"',
  ],
  suricata: [
    '{"event_type":"alert",',
    '"timestamp":"2009-11-18T08:00:21.123456+0100"',
    '"src_ip":"10.0.0.1"',
    '"src_port":80',
    '"flow_id":1',
    '"alert":{',
    '}',
    '\n',
    ',',
    'null',
    '"dns"',
    '"http"',
  ],
  json: [
    '{',
    '}',
    '[',
    ']',
    '"a":',
    '"b.c":',
    ',',
    '1',
    '-1e400',
    '1.5',
    '18446744073709551616',
    'true',
    'null',
    '"x"',
    '"\\u0000"',
    '"\\ud800"',
    '\n',
    ' ',
    '\t',
  ],
  csv: ['a,b,c\n', ',', '"', '""', '\n', '\r\n', '1', '10.0.0.1', 'x', ' ', '2020-01-01T00:00:00Z', '1.5'],
  syslog: [
    '<34>',
    '1 ',
    '2003-10-11T22:14:15.003Z ',
    'host ',
    'app ',
    '- ',
    'ID47 ',
    '[exampleSDID@32473 iut="3"]',
    'Oct 11 22:14:15 ',
    'su: ',
    'message',
    '\n',
    '12 ',
    '<',
    '>',
    '"',
    '\\]',
  ],
};

/** NetFlow v5, v9 and IPFIX headers followed by random bytes: past the version check. */
const netflowPackets = fc
  .record({
    version: fc.constantFrom(5, 9, 10),
    count: fc.nat({ max: 40 }),
    body: fc.uint8Array({ maxLength: 512 }),
  })
  .map(({ version, count, body }) => {
    const h = Buffer.alloc(version === 5 ? 24 : 16 + (version === 9 ? 4 : 0));
    h.writeUInt16BE(version, 0);
    h.writeUInt16BE(version === 10 ? h.length + body.length : count, 2);
    if (version === 10 && body.length >= 4) {
      Buffer.from(body.buffer, body.byteOffset).writeUInt16BE(2 + (count % 300), 0);
    }
    return new Uint8Array(Buffer.concat([h, body]));
  });

/** A classic pcap header followed by records with random lengths and bytes. */
const pcapFiles = fc
  .record({
    linktype: fc.constantFrom(0, 1, 101, 105, 108, 113, 127, 228, 229, 276),
    records: fc.array(fc.record({ len: fc.nat({ max: 300 }), bytes: fc.uint8Array({ maxLength: 300 }) }), {
      maxLength: 8,
    }),
  })
  .map(({ linktype, records }) => {
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(65535, 16);
    h.writeUInt32LE(linktype, 20);
    const parts: Buffer[] = [h];
    for (const r of records) {
      const rh = Buffer.alloc(16);
      rh.writeUInt32LE(r.bytes.length, 8);
      rh.writeUInt32LE(Math.max(r.len, r.bytes.length), 12);
      parts.push(rh, Buffer.from(r.bytes));
    }
    return new Uint8Array(Buffer.concat(parts));
  });

/** Arrow IPC and Parquet seeds: real Zeek data read and written by vast itself. */
async function columnarSeeds(): Promise<{ arrow: Uint8Array[]; parquet: Uint8Array[] }> {
  const batches: A.RecordBatch[] = [];
  for (const seed of seedsFor(/^(conn|dns|http)\.log$/).slice(0, 3))
    for await (const b of readBatches(findFormat('zeek', 'read'), bytesInput(seed), {
      file: 'seed',
      schemas: registry,
      batchSize: 50,
    }))
      batches.push(b);
  const arrow: Uint8Array[] = [];
  for (const b of batches.slice(0, 6)) {
    const parts: Uint8Array[] = [];
    for await (const p of writeArrow(
      (async function* () {
        yield b;
      })(),
      { options: {} },
    ))
      parts.push(typeof p === 'string' ? Buffer.from(p) : p);
    arrow.push(Buffer.concat(parts));
  }
  const parquet = batches.slice(0, 6).map((b) => encodeParquet([b]));
  return { arrow, parquet };
}

/** Seeds and generators per reader. */
async function readerInputs(format: FormatDef): Promise<fc.Arbitrary<Uint8Array>> {
  const match: Record<string, RegExp> = {
    zeek: /\.log$/,
    'zeek-json': /(zeek.*\.json|sysmon\.json)$/,
    suricata: /eve.*\.json$|suricata.*\.json$/,
    json: /\.json$/,
    csv: /\.csv$/,
    syslog: /syslog.*\.(txt|log)$|cef\.log$/,
    pcap: /\.pcap(ng)?$/,
    netflow: /\.(ipfix|nfv5|nfv9)$|^netflow/,
  };
  if (format.name === 'arrow' || format.name === 'parquet') {
    const seeds = (await columnarSeeds())[format.name];
    return fc.oneof(mutated(seeds), fc.uint8Array({ maxLength: 2048 }));
  }
  const seeds = seedsFor(match[format.name] ?? /^$/);
  const extra = format.name === 'netflow' ? netflowPackets : format.name === 'pcap' ? pcapFiles : undefined;
  return fc.oneof(
    { weight: 2, arbitrary: mutated(seeds) },
    { weight: 1, arbitrary: generated(TOKENS[format.name] ?? TOKENS.json, extra) },
  );
}

/** A reader target: read the input in random chunk sizes under both error policies. */
async function readerTarget(format: FormatDef): Promise<Target<[Uint8Array, number, 'skip' | 'fail']>> {
  const bytes = await readerInputs(format);
  return {
    name: format.name,
    arbitrary: fc.tuple(
      bytes,
      fc.constantFrom(1, 7, 4096, 65536),
      fc.constantFrom('skip' as const, 'fail' as const),
    ),
    check: ([b, chunk, onError]) => readProblem(format, b, chunk, onError),
  };
}

const EXPR_TOKENS = [
  ' ',
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  'in',
  '!in',
  'ni',
  '&&',
  '||',
  '!',
  '(',
  ')',
  '[',
  ']',
  ',',
  '"x"',
  '"a\\"b"',
  "'s'",
  '10.0.0.1',
  '10.0.0.0/8',
  '::1',
  '2001:db8::/32',
  '80/tcp',
  '53/?',
  '42',
  '-1',
  '1.5',
  '18446744073709551616',
  '1s',
  '5min',
  '2020-01-01',
  '2020-01-01T00:00:00Z',
  'now',
  'now - 1h',
  'T',
  'F',
  'true',
  'nil',
  'id.orig_h',
  'ts',
  'proto',
  ':addr',
  ':count',
  ':string',
  '#schema',
  '#type',
  '#import_time',
  '#field',
  'zeek.conn',
  '"zeek.conn"',
  '.',
  '*',
  '\n',
  '\\',
  '"',
  '/',
];
const PIPE_TOKENS = [
  ...EXPR_TOKENS,
  ' | ',
  '|',
  'head',
  'head 5',
  'tail 3',
  'select ',
  'drop ',
  'where ',
  'sort ',
  ' desc',
  'summarize ',
  'count()',
  'sum(',
  'min(',
  'max(',
  'distinct(',
  ' by ',
  '=',
  'top ',
  'rare ',
  'uniq',
  'rename ',
  'put ',
  'extend ',
  'taste',
  'unique',
  '-',
];

/** Seed queries: expressions and pipelines from the tests and the README. */
const QUERY_SEEDS = [
  'id.orig_h == 10.0.0.1',
  ':addr in 10.0.0.0/8 && proto == "tcp"',
  '#schema == "zeek.conn" && duration > 1s',
  'ts > 2020-01-01 || ts < now - 1d',
  'id.resp_p == 80/tcp || :port == 53/?',
  'service in ["dns", "http"] && !(orig_bytes < 100)',
  '"foo" in history',
  'id.resp_h !in 192.168.0.0/16 | summarize conns=count(), bytes=sum(orig_bytes) by id.orig_h | sort bytes desc | head 5',
  'head 5 | select ts, uid',
  'proto == "udp" | where orig_bytes > 10 | drop uid | tail 2',
];

/** Mutated query text: character-level edits of seeds (inserted tokens, deletions, duplications). */
const mutatedQueries = fc
  .record({
    seed: fc.constantFrom(...QUERY_SEEDS),
    edits: fc.array(
      fc.record({
        at: fc.nat(),
        del: fc.nat({ max: 6 }),
        ins: fc.oneof(
          fc.constantFrom(...PIPE_TOKENS),
          fc.string({ maxLength: 3 }),
          fc.string({ unit: 'binary', maxLength: 3 }),
        ),
      }),
      { minLength: 1, maxLength: 5 },
    ),
  })
  .map(({ seed, edits }) =>
    edits.reduce((s, e) => {
      const i = e.at % (s.length + 1);
      return s.slice(0, i) + e.ins + s.slice(i + e.del);
    }, seed),
  );

/** Deep nesting and long inputs: recursion limits and quadratic paths. */
const deepQueries = fc
  .record({ n: fc.integer({ min: 1, max: 20_000 }), open: fc.constantFrom('(', '!', '[', '!(', '"', '- ') })
  .map(({ n, open }) => `${open.repeat(n)}x == 1`);
/** Long chains of connectives: a flat text, but a deep tree for every pass that recurses. */
const longChains = fc
  .record({ n: fc.integer({ min: 1, max: 20_000 }), op: fc.constantFrom(' && ', ' || ', ' and ', ' or ') })
  .map(({ n, op }) => Array.from({ length: n }, (_, k) => `id.orig_p == ${k}`).join(op));

const queryText = fc.oneof(
  { weight: 3, arbitrary: mutatedQueries },
  { weight: 2, arbitrary: tokenText(PIPE_TOKENS, 40) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: deepQueries },
  { weight: 1, arbitrary: longChains },
);

/** The expression parser: a result, never a throw; every diagnostic with a location. */
const expressionTarget: Target<string> = {
  name: 'expression',
  arbitrary: fc.oneof(queryText, tokenText(EXPR_TOKENS, 40)),
  async check(text) {
    try {
      const r = parseExpression(text);
      if (!r.ok) {
        if (r.diagnostics.length === 0) return 'unclear error: parse failed without a diagnostic';
        for (const d of r.diagnostics)
          if (!d.location) return `unclear diagnostic: no location: ${d.message}`;
      }
    } catch (e) {
      const err = e as Error;
      return `crash: parseExpression threw ${err?.name}: ${err?.message}\n${err?.stack ?? ''}`;
    }
    return undefined;
  },
};

/** Whole queries (expression, pipeline, type check against real schemas): only VastErrors with a location. */
const querySchemas = registry.all();
const pipelineTarget: Target<string> = {
  name: 'pipeline',
  arbitrary: queryText,
  async check(text) {
    try {
      prepareQuery(text, querySchemas, registry);
    } catch (e) {
      return errorProblem(e, text);
    }
    return undefined;
  },
};

/** All targets by name; readers are built lazily (their seeds are read from disk). */
export async function fuzzTargets(): Promise<Target<unknown>[]> {
  const readers = await Promise.all(formats.filter((f) => f.read).map(readerTarget));
  return [...readers, expressionTarget, pipelineTarget] as Target<unknown>[];
}

/** The names of all targets, without building them. */
export const TARGET_NAMES = [...formats.filter((f) => f.read).map((f) => f.name), 'expression', 'pipeline'];

/**
 * Runs one target over `runs` inputs; returns the counterexample report, or
 * undefined. Each input must finish within TIME_BUDGET_MS.
 */
export async function fuzz<T>(
  target: Target<T>,
  runs: number,
  opts: { seed?: number; onInput?: (input: T) => void } = {},
): Promise<fc.RunDetails<[T]>> {
  const property = fc.asyncProperty(target.arbitrary, async (input) => {
    opts.onInput?.(input);
    const started = performance.now();
    const problem = await target.check(input);
    const ms = performance.now() - started;
    if (problem) throw new Error(problem);
    if (ms > TIME_BUDGET_MS) throw new Error(`hang: ${Math.round(ms)} ms (budget ${TIME_BUDGET_MS} ms)`);
  });
  return fc.check(property, { numRuns: runs, seed: opts.seed, endOnFailure: true });
}

/** A failed run in a few lines: the problem, the seed to replay it, the start of the input. */
export function failureReport(details: fc.RunDetails<[unknown]>): string {
  if (!details.failed) return '';
  const err = details.errorInstance as Error | undefined;
  const input = details.counterexample?.[0];
  const shown =
    input instanceof Uint8Array
      ? `${input.length} bytes: ${Buffer.from(input.subarray(0, 120)).toString('hex')}`
      : JSON.stringify(input)?.slice(0, 300);
  return `${err?.message?.slice(0, 2000)}\nseed ${details.seed} path ${details.counterexamplePath}\ninput ${shown}`;
}
