/**
 * Growable storage shared by the column builders: typed arrays and a byte
 * buffer that double when full (amortised O(1) appends), and validity bits.
 */

export type GrowableArray = Float64Array | Uint16Array | Int16Array | Int32Array | Uint32Array;

/** `arr` if it holds `needed` elements, else a copy with at least double the capacity. */
export function grown<T extends GrowableArray>(arr: T, needed: number): T {
  if (needed <= arr.length) return arr;
  let cap = arr.length * 2;
  while (cap < needed) cap *= 2;
  const next = new (arr.constructor as new (n: number) => T)(cap);
  next.set(arr);
  return next;
}

/** From this size on, a buffer at least half full is handed over rather than copied (see `Bytes.take`). */
export const HAND_OVER_BYTES = 1 << 16;

/** A byte array that doubles when full. */
export class Bytes {
  buf: Uint8Array;
  length = 0;
  constructor(capacity = 1024) {
    this.buf = new Uint8Array(capacity);
  }
  reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  /** The bytes so far, owned by the caller from now on; the buffer starts over empty. */
  take(): Uint8Array {
    const length = this.length;
    this.length = 0;
    // At least half full: hand the buffer itself over (no copy) and start a fresh one of the same
    // size; else copy, so that a batch does not hold on to a mostly empty buffer.
    if (length >= HAND_OVER_BYTES && 2 * length >= this.buf.length) {
      const out = this.buf.subarray(0, length);
      this.buf = new Uint8Array(this.buf.length);
      return out;
    }
    return this.buf.slice(0, length);
  }
}

/** Validity bits; allocated lazily on the first null so all-valid columns cost nothing. */
export class Validity {
  bits: Uint8Array | undefined;
  nulls = 0;
  setNull(i: number): void {
    if (!this.bits) {
      this.bits = new Uint8Array(Math.max(64, (i >> 3) * 2 + 8)).fill(0xff);
    } else if (i >> 3 >= this.bits.length) this.grow(i);
    this.bits[i >> 3] &= ~(1 << (i & 7));
    this.nulls++;
  }
  private grow(i: number): void {
    const next = new Uint8Array(Math.max(this.bits!.length * 2, (i >> 3) + 8)).fill(0xff);
    next.set(this.bits!);
    this.bits = next;
  }
  /** Clears bits past `n` back to valid and recounts nulls (rare: only on row rollback). */
  truncate(n: number, oldLength: number): void {
    if (!this.bits || this.nulls === 0) return;
    for (let i = n; i < oldLength; i++) {
      if (i >> 3 < this.bits.length && !(this.bits[i >> 3] & (1 << (i & 7)))) {
        this.bits[i >> 3] |= 1 << (i & 7);
        this.nulls--;
      }
    }
  }
  take(length: number): { nullBitmap: Uint8Array | undefined; nullCount: number } {
    // Valid rows after the last null may lie past the allocated bits: pad them (as valid) first.
    if (this.nulls > 0 && this.bits!.length < (length + 7) >> 3) this.grow(length);
    const out = this.nulls === 0 ? undefined : this.bits!.slice(0, (length + 7) >> 3);
    const nullCount = this.nulls;
    this.bits = undefined;
    this.nulls = 0;
    return { nullBitmap: out, nullCount };
  }
}

/** Arrow offsets of a variable-length column (strings, lists, maps): row i spans [start(i), start(i+1)). */
export class Offsets {
  private arr = new Int32Array(1025);
  /** Records that row `row` ends at `end` in the values. */
  end(row: number, end: number): void {
    this.arr = grown(this.arr, row + 2);
    this.arr[row + 1] = end;
  }
  /** Where row `row` starts in the values. */
  start(row: number): number {
    return this.arr[row];
  }
  /** The offsets of the first `rows` rows; the next batch starts at 0 again. */
  take(rows: number): Int32Array {
    const out = this.arr.slice(0, rows + 1);
    this.arr[0] = 0;
    return out;
  }
}
