/**
 * The classic libpcap file format
 * (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-03.html): a 24-byte
 * file header, then records of a 16-byte header (seconds, micro- or
 * nanoseconds, captured length, original length) and the captured bytes. The
 * magic number tells the byte order and the timestamp unit. Also shared here:
 * byte-order-aware integer reads and exact nanosecond timestamps.
 */

export const PCAP_HEADER_BYTES = 24;
const PCAP_RECORD_HEADER_BYTES = 16;
/** The first four bytes of a pcapng file (a Section Header Block; the same in both byte orders). */
export const PCAPNG_SHB = 0x0a0d0d0a;
/**
 * The largest packet we accept, as libpcap's `MAXIMUM_SNAPLEN`. A longer
 * record header is corrupt: trusting it would mean buffering gigabytes.
 */
export const MAX_CAPLEN = 262_144;

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
/** Alexey Kuznetzov's patched libpcap: 8 more bytes per record header (ifindex, protocol, pkt_type). */
const MAGIC_KUZNETZOV = 0xa1b2cd34;

export function u16(b: Uint8Array, p: number, le: boolean): number {
  return le ? b[p] | (b[p + 1] << 8) : (b[p] << 8) | b[p + 1];
}

export function u32(b: Uint8Array, p: number, le: boolean): number {
  return le
    ? (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0
    : ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

export interface PcapHeader {
  readonly littleEndian: boolean;
  /** Multiplier from the record's sub-second field to nanoseconds: 1000 (µs) or 1 (ns). */
  readonly subsecondNs: number;
  readonly recordHeaderBytes: number;
  readonly snaplen: number;
  readonly linktype: number;
}

/**
 * Recognises a classic pcap magic number at `b[p..p+4)`; returns the byte
 * order and timestamp unit, or undefined.
 */
function classicMagic(b: Uint8Array, p: number): { le: boolean; magic: number } | undefined {
  for (const le of [true, false]) {
    const m = u32(b, p, le);
    if (m === MAGIC_US || m === MAGIC_NS || m === MAGIC_KUZNETZOV) return { le, magic: m };
  }
  return undefined;
}

/** Whether `b[p..p+4)` starts a classic pcap file. */
export function isPcapMagic(b: Uint8Array, p: number): boolean {
  return b.length - p >= 4 && classicMagic(b, p) !== undefined;
}

/**
 * Whether `b[p..p+8)` is a file header (magic and version 2.4) rather than a
 * record: a second capture appended to the first (`cat a.pcap b.pcap`).
 */
export function isPcapHeader(b: Uint8Array, p: number): boolean {
  const m = b.length - p >= 8 ? classicMagic(b, p) : undefined;
  return m !== undefined && u16(b, p + 4, m.le) === 2 && u16(b, p + 6, m.le) === 4;
}

/** Parses the 24-byte file header at `b[p]` (the caller checked the magic and the length). */
export function parsePcapHeader(b: Uint8Array, p: number): PcapHeader {
  const { le, magic } = classicMagic(b, p)!;
  return {
    littleEndian: le,
    subsecondNs: magic === MAGIC_NS ? 1 : 1000,
    recordHeaderBytes: magic === MAGIC_KUZNETZOV ? 24 : PCAP_RECORD_HEADER_BYTES,
    snaplen: u32(b, p + 16, le),
    // The upper bits of this field may carry the FCS length (draft section 4); the linktype is the low 16.
    linktype: u32(b, p + 20, le) & 0xffff,
  };
}

const TWO16 = 65_536;
const TWO32 = 4_294_967_296;

/** A nanosecond timestamp as the two 32-bit words of an int64 (what `Int64Builder.appendWords` takes). */
export interface NsWords {
  lo: number;
  hi: number;
}

/**
 * `sec * 1e9 + subNs` as exact 64-bit words, without BigInt: valid for
 * 0 ≤ sec < 2^36 and 0 ≤ subNs < 2^52 (pcap's 32-bit seconds with any
 * sub-second field), where the product itself would not be exact as a double.
 */
export function nsWords(sec: number, subNs: number, out: NsWords): void {
  // sec * 1e9 = (a * 2^16 + c) * 1e9 = (a * 1e9) * 2^16 + c * 1e9, each part exact.
  const a = Math.floor(sec / TWO16);
  const x = a * 1e9;
  const y = (sec - a * TWO16) * 1e9 + subNs;
  let hi = Math.floor(x / TWO16);
  let lo = (x - hi * TWO16) * TWO16;
  const yHi = Math.floor(y / TWO32);
  lo += y - yHi * TWO32;
  hi += yHi;
  if (lo >= TWO32) {
    lo -= TWO32;
    hi += 1;
  }
  out.lo = lo;
  out.hi = hi;
}

/** Sets `out` from a signed 64-bit nanosecond count (the rare exact path: odd resolutions, offsets). */
export function bigNsWords(ns: bigint, out: NsWords): void {
  const u = BigInt.asUintN(64, ns);
  out.lo = Number(u & 0xffffffffn);
  out.hi = Number(u >> 32n);
}
