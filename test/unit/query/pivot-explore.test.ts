/**
 * `pivot` and `explore` over a real store, in-process: Zeek conn and http logs
 * and the Suricata EVE of one pcap. Answers from awk/jq over the raw files.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as A from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFormat } from '../../../src/formats/index.js';
import { bytesInput, readBatches } from '../../../src/formats/read.js';
import { explore } from '../../../src/query/explore.js';
import { pivot, type RunQuery } from '../../../src/query/pivot.js';
import { prepareQuery, runQuery } from '../../../src/query/run.js';
import { Store } from '../../../src/store/store.js';
import { schemaName } from '../../../src/types/arrow.js';
import { TEST_DATA } from '../../helpers/datasets.js';
import { keepPartitions } from '../../helpers/partition-audit.js';
import { registry } from '../../helpers/read.js';

const FIXTURES: [string, string][] = [
  ['zeek', 'zeek/example-pcap_conn.log'],
  ['zeek', 'zeek/example-pcap_http.log'],
  ['suricata', 'suricata/example-pcap_eve.json'],
];

let dir: string;
let store: Store;
let run: RunQuery;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vast-pivot-'));
  store = await Store.open(dir, { create: true });
  const importer = await store.importer();
  for (const [format, file] of FIXTURES) {
    const path = join(TEST_DATA, file);
    for await (const b of readBatches(findFormat(format, 'read'), bytesInput(readFileSync(path), 1 << 16), {
      file: path,
      schemas: registry,
    }))
      await importer.add(b);
  }
  await importer.commit();
  run = (query, opts) => runQuery(store, prepareQuery(query, store.schemas(), registry), opts);
});

afterAll(() => {
  keepPartitions(dir);
  rmSync(dir, { recursive: true, force: true });
});

/** Lines printed by a shell pipeline run in test/data/. */
function oracle(cmd: string): string[] {
  const r = spawnSync('sh', ['-c', cmd], { cwd: TEST_DATA, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '');
}

/** One field of every result row (of one schema, if given), sorted. */
async function column(
  batches: AsyncIterable<A.RecordBatch>,
  name: string,
  schema?: string,
): Promise<string[]> {
  const out: string[] = [];
  for await (const b of batches) {
    if (schema && schemaName(b) !== schema) continue;
    const v = b.getChild(name);
    for (let i = 0; i < b.numRows; i++) out.push(String(v?.get(i)));
  }
  return out.sort();
}

describe('pivot', () => {
  it('goes from Suricata to Zeek by community_id, each related event once', async () => {
    // 35 or more alerts share each community_id; each conn must still come once.
    const expected = oracle(
      `jq -r 'select(.dest_ip == "72.247.178.18") | .community_id // empty' suricata/example-pcap_eve.json | awk -F'\\t' 'NR == FNR {id[$1] = 1; next} !/^#/ && ($22 in id) {print $2}' - zeek/example-pcap_conn.log`,
    ).sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(await column(pivot(run, 'zeek.conn', 'dest_ip == 72.247.178.18'), 'uid')).toEqual(expected);
  });

  it('goes from Zeek to Zeek by uid', async () => {
    const expected = oracle(
      `awk -F'\\t' '!/^#/ && $6 == 80 {print $2}' zeek/example-pcap_conn.log | awk -F'\\t' 'NR == FNR {id[$1] = 1; next} !/^#/ && ($2 in id) {print $2}' - zeek/example-pcap_http.log`,
    ).sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(await column(pivot(run, 'zeek.http', '#schema == "zeek.conn" && id.resp_p == 80'), 'uid')).toEqual(
      expected,
    );
  });

  it('yields nothing when the matches have no link field', async () => {
    // Suricata events have no uid, and zeek.http has no community_id to be found by.
    expect(await column(pivot(run, 'zeek.http', 'dest_ip == 72.247.178.18'), 'uid')).toEqual([]);
  });
});

describe('explore', () => {
  it('merges overlapping boxes: every event in any box once', async () => {
    // Every conn event to port 80 opens a 1 s box after it; boxes overlap heavily.
    const expected = oracle(
      `awk -F'\\t' '!/^#/ {ts[NR] = $1; uid[NR] = $2; if ($6 == 80) s[NR] = $1} END {for (i in ts) for (j in s) if (ts[i] >= s[j] && ts[i] <= s[j] + 1) {print uid[i]; break}}' zeek/example-pcap_conn.log`,
    ).sort();
    const got = await column(
      explore(run, '#schema == "zeek.conn" && id.resp_p == 80', [], {
        after: 1_000_000_000n,
        maxEvents: 10_000,
      }),
      'uid',
      'zeek.conn',
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(got).toEqual(expected);
  });

  it('joins on --by and skips matches without the field', async () => {
    const expected = oracle(
      `awk -F'\\t' '!/^#/ && $5 == "72.247.178.18" {print $2}' zeek/example-pcap_conn.log zeek/example-pcap_http.log`,
    ).sort();
    // No time box: every event with the same id.resp_h as a match; Suricata matches have no id.resp_h.
    const got = await column(
      explore(run, 'dest_ip == 72.247.178.18 || id.resp_h == 72.247.178.18', [], {
        by: 'id.resp_h',
        maxEvents: 10_000,
      }),
      'uid',
    );
    expect(got).toEqual(expected);
  });

  it('refuses to explore without a box or a join field', async () => {
    await expect(column(explore(run, 'true', [], {}), 'uid')).rejects.toThrow(
      'explore needs --after, --before, --context or --by',
    );
  });
});
