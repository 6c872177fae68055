/**
 * Patterns (`/re/`, `/re/i`) run on untrusted data, so they must run in
 * linear time: a backtracking engine would let one crafted log line stall a
 * node (ReDoS). We use V8's linear-time engine (the `l` flag, enabled at start
 * by `enableLinearRegExp`) when it accepts the pattern, and re2js (a pure-JS
 * RE2 port, also linear but ~30x slower) otherwise, e.g. for `/i`, which
 * V8's linear engine does not support yet.
 */
import { setFlagsFromString } from 'node:v8';
import { RE2JS } from 're2js';

let linearEnabled = false;

/** Turns on V8's experimental linear-time RegExp engine; must run before any pattern is compiled. */
export function enableLinearRegExp(): void {
  if (linearEnabled) return;
  linearEnabled = true;
  setFlagsFromString('--enable-experimental-regexp-engine');
}

/** A linear-time matcher for a pattern: true when the pattern matches somewhere in `s` (unanchored, as in VAST). */
export function compilePattern(source: string, caseInsensitive: boolean): (s: string) => boolean {
  enableLinearRegExp();
  if (!caseInsensitive) {
    try {
      const re = new RegExp(source, 'l');
      return (s) => re.test(s);
    } catch {
      // The linear engine refuses some constructs (or is unavailable): fall through to RE2.
    }
  }
  const re = RE2JS.compile(source, caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
  return (s) => re.matcher(s).find();
}
