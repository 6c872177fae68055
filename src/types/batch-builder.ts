import * as A from 'apache-arrow';
import { arrowSchema } from './arrow.js';
import { type ColumnBuilder, makeRecordBuilder, RecordBuilder } from './builder.js';
import type { Schema } from './type.js';

/**
 * Builds record batches of one schema. Readers either append whole JSON
 * objects (`appendJson`) or fill `leaves` (the flattened non-record columns in
 * schema order, e.g. Zeek's `id.orig_h`) and then call `commitRow()`. A row
 * that turns out bad half-way is dropped with `rollback()`.
 */
export class BatchBuilder {
  readonly root: RecordBuilder;
  readonly leaves: ColumnBuilder[] = [];
  readonly arrowSchema: A.Schema;
  private readonly records: RecordBuilder[] = [];

  constructor(readonly schema: Schema) {
    this.root = makeRecordBuilder(schema.type);
    this.arrowSchema = arrowSchema(schema);
    const walk = (r: RecordBuilder) => {
      this.records.push(r);
      for (const c of r.children) {
        if (c instanceof RecordBuilder) walk(c);
        else this.leaves.push(c);
      }
    };
    walk(this.root);
  }

  /** Rows committed so far in the current batch. */
  get rows(): number {
    return this.root.length;
  }

  /** Closes the row whose leaves were just appended. */
  commitRow(): void {
    // Nested records first so that the root sees complete children.
    for (let i = this.records.length - 1; i >= 0; i--) this.records[i].closeRecord();
  }

  /** Drops whatever was appended for the current, uncommitted row. */
  rollback(): void {
    this.root.truncate(this.root.length);
    for (const r of this.records) r.truncate(this.root.length);
    for (const l of this.leaves) l.truncate(this.root.length);
  }

  /** Appends one JSON object; false (and nothing appended) if a value does not fit its type. */
  appendJson(obj: Record<string, unknown>): boolean {
    return this.root.appendJson(obj);
  }

  /** Returns the rows so far as a batch and starts a new one. */
  finish(): A.RecordBatch {
    const data = this.root.finish();
    return new A.RecordBatch(this.arrowSchema, data as A.Data<A.Struct>);
  }
}
