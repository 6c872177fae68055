/**
 * Patterns (`/re/`, `/re/i`) run on untrusted data, so they must run in
 * linear time: a backtracking engine would let one crafted log line stall a
 * node (ReDoS). We use V8's linear-time engine (the `l` flag, enabled at start
 * by `enableLinearRegExp`) when it accepts the pattern, and re2js (a pure-JS
 * RE2 port, also linear but ~30x slower) otherwise, e.g. for `/i`, which
 * V8's linear engine does not support yet.
 */
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import type { RE2JS as RE2JSClass } from 're2js';
import { VastError } from '../../diagnostics.js';

/**
 * Bounds on what a pattern may ask for. A linear-time engine still costs
 * (value length) x (compiled program size), and a counted repetition
 * `x{1,1000}` copies `x` a thousand times (nested ones multiply), so an
 * unbounded pattern can hold the event loop for minutes on long values.
 * Real hunting patterns stay far below these: hashes (`[0-9a-f]{128}`),
 * IPs (`(?:\d{1,3}\.){3}\d{1,3}`), DNS labels (`[a-z0-9-]{1,63}`), long
 * alternations of indicators (a few KB).
 */
const PATTERN_LIMITS = {
  /** Characters of pattern source. */
  length: 8192,
  /** The largest count in `{n}`, `{n,}`, `{n,m}`. */
  repetition: 256,
  /** The product of nested counts, as in `(?:x{10}){100}` (RE2 and re2js refuse above 1000). */
  nestedRepetition: 1000,
  /** Atoms after expanding counted repetitions (nested counts multiply). */
  size: 4096,
  /**
   * Value length x (pattern size + 24) a single test may cost: about a second
   * in both engines (measured ~60 ns per unit for re2js on nested repetitions,
   * and ~300 ns per character for V8's linear engine on a trivial pattern).
   * Simple patterns thus match values of up to about 400,000 characters.
   */
  work: 10_000_000,
} as const;

/** Where and why a pattern exceeds `PATTERN_LIMITS` (index into `source`), or undefined. */
export function patternLimitViolation(source: string): { at: number; message: string } | undefined {
  if (source.length > PATTERN_LIMITS.length)
    return {
      at: 0,
      message: `pattern is ${source.length} characters long, exceeding the limit of ${PATTERN_LIMITS.length}`,
    };
  const size = expandedSize(source);
  if ('at' in size) return size;
  if (size.total > PATTERN_LIMITS.size)
    return {
      at: 0,
      message: `pattern expands to ${size.total} atoms after counted repetitions, exceeding the limit of ${PATTERN_LIMITS.size}`,
    };
  return undefined;
}

/**
 * The pattern's size with counted repetitions expanded: each atom (character,
 * escape, class) counts 1, a group the sum of its content, `x{n,m}` the size
 * of `x` times max(n, m). Reports the first count above the limit instead.
 */
export function expandedSize(source: string): { total: number } | { at: number; message: string } {
  // One frame per open group: its size so far; `last` is the size of the atom a quantifier applies to.
  const frames: number[] = [0];
  let last = 0;
  // The same for the largest product of nested counts.
  const nests: number[] = [1];
  let lastNest = 1;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      last = 1;
      lastNest = 1;
      frames[frames.length - 1] += 1;
    } else if (c === '[') {
      // Skip the class: `]` right after `[` or `[^` is a literal, escapes are skipped.
      let j = i + 1;
      if (source[j] === '^') j++;
      if (source[j] === ']') j++;
      for (; j < source.length && source[j] !== ']'; j++) if (source[j] === '\\') j++;
      i = j;
      last = 1;
      lastNest = 1;
      frames[frames.length - 1] += 1;
    } else if (c === '(') {
      frames.push(0);
      nests.push(1);
      last = 0;
      // Group syntax is no atom: `(?:`, `(?<name>`, `(?i:`.
      if (source[i + 1] === '?') {
        const close = source.slice(i + 2).search(/[:>)]/);
        if (close >= 0) i += 2 + close;
      }
    } else if (c === ')') {
      last = frames.pop() ?? 0;
      lastNest = nests.pop() ?? 1;
      if (frames.length === 0) frames.push(0);
      if (nests.length === 0) nests.push(1);
      frames[frames.length - 1] += last;
      nests[nests.length - 1] = Math.max(nests[nests.length - 1], lastNest);
    } else if (c === '{') {
      const m = /^\{(\d+)(?:,(\d*))?\}/.exec(source.slice(i, i + 40));
      if (!m) {
        last = 1;
        lastNest = 1;
        frames[frames.length - 1] += 1;
        continue;
      }
      const count = Math.max(Number(m[1]), m[2] ? Number(m[2]) : 0);
      if (count > PATTERN_LIMITS.repetition)
        return {
          at: i,
          message: `pattern repetition count ${count} exceeds the limit of ${PATTERN_LIMITS.repetition}`,
        };
      const nested = count * lastNest;
      if (nested > PATTERN_LIMITS.nestedRepetition)
        return {
          at: i,
          message: `pattern nests repetition counts to ${nested}, exceeding the limit of ${PATTERN_LIMITS.nestedRepetition}`,
        };
      nests[nests.length - 1] = Math.max(nests[nests.length - 1], nested);
      // The atom is already counted once; `{n,}` needs n copies plus a loop.
      frames[frames.length - 1] += last * Math.max(count - 1, 0);
      if (frames[frames.length - 1] > PATTERN_LIMITS.size * 16) break;
      i += m[0].length - 1;
      last = 0;
    } else if (c === '*' || c === '+' || c === '?' || c === '|' || c === '^' || c === '$') {
      last = 0;
    } else {
      last = 1;
      lastNest = 1;
      frames[frames.length - 1] += 1;
    }
  }
  let total = 0;
  for (const f of frames) total += f;
  return { total };
}

