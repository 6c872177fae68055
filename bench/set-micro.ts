/**
 * Micro benchmark for the hash-set kernels (src/expr/kernels/sets.ts): a
 * threat-intel-sized IpSet (1M random IPv4 addresses + 1,000 subnets of
 * /8../32) over a 64Ki-row ip column, and a 100k-domain StringSet with
 * subdomain entries over 64Ki domain names (plain and dictionary-encoded).
 * Prints build time, memoryBytes, and the best of 5 match runs as ns/row.
 *
 *   npx tsc -p bench/tsconfig.json && node dist/bench/bench/set-micro.js
 */
import * as A from 'apache-arrow';
import { IpSet, StringSet } from '../src/expr/kernels/sets.js';

const ROWS = 65536;

/** A deterministic PRNG (mulberry32), so runs compare. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function v4(x: number): Uint8Array {
  const b = new Uint8Array(16);
  b[10] = b[11] = 0xff;
  b[12] = x >>> 24;
  b[13] = (x >>> 16) & 0xff;
  b[14] = (x >>> 8) & 0xff;
  b[15] = x & 0xff;
  return b;
}

function best(f: () => number): { ms: number; result: number } {
  let ms = Number.POSITIVE_INFINITY;
  let result = 0;
  for (let k = 0; k < 5; k++) {
    const t = performance.now();
    result = f();
    ms = Math.min(ms, performance.now() - t);
  }
  return { ms, result };
}

const mb = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
/** Reports after the runs: memoryBytes then includes what the first match built (IpSet's filters). */
function report(name: string, build: number, set: { memoryBytes(): number }, f: () => number): void {
  const run = best(f);
  const ns = `${((run.ms * 1e6) / ROWS).toFixed(1)} ns/row`;
  console.log([name, `${build.toFixed(0)} ms`, mb(set.memoryBytes()), ns, run.result].join('\t'));
}

console.log(`${ROWS} rows a column; best of 5`);
console.log(['case', 'build', 'memoryBytes', 'match', 'hits'].join('\t'));

// IpSet: 1M exact addresses, 1,000 subnets of 25 distinct lengths.
{
  const next = rng(1);
  const known: number[] = [];
  let t = performance.now();
  const set = new IpSet();
  for (let i = 0; i < 1_000_000; i++) {
    const x = next();
    if (i % 1000 === 0) known.push(x);
    set.add(v4(x), 128, i);
  }
  for (let i = 0; i < 1000; i++) set.add(v4(next()), 96 + 8 + (i % 25), 1_000_000 + i);
  const build = performance.now() - t;
  // The column: random addresses, 1 in 64 a known indicator.
  const data = new Uint8Array(ROWS * 16);
  for (let r = 0; r < ROWS; r++) data.set(v4(r % 64 === 0 ? known[r % known.length] : next()), r * 16);
  const col = A.makeData({ type: new A.FixedSizeBinary(16), length: ROWS, nullCount: 0, data });
  const count = (c: A.Data) => {
    let n = 0;
    set.match(c, ROWS, () => {
      n++;
    });
    return n;
  };
  report('ip: 1M addresses + 1k subnets', build, set, () => count(col));
  // Unaligned values (a copy at an odd byte offset).
  const odd = new Uint8Array(data.length + 1);
  odd.set(data, 1);
  const unaligned = A.makeData({
    type: new A.FixedSizeBinary(16),
    length: ROWS,
    nullCount: 0,
    data: odd.subarray(1),
  });
  report('ip: same, unaligned column', build, set, () => count(unaligned));
  const exact = new IpSet();
  t = performance.now();
  const next2 = rng(1);
  for (let i = 0; i < 1_000_000; i++) exact.add(v4(next2()), 128, i);
  const exactBuild = performance.now() - t;
  report('ip: 1M addresses only', exactBuild, exact, () => {
    let n = 0;
    exact.match(col, ROWS, () => {
      n++;
    });
    return n;
  });
}

// StringSet: 100k domains with subdomains, over 64Ki names (1 in 32 under a listed domain).
{
  const next = rng(2);
  const label = (n: number) => {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(97 + (next() % 26));
    return s;
  };
  const tlds = ['com', 'net', 'org', 'io', 'example'];
  const domains: string[] = [];
  for (let i = 0; i < 100_000; i++) domains.push(`${label(6 + (next() % 8))}.${tlds[next() % tlds.length]}`);
  const t = performance.now();
  const set = new StringSet({ caseInsensitive: true });
  for (let i = 0; i < domains.length; i++) set.add(domains[i], i, { subdomains: true });
  const build = performance.now() - t;
  const names: string[] = [];
  for (let r = 0; r < ROWS; r++) {
    const base =
      r % 32 === 0 ? domains[next() % domains.length] : `${label(8)}.${tlds[next() % tlds.length]}`;
    names.push(r % 3 === 0 ? `www.${label(4)}.${base}` : r % 3 === 1 ? `${label(5)}.${base}` : base);
  }
  const plain = A.vectorFromArray(names, new A.Utf8()).data[0];
  const count = (c: A.Data) => {
    let n = 0;
    set.match(c, ROWS, () => {
      n++;
    });
    return n;
  };
  report('string: 100k domains, subdomains', build, set, () => count(plain));
  // Dictionary-encoded: 64Ki rows over 4Ki distinct names (the per-dictionary cache makes later runs lookups).
  const distinct = names.slice(0, 4096);
  const codes = new Int32Array(ROWS);
  for (let r = 0; r < ROWS; r++) codes[r] = (r * 2654435761) % distinct.length;
  const dict = A.makeData({
    type: new A.Dictionary(new A.Utf8(), new A.Int32()),
    length: ROWS,
    nullCount: 0,
    data: codes,
    dictionary: A.vectorFromArray(distinct, new A.Utf8()),
  });
  report('string: same, dictionary (4Ki distinct)', build, set, () => count(dict));
}
