/**
 * Packet decoding: link layer (Ethernet with 802.1Q/802.1ad VLAN tags, MPLS,
 * PPPoE; Linux cooked SLL/SLL2; BSD loopback; raw IP) → IPv4/IPv6 (with IPv6
 * extension headers) → TCP/UDP/SCTP ports or ICMP type/code.
 *
 * One `Packet` is reused for every packet of a read: decoding overwrites its
 * fields, so nothing is allocated per packet. A packet cut short by the
 * snaplen keeps whatever layers were captured in full; a layer that does not
 * fit leaves the fields below it unset (`ipVersion` 0, `hasPorts` false), as
 * tcpdump prints what it can.
 */

/** Link-layer header types (https://www.tcpdump.org/linktypes.html) that we decode. */
const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW_BSD: 12,
  RAW_OPENBSD: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

const SUPPORTED = new Set<number>(Object.values(LINKTYPE));

/** Names of common linktypes we do not decode, for the error message. */
const OTHER_NAMES: Record<number, string> = {
  6: 'IEEE802_5',
  9: 'PPP',
  10: 'FDDI',
  50: 'PPP_HDLC',
  104: 'C_HDLC',
  105: 'IEEE802_11',
  119: 'PRISM_HEADER',
  127: 'IEEE802_11_RADIOTAP',
  147: 'USER0',
  187: 'BLUETOOTH_HCI_H4',
  189: 'USB_LINUX',
  195: 'IEEE802_15_4',
  220: 'USB_LINUX_MMAPPED',
  249: 'NETLINK',
};

export function isSupportedLinktype(linktype: number): boolean {
  return SUPPORTED.has(linktype);
}

/** `105 (IEEE802_11)`, for messages. */
export function linktypeName(linktype: number): string {
  const name = OTHER_NAMES[linktype] ?? Object.entries(LINKTYPE).find(([, v]) => v === linktype)?.[0];
  return name ? `${linktype} (${name})` : String(linktype);
}

export const IPPROTO_ICMP = 1;
export const IPPROTO_ICMPV6 = 58;

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_VLAN = 0x8100;
const ETH_QINQ = 0x88a8;
const ETH_QINQ_OLD = 0x9100;
const ETH_MPLS = 0x8847;
const ETH_MPLS_MC = 0x8848;
const ETH_PPPOE = 0x8864;

/** What one packet decoded to. Fields are valid as far as `ipVersion` and `hasPorts` say. */
export class Packet {
  /** 0 for a non-IP packet (ARP, LLDP, ...) or one whose IP header was not captured; else 4 or 6. */
  ipVersion = 0;
  /** Source and destination as 16 bytes, IPv4 v4-mapped (the layout of `vast.ip`). */
  readonly src = new Uint8Array(16);
  readonly dst = new Uint8Array(16);
  /** IP protocol number (the last IPv6 next-header); -1 when not IP. */
  proto = -1;
  /** Whether sport/dport hold ports (TCP, UDP, SCTP) or ICMP type/code; false for later fragments and truncated headers. */
  hasPorts = false;
  sport = 0;
  dport = 0;
  /** Transport payload bytes by the header lengths (what `--cutoff` counts), regardless of the snaplen. */
  payloadBytes = 0;
  /** How many 802.1Q tags were seen (only the first two are kept). */
  vlans = 0;
  vlanOuter = 0;
  vlanInner = 0;

  private reset(): void {
    this.ipVersion = 0;
    this.proto = -1;
    this.hasPorts = false;
    this.sport = 0;
    this.dport = 0;
    this.payloadBytes = 0;
    this.vlans = 0;
  }

  /** Decodes the frame `b[off, off+caplen)` of the given linktype (which the caller checked is supported). */
  decode(b: Uint8Array, off: number, caplen: number, linktype: number): void {
    this.reset();
    const end = off + caplen;
    switch (linktype) {
      case LINKTYPE.ETHERNET:
        if (caplen >= 14) this.ethertype(b, off + 14, end, (b[off + 12] << 8) | b[off + 13]);
        return;
      case LINKTYPE.NULL:
      case LINKTYPE.LOOP:
        // A 4-byte address family in the capturing host's byte order (AF_INET6 differs per OS): the IP version nibble is simpler.
        if (caplen > 4) this.ip(b, off + 4, end);
        return;
      case LINKTYPE.RAW:
      case LINKTYPE.RAW_BSD:
      case LINKTYPE.RAW_OPENBSD:
      case LINKTYPE.IPV4:
      case LINKTYPE.IPV6:
        this.ip(b, off, end);
        return;
      case LINKTYPE.LINUX_SLL:
        if (caplen >= 16) this.ethertype(b, off + 16, end, (b[off + 14] << 8) | b[off + 15]);
        return;
      case LINKTYPE.LINUX_SLL2:
        if (caplen >= 20) this.ethertype(b, off + 20, end, (b[off] << 8) | b[off + 1]);
        return;
    }
  }

