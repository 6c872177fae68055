import * as A from 'apache-arrow';
import { type FixedWidthBuffers, FixedWidthBuilder } from './fixed-width.js';

export class DoubleBuilder extends FixedWidthBuilder<Float64Array> {
  protected values = new Float64Array(1024);
  protected makeColumn(buffers: FixedWidthBuffers<Float64Array>): A.Data {
    return A.makeData({ type: new A.Float64(), ...buffers });
  }
  append(v: number): true {
    this.push(v);
    this.length++;
    return true;
  }
  appendText(text: string): boolean {
    const t = text.trim();
    if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|nan|Infinity|NaN)$/.test(t))
      return false;
    const v = t.endsWith('inf') ? (t[0] === '-' ? -Infinity : Infinity) : Number(t);
    return this.append(v);
  }
  override appendBytes(src: Uint8Array, s: number, e: number): boolean {
    return this.appendText(Buffer.from(src.buffer, src.byteOffset + s, e - s).toString('latin1'));
  }
  appendJson(v: unknown): boolean {
    if (typeof v === 'number') return this.append(v);
    // An integer literal beyond 2^53, read exactly: a double column takes its nearest double.
    if (typeof v === 'bigint') return this.append(Number(v));
    return typeof v === 'string' && this.appendText(v);
  }
}
