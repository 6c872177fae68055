/**
 * Fuzz inputs: seeds from real data (test/data, test/fixtures/broken and the
 * shared datasets when present), generated inputs, and mutations of seeds
 * (bit flips, truncation, byte insertion and deletion, line duplication,
 * invalid UTF-8, huge lines, gzip around the result).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { DATASETS, ROOT } from '../helpers/datasets.js';

/** Seeds are cut to this size: mutations near the start matter most, and runs stay fast. */
const SEED_BYTES = 32 * 1024;

/** The first bytes of every file under `dir` whose name matches, sorted by path. */
function seedFiles(dir: string, match: RegExp): Uint8Array[] {
  if (!existsSync(dir)) return [];
  const out: Uint8Array[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...seedFiles(path, match));
    else if (match.test(name)) out.push(readFileSync(path).subarray(0, SEED_BYTES));
  }
  return out;
}

/** Seeds for a format: its files in the repo's test data, broken fixtures and the shared datasets. */
export function seedsFor(match: RegExp, extra: readonly Uint8Array[] = []): Uint8Array[] {
  return [
    ...seedFiles(join(ROOT, 'test', 'data'), match),
    ...seedFiles(join(ROOT, 'test', 'fixtures', 'broken'), match),
    ...seedFiles(DATASETS, match),
    ...extra,
  ];
}

const INVALID_UTF8 = [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x80]];

type Mutation = (b: Uint8Array) => Uint8Array;

const cat = (...parts: Uint8Array[]) => Buffer.concat(parts);

/** One mutation, chosen and parameterised by fast-check (so failures shrink). */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }).map(({ at, bit }) => (b: Uint8Array) => {
    if (b.length === 0) return b;
    const c = Buffer.from(b);
    c[at % c.length] ^= 1 << bit;
    return c;
  }),
  fc.nat().map((at) => (b: Uint8Array) => b.subarray(0, at % (b.length + 1))),
  fc
    .record({ at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) })
    .map(({ at, bytes }) => (b: Uint8Array) => {
      const i = at % (b.length + 1);
      return cat(b.subarray(0, i), bytes, b.subarray(i));
    }),
  fc.record({ at: fc.nat(), n: fc.integer({ min: 1, max: 64 }) }).map(({ at, n }) => (b: Uint8Array) => {
    const i = at % (b.length + 1);
    return cat(b.subarray(0, i), b.subarray(i + n));
  }),
  // Duplicate a line (or, in binary input, a run of bytes between newlines).
  fc.nat().map((at) => (b: Uint8Array) => {
    const buf = Buffer.from(b);
    const start = buf.lastIndexOf(10, at % (buf.length + 1)) + 1;
    let end = buf.indexOf(10, start);
    end = end < 0 ? buf.length : end + 1;
    return cat(buf.subarray(0, end), buf.subarray(start, end), buf.subarray(end));
  }),
  fc
    .record({ at: fc.nat(), k: fc.nat({ max: INVALID_UTF8.length - 1 }) })
    .map(({ at, k }) => (b: Uint8Array) => {
      const i = at % (b.length + 1);
      return cat(b.subarray(0, i), Uint8Array.from(INVALID_UTF8[k]), b.subarray(i));
    }),
  // A huge line: beyond the readers' max line length in the fuzz context.
  fc
    .record({ at: fc.nat(), n: fc.integer({ min: 1, max: 3 }), c: fc.constantFrom(0x41, 0x22, 0x7b, 0x20) })
    .map(({ at, n, c }) => (b: Uint8Array) => {
      const i = at % (b.length + 1);
      return cat(b.subarray(0, i), Buffer.alloc(n * MAX_LINE_BYTES, c), b.subarray(i));
    }),
  // Splice in a piece of the same input elsewhere (record boundaries in binary formats).
  fc.record({ from: fc.nat(), to: fc.nat(), n: fc.integer({ min: 1, max: 256 }) }).map(({ from, to, n }) => {
    return (b: Uint8Array) => {
      const f = from % (b.length + 1);
      const t = to % (b.length + 1);
      return cat(b.subarray(0, t), b.subarray(f, f + n), b.subarray(t));
    };
  }),
);

/** Line length limit in the fuzz context: small, so that huge-line mutations cross it cheaply. */
export const MAX_LINE_BYTES = 64 * 1024;

/** Seeds with 1 to 4 mutations, sometimes gzipped afterwards. */
export function mutated(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  if (seeds.length === 0) return fc.uint8Array({ maxLength: 1024 });
  return fc
    .record({
      seed: fc.constantFrom(...seeds),
      mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
      gzip: fc.nat({ max: 9 }).map((n) => n === 0),
    })
    .map(({ seed, mutations, gzip }) => {
      const b = mutations.reduce((x, m) => m(x), seed);
      return gzip ? gzipSync(b) : b;
    });
}

/** Text made of a format's tokens: near enough to the grammar to get past the first check. */
export function tokenText(tokens: readonly string[], maxTokens = 64): fc.Arbitrary<string> {
  return fc
    .array(fc.oneof(fc.constantFrom(...tokens), fc.string({ maxLength: 4 })), { maxLength: maxTokens })
    .map((t) => t.join(''));
}

/** Generated bytes for a reader: random, token-based text, or a format-specific generator. */
export function generated(
  tokens: readonly string[],
  extra?: fc.Arbitrary<Uint8Array>,
): fc.Arbitrary<Uint8Array> {
  const text = tokenText(tokens, 256).map((s) => new Uint8Array(Buffer.from(s)));
  const random = fc.uint8Array({ maxLength: 2048 });
  return extra ? fc.oneof(text, random, extra) : fc.oneof(text, random);
}
