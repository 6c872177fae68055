/**
 * Diagnostics: the one shape for every problem we report to a user, and the one
 * renderer. This file is the entry point; the parts live in diagnostics/:
 * `diagnostic.ts` (the shape and its constructors), `render.ts` (the renderer),
 * `errors.ts` (the VastError family), `wire.ts` (the HTTP API's JSON shape).
 */
export {
  type Diagnostic,
  errorDiagnostic,
  type Location,
  locate,
  spanIn,
  warningDiagnostic,
} from './diagnostics/diagnostic.js';
export { InputError, renderError, StoreError, UsageError, VastError } from './diagnostics/errors.js';
export { renderDiagnostic, renderDiagnostics } from './diagnostics/render.js';
