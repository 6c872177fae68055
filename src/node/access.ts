/**
 * Which role each route of the HTTP API needs. One table, checked in the
 * server's request hook before any handler runs, so a route cannot forget
 * its check. `read` may query and see status; `write` may also import and
 * flush (and run sources where the operator allows tenants to); `admin` may
 * also manage tokens, stop the node and run sources.
 */
import type { Role } from './auth.js';

const ROUTE_ROLES: Readonly<Record<string, Role>> = {
  'GET /api/v0/openapi.json': 'read',
  'GET /api/v0/status': 'read',
  'GET /api/v0/export': 'read',
  'POST /api/v0/export': 'read',
  'POST /api/v0/query/new': 'read',
  'GET /api/v0/query/:id/next': 'read',
  'DELETE /api/v0/query/:id': 'read',
  'GET /api/v0/sources': 'read',
  'POST /api/v0/import': 'write',
  'POST /api/v0/flush': 'write',
  // Sources need admin unless the operator allows tenants (`tenant-sources`, checked by the route).
  'POST /api/v0/sources': 'write',
  'DELETE /api/v0/sources/:id': 'write',
  'POST /api/v0/stop': 'admin',
  'GET /api/v0/tokens': 'admin',
  'POST /api/v0/tokens': 'admin',
  'DELETE /api/v0/tokens/:id': 'admin',
};

/**
 * The role a request needs, by method and route pattern (`/api/v0/query/:id/next`);
 * undefined when no route matched (the answer is a 404). A route missing from the
 * table needs admin: a new route is closed until someone decides who may use it.
 */
export function neededRole(method: string, route: string | undefined): Role | undefined {
  if (route === undefined) return undefined;
  // HEAD is answered by the GET route.
  const m = method === 'HEAD' ? 'GET' : method;
  return ROUTE_ROLES[`${m} ${route}`] ?? 'admin';
}
