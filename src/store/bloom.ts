/**
 * Bloom filters over value bytes: the sketch that lets the catalog rule out
 * partitions for `ip == X` and `"string" == X` without opening them.
 * Hand-written because it runs on every ip/string value at import: a 32-bit
 * hash per value, and Kirsch–Mitzenmacher double hashing to derive the k
 * probe positions from it.
 *
 * Two hashes exist. `hashWords` (murmur3 x86_32, 4 bytes per step) is what
 * filters are built with now; `hashBytes` (FNV-1a, a byte per step) is what
 * sidecars written before it used, and is kept so their filters still answer
 * (a filter's descriptor says which hash it holds, see `BloomHash`).
 */

/** Which hash a filter's values went through: 'w' = `hashWords`; absent = legacy `hashBytes`. */
export type BloomHash = 'w' | undefined;

/** FNV-1a over bytes[start, end), the legacy Bloom hash. */
export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return fmix(h);
}

/** murmur3 fmix32: the final avalanche, so that short keys spread over all bits. */
function fmix(x: number): number {
  let h = x;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** One murmur3 body step: folds the 32-bit little-endian word `k` into `h`. */
function step(h: number, k: number): number {
  let x = Math.imul(k, 0xcc9e2d51);
  x = (x << 15) | (x >>> 17);
  x = Math.imul(x, 0x1b873593);
  let y = h ^ x;
  y = (y << 13) | (y >>> 19);
  return (Math.imul(y, 5) + 0xe6546b64) | 0;
}

/** murmur3 x86_32 of bytes[start, end) with `seed`: the Bloom hash of values (strings hashed in their UTF-8 bytes). */
export function hashWords(bytes: Uint8Array, start: number, end: number, seed = 0): number {
  let h = seed;
  const body = end - ((end - start) & 3);
  let i = start;
  for (; i < body; i += 4)
    h = step(h, bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
  const tail = end - i;
  if (tail > 0) {
    let k = bytes[i];
    if (tail > 1) k |= bytes[i + 1] << 8;
    if (tail > 2) k |= bytes[i + 2] << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
  }
  return fmix(h ^ (end - start));
}

/**
 * `hashWords` of the 16 bytes at `words[w..w+4)`, read as four aligned
 * little-endian words: an ip column's hash without a byte loop. Equal to
 * `hashWords(bytes, 4w, 4w + 16)` on little-endian hosts (callers check).
 */
export function hashIpWords(words: Uint32Array, w: number): number {
  let h = step(0, words[w]);
  h = step(h, words[w + 1]);
  h = step(h, words[w + 2]);
  h = step(h, words[w + 3]);
  return fmix(h ^ 16);
}

/** The hash of a literal's bytes as a filter with hash `kind` holds it. */
export function bloomHash(kind: BloomHash, bytes: Uint8Array): number {
  return kind === 'w' ? hashWords(bytes, 0, bytes.length) : hashBytes(bytes, 0, bytes.length);
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

  /** A filter holding the distinct `values`, sized for them. */
  static of(values: Uint32Array): Bloom {
    const bloom = Bloom.forCount(values.length);
    for (let i = 0; i < values.length; i++) bloom.add(values[i]);
    return bloom;
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

/**
 * A growable open-addressing set of 32-bit values (hashes of one column's
 * distinct values, or raw keys such as /24 prefixes). Slots are picked by a
 * multiplicative hash of the value, so raw keys that differ only in their
 * high bits do not pile up in one probe run.
 */
export class HashSet32 {
  private slots = new Uint32Array(1024);
  /** log2 of the slot count, for the multiplicative slot index. */
  private shift = 32 - 10;
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
    const slots = this.slots;
    const mask = slots.length - 1;
    const v = h >>> 0;
    let i = Math.imul(v, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const s = slots[i];
      if (s === v) return;
      if (s === 0) {
        slots[i] = v;
        this.size++;
        return;
      }
      i = (i + 1) & mask;
    }
  }

  /** Adds every value of `other`. */
  addAll(other: HashSet32): void {
    if (other.hasZero) this.add(0);
    const s = other.slots;
    for (let i = 0; i < s.length; i++) if (s[i] !== 0) this.add(s[i]);
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.shift--;
    const mask = this.slots.length - 1;
    for (let j = 0; j < old.length; j++) {
      const h = old[j];
      if (h === 0) continue;
      let i = Math.imul(h, 0x9e3779b1) >>> this.shift;
      while (this.slots[i] !== 0) i = (i + 1) & mask;
      this.slots[i] = h;
    }
  }

  /** The values, in no particular order (a fresh array). */
  toArray(): Uint32Array {
    const out = new Uint32Array(this.size);
    let n = 0;
    if (this.hasZero) out[n++] = 0;
    const s = this.slots;
    for (let i = 0; i < s.length; i++) if (s[i] !== 0) out[n++] = s[i];
    return out;
  }
}

/** HyperLogLog with 2^12 registers: ~1.6% standard error, 4 KiB. */
const HLL_BITS = 12;
const HLL_M = 1 << HLL_BITS;
const HLL_ALPHA = 0.7213 / (1 + 1.079 / HLL_M);
/** Headroom over the estimate, so that an underestimate does not raise the false-positive rate much. */
const HLL_SLACK = 1.05;

/**
 * The distinct hashes of one field across a partition's batches, for its
 * partition-level Bloom filter. Each batch hands over its own distinct
 * hashes; duplicates across batches are not removed (one exact set over a
 * million-row partition was the costliest part of synopsis building: its
 * random writes miss the caches). Instead a HyperLogLog estimate of the
 * distinct count sizes the filter, and a hash inserted twice sets the same bits.
 */
export class HashUnion {
  private readonly parts: Uint32Array[] = [];
  private readonly registers = new Uint8Array(HLL_M);
  /** Sum of the parts' sizes: an upper bound of the distinct count. */
  private total = 0;

  add(distinct: Uint32Array): void {
    if (distinct.length === 0) return;
    this.parts.push(distinct);
    this.total += distinct.length;
    const reg = this.registers;
    for (let i = 0; i < distinct.length; i++) {
      const h = distinct[i];
      const rest = (h << HLL_BITS) | (1 << (HLL_BITS - 1));
      const rank = Math.clz32(rest) + 1;
      const j = h >>> (32 - HLL_BITS);
      if (rank > reg[j]) reg[j] = rank;
    }
  }

  get size(): number {
    return this.total;
  }

  /** The estimated number of distinct hashes (never above the sum of the parts). */
  estimate(): number {
    let sum = 0;
    let zeros = 0;
    for (let j = 0; j < HLL_M; j++) {
      sum += 2 ** -this.registers[j];
      if (this.registers[j] === 0) zeros++;
    }
    let e = (HLL_ALPHA * HLL_M * HLL_M) / sum;
    // Small range: linear counting is the better estimate.
    if (e <= 2.5 * HLL_M && zeros > 0) e = HLL_M * Math.log(HLL_M / zeros);
    return Math.min(this.total, Math.ceil(e * HLL_SLACK));
  }

  bloom(): Bloom {
    const bloom = Bloom.forCount(this.estimate());
    for (const part of this.parts) for (let i = 0; i < part.length; i++) bloom.add(part[i]);
    return bloom;
  }
}
