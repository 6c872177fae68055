import * as A from 'apache-arrow';
import { arrowType } from '../arrow.js';
import type { VastType } from '../type.js';
import { Offsets } from './buffers.js';
import { appendJsonOrNull, ColumnBuilder } from './column.js';

/** Maps from JSON objects: keys and values go to an entries record. */
export class MapBuilder extends ColumnBuilder {
  private offsets = new Offsets();
  constructor(
    type: Extract<VastType, { kind: 'map' }>,
    private readonly keys: ColumnBuilder,
    private readonly values: ColumnBuilder,
  ) {
    super(type);
  }
  protected appendDefault(): void {
    this.pushOffset();
  }
  private pushOffset(): void {
    this.offsets.end(this.length, this.keys.length);
  }
  appendText(_text: string): boolean {
    return false;
  }
  appendJson(v: unknown): boolean {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
    const start = this.keys.length;
    for (const [k, x] of Object.entries(v)) {
      const ok = this.keys.appendText(k) && appendJsonOrNull(this.values, x);
      if (!ok) {
        this.keys.truncate(start);
        this.values.truncate(start);
        return false;
      }
    }
    this.pushOffset();
    this.length++;
    return true;
  }
  protected truncateValues(n: number): void {
    this.keys.truncate(this.offsets.start(n));
    this.values.truncate(this.offsets.start(n));
  }
  finish(): A.Data {
    const { length, nullBitmap, nullCount } = this.takeRows();
    const valueOffsets = this.offsets.take(length);
    const type = arrowType(this.type) as A.Map_;
    const entriesType = type.children[0].type as A.Struct;
    const k = this.keys.finish();
    const v = this.values.finish();
    const child = A.makeData({ type: entriesType, length: k.length, children: [k, v] });
    return A.makeData({ type, length, nullCount, nullBitmap, valueOffsets, child });
  }
}
