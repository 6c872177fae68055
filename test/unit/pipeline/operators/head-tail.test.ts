import type * as A from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../../../../src/pipeline/parse.js';
import { batch, collect, parse, run, tagged } from '../helpers.js';

const nums = (from: number, to: number, name = 'test.n') =>
  batch(
    name,
    'record{n: int64}',
    Array.from({ length: to - from }, (_, k) => ({ n: from + k })),
  );
const ns = (batches: A.RecordBatch[]) => tagged(batches).map((r) => [r['#schema'], r.n]);

describe('head', () => {
  it('takes the first N events across batches and schemas, default 10', async () => {
    expect(ns(await run('head 4', [nums(0, 3), nums(3, 6, 'test.m')]))).toEqual([
      ['test.n', 0n],
      ['test.n', 1n],
      ['test.n', 2n],
      ['test.m', 3n],
    ]);
    expect(ns(await run('head', [nums(0, 25)])).length).toBe(10);
    expect(await run('head 0', [nums(0, 3)])).toEqual([]);
  });

  it('stops pulling input once done, which finishes the upstream', async () => {
    let pulled = 0;
    let finished = false;
    async function* endless(): AsyncIterable<A.RecordBatch> {
      try {
        for (let k = 0; ; k += 2) {
          pulled++;
          yield nums(k, k + 2);
        }
      } finally {
        finished = true;
      }
    }
    const out = await collect(runPipeline(parse('head 3'), endless()));
    expect(ns(out).map((x) => x[1])).toEqual([0n, 1n, 2n]);
    expect(pulled).toBe(2);
    expect(finished).toBe(true);
  });
});

describe('tail', () => {
  it('keeps the last N events in arrival order', async () => {
    expect(ns(await run('tail 4', [nums(0, 3), nums(3, 6, 'test.m'), nums(6, 7)]))).toEqual([
      ['test.m', 3n],
      ['test.m', 4n],
      ['test.m', 5n],
      ['test.n', 6n],
    ]);
    expect(ns(await run('tail', [nums(0, 25)])).map((x) => x[1])[0]).toBe(15n);
    expect(await run('tail 0', [nums(0, 3)])).toEqual([]);
    expect(ns(await run('tail 100', [nums(0, 2)])).length).toBe(2);
  });
});
