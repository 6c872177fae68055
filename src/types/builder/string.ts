import * as A from 'apache-arrow';
import { jsonText } from '../json-text.js';
import { Bytes, Offsets } from './buffers.js';
import { ColumnBuilder } from './column.js';

const utf8Encoder = new TextEncoder();

export class StringBuilder extends ColumnBuilder {
  private offsets = new Offsets();
  private data = new Bytes(16 * 1024);
  protected appendDefault(): void {
    this.pushOffset();
  }
  private pushOffset(): void {
    this.offsets.end(this.length, this.data.length);
  }
  /** Appends raw UTF-8 bytes; the caller guarantees they are valid UTF-8. */
  override appendBytes(src: Uint8Array, s: number, e: number): boolean {
    const n = e - s;
    this.data.reserve(n);
    if (n < 48) {
      // inline the following for performance: short strings dominate, and set() on a subarray costs more
      // (it allocates a view; the byte loop wins up to ~60 bytes).
      const buf = this.data.buf;
      let o = this.data.length;
      for (let i = s; i < e; i++) buf[o++] = src[i];
    } else this.data.buf.set(src.subarray(s, e), this.data.length);
    this.data.length += n;
    this.pushOffset();
    this.length++;
    return true;
  }
  appendText(text: string): boolean {
    this.data.reserve(text.length * 3);
    const { written } = utf8Encoder.encodeInto(text, this.data.buf.subarray(this.data.length));
    this.data.length += written;
    this.pushOffset();
    this.length++;
    return true;
  }
  appendJson(v: unknown): boolean {
    if (typeof v === 'string') return this.appendText(v);
    // Schemas are a promise, not a cage: a number or object where a string is expected keeps its JSON text.
    if (v !== null && v !== undefined) return this.appendText(jsonText(v));
    return false;
  }
  protected truncateValues(n: number): void {
    this.data.length = this.offsets.start(n);
  }
  finish(): A.Data {
    const { length, nullBitmap, nullCount } = this.takeRows();
    const valueOffsets = this.offsets.take(length);
    const data = this.data.take();
    return A.makeData({ type: new A.Utf8(), length, nullCount, nullBitmap, valueOffsets, data });
  }
}
