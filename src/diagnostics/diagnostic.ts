/**
 * The one shape of every problem vast reports to a user: reader errors
 * (file:line:column), expression and pipeline errors (a span in the query),
 * configuration errors (a span in vast.yaml) and HTTP API errors. Expected bad
 * input is a Diagnostic value; exceptions are for bugs and broken environments
 * (STYLE.md, "Errors"). Diagnostics are plain data so that they cross the HTTP
 * API unchanged (wire.ts) and render the same on both sides (render.ts).
 */

type Severity = 'error' | 'warning' | 'note';

/** Where a problem is: a span in a named source text. */
export interface Location {
  /**
   * Name of the source text: a file name as the user gave it, `<stdin>`,
   * `query` (an expression or pipeline), `vast.yaml` (its path), `<request>`.
   */
  readonly source?: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column, counted in bytes of the line. */
  readonly column: number;
  /** Bytes the problem spans from `column`; absent: one. */
  readonly length?: number;
}

export interface Diagnostic {
  readonly severity: Severity;
  /** What is wrong, in one line, without location (the renderer adds it). */
  readonly message: string;
  readonly location?: Location;
  /**
   * The line of source text `location` points into, so the diagnostic renders
   * with its source line wherever it goes (the CLI, the HTTP API's client).
   * Readers, which stream their input, leave it out.
   */
  readonly excerpt?: string;
  /** Facts that explain the problem (`the '(' at 1:3 is still open`). */
  readonly notes?: readonly string[];
  /** What to do about it (`did you mean 'orig_h'?`). */
  readonly hints?: readonly string[];
  /**
   * Whether the input can go on after this problem (a bad value: skip the row)
   * or not (lost framing: a truncated record header, a broken gzip stream).
   */
  readonly recoverable: boolean;
}

/** The optional parts of a diagnostic, for its constructors. */
export interface DiagnosticParts {
  readonly location?: Location;
  readonly excerpt?: string;
  readonly notes?: readonly string[];
  readonly hints?: readonly string[];
  /** Defaults: errors are not recoverable, warnings and notes are. */
  readonly recoverable?: boolean;
}

/** A diagnostic of any severity; absent and empty parts are left out, so diagnostics compare by value. */
function diagnostic(severity: Severity, message: string, parts: DiagnosticParts = {}): Diagnostic {
  const { location, excerpt, notes, hints, recoverable = severity !== 'error' } = parts;
  return {
    severity,
    message,
    ...(location ? { location } : {}),
    ...(excerpt !== undefined && location ? { excerpt } : {}),
    ...(notes && notes.length > 0 ? { notes } : {}),
    ...(hints && hints.length > 0 ? { hints } : {}),
    recoverable,
  };
}

/** An error: not recoverable unless `parts.recoverable` says so. */
export const errorDiagnostic = (message: string, parts?: DiagnosticParts): Diagnostic =>
  diagnostic('error', message, parts);

/** A warning: the input goes on. */
export const warningDiagnostic = (message: string, parts?: DiagnosticParts): Diagnostic =>
  diagnostic('warning', message, parts);

const encoder = new TextEncoder();

/** 1-based line and column (UTF-8 bytes, as `Location` specifies) of a UTF-16 offset into `text`. */
export function locate(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: encoder.encode(text.slice(lineStart, offset)).length + 1 };
}

/**
 * The location and excerpt of `length` UTF-16 units at `offset` in a whole
 * source text we hold (a query, a config file): what a diagnostic needs to
 * render with its source line. A span running past its line is cut at the line's end.
 */
export function spanIn(
  source: string,
  text: string,
  offset: number,
  length = 1,
): { location: Location; excerpt: string } {
  const at = Math.max(0, Math.min(offset, text.length));
  const { line, column } = locate(text, at);
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  let lineEnd = text.indexOf('\n', at);
  if (lineEnd < 0) lineEnd = text.length;
  const excerpt = text.slice(lineStart, text[lineEnd - 1] === '\r' ? lineEnd - 1 : lineEnd);
  const bytes = encoder.encode(text.slice(at, Math.min(at + Math.max(1, length), lineEnd))).length;
  return { location: { source, line, column, ...(bytes > 1 ? { length: bytes } : {}) }, excerpt };
}
