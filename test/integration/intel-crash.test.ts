/**
 * kill -9 of a node while it hunts (issue 12): a retro hunt is persisted with
 * the partitions it has done, and each partition's sightings are written under
 * an idempotency key before the partition counts as done. So a node killed at
 * any moment of a hunt resumes it at the next start, and in the end every
 * set's sightings equal the oracle's: none lost, none twice.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { TEST_DATA } from '../helpers/datasets.js';
import { tempDb, vast } from './cli.js';
import { addFeed, type Content, expected, importFiles, keyOf, sightings, tally } from './intel-oracle.js';
import { freePort, type RunningNode, startNode } from './node-helpers.js';

const CONN = join(TEST_DATA, 'zeek', 'conn.log');
// conn.log three times: more partitions to hunt (its events and sightings count thrice).
const ZEEK = [CONN, CONN, CONN, ...['dns.log', 'http.log', 'ssl.log'].map((f) => join(TEST_DATA, 'zeek', f))];
const EVE = join(TEST_DATA, 'suricata', 'example-pcap_eve.json');

const CONTENT: Content = {
  ips: ['192.168.1.103', '74.125.19.148', '143.204.98.3'],
  nets: ['198.189.255.0/24', '72.247.178.0/24'],
  domains: ['google.com', 'm57.biz'],
};

describe('kill -9 of a node during a retro hunt', () => {
  it('resumes the hunt at the next start; no sighting is lost or written twice', async () => {
    const oracle = expected({ zeek: ZEEK, eve: [EVE] }, CONTENT);
    const t = tempDb();
    const port = await freePort();
    let node: RunningNode = await startNode(t.db, ['--max-partition-size', '500'], port);
    const env = node.env();
    const hunts = () =>
      (JSON.parse(vast(['status', '--json'], { env }).stdout) as { intel: { hunts: unknown[] } }).intel.hunts;
    try {
      importFiles(t.db, [...ZEEK, EVE], env);
      expect(vast(['flush'], { env }).status).toBe(0);
      // One set per kill, each killed at another moment of its hunt (0 ms: right as it starts).
      const delays = [0, 15, 40, 100];
      const interrupted: string[] = [];
      for (const [k, delay] of delays.entries()) {
        const out = addFeed(t.db, t.dir, CONTENT, env, `set${k}`);
        expect(out).toMatch(/retro hunt set\d-1 started over \d+ partitions/);
        await sleep(delay);
        await node.kill();
        node = await startNode(t.db, ['--max-partition-size', '500'], port);
        const resumed = /"done":(\d+),"partitions":(\d+),"msg":"resuming retro hunt"/.exec(node.stderr());
        if (resumed) interrupted.push(`${delay} ms: ${resumed[1]}/${resumed[2]} partitions done`);
        const deadline = Date.now() + 60_000;
        while (hunts().length > 0 && Date.now() < deadline) await sleep(50);
        expect(hunts()).toEqual([]);
      }
      process.stderr.write(`hunts interrupted by kill -9 after ${interrupted.join('; ')}\n`);
      expect(interrupted.length).toBeGreaterThan(0);
      const all = sightings(t.db, env);
      for (const k of delays.keys()) {
        const mine = all.filter((s) => s.set === `set${k}`);
        expect(tally(mine.map(keyOf)), `set${k}`).toEqual(oracle);
        // No (event, indicator, field) twice: the refs name the stored events.
        const refs = mine.map((s) => `${s.ref}|${s.indicator}|${s.field}`);
        expect(new Set(refs).size).toBe(refs.length);
      }
    } finally {
      await node.stop();
      t.cleanup();
    }
  });
});