/** re2js is loaded on first use: most queries never need it, and it costs ~0.2 s to load. */
let re2js: typeof RE2JSClass | undefined;
const loadRe2 = () => {
  re2js ??= (createRequire(import.meta.url)('re2js') as { RE2JS: typeof RE2JSClass }).RE2JS;
  return re2js;
};

let linearEnabled = false;

/** Turns on V8's experimental linear-time RegExp engine; must run before any pattern is compiled. */
export function enableLinearRegExp(): void {
  if (linearEnabled) return;
  linearEnabled = true;
  setFlagsFromString('--enable-experimental-regexp-engine');
}

/** Distinct values whose outcome a matcher remembers; beyond that it just tests. */
const MEMO_LIMIT = 8192;

/**
 * Remembers the outcome per distinct value. Security logs repeat values a lot
 * (`history`, `service`, user agents), and a linear-time engine costs about a
 * microsecond per test: a lookup is far cheaper. Bounded, so high-cardinality
 * fields cost no memory beyond the limit.
 */
function memoized(test: (s: string) => boolean): (s: string) => boolean {
  const memo = new Map<string, boolean>();
  return (s) => {
    const known = memo.get(s);
    if (known !== undefined) return known;
    const r = test(s);
    if (memo.size < MEMO_LIMIT) memo.set(s, r);
    return r;
  };
}

/** A linear-time matcher for a pattern: true when the pattern matches somewhere in `s` (unanchored, as in VAST). */
export function compilePattern(source: string, caseInsensitive: boolean): (s: string) => boolean {
  return memoized(bounded(source, compileLinear(source, caseInsensitive)));
}

/**
 * Refuses values so long that one test would hold the event loop for more
 * than about a second (see `PATTERN_LIMITS.work`): an error, not a silent
 * mismatch, so that no event is missed unnoticed.
 */
function bounded(source: string, test: (s: string) => boolean): (s: string) => boolean {
  const size = expandedSize(source);
  const cost = ('total' in size ? size.total : PATTERN_LIMITS.size) + 24;
  const maxChars = Math.floor(PATTERN_LIMITS.work / cost);
  return (s) => {
    if (s.length > maxChars)
      throw new VastError(
        `a value of ${s.length} characters is too long to match against pattern /${abbreviate(source)}/ ` +
          `(at most ${maxChars} characters for a pattern of this size)`,
      );
    return test(s);
  };
}

const abbreviate = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}...` : s);

function compileLinear(source: string, caseInsensitive: boolean): (s: string) => boolean {
  enableLinearRegExp();
  if (!caseInsensitive) {
    try {
      const re = new RegExp(source, 'l');
      return (s) => re.test(s);
    } catch {
      // The linear engine refuses some constructs (or is unavailable): fall through to RE2.
    }
  }
  const RE2JS = loadRe2();
  const re = RE2JS.compile(source, caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
  return (s) => re.matcher(s).find();
}
