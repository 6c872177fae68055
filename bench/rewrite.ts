/**
 * How a replay of a real log is made to look like other traffic: replay `k`
 * of a file gets its own hosts, flows and time span, so that the scaled-up
 * data keeps a realistic cardinality (a store cannot just dictionary-encode
 * 1,000 copies of the same 8,462 connections).
 *
 * - IPv4 `192.168.x.y` becomes `10.(k>>8).(k&255).y`: every replay is a site
 *   with its own /24 (the M57 and EVE captures each use one internal /24).
 * - Other unicast IPv4 `a.b.c.d` becomes `a.b.(c^(k>>8)).(d^(k&255))`: other
 *   hosts in the same /16. Unspecified, loopback, multicast and broadcast
 *   addresses stay as they are (every site has the same ones).
 * - Unicast IPv6 gets its last 16-bit group XORed with `k`.
 * - Zeek uids get a 3-character base62 suffix; Suricata flow ids are mixed
 *   with a per-replay 63-bit key; community ids are re-hashed with `k`.
 *
 * Every mapping is a bijection for a fixed `k` and distinct across replays
 * for `k < 65,536` (uids: `k < 238,328`), more than enough for 100M events.
 */
import { createHash } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A fixed-width (3 characters) base62 suffix that makes uids unique per replay. */
export function uidSuffix(k: number): string {
  return BASE62[Math.floor(k / 3844) % 62] + BASE62[Math.floor(k / 62) % 62] + BASE62[k % 62];
}

/** The address `addr` (IPv4 or IPv6 text) as it appears in replay `k`; unparseable text is returned as is. */
export function rewriteIp(addr: string, k: number): string {
  return addr.includes(':') ? rewriteIpv6(addr, k) : rewriteIpv4(addr, k);
}

/** Whether `rewriteIp` gives this address a different value in every replay. */
export function isRewritten(addr: string): boolean {
  return rewriteIp(addr, 1) !== addr;
}

function rewriteIpv4(addr: string, k: number): string {
  const parts = addr.split('.');
  if (parts.length !== 4) return addr;
  const [a, b, c, d] = parts.map(Number);
  if (![a, b, c, d].every((x) => Number.isInteger(x) && x >= 0 && x <= 255)) return addr;
  if (a === 0 || a === 127 || a >= 224) return addr;
  const hi = (k >> 8) & 255;
  const lo = k & 255;
  if (a === 192 && b === 168) return `10.${hi}.${lo}.${d}`;
  return `${a}.${b}.${c ^ hi}.${d ^ lo}`;
}

function rewriteIpv6(addr: string, k: number): string {
  const groups = parseIpv6(addr);
  if (!groups) return addr;
  const unspecifiedOrLoopback = groups.slice(0, 7).every((g) => g === 0) && groups[7] <= 1;
  if (unspecifiedOrLoopback || groups[0] >= 0xff00) return addr;
  groups[7] ^= k & 0xffff;
  return formatIpv6(groups);
}

/** The eight groups of an IPv6 address, or undefined (also for embedded IPv4, which we leave alone). */
function parseIpv6(addr: string): number[] | undefined {
  if (addr.includes('.')) return undefined;
  const halves = addr.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...new Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail].map(
    (g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? Number.parseInt(g, 16) : Number.NaN),
  );
  return groups.some(Number.isNaN) ? undefined : groups;
}

/** RFC 5952 text: lower case, the longest run (≥ 2) of zero groups as `::`. */
function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

const MASK63 = (1n << 63n) - 1n;

/** A per-replay 63-bit key (splitmix64 of `k`), so that XORed flow ids stay positive int64s. */
function replayKey(k: number): bigint {
  let z = (BigInt(k) + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
  return (z ^ (z >> 31n)) & MASK63;
}

/** A Suricata `flow_id` (decimal text) as it appears in replay `k`; replay 0 keeps the original. */
export function rewriteFlowId(id: string, k: number): string {
  if (k === 0) return id;
  return ((BigInt(id) ^ replayKey(k)) & MASK63).toString();
}

/** A community id (`1:base64`) for replay `k`: same length, one per original flow and replay. */
export function rewriteCommunityId(cid: string, k: number): string {
  if (k === 0) return cid;
  return `1:${createHash('sha1').update(`${cid}/${k}`).digest('base64')}`;
}

/** Zeek epoch seconds text (`1258531221.486539`) as integer microseconds. */
export function parseEpochMicros(text: string): number {
  const dot = text.indexOf('.');
  if (dot < 0) return Number(text) * 1e6;
  const frac = text.slice(dot + 1, dot + 7).padEnd(6, '0');
  return Number(text.slice(0, dot)) * 1e6 + Number(frac);
}

/** Integer microseconds as Zeek epoch seconds text with six decimals. */
export function formatEpochMicros(us: number): string {
  const s = Math.floor(us / 1e6);
  return `${s}.${String(us - s * 1e6).padStart(6, '0')}`;
}

/** An ISO 8601 time as Suricata writes it (`2018-10-30T09:56:07.459844+0100`). */
export interface IsoTime {
  /** Microseconds since the epoch (UTC). */
  us: number;
  /** The zone suffix as written (`+0100`, `Z`), kept on output. */
  zone: string;
  offsetMinutes: number;
  /** Digits after the decimal point as written (0 when there is no fraction). */
  fracDigits: number;
}

const ISO_RE = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(Z|[+-]\d\d:?\d\d)$/;

export function parseIsoTime(text: string): IsoTime | undefined {
  const m = ISO_RE.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', zone] = m;
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  }
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const us = ms * 1000 + Number(frac.padEnd(6, '0') || '0') - offsetMinutes * 60e6;
  return { us, zone, offsetMinutes, fracDigits: frac.length };
}

/** Formats `t` shifted by `shiftUs`, in its own zone and precision. */
export function formatIsoTime(t: IsoTime, shiftUs: number): string {
  const local = t.us + shiftUs + t.offsetMinutes * 60e6;
  const ms = Math.floor(local / 1000);
  const base = new Date(ms).toISOString().slice(0, 19);
  if (t.fracDigits === 0) return base + t.zone;
  const micros = local - Math.floor(local / 1e6) * 1e6;
  return `${base}.${String(micros).padStart(6, '0').slice(0, t.fracDigits)}${t.zone}`;
}
