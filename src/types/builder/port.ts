import * as A from 'apache-arrow';
import { type FixedWidthBuffers, FixedWidthBuilder } from './fixed-width.js';

export class PortBuilder extends FixedWidthBuilder<Uint16Array> {
  protected values = new Uint16Array(1024);
  protected makeColumn(buffers: FixedWidthBuffers<Uint16Array>): A.Data {
    return A.makeData({ type: new A.Uint16(), ...buffers });
  }
  append(v: number): boolean {
    if (!Number.isInteger(v) || v < 0 || v > 65535) return false;
    this.push(v);
    this.length++;
    return true;
  }
  override appendBytes(src: Uint8Array, s: number, e: number): boolean {
    if (e === s || e - s > 5) return super.appendBytes(src, s, e);
    let v = 0;
    for (let i = s; i < e; i++) {
      const c = src[i] - 48;
      if (c < 0 || c > 9) return super.appendBytes(src, s, e);
      v = v * 10 + c;
    }
    return this.append(v);
  }
  appendText(text: string): boolean {
    // `443/tcp`: the protocol is dropped here; schemas carry it in their own field.
    const m = /^(\d{1,5})(?:\/(?:tcp|udp|icmp|icmp6|sctp|\?|unknown))?$/.exec(text);
    return m !== null && this.append(Number(m[1]));
  }
  appendJson(v: unknown): boolean {
    if (typeof v === 'number') return this.append(v);
    return typeof v === 'string' && this.appendText(v);
  }
}
