/** A live subscriber never makes ingest wait; one that lags past its bound is dropped with a message. */
import * as A from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { ExpressionError } from '../../../src/expr/errors.js';
import { parseExpression } from '../../../src/expr/parser.js';
import { LiveSubscriber } from '../../../src/node/live.js';
import { errorStream, streamErrorOf } from '../../../src/node/stream-error.js';

const batch = () => new A.Table({ x: A.vectorFromArray([1, 2], new A.Int32()) }).batches[0];

describe('LiveSubscriber', () => {
  it('queues without waiting, then drops a consumer that fell more than live-max-lag batches behind', async () => {
    const s = new LiveSubscriber((b) => b, { maxLagBatches: 3, maxLagBytes: 1 << 30 });
    expect([1, 2, 3].map(() => s.offer(batch()))).toEqual([true, true, true]);
    expect(s.offer(batch())).toBe(false);
    expect(s.dropReason).toBe('live query dropped: it fell 4 batches behind (live-max-lag 3)');
    const it = s[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toThrow('live query dropped: it fell 4 batches behind (live-max-lag 3)');
  });

  it('drops on bytes too, and delivers in order to a consumer that keeps up', async () => {
    const s = new LiveSubscriber((b) => b, { maxLagBatches: 100, maxLagBytes: 1 });
    expect(s.offer(batch())).toBe(false);
    expect(s.dropReason).toMatch(/^live query dropped: it fell \d+ bytes behind \(live-max-lag-bytes 1\)$/);
    const ok = new LiveSubscriber((b) => b, { maxLagBatches: 2, maxLagBytes: 1 << 30 });
    const got: number[] = [];
    const reading = (async () => {
      for await (const b of ok) got.push(b.numRows);
    })();
    for (let i = 0; i < 10; i++) {
      expect(ok.offer(batch())).toBe(true);
      await new Promise((r) => setImmediate(r));
    }
    ok.close();
    await reading;
    expect(got).toHaveLength(10);
  });

  it('marks the end of an Arrow export with an error the client recognizes, diagnostics included', () => {
    const text = 'x == 1 &&\n  y == @';
    const parsed = parseExpression(text);
    if (parsed.ok) throw new Error('parsed');
    const sent = new ExpressionError(text, parsed.diagnostics);
    const [b] = A.tableFromIPC(errorStream(sent)).batches;
    const got = streamErrorOf(b);
    expect(got?.message).toBe(sent.message);
    expect(got?.diagnostics).toEqual(sent.diagnostics);
    expect(got?.diagnostics[0].location).toMatchObject({ source: 'query', line: 2, column: 8 });
    expect(streamErrorOf(A.tableFromIPC(errorStream(new Error('it fell behind'))).batches[0])?.render()).toBe(
      'error: it fell behind',
    );
  });
});
