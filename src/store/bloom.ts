/**
 * Bloom filters over value bytes: the sketch that lets the catalog rule out
 * partitions for `ip == X` and `"string" == X` without opening them.
 * Hand-written because it runs on every ip/string value at import: a 32-bit
 * FNV-1a hash per value, and Kirsch–Mitzenmacher double hashing to derive the
 * k probe positions from it.
 */

/** FNV-1a over bytes[start, end). */
export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche (murmur3 fmix32) so that short keys spread over all bits.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Bits per distinct value and probes: 10 bits and 7 probes give ~1% false positives. */
const BITS_PER_VALUE = 10;
const PROBES = 7;

export class Bloom {
  constructor(
    readonly bits: Uint8Array,
    readonly probes = PROBES,
  ) {}

  /** A filter sized for `distinct` values. */
  static forCount(distinct: number): Bloom {
    const nbits = Math.max(64, Math.ceil((distinct * BITS_PER_VALUE) / 8) * 8);
    return new Bloom(new Uint8Array(nbits / 8));
  }

  add(hash: number): void {
    const m = this.bits.length * 8;
    const h2 = (hash >>> 17) | (hash << 15) | 1;
    let h = hash;
    for (let i = 0; i < this.probes; i++) {
      const bit = (h >>> 0) % m;
      this.bits[bit >> 3] |= 1 << (bit & 7);
      h = (h + h2) | 0;
    }
  }

  /** False means the value is certainly absent. */
  mayContain(hash: number): boolean {
    const m = this.bits.length * 8;
    const h2 = (hash >>> 17) | (hash << 15) | 1;
    let h = hash;
    for (let i = 0; i < this.probes; i++) {
      const bit = (h >>> 0) % m;
      if (!(this.bits[bit >> 3] & (1 << (bit & 7)))) return false;
      h = (h + h2) | 0;
    }
    return true;
  }
}

/** A growable open-addressing set of 32-bit hashes (distinct values of one column). */
export class HashSet32 {
  private slots = new Uint32Array(1024);
  private hasZero = false;
  size = 0;

  add(h: number): void {
    if (h === 0) {
      if (!this.hasZero) {
        this.hasZero = true;
        this.size++;
      }
      return;
    }
    if ((this.size + 1) * 2 > this.slots.length) this.grow();
    const mask = this.slots.length - 1;
    let i = h & mask;
    for (;;) {
      const s = this.slots[i];
      if (s === h) return;
      if (s === 0) {
        this.slots[i] = h;
        this.size++;
        return;
      }
      i = (i + 1) & mask;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    const mask = this.slots.length - 1;
    for (const h of old) {
      if (h === 0) continue;
      let i = h & mask;
      while (this.slots[i] !== 0) i = (i + 1) & mask;
      this.slots[i] = h;
    }
  }

  forEach(fn: (h: number) => void): void {
    if (this.hasZero) fn(0);
    for (const h of this.slots) if (h !== 0) fn(h);
  }
}
