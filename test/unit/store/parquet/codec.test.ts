/**
 * The building blocks of the Parquet partition format (store v2, issue 11):
 * Thrift's compact protocol and the RLE/bit-packing hybrid, each round-tripped
 * and checked against byte sequences the Parquet and Thrift specifications give.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptionError } from '../../../../src/store/errors.js';
import { ByteSink } from '../../../../src/store/parquet/bytes.js';
import { bitWidth, decodeHybrid, encodeHybrid } from '../../../../src/store/parquet/rle.js';
import { ThriftReader, ThriftWriter } from '../../../../src/store/parquet/thrift.js';

describe('thrift compact protocol', () => {
  it('round-trips structs, lists, binaries, booleans and large ids', () => {
    const w = new ThriftWriter();
    w.i32(1, -5)
      .i64(2, 2 ** 40 + 3)
      .binary(4, 'zeek.conn')
      .bool(5, true)
      .bool(6, false)
      .struct(7, (s) => s.i32(1, 300).struct(2, (t) => t.i64(1, 0)))
      .i32List(8, [0, 1, -1, 1000])
      .stringList(
        9,
        Array.from({ length: 20 }, (_, i) => `f${i}`),
      )
      .structList(10, [1, 2], (s, v) => s.i32(1, v))
      .i32(40, 7);
    const bytes = w.finish();
    const r = new ThriftReader(bytes, 'x');
    const s = r.struct();
    expect(r.pos).toBe(bytes.length);
    expect(s[1]).toBe(-5);
    expect(s[2]).toBe(2 ** 40 + 3);
    expect(new TextDecoder().decode(s[4] as Uint8Array)).toBe('zeek.conn');
    expect(s[5]).toBe(true);
    expect(s[6]).toBe(false);
    expect(s[7]).toEqual({ 1: 300, 2: { 1: 0 } });
    expect(s[8]).toEqual([0, 1, -1, 1000]);
    expect((s[9] as Uint8Array[]).map((b) => new TextDecoder().decode(b))).toEqual(
      Array.from({ length: 20 }, (_, i) => `f${i}`),
    );
    expect(s[10]).toEqual([{ 1: 1 }, { 1: 2 }]);
    expect(s[40]).toBe(7);
  });

  it('encodes field headers as the specification says (delta nibble, zigzag varints)', () => {
    // Field 1, i32 (type 5), delta 1: 0x15; zigzag(-1) = 1; stop.
    expect([...new ThriftWriter().i32(1, -1).finish()]).toEqual([0x15, 0x01, 0x00]);
    // Field 20 after field 1: delta 19 > 15, so the long form: type byte, zigzag(20) = 40.
    expect([...new ThriftWriter().i32(1, 0).i32(20, 150).finish()]).toEqual([
      0x15, 0x00, 0x05, 0x28, 0xac, 0x02, 0x00,
    ]);
  });

  it('reports truncated or malformed metadata as corruption, not a crash', () => {
    const bytes = new ThriftWriter().binary(1, 'abcdef').i64(2, 99).finish();
    for (let n = 0; n < bytes.length; n++)
      expect(() => new ThriftReader(bytes.subarray(0, n), 'p.parquet').struct()).toThrow(CorruptionError);
    expect(() => new ThriftReader(new Uint8Array([0x1d]), 'p.parquet').struct()).toThrow(/unknown type 13/);
  });
});

describe('RLE/bit-packing hybrid', () => {
  const roundTrip = (values: number[], width: number) => {
    const sink = new ByteSink(4);
    encodeHybrid(sink, values, values.length, width);
    const out = new Int32Array(values.length);
    const end = decodeHybrid(sink.view(), 0, sink.length, width, values.length, out);
    expect(end).toBe(sink.length);
    return [...out];
  };

  it('round-trips any values of any width', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 31 }).chain((w) =>
          fc.tuple(
            fc.constant(w),
            fc.array(
              fc.oneof(
                fc.integer({ min: 0, max: 2 ** w - 1 }),
                fc.constant(0), // runs
              ),
              { maxLength: 300 },
            ),
          ),
        ),
        ([w, values]) => {
          expect(roundTrip(values, w)).toEqual(values);
        },
      ),
    );
  });

  it('writes long runs as RLE runs and the rest as groups of 8 (the specification example)', () => {
    // The Parquet spec's bit-packing example: 0..7 with width 3 packs to 0x88 0xC6 0xFA.
    const sink = new ByteSink();
    encodeHybrid(sink, [0, 1, 2, 3, 4, 5, 6, 7], 8, 3);
    expect([...sink.view()]).toEqual([0x03, 0x88, 0xc6, 0xfa]);
    const run = new ByteSink();
    encodeHybrid(run, new Array(1000).fill(1), 1000, 1);
    expect([...run.view()]).toEqual([0xd0, 0x0f, 0x01]); // varint(2000), value 1
    expect(bitWidth(0)).toBe(0);
    expect(bitWidth(1)).toBe(1);
    expect(bitWidth(255)).toBe(8);
    expect(bitWidth(256)).toBe(9);
  });

  it('rejects runs that overrun the page', () => {
    const sink = new ByteSink();
    encodeHybrid(sink, [1, 2, 3, 4, 5, 6, 7, 0], 8, 3);
    const out = new Int32Array(8);
    expect(() => decodeHybrid(sink.view(), 0, 2, 3, 8, out)).toThrow(/past the end/);
    expect(() => decodeHybrid(sink.view(), 0, 0, 3, 8, out)).toThrow(/past the end/);
  });
});
