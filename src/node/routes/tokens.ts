/** Token management (admin): create, list, revoke. */
import { z } from 'zod';
import { parseDuration } from '../../types/duration.js';
import { DEFAULT_TENANT, ROLES } from '../auth.js';
import { HttpError } from '../http.js';
import type { VastNode } from '../node.js';
import { defineRoute } from './route.js';

const TokenId = z.object({ id: z.string() });

export const createToken = defineRoute({
  method: 'POST',
  path: '/api/v0/tokens',
  role: 'admin',
  summary:
    'create a token (admin): {tenant, role?: read|write|admin (default write), expires?: duration such as 30d}',
  body: z
    .object({
      tenant: z.string().optional(),
      role: z.enum(ROLES).default('write'),
      /** A duration from now: 30d, 12h, 90min. */
      expires: z.string().optional(),
    })
    .strict(),
  response: z.object({
    id: z.string(),
    tenant: z.string(),
    role: z.enum(ROLES),
    expires: z.string().nullable().meta({ description: 'ISO 8601, or null for never' }),
    token: z.string(),
  }),
  responses: {
    200: '{id, tenant, role, expires, token}: the only time the token is shown',
    400: 'invalid field (named in the message)',
  },
  async handler({ req, body }, { node, audit }) {
    const { role } = body;
    const tenant = body.tenant ?? (role === 'admin' ? DEFAULT_TENANT : undefined);
    if (tenant === undefined) throw new HttpError(400, "missing 'tenant'");
    const expires = expiryOf(body.expires);
    let created: { id: string; token: string };
    try {
      created = node.tokens.create(tenant, role, expires);
    } catch (e) {
      throw new HttpError(400, (e as Error).message);
    }
    audit(req, 'token.create', {
      target: created.id,
      details: { tenant, role, expires: expires?.toISOString() ?? null },
    });
    return { id: created.id, tenant, role, expires: expires?.toISOString() ?? null, token: created.token };
  },
});

export const listTokens = defineRoute({
  method: 'GET',
  path: '/api/v0/tokens',
  role: 'admin',
  summary: 'list tokens (admin): {tokens: [{id, tenant, role, created, expires}]}, never the tokens',
  responses: { 200: '{tokens}' },
  async handler(_input, { node }) {
    return { tokens: node.tokens.list() };
  },
});

export const revokeToken = defineRoute({
  method: 'DELETE',
  path: '/api/v0/tokens/:id',
  role: 'admin',
  summary: 'revoke a token by id (admin); the last admin token cannot be revoked',
  params: TokenId,
  response: z.object({ revoked: z.string() }),
  responses: { 200: '{revoked}', 400: 'the last admin token', 404: 'unknown token id' },
  async handler({ req, params: { id } }, { node, audit }) {
    let revoked: ReturnType<VastNode['tokens']['revoke']>;
    try {
      revoked = node.tokens.revoke(id);
    } catch (e) {
      throw new HttpError(400, (e as Error).message);
    }
    if (!revoked) throw new HttpError(404, `no such token: ${id}`);
    audit(req, 'token.revoke', { target: id, details: { tenant: revoked.tenant, role: revoked.role } });
    return { revoked: id };
  },
});

/** When a token made now with `expires` (a duration) stops working; 400 for anything but a positive duration. */
function expiryOf(expires: string | undefined, now = Date.now()): Date | null {
  if (expires === undefined) return null;
  const ns = parseDuration(expires);
  if (ns === undefined || ns <= 0n)
    throw new HttpError(
      400,
      `'expires': expected a positive duration such as 30d, 12h or 90min, got '${expires}'`,
    );
  const ms = Number(ns / 1_000_000n);
  if (now + ms > 8.64e15) throw new HttpError(400, `'expires': ${expires} is too far in the future`);
  return new Date(now + ms);
}
