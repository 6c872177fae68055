/**
 * Times are signed 64-bit nanoseconds since the Unix epoch, UTC.
 * Text forms: ISO 8601 (`2020-01-01`, `2020-01-01T10:00:00.5Z`,
 * `2009-11-18T08:00:21.123456+0100`) and epoch seconds (`1258531221.486539`).
 * Date and time may also be joined by `+`, as VAST 2 read Argus' `ra` output
 * (`2009-11-18+09:00:03.914398`).
 */
import { decimalTimes } from './duration.js';

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T +](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Parses an ISO 8601 timestamp into nanoseconds; undefined if it is not one. */
export function parseIsoTime(text: string): bigint | undefined {
  const m = ISO_RE.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', tz] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60)
    return undefined;
  const ms = Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms)) return undefined;
  let ns = BigInt(ms) * 1_000_000n + BigInt(frac.padEnd(9, '0') || '0');
  if (tz && tz !== 'Z') {
    const sign = tz[0] === '-' ? -1n : 1n;
    const digits = tz.slice(1).replace(':', '');
    const offsetMin = BigInt(Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
    ns -= sign * offsetMin * 60_000_000_000n;
  }
  return ns;
}

const EPOCH_RE = /^-?(\d+(?:\.\d*)?|\.\d+)$/;

/** Parses decimal epoch seconds (`1258531221.486539`) exactly into nanoseconds. */
export function parseEpochSeconds(text: string): bigint | undefined {
  if (!EPOCH_RE.test(text)) return undefined;
  const neg = text[0] === '-';
  const ns = decimalTimes(neg ? text.slice(1) : text, 1e9);
  return neg ? -ns : ns;
}

/** Any time text: ISO 8601 first, then epoch seconds. */
export function parseTime(text: string): bigint | undefined {
  return parseIsoTime(text) ?? parseEpochSeconds(text);
}

/**
 * ISO 8601 in UTC with the fraction trimmed of trailing zeros, as VAST prints
 * times: `2009-11-18T08:00:21.486539Z`, `2020-01-01T00:00:00Z`.
 */
export function formatTime(ns: bigint): string {
  let ms = ns / 1_000_000n;
  let sub = ns % 1_000_000_000n;
  if (sub < 0n) {
    sub += 1_000_000_000n;
  }
  // Date needs whole milliseconds; floor toward -infinity for pre-1970 times.
  if (ns < 0n && ns % 1_000_000n !== 0n) ms -= 1n;
  const iso = new Date(Number(ms)).toISOString(); // 2009-11-18T08:00:21.486Z
  const base = iso.slice(0, 19);
  if (sub === 0n) return `${base}Z`;
  const frac = sub.toString().padStart(9, '0').replace(/0+$/, '');
  return `${base}.${frac}Z`;
}
