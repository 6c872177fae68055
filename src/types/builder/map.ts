import * as A from 'apache-arrow';
import { arrowType } from '../arrow.js';
import type { VastType } from '../type.js';
import { grown } from './buffers.js';
import { appendJsonOrNull, ColumnBuilder } from './column.js';

/** Maps from JSON objects: keys and values go to an entries record. */
export class MapBuilder extends ColumnBuilder {
  private offsets = new Int32Array(1025);
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
    this.offsets = grown(this.offsets, this.length + 2);
    this.offsets[this.length + 1] = this.keys.length;
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
    this.keys.truncate(this.offsets[n]);
    this.values.truncate(this.offsets[n]);
  }
  finish(): A.Data {
    const { nullBitmap, nullCount } = this.takeValidity();
    const length = this.length;
    this.length = 0;
    const valueOffsets = this.offsets.slice(0, length + 1);
    this.offsets[0] = 0;
    const type = arrowType(this.type) as A.Map_;
    const entriesType = type.children[0].type as A.Struct;
    const k = this.keys.finish();
    const v = this.values.finish();
    const child = A.makeData({ type: entriesType, length: k.length, children: [k, v] });
    return A.makeData({ type, length, nullCount, nullBitmap, valueOffsets, child });
  }
}
