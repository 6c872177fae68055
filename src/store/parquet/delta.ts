/**
 * DELTA_BINARY_PACKED for INT64 values held as little-endian 32-bit word
 * pairs (lo, hi), so that 64-bit wrap-around arithmetic needs no BigInt:
 * blocks of 128 values, 4 miniblocks of 32, each block's deltas minus their
 * minimum bit-packed at the miniblock's width (parquet-format Encodings.md).
 */
import type { ByteSink } from './bytes.js';
import { packBits } from './rle.js';

const BLOCK = 128;
const MINIBLOCKS = 4;
const MINI = BLOCK / MINIBLOCKS;

/** Appends an unsigned LEB128 varint of the 64-bit value (hi, lo). */
function varint64(out: ByteSink, lo: number, hi: number): void {
  while (hi !== 0 || lo >>> 0 >= 0x80) {
    out.u8((lo & 0x7f) | 0x80);
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  out.u8(lo);
}

/** Appends the zigzag varint of the signed 64-bit value (hi, lo). */
function zigzag64(out: ByteSink, lo: number, hi: number): void {
  const sign = hi >> 31;
  varint64(out, ((lo << 1) ^ sign) >>> 0, (((hi << 1) | (lo >>> 31)) ^ sign) >>> 0);
}

const bits32 = (v: number): number => 32 - Math.clz32(v);

/** Appends `n` INT64 values (`vals` holds lo, hi per value) DELTA_BINARY_PACKED. */
export function encodeDelta64(out: ByteSink, vals: Uint32Array, n: number): void {
  out.varint(BLOCK);
  out.varint(MINIBLOCKS);
  out.varint(n);
  zigzag64(out, n > 0 ? vals[0] : 0, n > 0 ? vals[1] : 0);
  const dLo = new Uint32Array(BLOCK);
  const dHi = new Uint32Array(BLOCK);
  const widths = new Uint8Array(MINIBLOCKS);
  for (let start = 1; start < n; start += BLOCK) {
    const m = Math.min(BLOCK, n - start);
    // Deltas (mod 2^64) and their signed minimum.
    let minLo = 0;
    let minHi = 0;
    for (let k = 0; k < m; k++) {
      const a = 2 * (start + k);
      const b = a - 2;
      const lo = (vals[a] - vals[b]) >>> 0;
      const hi = (vals[a + 1] - vals[b + 1] - (vals[a] < vals[b] ? 1 : 0)) >>> 0;
      dLo[k] = lo;
      dHi[k] = hi;
      if (k === 0 || (hi | 0) < (minHi | 0) || (hi === minHi && lo < minLo)) {
        minLo = lo;
        minHi = hi;
      }
    }
    // Subtract the minimum: every adjusted delta is an unsigned 64-bit value.
    for (let k = 0; k < m; k++) {
      const lo = (dLo[k] - minLo) >>> 0;
      dHi[k] = (dHi[k] - minHi - (dLo[k] < minLo ? 1 : 0)) >>> 0;
      dLo[k] = lo;
    }
    zigzag64(out, minLo, minHi);
    widths.fill(0);
    const used = Math.ceil(m / MINI);
    for (let j = 0; j < used; j++) {
      let w = 0;
      for (let k = j * MINI; k < Math.min(m, (j + 1) * MINI); k++) {
        const b = dHi[k] !== 0 ? 32 + bits32(dHi[k]) : bits32(dLo[k]);
        if (b > w) w = b;
      }
      widths[j] = w;
    }
    for (let j = 0; j < MINIBLOCKS; j++) out.u8(widths[j]);
    // Bit-pack each used miniblock, padded to 32 values; unused miniblocks take no bytes.
    for (let j = 0; j < used; j++) {
      const w = widths[j];
      if (w <= 32) {
        packBits(out, dLo, j * MINI, m, MINI, w);
        continue;
      }
      const bytes = (MINI * w) >> 3;
      out.reserve(bytes);
      const buf = out.buf;
      const base = out.length;
      buf.fill(0, base, base + bytes);
      let bit = 0;
      for (let k = j * MINI; k < (j + 1) * MINI; k++) {
        const lo = k < m ? dLo[k] : 0;
        const hi = k < m ? dHi[k] : 0;
        bit = put(buf, base, bit, lo, 32);
        bit = put(buf, base, bit, hi, w - 32);
      }
      out.length += bytes;
    }
  }
}

/** ORs the low `width` bits of `v` into buf at bit `bit` past `base`, LSB first; returns the next bit. */
function put(buf: Uint8Array, base: number, bit: number, v: number, width: number): number {
  while (width > 0) {
    const shift = bit & 7;
    const take = Math.min(width, 8 - shift);
    buf[base + (bit >> 3)] |= (v & ((1 << take) - 1)) << shift;
    v >>>= take;
    width -= take;
    bit += take;
  }
  return bit;
}
