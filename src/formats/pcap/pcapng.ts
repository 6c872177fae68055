/**
 * pcapng (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html):
 * a sequence of blocks `type:u32, length:u32, body, length:u32`, in the byte
 * order the Section Header Block announces. Packets come in Enhanced (EPB),
 * Simple (SPB) and the obsolete Packet Block, each tied to an Interface
 * Description Block (IDB) that sets its linktype, snaplen and timestamp
 * resolution (`if_tsresol`, default microseconds) and offset (`if_tsoffset`).
 * Every other block (name resolution, statistics, custom) is skipped.
 */
import { isSupportedLinktype } from './packet.js';
import { bigNsWords, type NsWords, nsWords, u16, u32 } from './pcap-file.js';

export const BLOCK = {
  SHB: 0x0a0d0d0a,
  IDB: 1,
  OBSOLETE_PACKET: 2,
  SPB: 3,
  EPB: 6,
} as const;

const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** Bytes of block framing: type and length before the body, length again after it. */
export const BLOCK_OVERHEAD = 12;
/** Largest block we buffer (libpcap's limit too); a longer length field means the file is corrupt. */
export const MAX_BLOCK_BYTES = 16 * 1024 * 1024;

const OPT_END = 0;
const OPT_TSRESOL = 9;
const OPT_TSOFFSET = 14;

/** The byte order of a Section Header Block at `b[p]` (needs 12 bytes), or undefined if its magic is wrong. */
export function sectionByteOrder(b: Uint8Array, p: number): boolean | undefined {
  if (u32(b, p + 8, true) === BYTE_ORDER_MAGIC) return true;
  if (u32(b, p + 8, false) === BYTE_ORDER_MAGIC) return false;
  return undefined;
}

/** One interface of the current section. */
export class Interface {
  readonly supported: boolean;
  /** Timestamp units per second when that is 10^k with k ≤ 9 (the fast path), else 0. */
  private readonly unitsPerSecond: number;
  /** Nanoseconds per unit on the fast path. */
  private readonly unitNs: number;
  /** For other resolutions: units per second as a BigInt (10^k for k > 9, or 2^k). */
  private readonly bigUnits: bigint;
  /** Packets skipped because the linktype is not supported. */
  skipped = 0;

  constructor(
    readonly linktype: number,
    readonly snaplen: number,
    tsresol: number,
    /** `if_tsoffset`: seconds to add to every timestamp. */
    private readonly offsetSeconds: bigint,
  ) {
    this.supported = isSupportedLinktype(linktype);
    const binary = (tsresol & 0x80) !== 0;
    const exp = tsresol & 0x7f;
    this.bigUnits = binary ? 1n << BigInt(exp) : 10n ** BigInt(exp);
    const fast = !binary && exp <= 9 && offsetSeconds === 0n;
    this.unitsPerSecond = fast ? 10 ** exp : 0;
    this.unitNs = fast ? 10 ** (9 - exp) : 0;
  }

  /** Converts a packet's 64-bit timestamp (`hi`, `lo` words, in this interface's units) to nanoseconds. */
  timestamp(hi: number, lo: number, out: NsWords): void {
    if (this.unitNs === 1) {
      out.lo = lo;
      out.hi = hi;
      return;
    }
    if (this.unitsPerSecond !== 0 && hi < 0x200000) {
      // Below 2^53 units: split into seconds and the remainder exactly.
      const units = hi * 4_294_967_296 + lo;
      let sec = Math.floor(units / this.unitsPerSecond);
      let rest = units - sec * this.unitsPerSecond;
      if (rest < 0) {
        sec -= 1;
        rest += this.unitsPerSecond;
      } else if (rest >= this.unitsPerSecond) {
        sec += 1;
        rest -= this.unitsPerSecond;
      }
      nsWords(sec, rest * this.unitNs, out);
      return;
    }
    const units = (BigInt(hi) << 32n) | BigInt(lo);
    bigNsWords((units * 1_000_000_000n) / this.bigUnits + this.offsetSeconds * 1_000_000_000n, out);
  }
}

/** Parses an Interface Description Block of `length` bytes at `b[p]`. */
export function parseInterface(b: Uint8Array, p: number, length: number, le: boolean): Interface {
  const linktype = u16(b, p + 8, le);
  const snaplen = u32(b, p + 12, le);
  let tsresol = 6;
  let offset = 0n;
  const end = p + length - 4;
  let o = p + 16;
  while (o + 4 <= end) {
    const code = u16(b, o, le);
    const len = u16(b, o + 2, le);
    if (code === OPT_END || o + 4 + len > end) break;
    if (code === OPT_TSRESOL && len >= 1) tsresol = b[o + 4];
    else if (code === OPT_TSOFFSET && len >= 8) {
      const lo = BigInt(u32(b, o + 4 + (le ? 0 : 4), le));
      const hi = BigInt(u32(b, o + 4 + (le ? 4 : 0), le));
      offset = BigInt.asIntN(64, (hi << 32n) | lo);
    }
    o += 4 + ((len + 3) & ~3);
  }
  return new Interface(linktype, snaplen, tsresol, offset);
}
