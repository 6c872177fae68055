/**
 * The subnet sketch of an ip field: which network prefixes occur, so that
 * `ip in 10.2.0.0/16` rules out a partition (or a batch) even when a few
 * outliers (8.8.8.8, 224.0.0.251) stretch its min/max IPv4 range over the
 * subnet. Per field, both in the sidecar:
 * - IPv4: the sorted set of /24 prefixes present while there are at most
 *   MAX_P24 of them (4 bytes each), else a bitmap of the /16 prefixes (8 KiB);
 * - IPv6: a Bloom filter of the /32 and /48 prefixes of the non-v4-mapped
 *   addresses (a subnet of length ≥ 32 is looked up by one of them).
 * Exact for IPv4 at the sketch's granularity: it never says "absent" for a
 * prefix that occurs (the property test checks this against brute force).
 */
import { Bloom, HashSet32, hashWords } from './bloom.js';

/** Beyond this many distinct /24s, a /16 bitmap is smaller (8 KiB) and fast enough. */
const MAX_P24 = 2048;
const P16_BYTES = 8192;
/** Seeds that keep the /32 and /48 prefix hashes of one address apart. */
const SEED32 = 0x32;
const SEED48 = 0x48;

/** Where a field's IPv4 prefix set lies in the sidecar's blob: `bits` 24 = sorted u32 LE /24s, 16 = /16 bitmap. */
export interface Net4Ref {
  offset: number;
  length: number;
  bits: 24 | 16;
}

/** Where a field's IPv6 prefix Bloom filter lies in the sidecar's blob. */
export interface Net6Ref {
  offset: number;
  length: number;
  probes: number;
}

/** Collects the prefixes of one ip column (one batch, or a whole partition by merging). */
export class PrefixAcc {
  private readonly p16 = new Uint8Array(P16_BYTES);
  /** The /24s, until there are more than MAX_P24 (then only the /16 bitmap counts). */
  private p24: HashSet32 | undefined = new HashSet32();
  private last24 = -1;
  private readonly v6 = new HashSet32();
  private any4 = false;

  /** An IPv4 address as an unsigned 32-bit number (network order: 10.0.0.1 = 0x0a000001). */
  addV4(a: number): void {
    this.any4 = true;
    const p = a >>> 8;
    // Addresses of one /24 tend to come in runs; skip the set then.
    if (p === this.last24) return;
    this.last24 = p;
    this.p16[p >>> 11] |= 1 << ((p >>> 8) & 7);
    const set = this.p24;
    if (set) {
      set.add(p);
      if (set.size > MAX_P24) this.p24 = undefined;
    }
  }

  /** A non-v4-mapped address at `bytes[off..off+16)`. */
  addV6(bytes: Uint8Array, off: number): void {
    this.v6.add(hashWords(bytes, off, off + 4, SEED32));
    this.v6.add(hashWords(bytes, off, off + 6, SEED48));
  }

  merge(o: PrefixAcc): void {
    if (o.any4) {
      this.any4 = true;
      for (let i = 0; i < P16_BYTES; i++) this.p16[i] |= o.p16[i];
      if (this.p24 && o.p24) {
        this.p24.addAll(o.p24);
        if (this.p24.size > MAX_P24) this.p24 = undefined;
      } else this.p24 = undefined;
      this.last24 = -1;
    }
    this.v6.addAll(o.v6);
  }

  /** Appends the sketches to `blobs` (advancing `offset`) and says where they are. */
  finish(blobs: Uint8Array[], offset: { value: number }): { net4?: Net4Ref; net6?: Net6Ref } {
    const out: { net4?: Net4Ref; net6?: Net6Ref } = {};
    if (this.any4) {
      let bytes: Uint8Array;
      if (this.p24) {
        const sorted = this.p24.toArray().sort();
        bytes = new Uint8Array(sorted.length * 4);
        const dv = new DataView(bytes.buffer);
        for (let i = 0; i < sorted.length; i++) dv.setUint32(i * 4, sorted[i], true);
      } else bytes = this.p16;
      out.net4 = { offset: offset.value, length: bytes.length, bits: this.p24 ? 24 : 16 };
      blobs.push(bytes);
      offset.value += bytes.length;
    }
    if (this.v6.size > 0) {
      const bloom = Bloom.of(this.v6.toArray());
      out.net6 = { offset: offset.value, length: bloom.bits.length, probes: bloom.probes };
      blobs.push(bloom.bits);
      offset.value += bloom.bits.length;
    }
    return out;
  }
}

