/**
 * Community ID v1 (https://github.com/corelight/community-id-spec): a flow
 * hash that Zeek (`conn.log`), Suricata (EVE) and tshark compute the same way,
 * so packets can be joined with their logs.
 *
 *   base64(SHA-1(seed:u16 ‖ saddr ‖ daddr ‖ proto:u8 ‖ 0:u8 [‖ sport:u16 ‖ dport:u16]))
 *
 * with the endpoints ordered so both directions of a flow hash alike (the
 * smaller address first; ports break ties), and ICMP type/code standing in for
 * ports. The hash is over at most 40 bytes, one SHA-1 block, so this file
 * carries its own single-block SHA-1: no allocation and no native call per
 * packet (node:crypto costs a Hash object each time).
 */
import { IPPROTO_ICMP, IPPROTO_ICMPV6, type Packet } from './packet.js';

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_SCTP = 132;

/** ICMP types that have a counterpart: the pair then orders like ports (a request and its reply are one flow). */
const ICMP4_PEER = new Int16Array(256).fill(-1);
const ICMP6_PEER = new Int16Array(256).fill(-1);
for (const [a, b] of [
  [8, 0], // echo ↔ echo reply
  [13, 14], // timestamp
  [15, 16], // information
  [10, 9], // router solicitation ↔ advertisement
  [17, 18], // address mask
]) {
  ICMP4_PEER[a] = b;
  ICMP4_PEER[b] = a;
}
for (const [a, b] of [
  [128, 129], // echo
  [130, 131], // multicast listener query ↔ report
  [133, 134], // router solicitation ↔ advertisement
  [135, 136], // neighbor solicitation ↔ advertisement
  [139, 140], // node information query ↔ response
  [144, 145], // home agent address discovery
]) {
  ICMP6_PEER[a] = b;
  ICMP6_PEER[b] = a;
}

const block = new Uint8Array(64);
const W = new Int32Array(80);
/** The first two words of the digest of the last `communityId` call (the flow table keys on them); the rest is scratch. */
export const digest = new Int32Array(5);

/** SHA-1 of `block[0, length)` for length ≤ 55 (one padded block) into `digest`. */
function sha1(length: number): void {
  block[length] = 0x80;
  block.fill(0, length + 1, 60);
  const bits = length * 8;
  block[60] = bits >>> 24;
  block[61] = (bits >>> 16) & 0xff;
  block[62] = (bits >>> 8) & 0xff;
  block[63] = bits & 0xff;
  for (let i = 0; i < 16; i++) {
    const j = i * 4;
    W[i] = (block[j] << 24) | (block[j + 1] << 16) | (block[j + 2] << 8) | block[j + 3];
  }
  for (let i = 16; i < 80; i++) {
    const x = W[i - 3] ^ W[i - 8] ^ W[i - 14] ^ W[i - 16];
    W[i] = (x << 1) | (x >>> 31);
  }
  let a = 0x67452301;
  let b = 0xefcdab89 | 0;
  let c = 0x98badcfe | 0;
  let d = 0x10325476;
  let e = 0xc3d2e1f0 | 0;
  let t = 0;
  // Four rounds of twenty, unrolled by round function rather than branching per step.
  for (let i = 0; i < 20; i++) {
    t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + W[i]) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  for (let i = 20; i < 40; i++) {
    t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + W[i]) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  for (let i = 40; i < 60; i++) {
    t = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + (0x8f1bbcdc | 0) + W[i]) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  for (let i = 60; i < 80; i++) {
    t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + (0xca62c1d6 | 0) + W[i]) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  digest[0] = (0x67452301 + a) | 0;
  digest[1] = ((0xefcdab89 | 0) + b) | 0;
  digest[2] = ((0x98badcfe | 0) + c) | 0;
  digest[3] = (0x10325476 + d) | 0;
  digest[4] = ((0xc3d2e1f0 | 0) + e) | 0;
}

/** Longest hash input: seed, two IPv6 addresses, proto, padding, two ports. */
const MAX_INPUT = 40;
const CACHE_SLOTS = 4096;
const cacheLength = new Uint8Array(CACHE_SLOTS);
const cacheInput = new Uint8Array(CACHE_SLOTS * MAX_INPUT);
const cacheOutput = new Uint8Array(CACHE_SLOTS * 28);
const cacheDigest = new Int32Array(CACHE_SLOTS * 2);

const B64 = new TextEncoder().encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');

/** Bytes `communityId` writes: `1:` and 28 base64 characters. */
export const COMMUNITY_ID_BYTES = 30;

/**
 * Writes the Community ID of an IP packet's flow (`1:` + base64 of the hash,
 * 30 ASCII bytes) into `out[off..off+30)`. The caller checks `p.ipVersion`
 * first: non-IP packets have no Community ID. Leaves the raw hash in `digest`.
 */
