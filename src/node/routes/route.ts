/**
 * One route of the HTTP API: method, path, the role it needs, zod schemas for
 * its path parameters, query string, headers and JSON body (validated before
 * the handler runs; the OpenAPI document is generated from them), and the
 * handler, which gets the parsed values.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { AuditFields } from '../audit.js';
import type { Role } from '../auth.js';
import type { CursorStore } from '../cursors.js';
import type { VastNode } from '../node.js';
import type { RunningQueries } from '../running-queries.js';
import type { Tenant } from '../tenant.js';

/** What the server shares with its routes. */
export interface RouteContext {
  node: VastNode;
  cursors: CursorStore;
  running: RunningQueries;
  /** The total time a one-shot query (or one page) may take, in milliseconds. */
  queryTimeoutMs: number;
  /** The request's tenant. */
  tenantOf(req: FastifyRequest): Promise<Tenant>;
  /** Records an action of this request's principal in the audit log. */
  audit(req: FastifyRequest, action: string, fields?: AuditFields): void;
  /** The OpenAPI document of all routes. */
  openApi(): unknown;
}

export interface RouteInput<P, Q, H, B> {
  params: P;
  query: Q;
  headers: H;
  body: B;
  req: FastifyRequest;
  reply: FastifyReply;
}

type Schema = z.ZodType;

export interface RouteSpec<P extends Schema, Q extends Schema, H extends Schema, B extends Schema> {
  method: 'GET' | 'POST' | 'DELETE';
  /** Fastify's form: `/api/v0/query/:id/next`. */
  path: string;
  /** The least role a token needs: read < write < admin. */
  role: Role;
  summary: string;
  params?: P;
  query?: Q;
  headers?: H;
  /** A JSON body's fields; a body that is not a JSON object counts as no fields. */
  body?: B;
  /** The largest JSON body, when larger than the server's 1 MiB (a directory of rules). */
  bodyLimit?: number;
  /** Content types of a raw (streamed) body, for the OpenAPI document. */
  rawBody?: readonly string[];
  /** A check of the principal beyond its role, before the request's values are validated. */
  authorize?(req: FastifyRequest, ctx: RouteContext): void;
  /** The shape of a successful JSON answer, for the OpenAPI document (not checked at run time). */
  response?: z.ZodType;
  /** Descriptions of the answers by status (200 and the errors this route gives besides 401/403). */
  responses: Readonly<Record<number, string>>;
  handler(
    input: RouteInput<z.output<P>, z.output<Q>, z.output<H>, z.output<B>>,
    ctx: RouteContext,
  ): Promise<unknown>;
}

export type Route = RouteSpec<Schema, Schema, Schema, Schema>;

/** Types a route's handler by its schemas. */
export function defineRoute<
  P extends Schema = z.ZodUnknown,
  Q extends Schema = z.ZodUnknown,
  H extends Schema = z.ZodUnknown,
  B extends Schema = z.ZodUnknown,
>(spec: RouteSpec<P, Q, H, B>): Route {
  return spec as unknown as Route;
}
