import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as A from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zeek } from '../../../src/formats/zeek/index.js';
import { prepareQuery, runQuery } from '../../../src/query/run.js';
import { Store } from '../../../src/store/store.js';
import { isDictionaryString, vastSchema } from '../../../src/types/arrow.js';
import { TEST_DATA } from '../../helpers/datasets.js';
import { dictionaryEncode } from '../../helpers/dictionary.js';
import { keepPartitions } from '../../helpers/partition-audit.js';
import { readAll, registry } from '../../helpers/read.js';
import { tagged } from '../pipeline/helpers.js';

/**
 * The scan hands dictionary strings only to an operator that declares it takes
 * them (summarize); everything else, and the caller, sees plain Utf8. A
 * node's tail goes through the same scan as partitions, so it stands in for
 * the store's dictionary-encoded row groups here.
 */
describe('dictionary strings past the scan', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vast-dict-'));
  let store: Store;
  let plain: A.RecordBatch[];
  let dict: A.RecordBatch[];
  beforeAll(async () => {
    store = await Store.open(join(dir, 'db'), { create: true });
    ({ batches: plain } = await readAll(zeek, { path: join(TEST_DATA, 'zeek', 'conn.log') }));
    dict = plain.map((b) => dictionaryEncode(b, true));
  });
  afterAll(() => {
    keepPartitions(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  const collect = async (query: string, tail: A.RecordBatch[]) => {
    const q = prepareQuery(query, [vastSchema(plain[0].schema)], registry);
    const out: A.RecordBatch[] = [];
    for await (const b of runQuery(store, q, { tail })) out.push(b);
    return out;
  };

  for (const query of [
    'history == /.*d.*/',
    'uid ni "Abc" || service == "dns" | head 50',
    'service != "dns" | select uid, service | sort uid',
    'conn_state == "SF" | summarize count() by service',
    'summarize count() by service, conn_state | sort service',
    'service == "http" | where history ni "a" | summarize count() by history',
    'top history',
    'conn_state != "SF" | rare service',
  ])
    it(`${query}: plain Utf8 out, the same events as on plain input`, async () => {
      const got = await collect(query, dict);
      for (const b of got) expect(b.schema.fields.some(isDictionaryString)).toBe(false);
      expect(tagged(got)).toEqual(tagged(await collect(query, plain)));
    });
});
