import * as A from 'apache-arrow';
import { arrowType } from '../arrow.js';
import type { ListType } from '../type.js';
import { Offsets } from './buffers.js';
import { appendJsonOrNull, ColumnBuilder } from './column.js';

/**
 * Lists: append the elements to `child`, then `closeList()` once per list.
 * The element builder is passed in (the factory in ../builder.ts makes it), so
 * nested builders need no import back to the factory.
 */
export class ListBuilder extends ColumnBuilder {
  private offsets = new Offsets();
  constructor(
    type: ListType,
    readonly child: ColumnBuilder,
  ) {
    super(type);
  }
  protected appendDefault(): void {
    this.pushOffset();
  }
  private pushOffset(): void {
    this.offsets.end(this.length, this.child.length);
  }
  /** Ends the current list; its elements are what was appended to `child` since the last one. */
  closeList(): true {
    this.pushOffset();
    this.length++;
    return true;
  }
  appendText(text: string): boolean {
    // VAST list syntax `[a, b]`; elements must not contain commas (use JSON for those).
    const m = /^\[(.*)\]$/s.exec(text.trim());
    if (!m) return false;
    const items = m[1].trim() === '' ? [] : m[1].split(',').map((x) => x.trim());
    return this.appendItems(items, (b, x) => b.appendText(x));
  }
  appendJson(v: unknown): boolean {
    if (!Array.isArray(v)) return false;
    return this.appendItems(v, appendJsonOrNull);
  }
  private appendItems<T>(items: T[], add: (b: ColumnBuilder, x: T) => boolean): boolean {
    const start = this.child.length;
    for (const x of items) {
      if (!add(this.child, x)) {
        this.child.truncate(start);
        return false;
      }
    }
    return this.closeList();
  }
  protected truncateValues(n: number): void {
    this.child.truncate(this.offsets.start(n));
  }
  finish(): A.Data {
    const { length, nullBitmap, nullCount } = this.takeRows();
    const valueOffsets = this.offsets.take(length);
    const child = this.child.finish();
    const type = arrowType(this.type) as A.List;
    return A.makeData({ type, length, nullCount, nullBitmap, valueOffsets, child });
  }
}
