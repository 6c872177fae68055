import { formatIP, isV4Mapped, parseIPInto } from './ip.js';

/**
 * A subnet is a 16-byte network address plus a prefix length counted on the
 * 128-bit (v4-mapped) form, so `10.0.0.0/8` is stored as length 104. Keeping
 * one length scale makes `ip in subnet` a single masked byte comparison.
 */
export interface Subnet {
  readonly address: Uint8Array;
  readonly length: number;
}

/** Parses `10.0.0.0/8` or `2001:db8::/32`; the address is masked to the prefix. */
export function parseSubnet(text: string): Subnet | undefined {
  const slash = text.lastIndexOf('/');
  if (slash < 0) return undefined;
  const lenText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) return undefined;
  const address = new Uint8Array(16);
  if (!parseIPInto(text.slice(0, slash), address)) return undefined;
  let length = Number(lenText);
  const v4 = text.indexOf(':') < 0;
  if (v4) {
    if (length > 32) return undefined;
    length += 96;
  } else if (length > 128) return undefined;
  maskInPlace(address, length);
  return { address, length };
}

/** Zeroes the host bits of `address` beyond `length` bits. */
export function maskInPlace(address: Uint8Array, length: number, off = 0): void {
  for (let i = 0; i < 16; i++) {
    const bits = Math.max(0, Math.min(8, length - i * 8));
    address[off + i] &= bits === 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
  }
}

/** Whether the 16-byte address at `ip[off..]` lies in the subnet. */
export function subnetContains(net: Subnet, ip: Uint8Array, off = 0): boolean {
  const full = net.length >> 3;
  for (let i = 0; i < full; i++) if (ip[off + i] !== net.address[i]) return false;
  const rest = net.length & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (ip[off + full] & mask) === net.address[full];
}

export function formatSubnet(address: Uint8Array, length: number, off = 0): string {
  if (isV4Mapped(address, off) && length >= 96) return `${formatIP(address, off)}/${length - 96}`;
  return `${formatIP(address, off)}/${length}`;
}
