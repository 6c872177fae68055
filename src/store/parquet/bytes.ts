/** A growable byte buffer for encoders (pages are built in memory before compression). */
export class ByteSink {
  buf: Uint8Array;
  len = 0;
  constructor(capacity = 1024) {
    this.buf = new Uint8Array(capacity);
  }

  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  u32le(v: number): void {
    this.ensure(4);
    this.buf[this.len++] = v & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 24) & 0xff;
  }

  varint(v: number): void {
    while (v >= 0x80) {
      this.u8((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    this.u8(v);
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** The bytes written so far (a view; copy before writing more). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}
