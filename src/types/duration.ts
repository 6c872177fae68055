/**
 * Durations are signed 64-bit nanosecond counts. Literals follow VAST:
 * `10s`, `5min`, `1.5h`, `2d`, `250ms`, `-3us`.
 */

const UNIT_NS: Record<string, number> = {
  ns: 1,
  nsec: 1,
  nsecs: 1,
  us: 1e3,
  usec: 1e3,
  usecs: 1e3,
  ms: 1e6,
  msec: 1e6,
  msecs: 1e6,
  s: 1e9,
  sec: 1e9,
  secs: 1e9,
  second: 1e9,
  seconds: 1e9,
  m: 60e9,
  min: 60e9,
  mins: 60e9,
  minute: 60e9,
  minutes: 60e9,
  h: 3600e9,
  hour: 3600e9,
  hours: 3600e9,
  d: 86400e9,
  day: 86400e9,
  days: 86400e9,
  w: 604800e9,
  week: 604800e9,
  weeks: 604800e9,
  y: 31536000e9,
  year: 31536000e9,
  years: 31536000e9,
};

const DURATION_RE = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)\s*([a-z]+)$/;

/** Parses a duration literal into nanoseconds; undefined if it is not one. */
export function parseDuration(text: string): bigint | undefined {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return undefined;
  const unit = UNIT_NS[m[3]];
  if (unit === undefined) return undefined;
  const ns = decimalTimes(m[2], unit);
  return m[1] === '-' ? -ns : ns;
}

/** Exact `decimal * unit` for a decimal string and an integer unit, in bigint. */
export function decimalTimes(decimal: string, unit: number): bigint {
  const dot = decimal.indexOf('.');
  const intPart = dot < 0 ? decimal : decimal.slice(0, dot);
  const frac = dot < 0 ? '' : decimal.slice(dot + 1);
  const scale = 10n ** BigInt(frac.length);
  const whole = BigInt(intPart || '0') * scale + BigInt(frac || '0');
  return (whole * BigInt(unit)) / scale;
}

/** Seconds with fractional part (Zeek `interval`, JSON numbers) to nanoseconds. */
export function secondsToNs(seconds: number): bigint {
  return BigInt(Math.round(seconds * 1e9));
}

/** VAST's adaptive units, largest first; minutes are `m`, as VAST printed them. */
const ADAPTIVE: readonly [bigint, string][] = [
  [86_400_000_000_000n, 'd'],
  [3_600_000_000_000n, 'h'],
  [60_000_000_000n, 'm'],
  [1_000_000_000n, 's'],
  [1_000_000n, 'ms'],
  [1_000n, 'us'],
];

/**
 * VAST 2's human-readable duration (its `duration_printer`, adaptive policy):
 * the largest unit that keeps the value >= 1, two decimals of which one
 * trailing zero is dropped: `1.63ms`, `306.3ms`, `2.18m`, `2.0h`, `0.0ns`.
 * Rounding is exact (half up on the nanosecond count) where VAST went
 * through a double; the two differ only on exact ties.
 */
export function formatDuration(ns: bigint): string {
  const neg = ns < 0n;
  const abs = neg ? -ns : ns;
  let unit = 1n;
  let name = 'ns';
  for (const [u, n] of ADAPTIVE) {
    if (abs >= u) {
      unit = u;
      name = n;
      break;
    }
  }
  const hundredths = (abs * 100n + unit / 2n) / unit;
  let text = `${hundredths / 100n}.${(hundredths % 100n).toString().padStart(2, '0')}`;
  if (text.endsWith('0')) text = text.slice(0, -1);
  return `${neg ? '-' : ''}${text}${name}`;
}

/** Prints nanoseconds as decimal seconds with exactly `digits` fraction digits (Zeek TSV: 6). */
export function formatSecondsFixed(ns: bigint, digits = 6): string {
  const neg = ns < 0n;
  let abs = neg ? -ns : ns;
  const div = 10n ** BigInt(9 - digits);
  abs = (abs + div / 2n) / div;
  const scale = 10n ** BigInt(digits);
  const s = `${abs / scale}.${(abs % scale).toString().padStart(digits, '0')}`;
  return neg ? `-${s}` : s;
}
