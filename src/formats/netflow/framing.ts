/**
 * Framing for `vast import netflow`: a file holds no datagram boundaries, so
 * the reader accepts inputs that carry them:
 *
 * - a pcap or pcapng capture of export traffic (`tcpdump -w flows.pcap udp port
 *   2055`): the UDP payloads, each with its sender as the exporter. UDP
 *   payloads that do not start with version 5, 9 or 10 (DNS and other
 *   traffic in the capture) are skipped and counted. IP fragments are
 *   skipped too (export packets are sent unfragmented on sane paths).
 * - an IPFIX file (RFC 5655: IPFIX messages back to back, each with its
 *   length in the header), or a stream of NetFlow v5 packets (each one's
 *   length follows from its record count).
 *
 * NetFlow v9 messages carry no length, so a v9 stream cannot be split: it
 * must come as pcap. This is a minimal pcap walker of its own (Ethernet,
 * VLAN, Linux cooked v1/v2, raw IP, BSD loopback; IPv4 and IPv6; UDP only)
 * because no shared pcap record iterator exists yet; when
 * src/formats/framing/pcap-records.ts lands, the record loop here should use it.
 */
import { exporterName } from './decoder.js';
import { ipfixLength } from './ipfix.js';
import { v5Length } from './v5.js';

/** A datagram and who sent it. */
export interface Datagram {
  readonly payload: Uint8Array;
  /** `ip:port` of the sender; for a non-pcap file, the file name. */
  readonly exporter: string;
}

/** A problem that ends the input (lost framing). */
export class FramingError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Buffered reading of exact byte counts from a chunked stream. */
class ByteStream {
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  /** Bytes consumed before `buf[0]`. */
  private base = 0;
  private done = false;
  private readonly it: AsyncIterator<Uint8Array>;
  constructor(input: AsyncIterable<Uint8Array>) {
    this.it = input[Symbol.asyncIterator]();
  }
  /** Offset of the next byte in the whole input. */
  get offset(): number {
    return this.base + this.pos;
  }
  /** Ensures `n` bytes are buffered; false at the end of the input with fewer left. */
  async fill(n: number): Promise<boolean> {
    while (this.buf.length - this.pos < n) {
      if (this.done) return false;
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        return false;
      }
      const rest = this.buf.subarray(this.pos);
      this.base += this.pos;
      this.buf = rest.length === 0 ? r.value : Buffer.concat([rest, r.value]);
      this.pos = 0;
    }
    return true;
  }
  /** Bytes buffered from the current position (a view, valid until the next `fill`). */
  peek(n: number): Uint8Array {
    return this.buf.subarray(this.pos, this.pos + n);
  }
  get available(): number {
    return this.buf.length - this.pos;
  }
  skip(n: number): void {
    this.pos += n;
  }
}

export interface FramingStats {
  /** UDP payloads in a capture that were not NetFlow (wrong version). */
  notNetflow: number;
  /** Packets in a capture that were not UDP over IP, or IP fragments. */
  notUdp: number;
}

