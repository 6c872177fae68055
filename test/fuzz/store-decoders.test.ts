/**
 * Fuzzing of the store's decoders (issue 9): real partition files, sidecars,
 * catalogs and write-ahead-log segments, mutated (bit flips, truncation,
 * insertion, overwritten ranges), then opened and queried. A mutated file
 * must never crash the store with a TypeError/RangeError or hang it: the
 * outcome is detection (quarantine, a clear StoreError) or exactly the right
 * data.
 *
 * Short run (a few hundred cases) in the normal test suite. Long run:
 *
 *   FUZZ_RUNS=100000 npx vitest run test/fuzz/store-decoders.test.ts
 *
 * (FUZZ_RUNS is the number of cases per property; FUZZ_SEED replays a run.)
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as A from 'apache-arrow';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/diagnostics.js';
import { findFormat } from '../../src/formats/index.js';
import { bytesInput, readBatches } from '../../src/formats/read.js';
import { batchSelector, countQuery, prepareQuery, runQuery } from '../../src/query/run.js';
import { schemaRegistry } from '../../src/schemas/load.js';
import { readPartition } from '../../src/store/partition.js';
import { Store } from '../../src/store/store.js';
import { Wal } from '../../src/store/wal.js';
import { TEST_DATA } from '../helpers/datasets.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 75);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
/** Per property; generous, since the long run goes through the same tests. */
const TIMEOUT = Math.max(120_000, RUNS * 2_000);

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'overwrite'; at: number; bytes: Uint8Array };

