import * as A from 'apache-arrow';
import { parseIPInto, parseIPv4Bytes } from '../ip.js';
import { Bytes } from './buffers.js';
import { ColumnBuilder } from './column.js';

/** Addresses as 16 bytes each (IPv4 mapped into IPv6, as VAST stores them). */
export class IpBuilder extends ColumnBuilder {
  private data = new Bytes(16 * 1024);
  protected appendDefault(): void {
    this.data.reserve(16);
    this.data.buf.fill(0, this.data.length, this.data.length + 16);
    this.data.length += 16;
  }
  override appendBytes(src: Uint8Array, s: number, e: number): boolean {
    this.data.reserve(16);
    if (parseIPv4Bytes(src, s, e, this.data.buf, this.data.length)) {
      this.data.length += 16;
      this.length++;
      return true;
    }
    return super.appendBytes(src, s, e);
  }
  appendText(text: string): boolean {
    this.data.reserve(16);
    if (!parseIPInto(text, this.data.buf, this.data.length)) return false;
    this.data.length += 16;
    this.length++;
    return true;
  }
  /** Appends 16 address bytes as they are. */
  appendRaw(src: Uint8Array, off: number): true {
    this.data.reserve(16);
    this.data.buf.set(src.subarray(off, off + 16), this.data.length);
    this.data.length += 16;
    this.length++;
    return true;
  }
  appendJson(v: unknown): boolean {
    return typeof v === 'string' && this.appendText(v);
  }
  protected truncateValues(n: number): void {
    this.data.length = n * 16;
  }
  finish(): A.Data {
    const { length, nullBitmap, nullCount } = this.takeRows();
    return A.makeData({
      type: new A.FixedSizeBinary(16),
      length,
      nullCount,
      nullBitmap,
      data: this.data.take(),
    });
  }
}
