/**
 * Diagnostics on the wire: the JSON shape of the HTTP API's error answers,
 * `{ error, diagnostics }`, as zod schemas. The node sends it (error-handler.ts,
 * stream errors), the client parses it back into diagnostics and renders them
 * with the same renderer as an embedded run, and the OpenAPI document is
 * generated from it.
 */
import { z } from 'zod';
import { type Diagnostic, errorDiagnostic } from './diagnostic.js';
import { VastError } from './errors.js';

const LocationWire = z.object({
  source: z.string().optional(),
  line: z.number().int().positive(),
  column: z.number().int().positive(),
  length: z.number().int().positive().optional(),
});

export const DiagnosticWire = z.object({
  severity: z.enum(['error', 'warning', 'note']),
  message: z.string(),
  location: LocationWire.optional(),
  excerpt: z.string().optional(),
  notes: z.array(z.string()).optional(),
  hints: z.array(z.string()).optional(),
  recoverable: z.boolean(),
});

/**
 * An error answer: `error` is the error's message, for clients that only show
 * text (for a query, the rendered diagnostics); `diagnostics` are the structured
 * details, at least one. Routes may add fields (an import's partial report), hence loose.
 */
export const ErrorBody = z.looseObject({
  error: z.string(),
  diagnostics: z.array(DiagnosticWire),
});
/** What `ErrorBody` parses, as the node builds it. */
export interface ErrorAnswer {
  readonly error: string;
  readonly diagnostics: readonly Diagnostic[];
}

/** The answer body for an error: its message and its diagnostics. */
export function errorBody(e: Error): ErrorAnswer {
  const diagnostics = e instanceof VastError ? e.diagnostics : [errorDiagnostic(e.message)];
  return { error: e.message, diagnostics };
}

/** The error and diagnostics of an answer body, or undefined when it is not an error body (a proxy's HTML page). */
export function parseErrorBody(body: unknown): ErrorAnswer | undefined {
  const r = ErrorBody.safeParse(body);
  return r.success ? { error: r.data.error, diagnostics: r.data.diagnostics } : undefined;
}
