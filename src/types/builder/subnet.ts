import * as A from 'apache-arrow';
import { arrowType } from '../arrow.js';
import { parseSubnet } from '../subnet.js';
import { Bytes } from './buffers.js';
import { ColumnBuilder } from './column.js';
import { IpBuilder } from './ip.js';

/** Subnets as a struct of the network address and the prefix length. */
export class SubnetBuilder extends ColumnBuilder {
  private address = new IpBuilder({ kind: 'ip' });
  private lengths = new Bytes(1024);
  protected appendDefault(): void {
    this.address.appendRaw(new Uint8Array(16), 0);
    this.lengths.reserve(1);
    this.lengths.buf[this.lengths.length++] = 0;
  }
  appendText(text: string): boolean {
    const net = parseSubnet(text);
    if (!net) return false;
    this.address.appendRaw(net.address, 0);
    this.lengths.reserve(1);
    this.lengths.buf[this.lengths.length++] = net.length;
    this.length++;
    return true;
  }
  appendJson(v: unknown): boolean {
    return typeof v === 'string' && this.appendText(v);
  }
  protected truncateValues(n: number): void {
    this.address.truncate(n);
    this.lengths.length = n;
  }
  finish(): A.Data {
    const { length, nullBitmap, nullCount } = this.takeRows();
    const address = this.address.finish();
    const lengths = A.makeData({ type: new A.Uint8(), length, data: this.lengths.take() });
    const type = arrowType(this.type) as A.Struct;
    return A.makeData({ type, length, nullCount, nullBitmap, children: [address, lengths] });
  }
}
