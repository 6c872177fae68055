/**
 * Parquet's RLE/bit-packing hybrid: definition and repetition levels, and the
 * codes of dictionary-encoded pages. Runs of one value become RLE runs, the
 * rest bit-packed groups of 8 values (LSB first), as the format specifies.
 */
import type { ByteSink } from './bytes.js';

/** The bit width that holds values up to `max`. */
export const bitWidth = (max: number): number => (max <= 0 ? 0 : 32 - Math.clz32(max));

function runLength(values: ArrayLike<number>, at: number, n: number): number {
  const v = values[at];
  let k = at + 1;
  while (k < n && values[k] === v) k++;
  return k - at;
}

/** Appends `n` values, each < 2^width, hybrid-encoded (no length prefix). */
export function encodeHybrid(out: ByteSink, values: ArrayLike<number>, n: number, width: number): void {
  const valueBytes = (width + 7) >> 3;
  let i = 0;
  while (i < n) {
    const run = runLength(values, i, n);
    if (run >= 8 || (width === 0 && run > 0)) {
      out.varint(run * 2);
      const v = values[i];
      for (let b = 0; b < valueBytes; b++) out.u8((v >>> (8 * b)) & 0xff);
      i += run;
      continue;
    }
    // Literal groups of 8 until a long run starts at a group boundary.
    const start = i;
    do i += 8;
    while (i < n && runLength(values, i, n) < 8);
    const groups = (Math.min(i, n) - start + 7) >> 3;
    out.varint((groups << 1) | 1);
    packBits(out, values, start, Math.min(i, n), groups * 8, width);
    i = Math.min(i, n);
  }
}

/** Bit-packs values[from..to) as `count` slots (the rest zero), LSB first; widths up to 32. */
export function packBits(
  out: ByteSink,
  values: ArrayLike<number>,
  from: number,
  to: number,
  count: number,
  width: number,
): void {
  const bytes = (count * width) >> 3;
  out.reserve(bytes);
  const buf = out.buf;
  const base = out.length;
  if (width <= 24) {
    // inline the following for performance: a 32-bit accumulator emits whole bytes (width + 7 bits fit),
    // instead of OR-ing each value into the buffer bit-slice by bit-slice.
    let acc = 0;
    let bits = 0;
    let at = base;
    for (let k = 0; k < count; k++) {
      const v = from + k < to ? values[from + k] : 0;
      acc |= v << bits;
      bits += width;
      while (bits >= 8) {
        buf[at++] = acc & 0xff;
        acc >>>= 8;
        bits -= 8;
      }
    }
    out.length += bytes;
    return;
  }
  buf.fill(0, base, base + bytes);
  let bit = 0;
  for (let k = 0; k < count; k++) {
    let v = from + k < to ? values[from + k] >>> 0 : 0;
    let w = width;
    while (w > 0) {
      const at = base + (bit >> 3);
      const shift = bit & 7;
      const take = Math.min(w, 8 - shift);
      buf[at] |= (v & ((1 << take) - 1)) << shift;
      v >>>= take;
      w -= take;
      bit += take;
    }
  }
  out.length += bytes;
}

/**
 * Decodes `n` hybrid-encoded values of `width` bits from buf[pos..end) into
 * `out`; returns the position after them. Throws `Error` on malformed input
 * (the reader turns it into a CorruptionError naming the file).
 */
export function decodeHybrid(
  buf: Uint8Array,
  pos: number,
  end: number,
  width: number,
  n: number,
  out: Int32Array | Uint8Array,
): number {
  const valueBytes = (width + 7) >> 3;
  const mask = width >= 32 ? 0xffffffff : (1 << width) - 1;
  let k = 0;
  while (k < n) {
    if (pos >= end) throw new Error('hybrid run past the end of the page');
    let header = 0;
    let mul = 1;
    for (;;) {
      const b = buf[pos++];
      header += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) break;
      mul *= 128;
      if (pos >= end) throw new Error('truncated run header');
    }
    if (header % 2 === 0) {
      const count = header / 2;
      let v = 0;
      for (let b = 0; b < valueBytes; b++) v |= buf[pos++] << (8 * b);
      const stop = Math.min(n, k + count);
      out.fill(v, k, stop);
      k = stop;
    } else {
      const count = Math.floor(header / 2) * 8;
      // Not `>> 3`: a corrupt header's count overflows 32 bits, and must fail the check below.
      const bytes = (count * width) / 8;
      if (pos + bytes > end) throw new Error('bit-packed run past the end of the page');
      const stop = Math.min(n, k + count);
      if (width === 1) {
        for (let j = 0; k < stop; j++, k++) out[k] = (buf[pos + (j >> 3)] >> (j & 7)) & 1;
      } else {
        let bit = pos * 8;
        for (; k < stop; k++) {
          // Up to 32 bits spread over at most 5 bytes.
          const at = bit >> 3;
          const shift = bit & 7;
          const word = (buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16) | (buf[at + 3] << 24)) >>> shift;
          let v = word;
          if (shift + width > 32) v |= buf[at + 4] << (32 - shift);
          out[k] = v & mask;
          bit += width;
        }
      }
      pos += bytes;
    }
  }
  return pos;
}
