/**
 * Who may use a route: every request needs a bearer token (`Authorization:
 * Bearer ...`, the scheme in any case, or `X-VAST-Token`), and the token's role
 * must allow the role the route declares (routes/route.ts). Checked before any
 * body is read or any handler runs; failures go to the audit log.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Principal, type Role, roleAllows } from './auth.js';
import { HttpError } from './http.js';
import type { VastNode } from './node.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** The role a route needs (from its definition). */
    role?: Role;
  }
}

function tokenOf(req: FastifyRequest): string | undefined {
  // RFC 7235: the auth scheme is case-insensitive.
  const m = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (m) return m[1];
  const x = req.headers['x-vast-token'];
  return typeof x === 'string' && x !== '' ? x : undefined;
}

/**
 * The role a request needs: its route's, or undefined when no route matched (the answer
 * is a 404). A route without a role needs admin: closed until someone decides who may use it.
 */
function neededRole(req: FastifyRequest): Role | undefined {
  if (req.routeOptions.url === undefined) return undefined;
  return req.routeOptions.config?.role ?? 'admin';
}

export function addAuthHook(app: FastifyInstance, node: VastNode): void {
  app.decorateRequest('principal', undefined as unknown as Principal);
  app.addHook('onRequest', async (req) => {
    const token = tokenOf(req);
    const principal = token ? node.tokens.verify(token) : 'missing token (Authorization: Bearer <token>)';
    const path = req.url.split('?')[0];
    if (typeof principal === 'string') {
      node.auditLog.authFailure(req.ip, undefined, { reason: principal, path, remote: req.ip });
      throw new HttpError(401, principal);
    }
    req.principal = principal;
    const need = neededRole(req);
    if (need && !roleAllows(principal.role, need)) {
      node.auditLog.authFailure(`token ${principal.tokenId}`, principal, {
        reason: `needs role ${need}`,
        path: `${req.method} ${path}`,
        remote: req.ip,
      });
      throw new HttpError(
        403,
        `${req.method} ${path} needs a token with the '${need}' role; this token's role is '${principal.role}'`,
      );
    }
    // A request in progress may compute for long without sending: only idle connections time out
    // (a keep-alive connection gets the keep-alive timeout again once the response is sent).
    req.raw.socket?.setTimeout(0);
  });
}