/** Positions are fractions of the file's length, so one arbitrary fits files of every size. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    bit: fc.nat(7),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
  fc.record({
    kind: fc.constant('overwrite' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  }),
);

function mutate(bytes: Buffer, m: Mutation): Buffer {
  const at = Math.min(bytes.length, Math.floor(m.at * bytes.length));
  switch (m.kind) {
    case 'flip': {
      const out = Buffer.from(bytes);
      if (out.length > 0) out[Math.min(at, out.length - 1)] ^= 1 << m.bit;
      return out;
    }
    case 'truncate':
      return bytes.subarray(0, at);
    case 'insert':
      return Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
    case 'overwrite': {
      const out = Buffer.from(bytes);
      out.set(m.bytes.subarray(0, Math.max(0, out.length - at)), at);
      return out;
    }
  }
}

/** Only clear errors may escape: StoreError and its kinds (quarantine is not even an error). */
function expectClear(e: unknown): void {
  if (e instanceof StoreError) return;
  throw new Error(`unclear failure: ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
}

const NEEDLE = 'id.resp_p == 53';

let root: string;
let pristine: string;
/** Per pristine partition id: events, and events matching NEEDLE. */
const truth = new Map<string, { all: number; needle: number }>();
let ids: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vast-fuzz-'));
  pristine = join(root, 'pristine');
  const store = await Store.open(pristine, { create: true });
  // The first 4000 events of conn.log in partitions of 2000 (several batches and checksum chunks
  // each), and dns.log in one: small enough for hundreds of cases, big enough for every structure.
  const conn = readFileSync(join(TEST_DATA, 'zeek', 'conn.log'), 'utf8').split('\n');
  const firstData = conn.findIndex((l) => !l.startsWith('#'));
  const inputs: [string, string][] = [
    ['conn.log', conn.slice(0, firstData + 4000).join('\n')],
    ['dns.log', readFileSync(join(TEST_DATA, 'zeek', 'dns.log'), 'utf8')],
  ];
  for (const [file, text] of inputs) {
    const imp = await store.importer({ partitionSize: 2000 });
    for await (const b of readBatches(findFormat('zeek', 'read'), bytesInput(text), {
      file,
      schemas: schemaRegistry(pristine),
      batchSize: 500,
    }))
      await imp.add(b);
    await imp.commit();
  }
  ids = store.partitions().map((p) => p.id);
  const select = batchSelector(prepareQuery(NEEDLE, store.schemas(), schemaRegistry(pristine)));
  for (const e of store.partitions()) {
    let needle = 0;
    for await (const b of readPartition(store.partitionPath(e))) needle += select(b)?.numRows ?? 0;
    truth.set(e.id, { all: e.events, needle });
  }
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

let caseNo = 0;
/** A fresh copy of the pristine database for one case. */
function freshCopy(): string {
  const db = join(root, `case-${caseNo++}`);
  cpSync(pristine, db, { recursive: true });
  return db;
}

/**
 * Opens and queries a (possibly damaged) database: every count must be the
 * exact count over the partitions that were not quarantined.
 */
/** Cases whose damage was detected (quarantine, rebuilt catalog, or a clear error), per property. */
const detected = { partition: 0, sidecar: 0, catalog: 0 };

async function checkStore(db: string, kind: keyof typeof detected): Promise<void> {
  const warnings: string[] = [];
  let store: Store;
  try {
    store = await Store.open(db, { warn: (m) => warnings.push(m) });
  } catch (e) {
    expectClear(e);
    detected[kind]++;
    return;
  }
  const registry = schemaRegistry(db);
  for (const text of [undefined, NEEDLE]) {
    let q: ReturnType<typeof prepareQuery>;
    try {
      q = prepareQuery(text, store.schemas(), registry);
    } catch (e) {
      // A rebuilt catalog may lack a schema (all its partitions quarantined): a clear query error.
      expectClear(e);
      continue;
    }
    let n = 0;
    try {
      // Without an expression, a count reads nothing (the catalog knows it): export everything instead, which reads every byte.
      if (text) n = await countQuery(store, q);
      else for await (const b of runQuery(store, q)) n += b.numRows;
    } catch (e) {
      expectClear(e);
      continue;
    }
    const kept = store.partitions().map((p) => truth.get(p.id));
    expect(kept.every((k) => k !== undefined)).toBe(true);
    const expected = kept.reduce((s, k) => s + (text ? k!.needle : k!.all), 0);
    expect(n).toBe(expected);
  }
  // Whatever failed verification is out of the catalog and in quarantine/.
  const quarantined = store.quarantined().map((r) => r.id);
  for (const id of quarantined) expect(store.partitions().some((p) => p.id === id)).toBe(false);
  if (warnings.length > 0) detected[kind]++;
}

const caseCleanup = (db: string) => rmSync(db, { recursive: true, force: true });

describe('store decoders under mutation', () => {
  afterAll(() => {
    // Nearly every mutation changes bytes a checksum covers: most cases must have been detected.
    if (RUNS >= 20) for (const n of Object.values(detected)) expect(n).toBeGreaterThan(RUNS / 2);
  });

  it(
    'partition files: detected and quarantined, or exact',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat(), mutation, async (which, m) => {
          const db = freshCopy();
          try {
            const path = join(db, 'partitions', `${ids[which % ids.length]}.parquet`);
            writeFileSync(path, mutate(readFileSync(path), m));
            await checkStore(db, 'partition');
          } finally {
            caseCleanup(db);
          }
        }),
        { numRuns: RUNS, seed: SEED },
      );
    },
    TIMEOUT,
  );

  it(
    'sidecars: detected and quarantined, or exact',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat(), mutation, async (which, m) => {
          const db = freshCopy();
          try {
            const path = join(db, 'partitions', `${ids[which % ids.length]}.sketch`);
            writeFileSync(path, mutate(readFileSync(path), m));
            await checkStore(db, 'sidecar');
          } finally {
            caseCleanup(db);
          }
        }),
        { numRuns: RUNS, seed: SEED },
      );
    },
    TIMEOUT,
  );

  it(
    'catalogs: a damaged one is rebuilt (exact counts) or refused with a clear error',
    async () => {
      await fc.assert(
        fc.asyncProperty(mutation, async (m) => {
          const db = freshCopy();
          try {
            const path = join(db, 'catalog.json');
            writeFileSync(path, mutate(readFileSync(path), m));
            await checkStore(db, 'catalog');
          } finally {
            caseCleanup(db);
          }
        }),
        { numRuns: RUNS, seed: SEED },
      );
    },
    TIMEOUT,
  );
});

describe('write-ahead log under mutation', () => {
  let walBase: string;
  let originals: A.RecordBatch[];
  let segment: string;

  beforeAll(() => {
    walBase = join(root, 'wal-pristine');
    // Real batches: the first partition of the pristine store, appended as a node does.
    const wal = new Wal(walBase);
    wal.open();
    return (async () => {
      originals = [];
      for await (const b of readPartition(join(pristine, 'partitions', `${ids[0]}.parquet`)))
        originals.push(b);
      for (const b of originals) await wal.append(b);
      wal.close();
      segment = readdirSync(walBase).find((f) => f.endsWith('.wal'))!;
    })();
  });

  it(
    'replays a prefix of the appended batches, intact, and never throws an unclear error',
    async () => {
      let n = 0;
      await fc.assert(
        fc.property(mutation, (m) => {
          const dir = join(root, `wal-${n++}`);
          cpSync(walBase, dir, { recursive: true });
          try {
            const path = join(dir, segment);
            writeFileSync(path, mutate(readFileSync(path), m));
            let replayed: A.RecordBatch[];
            try {
              replayed = new Wal(dir).replay().flatMap((s) => s.batches);
            } catch (e) {
              expectClear(e);
              return;
            }
            expect(replayed.length).toBeLessThanOrEqual(originals.length);
            replayed.forEach((b, i) => {
              expect(b.numRows).toBe(originals[i].numRows);
              expect(b.schema.fields.map((f) => f.name)).toEqual(
                originals[i].schema.fields.map((f) => f.name),
              );
              for (const col of ['uid', 'ts'])
                expect(String(b.getChild(col)?.get(b.numRows - 1))).toBe(
                  String(originals[i].getChild(col)?.get(b.numRows - 1)),
                );
            });
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        }),
        { numRuns: RUNS, seed: SEED },
      );
    },
    TIMEOUT,
  );
});
