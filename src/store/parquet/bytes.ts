import { Bytes } from '../../types/builder/buffers.js';

/** The growable byte buffer of the column builders, with the appends that Parquet's encoders need. */
export class ByteSink extends Bytes {
  u8(b: number): void {
    this.reserve(1);
    this.buf[this.length++] = b;
  }

  /** An unsigned LEB128 varint (Thrift and the hybrid's run headers), up to 2^53. */
  varint(v: number): void {
    while (v >= 0x80) {
      this.u8((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    this.u8(v);
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** The bytes written so far (a view; copy before writing more). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
