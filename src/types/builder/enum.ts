import * as A from 'apache-arrow';
import { arrowType } from '../arrow.js';
import { type FixedWidthBuffers, FixedWidthBuilder } from './fixed-width.js';

/**
 * Enums are dictionary-encoded. The dictionary only grows while a builder
 * lives, so all batches of one reader share key meanings and Arrow IPC can
 * write them as dictionary deltas.
 */
export class EnumBuilder extends FixedWidthBuilder<Int16Array> {
  protected values = new Int16Array(1024);
  private index = new Map<string, number>();
  private labels: string[] = [];
  /** Chunked: each finish() appends only the new labels, so Arrow IPC sees deltas, never a replacement. */
  private dictionary: A.Vector<A.Utf8> | undefined;
  private dictionarySize = 0;
  appendText(text: string): boolean {
    let k = this.index.get(text);
    if (k === undefined) {
      if (this.labels.length >= 32767) return false;
      k = this.labels.length;
      this.labels.push(text);
      this.index.set(text, k);
    }
    this.push(k);
    this.length++;
    return true;
  }
  override appendBytes(src: Uint8Array, s: number, e: number): boolean {
    return this.appendText(Buffer.from(src.buffer, src.byteOffset + s, e - s).toString('utf8'));
  }
  appendJson(v: unknown): boolean {
    return typeof v === 'string' && this.appendText(v);
  }
  protected makeColumn(buffers: FixedWidthBuffers<Int16Array>): A.Data {
    if (!this.dictionary || this.dictionarySize < this.labels.length) {
      const added = A.vectorFromArray(this.labels.slice(this.dictionarySize), new A.Utf8());
      this.dictionary = this.dictionary ? this.dictionary.concat(added) : added;
      this.dictionarySize = this.labels.length;
    }
    const type = arrowType(this.type) as A.Dictionary<A.Utf8, A.Int16>;
    return A.makeData({ type, ...buffers, dictionary: this.dictionary });
  }
}
