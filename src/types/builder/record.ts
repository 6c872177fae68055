import * as A from 'apache-arrow';
import { arrowType } from '../arrow.js';
import type { RecordType } from '../type.js';
import { ColumnBuilder } from './column.js';

/** Records: children are appended individually; `closeRecord()` counts the row. */
export class RecordBuilder extends ColumnBuilder {
  /** One builder per field, in field order (made by the factory in ../builder.ts). */
  constructor(
    type: RecordType,
    readonly children: ColumnBuilder[],
  ) {
    super(type);
  }
  protected appendDefault(): void {
    for (const c of this.children) c.appendNull();
  }
  closeRecord(): true {
    this.length++;
    return true;
  }
  appendText(_text: string): boolean {
    return false;
  }
  appendJson(v: unknown): boolean {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
    const obj = v as Record<string, unknown>;
    const fields = (this.type as RecordType).fields;
    for (let i = 0; i < fields.length; i++) {
      const x = obj[fields[i].name];
      const c = this.children[i];
      if (x === undefined || x === null) c.appendNull();
      else if (!c.appendJson(x)) {
        for (let j = 0; j < i; j++) this.children[j].truncate(this.length);
        return false;
      }
    }
    return this.closeRecord();
  }
  protected truncateValues(n: number): void {
    for (const c of this.children) c.truncate(n);
  }
  finish(): A.Data {
    const { length, nullBitmap, nullCount } = this.takeRows();
    const children = this.children.map((c) => c.finish());
    const type = arrowType(this.type) as A.Struct;
    return A.makeData({ type, length, nullCount, nullBitmap, children });
  }
}
