/**
 * Columns of one fixed-width number per row in a typed array (doubles, ports,
 * enum keys): storage, null slots, rollback and finishing are the same for
 * all of them; subclasses only parse.
 */
import type * as A from 'apache-arrow';
import { type GrowableArray, grown } from './buffers.js';
import { ColumnBuilder } from './column.js';

export abstract class FixedWidthBuilder<T extends GrowableArray> extends ColumnBuilder {
  protected abstract values: T;
  protected appendDefault(): void {
    this.push(0);
  }
  /** Writes `v` into the slot of the row being appended (does not count the row). */
  protected push(v: number): void {
    this.values = grown(this.values, this.length + 1);
    this.values[this.length] = v;
  }
  // Rows past `length` are overwritten by the next push: nothing to drop.
  protected truncateValues(_n: number): void {}
  /** Wraps the finished buffers in an Arrow column of the subclass's type. */
  protected abstract makeColumn(buffers: FixedWidthBuffers<T>): A.Data;
  finish(): A.Data {
    const { length, nullBitmap, nullCount } = this.takeRows();
    return this.makeColumn({ length, nullCount, nullBitmap, data: this.values.slice(0, length) as T });
  }
}

/** The buffers of a finished fixed-width column. */
export interface FixedWidthBuffers<T> {
  length: number;
  nullCount: number;
  nullBitmap: Uint8Array | undefined;
  data: T;
}
