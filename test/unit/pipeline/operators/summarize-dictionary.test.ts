import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type * as A from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { zeek } from '../../../../src/formats/zeek/index.js';
import { concat } from '../../../../src/pipeline/batch-ops.js';
import { plainStrings } from '../../../../src/types/dictionary-strings.js';
import { TEST_DATA } from '../../../helpers/datasets.js';
import { dictionaryEncode } from '../../../helpers/dictionary.js';
import { readAll } from '../../../helpers/read.js';
import { rowsOf, run, tagged } from '../helpers.js';

const CONN = join(TEST_DATA, 'zeek', 'conn.log');

describe('summarize on dictionary-encoded strings (conn.log)', () => {
  let plain: A.RecordBatch[];
  let dict: A.RecordBatch[];
  beforeAll(async () => {
    ({ batches: plain } = await readAll(zeek, { path: CONN }));
    dict = plain.map((b) => dictionaryEncode(b, true));
  });

  for (const q of [
    'summarize count() by service',
    'summarize count() by history',
    'summarize n=count(service), u=distinct(service), lo=min(service) by conn_state',
    'summarize count() by service, proto',
    'summarize count() by id.orig_h',
    'summarize count() by id.resp_p',
    'summarize sum(orig_bytes), max(duration), avg(orig_pkts) by service, id.resp_p',
    'summarize count() by round(ts, 1h)',
    'top service',
    'rare history',
  ])
    it(`${q}: the same events on plain and dictionary input`, async () => {
      const want = tagged(await run(q, plain));
      const got = await run(q, dict);
      // The output is plain Utf8: dictionary codes never leave summarize.
      for (const b of got) expect(plainStrings(b)).toBe(b);
      expect(tagged(got)).toEqual(want);
      // Mixed input (tail batches arrive plain) groups into the same groups.
      const mixed = dict.map((b, k) => (k % 2 === 0 ? b : plain[k]));
      expect(tagged(await run(q, mixed))).toEqual(want);
    });

  it('counts per service equal an awk count of conn.log', async () => {
    const awk = execFileSync(
      'awk',
      ['-F', '\t', '!/^#/ { n[$8]++ } END { for (s in n) print (s == "-" ? "null" : s) "\t" n[s] }', CONN],
      { encoding: 'utf8' },
    );
    const want = Object.fromEntries(
      awk
        .trim()
        .split('\n')
        .map((l) => l.split('\t'))
        .map(([s, n]) => [s, BigInt(n)]),
    );
    const out = await run('summarize count() by service', [concat(dict)]);
    const got = Object.fromEntries(rowsOf(out[0]).map((r) => [String(r.service), r['count()']]));
    expect(got).toEqual(want);
  });
});
