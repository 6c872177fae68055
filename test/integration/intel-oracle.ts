/**
 * The independent oracle of the intel tests: which (indicator, field) pairs
 * a set of IPs, /N networks and domains (with subdomains) must be sighted in,
 * counted by awk over Zeek TSV logs and by jq over Suricata EVE, and the
 * helpers that load a feed, import the logs and read vast's sightings back.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { vast } from './cli.js';

export interface Content {
  ips: readonly string[];
  /** IPv4 networks. */
  nets: readonly string[];
  /** Matched with their subdomains (`--subdomains`). */
  domains: readonly string[];
}

/** The feed: a CSV with a context column (`threat`). */
export function feedCsv(c: Content): string {
  return [
    'indicator,type,threat',
    ...c.ips.map((ip, i) => `${ip},ip,${i % 2 ? 'scanner' : 'c2'}`),
    ...c.nets.map((n) => `${n},subnet,botnet`),
    ...c.domains.map((d) => `${d},domain,`),
  ].join('\n');
}

/**
 * What should be sighted in a Zeek log, by awk: every `addr` (or set/vector of addr) column
 * holding a listed address or one inside a listed network (IPv4, by integer arithmetic), and the
 * domain columns (dns query and answers, http host, ssl server_name, x509 san.dns) equal to a
 * listed domain or ending in `.domain` (without case, and without the trailing dot of a fully
 * qualified name: `WPAD.M57.BIZ.`). One line per (event, indicator, field).
 */
const AWK = String.raw`
function ip2n(s,   a) { if (split(s, a, ".") != 4) return -1; return ((a[1] * 256 + a[2]) * 256 + a[3]) * 256 + a[4] }
BEGIN {
  ni = split(ips, I, ","); for (i = 1; i <= ni; i++) want[I[i]] = 1
  nn = split(nets, N, ","); for (j = 1; j <= nn; j++) { split(N[j], p, "/"); base[j] = ip2n(p[1]); span[j] = 2 ^ (32 - p[2]) }
  nd = split(domains, D, ",")
  dom["query"] = 1; dom["answers"] = 1; dom["host"] = 1; dom["server_name"] = 1; dom["san.dns"] = 1
}
/^#fields/ { for (i = 2; i <= NF; i++) name[i - 1] = $i; next }
/^#types/ { for (i = 2; i <= NF; i++) typ[i - 1] = $i; next }
/^#/ { next }
{
  for (i = 1; i <= NF; i++) {
    if ($i == "-" || $i == "(empty)") continue
    k = split($i, vals, ","); delete seen
    for (v = 1; v <= k; v++) {
      x = vals[v]
      if (typ[i] ~ /addr/) {
        if ((x in want) && !(x in seen)) { print x "\t" name[i]; seen[x] = 1 }
        y = ip2n(x)
        for (j = 1; j <= nn; j++)
          if (y >= 0 && int(y / span[j]) == int(base[j] / span[j]) && !(N[j] in seen)) { print N[j] "\t" name[i]; seen[N[j]] = 1 }
      } else if (name[i] in dom) {
        lx = tolower(x); sub(/\.$/, "", lx)
        for (d = 1; d <= nd; d++) {
          suffix = "." D[d]
          if ((lx == D[d] || substr(lx, length(lx) - length(suffix) + 1) == suffix) && !(D[d] in seen)) { print D[d] "\t" name[i]; seen[D[d]] = 1 }
        }
      }
    }
  }
}`;

/**
 * jq: EVE's src_ip/dest_ip (and an alert's flow.src_ip/dest_ip) equal to a listed address or
 * inside a listed network; and the domain
 * fields of the taxonomy's net.domain per event type (dns: rrname and the rrnames of queries and
 * answers; tls: sni; http: hostname) equal to a listed domain or a subdomain of it.
 */
