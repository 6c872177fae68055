import * as A from 'apache-arrow';
import { Bytes } from './buffers.js';
import { ColumnBuilder } from './column.js';

/** Booleans, bit-packed; VAST's `T`/`F` and `true`/`false`. */
export class BoolBuilder extends ColumnBuilder {
  private values = new Bytes(64);
  protected appendDefault(): void {
    this.set(false);
  }
  private set(v: boolean): void {
    const i = this.length;
    if (i >> 3 >= this.values.length) {
      this.values.reserve(1);
      this.values.buf[this.values.length++] = 0;
    }
    if (v) this.values.buf[i >> 3] |= 1 << (i & 7);
    else this.values.buf[i >> 3] &= ~(1 << (i & 7));
  }
  append(v: boolean): true {
    this.set(v);
    this.length++;
    return true;
  }
  appendText(text: string): boolean {
    if (text === 'T' || text === 'true') return this.append(true);
    if (text === 'F' || text === 'false') return this.append(false);
    return false;
  }
  appendJson(v: unknown): boolean {
    return typeof v === 'boolean' ? this.append(v) : typeof v === 'string' && this.appendText(v);
  }
  override appendBytes(src: Uint8Array, s: number, e: number): boolean {
    if (e - s === 1) {
      if (src[s] === 84) return this.append(true); // T
      if (src[s] === 70) return this.append(false); // F
    }
    return super.appendBytes(src, s, e);
  }
  protected truncateValues(n: number): void {
    this.values.length = (n + 7) >> 3;
  }
  finish(): A.Data {
    const { length, nullBitmap, nullCount } = this.takeRows();
    const data = this.values.take();
    return A.makeData({ type: new A.Bool(), length, nullCount, nullBitmap, data });
  }
}
