/**
 * The errors vast throws. Each carries diagnostics, which the CLI renders and
 * the HTTP API sends (STYLE.md, "Errors": `VastError` subclasses, no bare strings).
 */
import { type Diagnostic, errorDiagnostic } from './diagnostic.js';
import { renderDiagnostics } from './render.js';

/**
 * Base class of the errors vast throws. `diagnostics` are the user-facing
 * details; an error made from a message alone has that message as its one diagnostic.
 */
export class VastError extends Error {
  /** The first diagnostic given, if any (a reader's located problem). */
  readonly diagnostic?: Diagnostic;
  readonly diagnostics: readonly Diagnostic[];

  constructor(
    message: string,
    diagnostics?: Diagnostic | readonly Diagnostic[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'VastError';
    const given =
      diagnostics === undefined ? [] : 'severity' in diagnostics ? [diagnostics] : [...diagnostics];
    if (given.length > 0) this.diagnostic = given[0];
    this.diagnostics = given.length > 0 ? given : [errorDiagnostic(message)];
  }

  /** What the user sees: the diagnostics, rendered. */
  render(): string {
    return renderDiagnostics(this.diagnostics);
  }
}

/** A problem with input data, raised when the on-error policy says to stop. */
export class InputError extends VastError {
  constructor(diagnostic: Diagnostic) {
    super(renderDiagnostics([diagnostic]), diagnostic);
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

/** What the user sees for any error: a VastError's diagnostics, else its message as one. */
export function renderError(e: unknown): string {
  if (e instanceof VastError) return e.render();
  return renderDiagnostics([errorDiagnostic(e instanceof Error ? e.message : String(e))]);
}
