/**
 * The independent side of the Sigma acceptance test (sigma-sigmahq.test.ts):
 * awk over the Zeek TSV logs, one hand-written predicate per rule
 * (`function m()`), on a shared prelude that knows only Zeek's log format
 * (`#fields` names the columns, `-` is unset, `(empty)` an empty set, `,`
 * separates set and vector elements, `\\` and `\xHH` are escapes) and Sigma's
 * matching rules (strings compare without case; a list field matches when one
 * of its elements does; an unset field matches no value but `null`). Nothing
 * here reads vast's code or output.
 */
import { execFileSync } from 'node:child_process';

/**
 * awk (POSIX; mawk on our machines) helpers for the per-rule predicates:
 * - `v(f)`: the value of column `f`, unescaped; `-` when unset or when the log has no such column;
 * - `isnull(f)`: unset, or no such column (Sigma's `null`);
 * - `eq/has/sw/ew(f, s)`: equals / contains / starts with / ends with `s`, without case;
 * - `any_eq/any_has/any_sw/any_ew(f, s)`: the same on some element of a list column;
 * - `n(f)`: the number in `f` (only called where the field is set).
 * An event that matches prints `ts<TAB>id` (id: `uid`, else `fuid`, `fingerprint`, `id`).
 */
const PRELUDE = String.raw`
BEGIN { FS = "\t"; for (i = 0; i < 16; i++) HEX[substr("0123456789abcdef", i + 1, 1)] = i }
/^#fields\t/ { split("", col); for (i = 2; i <= NF; i++) col[$i] = i - 1; next }
/^#/ { next }
{ if (m()) print raw("ts") "\t" ident() }
function raw(f) { return (f in col) ? $(col[f]) : "-" }
function ident() {
  if ("uid" in col) return raw("uid")
  if ("fuid" in col) return raw("fuid")
  if ("fingerprint" in col) return raw("fingerprint")
  return raw("id")
}
function unesc(s,   out, i, c, d) {
  if (index(s, "\\") == 0) return s
  out = ""
  for (i = 1; i <= length(s); i++) {
    c = substr(s, i, 1); d = substr(s, i + 1, 1)
    if (c == "\\" && d == "\\") { out = out "\\"; i++ }
    else if (c == "\\" && d == "x") { out = out sprintf("%c", HEX[tolower(substr(s, i + 2, 1))] * 16 + HEX[tolower(substr(s, i + 3, 1))]); i += 3 }
    else out = out c
  }
  return out
}
function isnull(f) { return raw(f) == "-" }
function v(f) { return unesc(raw(f)) }
function n(f) { return raw(f) + 0 }
function s_eq(x, s) { return tolower(x) == tolower(s) }
function s_has(x, s) { return index(tolower(x), tolower(s)) > 0 }
function s_sw(x, s) { return index(tolower(x), tolower(s)) == 1 }
function s_ew(x, s) { return length(x) >= length(s) && substr(tolower(x), length(x) - length(s) + 1) == tolower(s) }
function eq(f, s) { return !isnull(f) && s_eq(v(f), s) }
function has(f, s) { return !isnull(f) && s_has(v(f), s) }
function sw(f, s) { return !isnull(f) && s_sw(v(f), s) }
function ew(f, s) { return !isnull(f) && s_ew(v(f), s) }
function elems(f, a) { if (isnull(f) || raw(f) == "(empty)") return 0; return split(raw(f), a, ",") }
function any_eq(f, s,   a, k, i) { k = elems(f, a); for (i = 1; i <= k; i++) if (s_eq(unesc(a[i]), s)) return 1; return 0 }
function any_has(f, s,   a, k, i) { k = elems(f, a); for (i = 1; i <= k; i++) if (s_has(unesc(a[i]), s)) return 1; return 0 }
function any_sw(f, s,   a, k, i) { k = elems(f, a); for (i = 1; i <= k; i++) if (s_sw(unesc(a[i]), s)) return 1; return 0 }
function any_ew(f, s,   a, k, i) { k = elems(f, a); for (i = 1; i <= k; i++) if (s_ew(unesc(a[i]), s)) return 1; return 0 }
`;

/** The events (`ts<TAB>id`, one a line, sorted) that `predicate` (an awk `function m()`) selects in `logs`. */
export function awkOracle(predicate: string, logs: readonly string[]): string[] {
  // No log of the logsource: the oracle reads an empty input and selects nothing.
  if (logs.length === 0) return [];
  const out = execFileSync('awk', [PRELUDE + predicate, ...logs], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map(normalizeTsvKey)
    .sort();
}

/** Zeek TSV time (`1258531221.486539`) as seconds with six decimals. */
function normalizeTsvKey(line: string): string {
  const [ts = '', id = ''] = line.split('\t');
  const [s = '', frac = ''] = ts.split('.');
  return `${s}.${frac.padEnd(6, '0').slice(0, 6)}\t${id}`;
}

/**
 * The same key for an event as JSON (vast's export: `"ts":"2009-11-18T08:56:31.642070"`, UTC;
 * Zeek JSON and EVE: a trailing `Z`; EVE: `timestamp` and `flow_id`).
 */
export function jsonKey(event: Record<string, unknown>): string {
  const ts = String(event.ts ?? event.timestamp);
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?/.exec(ts);
  if (!m) throw new Error(`unexpected ts: ${ts}`);
  const [, y, mo, d, h, mi, s, frac = ''] = m;
  const secs = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!) / 1000;
  const id = event.uid ?? event.fuid ?? event.fingerprint ?? event.id ?? event.flow_id ?? '-';
  return `${secs}.${frac.padEnd(6, '0').slice(0, 6)}\t${String(id)}`;
}
