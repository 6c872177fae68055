/**
 * Selection bitmaps: one bit per row, LSB first (the layout of Arrow validity
 * bitmaps), so that a selection can double as a validity buffer.
 */

export const bitmapBytes = (rows: number) => (rows + 7) >> 3;

export function allSet(rows: number): Uint8Array {
  const out = new Uint8Array(bitmapBytes(rows)).fill(0xff);
  clearTail(out, rows);
  return out;
}

/** Zeroes the bits past `rows` in the last byte. */
function clearTail(bits: Uint8Array, rows: number): void {
  const rest = rows & 7;
  if (rest !== 0) bits[bits.length - 1] &= (1 << rest) - 1;
}

export function andInto(a: Uint8Array, b: Uint8Array): void {
  for (let i = 0; i < a.length; i++) a[i] &= b[i];
}

export function orInto(a: Uint8Array, b: Uint8Array): void {
  for (let i = 0; i < a.length; i++) a[i] |= b[i];
}

export function invert(a: Uint8Array, rows: number): void {
  for (let i = 0; i < a.length; i++) a[i] = ~a[i];
  clearTail(a, rows);
}

const POPCOUNT = new Uint8Array(256).map((_, i) => {
  let n = 0;
  for (let x = i; x; x >>= 1) n += x & 1;
  return n;
});

export function countSet(bits: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < bits.length; i++) n += POPCOUNT[bits[i]];
  return n;
}

/** Row indices of the set bits. */
export function setIndices(bits: Uint8Array, rows: number): Int32Array {
  const out = new Int32Array(countSet(bits));
  let k = 0;
  for (let i = 0; i < bits.length; i++) {
    let b = bits[i];
    while (b) {
      const low = b & -b;
      const row = (i << 3) + (31 - Math.clz32(low));
      if (row < rows) out[k++] = row;
      b ^= low;
    }
  }
  return k === out.length ? out : out.subarray(0, k);
}

/** Whether row `j` (absolute, including the Data offset) is valid per a validity bitmap. */
export function validBit(validity: Uint8Array | null | undefined, nullCount: number, j: number): boolean {
  return nullCount === 0 || !validity || validity.length === 0 || (validity[j >> 3] & (1 << (j & 7))) !== 0;
}

/**
 * Comparison outcomes as a 3-bit mask over (less, equal, greater), so a kernel
 * computes the three-way comparison once and tests one bit, with no switch on
 * the operator inside the row loop.
 */
export const OUTCOMES: Record<'==' | '!=' | '<' | '<=' | '>' | '>=', number> = {
  '<': 0b001,
  '==': 0b010,
  '<=': 0b011,
  '>': 0b100,
  '!=': 0b101,
  '>=': 0b110,
};
