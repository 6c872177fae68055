/**
 * Indicator lists for the intel workloads (issue 12): plain list files, one
 * indicator per line, as `vast intel add NAME -r FILE` loads them. Random IPv4
 * and IPv6 addresses and domain names from a seeded generator, plus addresses
 * that really occur in the generated conn data (so that sightings happen),
 * found without reading the data: an address of the original log as the
 * rewrite gives it in a replay that holds it (rewrite.ts). Written once per
 * data file into the cache directory.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { sqlString } from './context.js';
import type { DatasetMeta } from './generate.js';
import { prng } from './node-client.js';
import { isRewritten, rewriteIp } from './rewrite.js';

/** Bump when the lists change, so that stale caches are not reused. */
const INTEL_VERSION = 1;

interface ListSpec {
  size: number;
  /** How many of them occur in the data. */
  real: number;
  seed: number;
}

/** The lists of the two workloads: the sizes, and smaller ones for `--quick` (the smoke test). */
const LISTS: Record<'full' | 'quick', Record<'ips' | 'domains' | 'hunt', ListSpec>> = {
  full: {
    /** Loaded before `intel-ingest`'s import. */
    ips: { size: 1_000_000, real: 100, seed: 1 },
    domains: { size: 100_000, real: 20, seed: 2 },
    /** Hunted by `intel-hunt` over the stored events. */
    hunt: { size: 10_000, real: 1_000, seed: 3 },
  },
  quick: {
    ips: { size: 10_000, real: 100, seed: 1 },
    domains: { size: 1_000, real: 20, seed: 2 },
    hunt: { size: 1_000, real: 100, seed: 3 },
  },
};

/** Where the lists of a data file are, and their specs (for labels). */
export interface IntelFiles {
  ips: string;
  domains: string;
  hunt: string;
  sizes: Record<'ips' | 'domains' | 'hunt', ListSpec>;
}

/** Data lines of a Zeek TSV log, split into columns. */
function zeekRows(file: string): string[][] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split('\t'));
}

/**
 * `n` distinct addresses of `id.orig_h` or `id.resp_h` that occur in the generated data: an
 * address of the original (each as likely as any other, however often it occurs) as the
 * rewrite gives it in a random replay that holds a line with it. Addresses that every replay
 * shares (broadcast, multicast) are left out: no feed lists them, and each would match in
 * every replay.
 */
function realAddresses(meta: DatasetMeta, n: number, next: () => number): string[] {
  const fields = meta.fields ?? [];
  const columns = ['id.orig_h', 'id.resp_h'].map((f) => fields.indexOf(f));
  const rows = zeekRows(meta.source);
  /** Each address and the first line it occurs on. */
  const first = new Map<string, number>();
  rows.forEach((cols, line) => {
    for (const c of columns) {
      const a = cols[c];
      if (a && a !== '-' && isRewritten(a) && !first.has(a)) first.set(a, line);
    }
  });
  const addresses = [...first];
  const out = new Set<string>();
  for (let tries = 0; out.size < n && tries < 100 * n; tries++) {
    const [address, line] = addresses[Math.floor(next() * addresses.length)];
    // Replay k holds line i when k × lines + i < events.
    const replays = Math.ceil((meta.events - line) / rows.length);
    if (replays > 0) out.add(rewriteIp(address, Math.floor(next() * replays)));
  }
  return [...out];
}

function randomIp(next: () => number): string {
  const word = () => Math.floor(next() * 2 ** 16);
  if (next() < 0.1) return ['2001', 'db8', ...Array.from({ length: 6 }, () => word().toString(16))].join(':');
  // 1.0.0.0–223.255.255.255: unicast, as a feed's addresses are.
  return [1 + Math.floor(next() * 223), word() >> 8, word() >> 8, word() >> 8].join('.');
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const TLDS = ['com', 'net', 'org', 'info', 'ru', 'cn', 'io', 'xyz', 'top', 'de'];

function randomDomain(next: () => number): string {
  const label = (min: number, max: number) =>
    Array.from(
      { length: min + Math.floor(next() * (max - min + 1)) },
      () => LETTERS[Math.floor(next() * LETTERS.length)],
    ).join('');
  const sub = next() < 0.3 ? `${label(3, 8)}.` : '';
  return `${sub}${label(5, 14)}.${TLDS[Math.floor(next() * TLDS.length)]}`;
}

/** Names that really were queried beside the conn log (`dns.log` of the same capture), when it is there. */
function realDomains(meta: DatasetMeta, n: number): string[] {
  const dns = join(dirname(meta.source), 'dns.log');
  if (!existsSync(dns)) return [];
  const out = new Set<string>();
  for (const cols of zeekRows(dns)) {
    const q = cols[9];
    if (q && /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(q)) out.add(q.toLowerCase());
    if (out.size >= n) break;
  }
  return [...out];
}

/** `size` distinct indicators: `first`, then random ones. */
function distinct(first: readonly string[], size: number, make: () => string): string[] {
  const out = new Set(first);
  while (out.size < size) out.add(make());
  return [...out];
}

/** Writes the list unless the cache has it; returns its path. */
function list(cacheDir: string, name: string, make: () => string[]): string {
  const file = join(cacheDir, name);
  if (!existsSync(file)) {
    writeFileSync(`${file}.tmp`, `${make().join('\n')}\n`);
    renameSync(`${file}.tmp`, file);
  }
  return file;
}

/** The three lists for the data in `meta` (real addresses first, then random ones); smaller ones when `quick`. */
export function intelFiles(meta: DatasetMeta, cacheDir: string, quick: boolean): IntelFiles {
  const sizes = LISTS[quick ? 'quick' : 'full'];
  const stem = `intel-v${INTEL_VERSION}-${basename(meta.file).replace(/\.[^.]*$/, '')}`;
  const ips = (spec: ListSpec) => () => {
    const next = prng(spec.seed);
    return distinct(realAddresses(meta, spec.real, next), spec.size, () => randomIp(next));
  };
  return {
    ips: list(cacheDir, `${stem}-ips-${sizes.ips.size}.txt`, ips(sizes.ips)),
    domains: list(cacheDir, `${stem}-domains-${sizes.domains.size}.txt`, () => {
      const next = prng(sizes.domains.seed);
      return distinct(realDomains(meta, sizes.domains.real), sizes.domains.size, () => randomDomain(next));
    }),
    hunt: list(cacheDir, `${stem}-hunt-${sizes.hunt.size}.txt`, ips(sizes.hunt)),
    sizes,
  };
}

/** The issue's list sizes, for the workloads' titles. */
export const INTEL_SIZES = {
  ips: LISTS.full.ips.size,
  domains: LISTS.full.domains.size,
  hunt: LISTS.full.hunt.size,
} as const;

/**
 * The retro hunt as DuckDB sees it: (event, indicator, field) matches of the list in
 * `file` on `id.orig_h` and on `id.resp_h` (a row whose two addresses both match counts twice).
 */
export function huntSql(parquet: string, file: string): string {
  const ind = `(SELECT DISTINCT ip FROM read_csv(${sqlString(file)}, header=false, delim='\\t', quote='', escape='', auto_detect=false, columns={'ip': 'VARCHAR'}))`;
  const matches = (field: string) =>
    `(SELECT count(*) FROM read_parquet(${sqlString(parquet)}) AS e JOIN ${ind} AS i ON e."${field}" = i.ip)`;
  return `SELECT ${matches('id.orig_h')} + ${matches('id.resp_h')}`;
}
