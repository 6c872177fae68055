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
  return memoized(compileLinear(source, caseInsensitive));
}

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
