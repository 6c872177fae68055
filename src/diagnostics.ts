/**
 * Diagnostics: the one shape for every problem we report to a user, whether it
 * comes from a reader (file:line:column), the expression parser (a span in the
 * query) or a pipeline. Expected bad input is a Diagnostic value; exceptions are
 * for bugs and broken environments (STYLE.md, "Errors").
 */

export type Severity = 'error' | 'warning' | 'note';

export interface Location {
  /** File name as the user gave it, or `<stdin>`. */
  readonly file?: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column, counted in bytes of the line. */
  readonly column: number;
}

export interface Diagnostic {
  readonly severity: Severity;
  readonly message: string;
  readonly location?: Location;
  readonly notes?: readonly string[];
  /**
   * Whether the input can go on after this problem (a bad value: skip the row)
   * or not (lost framing: a truncated record header, a broken gzip stream).
   */
  readonly recoverable: boolean;
}

/** `error: conn.log:12:40: invalid value for field 'id.orig_p' (port): 'abc'` */
export function formatDiagnostic(d: Diagnostic): string {
  const loc = d.location;
  const where = loc ? `${loc.file ?? '<input>'}:${loc.line}:${loc.column}: ` : '';
  const notes = (d.notes ?? []).map((n) => `\n  note: ${n}`).join('');
  return `${d.severity}: ${where}${d.message}${notes}`;
}

/** Base class of the errors vast throws; `diagnostic` carries the user-facing details. */
export class VastError extends Error {
  constructor(
    message: string,
    readonly diagnostic?: Diagnostic,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'VastError';
  }
}

/** A problem with input data, raised when the on-error policy says to stop. */
export class InputError extends VastError {
  constructor(diagnostic: Diagnostic) {
    super(formatDiagnostic(diagnostic), diagnostic);
    this.name = 'InputError';
  }
}

export class StoreError extends VastError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, undefined, options);
    this.name = 'StoreError';
  }
}

export class UsageError extends VastError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