/** Splits an input into export packets (see the file comment). Throws `FramingError` when the framing is lost. */
export async function* datagrams(
  input: AsyncIterable<Uint8Array>,
  file: string,
  stats: FramingStats,
): AsyncIterable<Datagram> {
  const s = new ByteStream(input);
  if (!(await s.fill(4))) {
    if (s.available === 0) return;
    throw new FramingError(`input of ${s.available} bytes is too short for NetFlow`, 0);
  }
  const h = s.peek(4);
  const magic = ((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0;
  if (magic === 0xa1b2c3d4 || magic === 0xd4c3b2a1 || magic === 0xa1b23c4d || magic === 0x4d3cb2a1) {
    yield* pcapDatagrams(s, magic, stats);
    return;
  }
  if (magic === 0x0a0d0d0a) {
    yield* pcapngDatagrams(s, stats);
    return;
  }
  const version = (h[0] << 8) | h[1];
  if (version !== 5 && version !== 10) {
    throw new FramingError(
      version === 9
        ? 'NetFlow v9 messages have no length field, so a stream of them cannot be split: capture them as pcap'
        : 'not a pcap capture, an IPFIX file or a NetFlow v5 stream',
      0,
    );
  }
  // Back-to-back messages; every one must be of the same version.
  while (await s.fill(4)) {
    const head = s.peek(4);
    const v = (head[0] << 8) | head[1];
    const length = v === 10 ? ipfixLength(head) : v === 5 ? v5Length(head) : 0;
    if (v !== version || length < 4)
      throw new FramingError(`lost message framing: version ${v}, length ${length}`, s.offset);
    if (!(await s.fill(length))) {
      // A truncated last message: hand it over, the decoder reports it.
      yield { payload: s.peek(s.available).slice(), exporter: file };
      return;
    }
    yield { payload: s.peek(length).slice(), exporter: file };
    s.skip(length);
  }
  if (s.available > 0) yield { payload: s.peek(s.available).slice(), exporter: file };
}

const MAX_RECORD = 1 << 24;

async function* pcapDatagrams(s: ByteStream, magic: number, stats: FramingStats): AsyncIterable<Datagram> {
  if (!(await s.fill(24))) throw new FramingError('truncated pcap file header', 0);
  const little = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
  const g = s.peek(24);
  const linktype = read32(g, 20, little) & 0xffff;
  s.skip(24);
  while (await s.fill(16)) {
    const r = s.peek(16);
    const caplen = read32(r, 8, little);
    if (caplen > MAX_RECORD) throw new FramingError(`invalid pcap record length ${caplen}`, s.offset);
    if (!(await s.fill(16 + caplen))) throw new FramingError('truncated pcap record', s.offset);
    const d = udpPayload(s.peek(16 + caplen).subarray(16), linktype, stats);
    if (d) yield d;
    s.skip(16 + caplen);
  }
  if (s.available > 0) throw new FramingError('truncated pcap record header', s.offset);
}

async function* pcapngDatagrams(s: ByteStream, stats: FramingStats): AsyncIterable<Datagram> {
  let little = true;
  const linktypes: number[] = [];
  while (await s.fill(12)) {
    const h = s.peek(12);
    const type = read32(h, 0, little);
    if (type === 0x0a0d0d0a) {
      // Section header: its byte-order magic decides the endianness of the section.
      little = h[8] === 0x4d;
      linktypes.length = 0;
    }
    const length = read32(h, 4, little);
    if (length < 12 || length % 4 !== 0 || length > MAX_RECORD)
      throw new FramingError(`invalid pcapng block length ${length}`, s.offset);
    if (!(await s.fill(length))) throw new FramingError('truncated pcapng block', s.offset);
    const b = s.peek(length);
    if (type === 1) linktypes.push(read32(b, 8, little) & 0xffff);
    else if (type === 6 && length >= 32) {
      const iface = read32(b, 8, little);
      const caplen = Math.min(read32(b, 20, little), length - 32);
      const d = udpPayload(b.subarray(28, 28 + caplen), linktypes[iface] ?? 1, stats);
      if (d) yield d;
    } else if (type === 3 && length >= 16) {
      const d = udpPayload(b.subarray(12, length - 4), linktypes[0] ?? 1, stats);
      if (d) yield d;
    }
    s.skip(length);
  }
  if (s.available > 0) throw new FramingError('truncated pcapng block header', s.offset);
}

function read32(b: Uint8Array, o: number, little: boolean): number {
  return little
    ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0
    : ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

const u16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];

/** The UDP payload of a link-layer frame, if it looks like NetFlow; counts what it skips. */
function udpPayload(f: Uint8Array, linktype: number, stats: FramingStats): Datagram | undefined {
  let ip = -1;
  switch (linktype) {
    case 1: {
      // Ethernet, through any VLAN / QinQ tags.
      let o = 12;
      while (o + 2 <= f.length && (u16(f, o) === 0x8100 || u16(f, o) === 0x88a8)) o += 4;
      if (o + 2 <= f.length && (u16(f, o) === 0x0800 || u16(f, o) === 0x86dd)) ip = o + 2;
      break;
    }
    case 0:
    case 108:
      ip = 4; // BSD loopback: a 4-byte address family
      break;
    case 101:
    case 228:
    case 229:
      ip = 0;
      break;
    case 113:
      ip = 16; // Linux cooked v1
      break;
    case 276:
      ip = 20; // Linux cooked v2
      break;
  }
  const d = ip >= 0 ? udpOverIp(f, ip) : undefined;
  if (!d) {
    stats.notUdp++;
    return undefined;
  }
  const p = d.payload;
  const version = p.length >= 2 ? (p[0] << 8) | p[1] : -1;
  if (version !== 5 && version !== 9 && version !== 10) {
    stats.notNetflow++;
    return undefined;
  }
  return d;
}

function udpOverIp(f: Uint8Array, o: number): Datagram | undefined {
  if (o >= f.length) return undefined;
  const v = f[o] >> 4;
  let udp: number;
  let src: Uint8Array;
  if (v === 4) {
    const ihl = (f[o] & 0x0f) * 4;
    if (ihl < 20 || o + ihl + 8 > f.length || f[o + 9] !== 17) return undefined;
    if ((u16(f, o + 6) & 0x3fff) !== 0) return undefined; // a fragment
    src = new Uint8Array(16);
    src[10] = 0xff;
    src[11] = 0xff;
    src.set(f.subarray(o + 12, o + 16), 12);
    udp = o + ihl;
  } else if (v === 6) {
    if (o + 40 > f.length) return undefined;
    let next = f[o + 6];
    let h = o + 40;
    // Hop-by-hop, routing and destination options headers; a fragment header ends the search.
    while ((next === 0 || next === 43 || next === 60) && h + 8 <= f.length) {
      next = f[h];
      h += (f[h + 1] + 1) * 8;
    }
    if (next !== 17 || h + 8 > f.length) return undefined;
    src = f.slice(o + 8, o + 24);
    udp = h;
  } else return undefined;
  const length = u16(f, udp + 4);
  const end = Math.min(f.length, length >= 8 ? udp + length : f.length);
  return { payload: f.slice(udp + 8, end), exporter: exporterName(src, 0, u16(f, udp)) };
}
