/** ip and subnet columns: equality and ordering by bytes, subnet membership by masked prefix. */
import { validBit } from './bitmap.js';
import type { Kernel } from './kernel.js';

/** ip column vs an ip literal; bytes compare in network order (v4-mapped sort before other v6). */
export function ipCompare(outcomes: number, lit: Uint8Array): Kernel {
  return (col, rows, out) => {
    const b = col.values as Uint8Array;
    for (let r = 0; r < rows; r++) {
      const j = col.offset + r;
      const o = r * 16;
      let c = 1;
      for (let k = 0; k < 16; k++) {
        const d = b[o + k] - lit[k];
        if (d !== 0) {
          c = d < 0 ? 0 : 2;
          break;
        }
      }
      if (outcomes & (1 << c) && validBit(col.nullBitmap, col.nullCount, j)) out[r >> 3] |= 1 << (r & 7);
    }
  };
}

/** Whether 16 bytes at `b[o..]` lie in the network `net/len` (128-bit scale). */
function inNet(b: Uint8Array, o: number, net: Uint8Array, full: number, mask: number): boolean {
  for (let k = 0; k < full; k++) if (b[o + k] !== net[k]) return false;
  return mask === 0 || (b[o + full] & mask) === net[full];
}

/** ip column `in` a subnet literal (negate: `!in`). */
export function ipInSubnet(net: Uint8Array, length: number, negate: boolean): Kernel {
  const full = length >> 3;
  const mask = length & 7 ? (0xff << (8 - (length & 7))) & 0xff : 0;
  // The same test on four 32-bit words: the address masked to the prefix equals the network.
  const maskBytes = new Uint8Array(16);
  maskBytes.fill(0xff, 0, full);
  if (mask) maskBytes[full] = mask;
  const m = new Int32Array(maskBytes.buffer);
  const netBytes = Uint8Array.from(net);
  for (let k = 0; k < 16; k++) netBytes[k] &= maskBytes[k];
  const n = new Int32Array(netBytes.buffer);
  return (col, rows, out) => {
    const b = col.values as Uint8Array;
    const bm = col.nullBitmap;
    const nulls = col.nullCount;
    if (b.byteOffset % 4 !== 0) {
      for (let r = 0; r < rows; r++) {
        const j = col.offset + r;
        if (inNet(b, r * 16, net, full, mask) !== negate && validBit(bm, nulls, j))
          out[r >> 3] |= 1 << (r & 7);
      }
      return;
    }
    const w = new Int32Array(b.buffer, b.byteOffset, rows * 4);
    for (let r = 0; r < rows; r++) {
      const o = r * 4;
      const hit =
        (w[o] & m[0]) === n[0] &&
        (w[o + 1] & m[1]) === n[1] &&
        (w[o + 2] & m[2]) === n[2] &&
        (w[o + 3] & m[3]) === n[3];
      if (hit !== negate && validBit(bm, nulls, col.offset + r)) out[r >> 3] |= 1 << (r & 7);
    }
  };
}

/**
 * subnet column vs a subnet literal: `==` (same network), `in` (column network
 * inside the literal), or `ni` (column network contains the literal).
 */
export function subnetRelation(
  rel: '==' | 'in' | 'ni',
  net: Uint8Array,
  length: number,
  negate: boolean,
): Kernel {
  return (col, rows, out) => {
    const [addr, len] = col.children;
    const a = addr.values as Uint8Array;
    const l = len.values as Uint8Array;
    for (let r = 0; r < rows; r++) {
      const j = col.offset + r;
      const colLen = l[r];
      let hit: boolean;
      if (rel === '==') hit = colLen === length && inNet(a, r * 16, net, length >> 3, maskOf(length));
      else if (rel === 'in') hit = colLen >= length && inNet(a, r * 16, net, length >> 3, maskOf(length));
      else
        hit = colLen <= length && inNet(net, 0, a.subarray(r * 16, r * 16 + 16), colLen >> 3, maskOf(colLen));
      if (hit !== negate && validBit(col.nullBitmap, col.nullCount, j)) out[r >> 3] |= 1 << (r & 7);
    }
  };
}

/** subnet column `ni` an ip literal: the column's network contains the address. */
export function subnetContainsIp(ip: Uint8Array, negate: boolean): Kernel {
  return (col, rows, out) => {
    const [addr, len] = col.children;
    const a = addr.values as Uint8Array;
    const l = len.values as Uint8Array;
    for (let r = 0; r < rows; r++) {
      const j = col.offset + r;
      const net = a.subarray(r * 16, r * 16 + 16);
      const hit = inNet(ip, 0, net, l[r] >> 3, maskOf(l[r]));
      if (hit !== negate && validBit(col.nullBitmap, col.nullCount, j)) out[r >> 3] |= 1 << (r & 7);
    }
  };
}

const maskOf = (length: number) => (length & 7 ? (0xff << (8 - (length & 7))) & 0xff : 0);