/**
 * Whether an IPv4 subnet (`net`: the masked address as an unsigned number,
 * `len`: 0–32) may meet the prefixes of the sketch at `ref` in `blob`.
 * A sketch that lies outside the blob answers true (never prune on doubt).
 */
function net4MayMeet(blob: Uint8Array, ref: Net4Ref, net: number, len: number): boolean {
  if (blob.length < ref.offset + ref.length) return true;
  const last = net + (len === 0 ? 0xffffffff : 2 ** (32 - len) - 1);
  if (ref.bits === 16) {
    for (let p = net >>> 16; p <= last >>> 16; p++)
      if (blob[ref.offset + (p >>> 3)] & (1 << (p & 7))) return true;
    return false;
  }
  const dv = new DataView(blob.buffer, blob.byteOffset + ref.offset, ref.length);
  const lo = net >>> 8;
  const hi = last >>> 8;
  // The first /24 at or above `lo`, by binary search; the subnet meets the set if it is ≤ `hi`.
  let a = 0;
  let b = ref.length >>> 2;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (dv.getUint32(m * 4, true) < lo) a = m + 1;
    else b = m;
  }
  return a < ref.length >>> 2 && dv.getUint32(a * 4, true) <= hi;
}

/**
 * Whether an IPv6 subnet (masked 16-byte `net`, prefix length `len` ≥ 32)
 * may meet the non-v4-mapped addresses whose prefix Bloom is at `ref`.
 */
function net6MayMeet(blob: Uint8Array, ref: Net6Ref, net: Uint8Array, len: number): boolean {
  if (len < 32 || blob.length < ref.offset + ref.length) return true;
  const bloom = new Bloom(blob.subarray(ref.offset, ref.offset + ref.length), ref.probes);
  return len >= 48
    ? bloom.mayContain(hashWords(net, 0, 6, SEED48))
    : bloom.mayContain(hashWords(net, 0, 4, SEED32));
}

/** The first 12 bytes of every v4-mapped address (::ffff:0:0/96). */
const V4_BLOCK = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff);

/** Whether the masked subnet `net`/`len` (128-bit scale) contains all of ::ffff:0:0/96. */
function coversV4Block(net: Uint8Array, len: number): boolean {
  if (len > 96) return false;
  for (let bit = 0; bit < len; bit++) {
    const m = 0x80 >> (bit & 7);
    if ((net[bit >> 3] & m) !== (V4_BLOCK[bit >> 3] & m)) return false;
  }
  return true;
}

/** The prefix sketches of one ip field, as its synopsis carries them. */
export interface PrefixSketches {
  net4?: Net4Ref;
  net6?: Net6Ref;
}

/**
 * Whether any address of a field may lie in the subnet `net`/`len` (masked,
 * 16 bytes, length on the 128-bit scale). Fields without prefix sketches
 * (sidecars written before them) always may.
 */
export function subnetMayMeet(blob: Uint8Array, s: PrefixSketches, net: Uint8Array, len: number): boolean {
  if (!s.net4 && !s.net6) return true;
  if (len >= 96 && coversV4Block(net, 96)) {
    if (!s.net4) return false;
    const a = ((net[12] << 24) | (net[13] << 16) | (net[14] << 8) | net[15]) >>> 0;
    return net4MayMeet(blob, s.net4, a, len - 96);
  }
  if (s.net4 && coversV4Block(net, len)) return true;
  return s.net6 ? net6MayMeet(blob, s.net6, net, len) : false;
}
