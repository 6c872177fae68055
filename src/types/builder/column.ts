/**
 * The contract every column builder keeps: every `append*` method either
 * appends exactly one value and returns true, or appends nothing and returns
 * false (the input was not a value of this type). `truncate(n)` drops
 * everything past row n, so a reader can roll back a half-appended row.
 */
import type * as A from 'apache-arrow';
import type { VastType } from '../type.js';
import { Validity } from './buffers.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export abstract class ColumnBuilder {
  length = 0;
  protected validity = new Validity();
  constructor(readonly type: VastType) {}

  appendNull(): void {
    this.validity.setNull(this.length);
    this.appendDefault();
    this.length++;
  }
  /** Appends a placeholder slot for a null. */
  protected abstract appendDefault(): void;
  /** Parses VAST text syntax for this type (`10s`, `10.0.0.0/8`, `T`). */
  abstract appendText(text: string): boolean;
  /**
   * Appends a decoded JSON value (numbers, strings, booleans, arrays, objects; integers
   * beyond 2^53 may be exact `bigint`s).
   */
  abstract appendJson(value: unknown): boolean;
  /** Parses the value from raw UTF-8 bytes; the default decodes and calls appendText. */
  appendBytes(src: Uint8Array, start: number, end: number): boolean {
    return this.appendText(utf8.decode(src.subarray(start, end)));
  }
  truncate(n: number): void {
    if (n >= this.length) return;
    this.validity.truncate(n, this.length);
    this.truncateValues(n);
    this.length = n;
  }
  protected abstract truncateValues(n: number): void;
  /** Returns the built column and resets the builder for the next batch. */
  abstract finish(): A.Data;
  /** Ends the batch: its row count and validity; the builder starts over at row 0. */
  protected takeRows(): { length: number; nullBitmap: Uint8Array | undefined; nullCount: number } {
    const length = this.length;
    this.length = 0;
    return { length, ...this.validity.take(length) };
  }
}

/** Appends a JSON value, or a null for JSON null (the element rule of lists and maps). */
export function appendJsonOrNull(b: ColumnBuilder, x: unknown): boolean {
  if (x !== null) return b.appendJson(x);
  b.appendNull();
  return true;
}