const JQ = String.raw`
  def n: split(".") | map(tonumber) | ((.[0] * 256 + .[1]) * 256 + .[2]) * 256 + .[3];
  def dom($d): ascii_downcase | rtrimstr(".") | . == $d or endswith("." + $d);
  ($ips | split(",")) as $ips | ($nets | split(",")) as $nets | ($doms | split(",") | map(select(. != ""))) as $doms
  | . as $e
  | ([["src_ip"], ["dest_ip"], ["flow", "src_ip"], ["flow", "dest_ip"]][] as $p | ($p | join(".")) as $f
     | ($e | getpath($p) // empty) as $v
     | ($ips[] | select(. == $v) | "\(.)\t\($f)"),
       ($nets[] | . as $net | split("/") as [$b, $l] | pow(2; 32 - ($l | tonumber)) as $s
         | select(($v | test("^[0-9.]+$")) and (($v | n) / $s | floor) == (($b | n) / $s | floor)) | "\($net)\t\($f)")),
    ((if $e.event_type == "dns" then
        ["dns.rrname", [$e.dns.rrname]], ["dns.queries.rrname", [$e.dns.queries[]?.rrname]],
        ["dns.answers.rrname", [$e.dns.answers[]?.rrname]]
      elif $e.event_type == "tls" then ["tls.sni", [$e.tls.sni]]
      elif $e.event_type == "http" then ["http.hostname", [$e.http.hostname]]
      else empty end) as [$f, $vs]
     | $doms[] as $d | select(any($vs[] | strings; dom($d))) | "\($d)\t\($f)")`;

/** Counts of `indicator<TAB>field path` lines, sorted by key. */
export const tally = (keys: readonly string[]) => {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return new Map([...m].sort(([a], [b]) => a.localeCompare(b)));
};

const lines = (text: string) => text.split('\n').filter(Boolean);

/** The oracle's count per `indicator<TAB>field path` over Zeek TSV logs and EVE files. */
export function expected(files: { zeek: readonly string[]; eve: readonly string[] }, c: Content) {
  const vars = { ips: c.ips.join(','), nets: c.nets.join(','), domains: c.domains.join(',') };
  const out: string[] = [];
  for (const f of files.zeek)
    out.push(
      ...lines(
        execFileSync(
          'awk',
          [
            '-F',
            '\t',
            '-v',
            `ips=${vars.ips}`,
            '-v',
            `nets=${vars.nets}`,
            '-v',
            `domains=${vars.domains}`,
            AWK,
            f,
          ],
          { encoding: 'utf8' },
        ),
      ),
    );
  for (const f of files.eve)
    out.push(
      ...lines(
        execFileSync(
          'jq',
          ['-r', '--arg', 'ips', vars.ips, '--arg', 'nets', vars.nets, '--arg', 'doms', vars.domains, JQ, f],
          { encoding: 'utf8', maxBuffer: 256 << 20 },
        ),
      ),
    );
  return tally(out);
}

export interface Sighting {
  time: string;
  indicator: string;
  indicator_type: string;
  field: string;
  value: string;
  mode: string;
  schema: string;
  set: string;
  uid: string | null;
  flow_id: number | string | null;
  event_time: string | null;
  ref: string;
  revision: number;
  'context.threat'?: string | null;
}

/** `indicator<TAB>field path`, as the oracles print them. */
export const keyOf = (s: Sighting) => `${s.indicator}\t${s.field}`;

/** What identifies a sighting across databases (the refs name each database's own partitions). */
export const identity = (s: Sighting) =>
  [s.set, s.indicator, s.field, s.value, s.schema, s.uid, s.flow_id, s.event_time].join('|');

export function sightings(db: string, env: Record<string, string> = {}): Sighting[] {
  const r = vast(['-d', db, 'sightings'], { env });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return lines(r.stdout).map((l) => JSON.parse(l) as Sighting);
}

/**
 * Imports the files (`.json`: Suricata EVE, else Zeek TSV): one `vast import` per format, of
 * the files concatenated (`cat *.log | vast import zeek`, as an analyst would).
 */
export function importFiles(db: string, files: readonly string[], env: Record<string, string> = {}) {
  for (const format of ['zeek', 'suricata']) {
    const some = files.filter((f) => f.endsWith('.json') === (format === 'suricata'));
    if (some.length === 0) continue;
    const input = Buffer.concat(some.map((f) => readFileSync(f)));
    const r = vast(['-d', db, 'import', format], { env, input });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  }
}

/** `vast intel add NAME -r FEED --subdomains` with the content as CSV; its output. */
export function addFeed(
  db: string,
  dir: string,
  c: Content,
  env: Record<string, string> = {},
  name = 'iocs',
): string {
  const feed = join(dir, `${name}.csv`);
  writeFileSync(feed, feedCsv(c));
  const r = vast(['-d', db, 'intel', 'add', name, '-r', feed, '--subdomains'], { env });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

export const totalOf = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
