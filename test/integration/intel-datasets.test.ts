/**
 * Intel on the shared corpus (../shared/datasets; skipped visibly where it is
 * absent): every Zeek TSV log and Suricata EVE file there, sightings counted
 * by awk and jq (intel-oracle.ts) equal vast's, live (content first) and
 * retro (content after the imports). Larger and more varied than the
 * fixtures of intel.test.ts: M57's DNS and HTTP logs of the VAST
 * integration suite, WRCCDC's DCE-RPC, EVE DNS v3 (`dns.queries[].rrname`),
 * TLS SNI and HTTP hostnames of the Tenzir library.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { dataset, describeDatasets } from '../helpers/datasets.js';
import { tempDb } from './cli.js';
import {
  addFeed,
  type Content,
  expected,
  importFiles,
  keyOf,
  sightings,
  tally,
  totalOf,
} from './intel-oracle.js';

const CONTENT: Content = {
  ips: ['192.168.1.104', '74.125.19.139', '143.166.11.10', '10.47.3.151', '::1'],
  nets: ['198.189.255.0/24', '10.164.0.0/16'],
  domains: ['m57.biz', 'mailshell.net', 'windowsupdate.com', 'google.com', 'espn.go.com', 'avg.com'],
};

describeDatasets('intel over the shared corpus: sightings equal awk and jq', () => {
  const logs = (dir: string, ext: string) =>
    readdirSync(dataset(dir))
      .filter((f) => f.endsWith(ext))
      .map((f) => dataset(dir, f));
  // Zeek TSV logs (the JSON ones are other copies of some of them); every EVE file.
  const files = {
    zeek: logs('zeek', '.log'),
    eve: [...logs('suricata', '.json'), ...logs(join('suricata', 'tenzir-library'), '.json')],
  };
  const all = [...files.zeek, ...files.eve];
  const oracle = expected(files, CONTENT);

  it('the oracle finds every indicator, in Zeek and in EVE, and EVE DNS query names', () => {
    for (const i of [...CONTENT.ips, ...CONTENT.nets, ...CONTENT.domains])
      expect(
        [...oracle.keys()].some((k) => k.startsWith(`${i}\t`)),
        i,
      ).toBe(true);
    expect([...oracle.keys()].some((k) => k.endsWith('\tdns.queries.rrname'))).toBe(true);
    expect([...oracle.keys()].some((k) => k.endsWith('\ttls.sni'))).toBe(true);
  });

  it('live: content first, then every log', () => {
    const t = tempDb();
    try {
      addFeed(t.db, t.dir, CONTENT);
      importFiles(t.db, all);
      const s = sightings(t.db);
      expect(s.every((x) => x.mode === 'live')).toBe(true);
      expect(tally(s.map(keyOf))).toEqual(oracle);
    } finally {
      t.cleanup();
    }
  });

  it('retro: every log, then the content', () => {
    const t = tempDb();
    try {
      importFiles(t.db, all);
      expect(addFeed(t.db, t.dir, CONTENT)).toContain(`retro hunt: ${totalOf(oracle)} sightings`);
      const s = sightings(t.db);
      expect(s.every((x) => x.mode === 'retro')).toBe(true);
      expect(tally(s.map(keyOf))).toEqual(oracle);
    } finally {
      t.cleanup();
    }
  });
});