export function communityId(p: Packet, seed: number, out: Uint8Array, off: number): void {
  const v4 = p.ipVersion === 4;
  const alen = v4 ? 4 : 16;
  const aoff = v4 ? 12 : 0;
  const proto = p.proto;
  let sport = p.sport;
  let dport = p.dport;
  let ports = p.hasPorts && (proto === IPPROTO_TCP || proto === IPPROTO_UDP || proto === IPPROTO_SCTP);
  let oneWay = false;
  if (p.hasPorts && (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6)) {
    // sport/dport hold type/code; a type with a counterpart orders against it, others hash one-way.
    ports = true;
    const peer = (proto === IPPROTO_ICMP ? ICMP4_PEER : ICMP6_PEER)[sport];
    if (peer >= 0) dport = peer;
    else oneWay = true;
  }
  // Order the endpoints: the smaller (address, port) first, unless the flow is one-way.
  let swap = false;
  if (!oneWay) {
    let cmp = 0;
    for (let i = aoff; i < aoff + alen && cmp === 0; i++) cmp = p.src[i] - p.dst[i];
    swap = cmp > 0 || (cmp === 0 && ports && sport > dport);
  }
  const a = swap ? p.dst : p.src;
  const b = swap ? p.src : p.dst;
  if (swap) {
    const x = sport;
    sport = dport;
    dport = x;
  }
  block[0] = seed >>> 8;
  block[1] = seed & 0xff;
  let n = 2;
  for (let i = aoff; i < aoff + alen; i++) block[n++] = a[i];
  for (let i = aoff; i < aoff + alen; i++) block[n++] = b[i];
  block[n++] = proto;
  block[n++] = 0;
  if (ports) {
    block[n++] = sport >>> 8;
    block[n++] = sport & 0xff;
    block[n++] = dport >>> 8;
    block[n++] = dport & 0xff;
  }
  out[off] = 49; // '1'
  out[off + 1] = 58; // ':'
  // Consecutive packets mostly belong to a few flows: a direct-mapped cache of recent inputs saves the SHA-1.
  let h = 0x811c9dc5;
  for (let i = 2; i < n; i++) h = Math.imul(h ^ block[i], 0x01000193);
  const slot = (h ^ (h >>> 15)) & (CACHE_SLOTS - 1);
  const ci = slot * MAX_INPUT;
  if (cacheLength[slot] === n) {
    let same = true;
    for (let i = 0; i < n && same; i++) same = cacheInput[ci + i] === block[i];
    if (same) {
      const co = slot * 28;
      for (let i = 0; i < 28; i++) out[off + 2 + i] = cacheOutput[co + i];
      digest[0] = cacheDigest[slot * 2];
      digest[1] = cacheDigest[slot * 2 + 1];
      return;
    }
  }
  sha1(n);
  let o = off + 2;
  // 20 digest bytes = six 3-byte groups and a 2-byte tail (one '=' of padding).
  let carry = 0;
  let have = 0;
  for (let i = 0; i < 20; i++) {
    const byte = (digest[i >> 2] >>> (24 - 8 * (i & 3))) & 0xff;
    carry = (carry << 8) | byte;
    have += 8;
    while (have >= 6) {
      have -= 6;
      out[o++] = B64[(carry >>> have) & 63];
    }
  }
  out[o++] = B64[(carry << (6 - have)) & 63];
  out[o] = 61; // '='
  cacheLength[slot] = n;
  cacheInput.set(block.subarray(0, n), ci);
  cacheOutput.set(out.subarray(off + 2, off + 30), slot * 28);
  cacheDigest[slot * 2] = digest[0];
  cacheDigest[slot * 2 + 1] = digest[1];
}

/** Base64 (standard alphabet, padded) of `src[s, e)` into `out` from `off`; returns the bytes written. */
export function base64Into(src: Uint8Array, s: number, e: number, out: Uint8Array, off: number): number {
  let o = off;
  let i = s;
  for (; i + 3 <= e; i += 3) {
    const v = (src[i] << 16) | (src[i + 1] << 8) | src[i + 2];
    out[o] = B64[v >>> 18];
    out[o + 1] = B64[(v >>> 12) & 63];
    out[o + 2] = B64[(v >>> 6) & 63];
    out[o + 3] = B64[v & 63];
    o += 4;
  }
  if (e - i === 1) {
    const v = src[i] << 16;
    out[o++] = B64[v >>> 18];
    out[o++] = B64[(v >>> 12) & 63];
    out[o++] = 61;
    out[o++] = 61;
  } else if (e - i === 2) {
    const v = (src[i] << 16) | (src[i + 1] << 8);
    out[o++] = B64[v >>> 18];
    out[o++] = B64[(v >>> 12) & 63];
    out[o++] = B64[(v >>> 6) & 63];
    out[o++] = 61;
  }
  return o - off;
}
