/**
 * The one renderer of diagnostics, in rustc's layout: the message, where it
 * is, the source line with carets under the span, then notes and hints.
 *
 * ```text
 * error: unknown field 'orig_hh'
 *  --> query:1:1
 *   |
 * 1 | orig_hh == 1
 *   | ^^^^^^^
 *   = hint: did you mean 'orig_h'?
 * ```
 *
 * Without an excerpt (readers stream their input) the source lines are left
 * out; without a location, so is the `-->` line. The output is plain text, the
 * same on every path (CLI, node logs, an API client's rendering of a node's answer).
 */
import type { Diagnostic, Location } from './diagnostic.js';

const encoder = new TextEncoder();

/** `conn.log:12:40`, or `12:40` for a location in an unnamed text. */
function formatLocation(l: Location): string {
  return `${l.source !== undefined ? `${l.source}:` : ''}${l.line}:${l.column}`;
}

export function renderDiagnostic(d: Diagnostic): string {
  const loc = d.location;
  const out = [`${d.severity}: ${d.message}`];
  // The gutter holds the line number when the source line is shown.
  const gutter = loc && d.excerpt !== undefined ? String(loc.line).length : 1;
  const pad = ' '.repeat(gutter);
  if (loc) {
    out.push(`${pad}--> ${formatLocation(loc)}`);
    if (d.excerpt !== undefined) {
      out.push(`${pad} |`, `${loc.line} | ${d.excerpt}`.trimEnd(), `${pad} | ${carets(d.excerpt, loc)}`);
    }
  }
  for (const n of d.notes ?? []) out.push(`${pad} = note: ${n}`);
  for (const h of d.hints ?? []) out.push(`${pad} = hint: ${h}`);
  return out.join('\n');
}

/** Every diagnostic rendered, one block each, in the order given. */
export function renderDiagnostics(ds: readonly Diagnostic[]): string {
  return ds.map(renderDiagnostic).join('\n');
}

/**
 * Whitespace up to byte `column` of `line` (tabs kept as tabs, so the carets
 * line up in any terminal), then one caret per character of the span. A span
 * past the end of the line (end of input) gets its caret right after it.
 */
function carets(line: string, loc: Location): string {
  const start = loc.column - 1;
  const end = start + Math.max(1, loc.length ?? 1);
  let pad = '';
  let marks = 0;
  let bytes = 0;
  for (const ch of line) {
    if (bytes >= end) break;
    if (bytes < start) pad += ch === '\t' ? '\t' : ' ';
    else marks++;
    bytes += encoder.encode(ch).length;
  }
  if (bytes < start) pad += ' '.repeat(start - bytes);
  return `${pad}${'^'.repeat(Math.max(1, marks))}`;
}
