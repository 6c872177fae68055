/** WAL records: plain batches and acknowledged imports (batch ids) survive a round trip and a replay. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as A from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord, Wal } from '../../../src/store/wal.js';

const batch = (n: number, name = 'x') =>
  new A.Table({
    [name]: A.vectorFromArray(
      Array.from({ length: n }, (_, i) => i),
      new A.Int32(),
    ),
  }).batches[0];

describe('WAL records', () => {
  it('round-trip plain batches and acknowledged imports of several batches and schemas', () => {
    const plain = decodeRecord(encodeRecord([batch(3)]));
    expect(plain.ack).toBeUndefined();
    expect(plain.batches.map((b) => b.numRows)).toEqual([3]);
    const r = decodeRecord(encodeRecord([batch(3), batch(4, 'y')], { id: 'b-1', at: 1234, errors: 2 }));
    expect(r.batches.map((b) => b.numRows)).toEqual([3, 4]);
    expect(r.batches[1].schema.fields[0].name).toBe('y');
    expect(r.ack).toEqual({ id: 'b-1', at: 1234, events: 7, errors: 2 });
  });

  it('rejects a malformed acknowledged record with a clear message', () => {
    const good = Buffer.from(encodeRecord([batch(2)], { id: 'b', at: 1, errors: 0 }));
    expect(() => decodeRecord(good.subarray(0, good.length - 3))).toThrow('record batches exceed the record');
    const header = Buffer.from('{"id":5}');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(header.length, 0);
    expect(() => decodeRecord(Buffer.concat([Buffer.from('VACK'), len, header]))).toThrow(
      'malformed record header',
    );
  });

  it('replays batch ids with their segment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vast-wal-'));
    const wal = new Wal(dir);
    wal.open();
    await wal.append(batch(5));
    await wal.append([batch(2), batch(3)], { id: 'again', at: 99, errors: 1 });
    wal.close();
    const [seg] = new Wal(dir).replay();
    expect(seg.batches.map((b) => b.numRows)).toEqual([5, 2, 3]);
    expect(seg.acks).toEqual([{ id: 'again', at: 99, events: 5, errors: 1 }]);
    rmSync(dir, { recursive: true, force: true });
  });
});
