/** Queries over a tenant's data from the HTTP API: preparing them, and their failures as HTTP errors. */
import type * as A from 'apache-arrow';
import { isSigma, loadSigmaMappings, sigmaQueryText } from '../detect/sigma/index.js';
import { VastError } from '../diagnostics.js';
import { type PreparedQuery, prepareQuery, QueryCancelledError, QueryTimeoutError } from '../query/run.js';
import type { SchemaRegistry } from '../schemas/registry.js';
import { vastSchema } from '../types/arrow.js';
import type { Schema } from '../types/type.js';
import { HttpError } from './http.js';
import type { Tenant } from './tenant.js';

/**
 * Prepares a query against the tenant's schemas; errors become 400 with the rendered diagnostics.
 * A Sigma rule as the query text runs as its VAST expression (as on the CLI).
 */
export function prepareTenantQuery(
  t: Tenant,
  text: string | undefined,
  registry: SchemaRegistry,
): PreparedQuery {
  try {
    if (text !== undefined && isSigma(text))
      text = sigmaQueryText(text, { file: '<request>', mappings: loadSigmaMappings(registry) });
    return prepareQuery(text, [...t.store.schemas(), ...tailSchemas(t)], registry);
  } catch (e) {
    throw e instanceof VastError ? HttpError.of(400, e) : new HttpError(400, (e as Error).message);
  }
}

/** The HTTP error for a query that failed while running. */
export function queryHttpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  if (e instanceof QueryTimeoutError) return HttpError.of(504, e);
  if (e instanceof QueryCancelledError) return HttpError.of(499, e);
  if (e instanceof VastError) return HttpError.of(400, e);
  return new HttpError(500, `query failed: ${(e as Error).message}`);
}

/** Schemas of batches in a tenant's unflushed tail (so queries on fresh data type-check). */
function tailSchemas(t: Tenant): Schema[] {
  const seen = new Map<A.Schema, Schema>();
  for (const b of t.snapshot().tail) if (!seen.has(b.schema)) seen.set(b.schema, vastSchema(b.schema));
  return [...seen.values()];
}