  private ethertype(b: Uint8Array, p: number, end: number, type: number): void {
    for (;;) {
      switch (type) {
        case ETH_IPV4:
        case ETH_IPV6:
          this.ip(b, p, end);
          return;
        case ETH_VLAN:
        case ETH_QINQ:
        case ETH_QINQ_OLD: {
          if (p + 4 > end) return;
          const vid = ((b[p] << 8) | b[p + 1]) & 0x0fff;
          if (this.vlans === 0) this.vlanOuter = vid;
          else if (this.vlans === 1) this.vlanInner = vid;
          this.vlans++;
          type = (b[p + 2] << 8) | b[p + 3];
          p += 4;
          break;
        }
        case ETH_MPLS:
        case ETH_MPLS_MC: {
          // Labels until the bottom-of-stack bit; then IP, told apart by its version nibble.
          for (;;) {
            if (p + 4 > end) return;
            const bottom = b[p + 2] & 1;
            p += 4;
            if (bottom) break;
          }
          if (p < end && (b[p] >> 4 === 4 || b[p] >> 4 === 6)) this.ip(b, p, end);
          return;
        }
        case ETH_PPPOE: {
          // PPPoE session header (6 bytes), then the PPP protocol: 0x0021 IPv4, 0x0057 IPv6.
          if (p + 8 > end) return;
          const ppp = (b[p + 6] << 8) | b[p + 7];
          if (ppp === 0x0021 || ppp === 0x0057) this.ip(b, p + 8, end);
          return;
        }
        default:
          return;
      }
    }
  }

  private ip(b: Uint8Array, p: number, end: number): void {
    if (p >= end) return;
    const version = b[p] >> 4;
    if (version === 4) this.ipv4(b, p, end);
    else if (version === 6) this.ipv6(b, p, end);
  }

  private ipv4(b: Uint8Array, p: number, end: number): void {
    const ihl = (b[p] & 0x0f) * 4;
    if (ihl < 20 || p + 20 > end) return;
    const s = this.src;
    const d = this.dst;
    s.fill(0, 0, 10);
    d.fill(0, 0, 10);
    s[10] = s[11] = d[10] = d[11] = 0xff;
    for (let i = 0; i < 4; i++) {
      s[12 + i] = b[p + 12 + i];
      d[12 + i] = b[p + 16 + i];
    }
    this.ipVersion = 4;
    this.proto = b[p + 9];
    const total = (b[p + 2] << 8) | b[p + 3];
    const fragOffset = ((b[p + 6] & 0x1f) << 8) | b[p + 7];
    // Later fragments carry no transport header.
    if (fragOffset !== 0) {
      this.payloadBytes = Math.max(0, total - ihl);
      return;
    }
    this.transport(b, p + ihl, end, this.proto, total - ihl);
  }

  private ipv6(b: Uint8Array, p: number, end: number): void {
    if (p + 40 > end) return;
    const s = this.src;
    const d = this.dst;
    for (let i = 0; i < 16; i++) {
      s[i] = b[p + 8 + i];
      d[i] = b[p + 24 + i];
    }
    this.ipVersion = 6;
    let length = (b[p + 4] << 8) | b[p + 5];
    let next = b[p + 6];
    p += 40;
    // Walk the extension headers to the upper-layer protocol.
    for (;;) {
      let len: number;
      if (next === 0 || next === 43 || next === 60) {
        if (p + 2 > end) break;
        len = (b[p + 1] + 1) * 8;
      } else if (next === 51) {
        if (p + 2 > end) break;
        len = (b[p + 1] + 2) * 4;
      } else if (next === 44) {
        if (p + 8 > end) break;
        const fragOffset = (b[p + 2] << 5) | (b[p + 3] >> 3);
        if (fragOffset !== 0) {
          this.proto = b[p];
          this.payloadBytes = Math.max(0, length - 8);
          return;
        }
        len = 8;
      } else break;
      next = b[p];
      p += len;
      length -= len;
    }
    this.proto = next;
    this.transport(b, p, end, next, length);
  }

  /** `length`: the IP payload length by the headers, which the snaplen may have cut. */
  private transport(b: Uint8Array, p: number, end: number, proto: number, length: number): void {
    let header = 0;
    switch (proto) {
      case 6: // TCP
        if (p + 4 <= end) {
          this.setPorts(b, p);
          header = p + 13 <= end ? (b[p + 12] >> 4) * 4 : 20;
        }
        break;
      case 17: // UDP
      case 132: // SCTP
        if (p + 4 <= end) {
          this.setPorts(b, p);
          header = proto === 17 ? 8 : 12;
        }
        break;
      case IPPROTO_ICMP:
      case IPPROTO_ICMPV6:
        if (p + 2 <= end) {
          this.hasPorts = true;
          this.sport = b[p];
          this.dport = b[p + 1];
          header = proto === IPPROTO_ICMP ? 8 : 4;
        }
        break;
    }
    this.payloadBytes = Math.max(0, length - header);
  }

  private setPorts(b: Uint8Array, p: number): void {
    this.hasPorts = true;
    this.sport = (b[p] << 8) | b[p + 1];
    this.dport = (b[p + 2] << 8) | b[p + 3];
  }
}
