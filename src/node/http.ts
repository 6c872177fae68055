/**
 * Errors and request parameters of the HTTP API: `HttpError` carries a status
 * and diagnostics,
 * and the zod helpers read parameters that may come as query strings (always
 * text) or as JSON fields (text, numbers or booleans) alike.
 */
import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type Diagnostic, VastError } from '../diagnostics.js';

/**
 * An error answer of the HTTP API: a status, the error's diagnostics (the body's
 * `diagnostics`, see diagnostics/wire.ts) and extra body fields.
 */
export class HttpError extends VastError {
  constructor(
    readonly status: number,
    message: string,
    /** Extra fields for the response body (an import's partial report). */
    readonly extra: Record<string, unknown> = {},
    /** The located details; absent: the message alone. */
    diagnostics?: readonly Diagnostic[],
  ) {
    super(message, diagnostics);
    this.name = 'HttpError';
  }

  /** `e` answered with `status`, its diagnostics kept. */
  static of(status: number, e: VastError): HttpError {
    return e instanceof HttpError && e.status === status
      ? e
      : new HttpError(status, e.message, {}, e.diagnostics);
  }
}

/**
 * The first problem of a zod validation, naming the field: `'tenant': expected string, received number`.
 * A message that already names its field (`'n' must be at most ...`) is complete as it is.
 */
function zodMessage(err: z.ZodError): string {
  const issue = err.issues[0];
  if (issue.code === 'unrecognized_keys')
    return `unknown field ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  const field = issue.path.join('.');
  if (!field) return issue.message;
  const top = String(issue.path[0]).toLowerCase();
  const message = issue.message.toLowerCase();
  if (message.includes(`'${top}'`) || message.startsWith(top)) return issue.message;
  return `'${field}': ${issue.message}`;
}

/** Parses a request part with a schema; a 400 naming the field when it does not fit. */
export function validate<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new HttpError(400, zodMessage(r.error));
  return r.data;
}

/** A JSON request body as an object; anything else (a stream, a string, none) as no fields. */
export function plainBody(req: FastifyRequest): unknown {
  return req.body && typeof req.body === 'object' && !(req.body instanceof Readable) ? req.body : {};
}

/** A parameter as text: a query string value, or a JSON string, number or boolean (null is absent). */
export const text = z
  .union([z.string(), z.number(), z.boolean(), z.null()])
  .transform((v) => (v === null ? undefined : String(v)))
  .optional();

/**
 * A flag parameter: true when present and neither `false` nor `0`; absent stays undefined, so
 * that `merged` lets a flag in the JSON body stand when the query string leaves it out.
 */
export const flag = text.transform((v) => (v === undefined ? undefined : v !== 'false' && v !== '0'));

/** A count parameter: a non-negative integer, or absent. */
export const count = (name: string) =>
  text.transform((v, ctx) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (Number.isInteger(n) && n >= 0) return n;
    ctx.addIssue({ code: 'custom', message: `'${name}' must be a non-negative integer, got '${v}'` });
    return z.NEVER;
  });

/** Query parameters given first, then the same parameters from a JSON body. */
export function merged<T extends object>(query: T, body: T): T {
  const out = { ...body } as Record<string, unknown>;
  for (const [k, v] of Object.entries(query)) if (v !== undefined) out[k] = v;
  return out as T;
}
