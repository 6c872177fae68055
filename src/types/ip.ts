/**
 * IP addresses as 16 bytes in network order; IPv4 is stored v4-mapped
 * (`::ffff:a.b.c.d`) so that one byte-wise comparison orders all addresses and a
 * subnet is a contiguous byte range.
 */

/**
 * Parses a dotted-quad IPv4 address from `src[start, end)` into `out[off..off+16)`.
 * Returns false (leaving `out` unspecified) when the bytes are not an IPv4 address.
 * Hot path of every reader, hence byte-level and allocation-free.
 */
export function parseIPv4Bytes(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  off: number,
): boolean {
  let part = 0;
  let digits = 0;
  let octet = 0;
  for (let i = start; i < end; i++) {
    const c = src[i];
    if (c >= 48 && c <= 57) {
      // A leading zero followed by more digits is ambiguous (octal in some parsers): reject.
      if (digits === 1 && octet === 0) return false;
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return false;
    } else if (c === 46) {
      if (digits === 0 || part === 3) return false;
      out[off + 12 + part++] = octet;
      octet = 0;
      digits = 0;
    } else return false;
  }
  if (digits === 0 || part !== 3) return false;
  out[off + 12 + 3] = octet;
  for (let i = 0; i < 10; i++) out[off + i] = 0;
  out[off + 10] = 0xff;
  out[off + 11] = 0xff;
  return true;
}

const scratch = new Uint8Array(16);
/** The longest IPv4 text is 15 characters. */
const v4Text = new Uint8Array(15);

/** Parses an IPv4 or IPv6 address (with optional `%zone`, which is dropped) into `out`. */
export function parseIPInto(text: string, out: Uint8Array, off = 0): boolean {
  if (text.indexOf(':') < 0) {
    // Copied char by char into a scratch buffer: no allocation per address (intel feeds parse millions).
    if (text.length > 15) return false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      v4Text[i] = c < 128 ? c : 0;
    }
    return parseIPv4Bytes(v4Text, 0, text.length, out, off);
  }
  const pct = text.indexOf('%');
  if (pct >= 0) text = text.slice(0, pct);
  let head: string[];
  let tail: string[] = [];
  const dbl = text.indexOf('::');
  if (dbl >= 0) {
    if (text.indexOf('::', dbl + 1) >= 0) return false;
    head = dbl === 0 ? [] : text.slice(0, dbl).split(':');
    tail = dbl + 2 === text.length ? [] : text.slice(dbl + 2).split(':');
  } else head = text.split(':');
  const groups: number[] = [];
  const pushGroups = (parts: string[], into: number[]): boolean => {
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (p.indexOf('.') >= 0) {
        // Embedded IPv4 is only valid as the last group.
        if (i !== parts.length - 1 || !parseIPInto(p, scratch, 0)) return false;
        into.push((scratch[12] << 8) | scratch[13], (scratch[14] << 8) | scratch[15]);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return false;
      into.push(Number.parseInt(p, 16));
    }
    return true;
  };
  const tailGroups: number[] = [];
  // An embedded IPv4 may appear at the end of the head only when there is no `::`.
  if (!pushGroups(head, groups) || !pushGroups(tail, tailGroups)) return false;
  if (dbl >= 0) {
    if (groups.length + tailGroups.length > 7) return false;
    while (groups.length + tailGroups.length < 8) groups.push(0);
  } else if (groups.length !== 8) return false;
  groups.push(...tailGroups);
  for (let i = 0; i < 8; i++) {
    out[off + 2 * i] = groups[i] >> 8;
    out[off + 2 * i + 1] = groups[i] & 0xff;
  }
  return true;
}

/** Parses an address; returns undefined when `text` is not one. */
export function parseIP(text: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  return parseIPInto(text, out) ? out : undefined;
}

/** Whether the 16 bytes at `off` are a v4-mapped IPv4 address. */
export function isV4Mapped(b: Uint8Array, off = 0): boolean {
  for (let i = 0; i < 10; i++) if (b[off + i] !== 0) return false;
  return b[off + 10] === 0xff && b[off + 11] === 0xff;
}

/** Prints an address: dotted quad for v4-mapped, RFC 5952 compressed form otherwise. */
export function formatIP(b: Uint8Array, off = 0): string {
  if (isV4Mapped(b, off)) return `${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`;
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[off + 2 * i] << 8) | b[off + 2 * i + 1]);
  // Find the longest run (length >= 2) of zero groups; the first one wins ties (RFC 5952 4.2.3).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) =>
    g
      .slice(from, to)
      .map((x) => x.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

/** Lexicographic comparison of two 16-byte addresses. */
export function compareIP(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): number {
  for (let i = 0; i < 16; i++) {
    const d = a[aOff + i] - b[bOff + i];
    if (d !== 0) return d;
  }
  return 0;
}
