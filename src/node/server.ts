/**
 * The HTTP API of a node (REST paths after VAST's: /api/v0/...). Every route
 * is defined in routes/ with the role it needs (checked by auth-hook.ts) and
 * zod schemas for its inputs, validated here before its handler runs (a 400
 * naming the field). The token's tenant decides which data a request sees and
 * writes; security-relevant actions go to the audit log (audit.ts). Errors are
 * JSON `{error, diagnostics}` with a fitting status code (error-handler.ts). The
 * OpenAPI document, generated from the routes, is served at /api/v0/openapi.json.
 */

import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { AuditFields } from './audit.js';
import { addAuthHook } from './auth-hook.js';
import { addBodyParsers } from './body-parsers.js';
import { CursorStore } from './cursors.js';
import { addErrorHandlers } from './error-handler.js';
import { plainBody, validate } from './http.js';
import type { VastNode } from './node.js';
import { openApiDocument } from './openapi-document.js';
import { importEvents } from './routes/import.js';
import { ROUTES } from './routes/index.js';
import type { Route, RouteContext } from './routes/route.js';
import { RunningQueries } from './running-queries.js';
import { tlsOptions } from './tls.js';

export function buildServer(node: VastNode) {
  const config = node.config;
  const https = tlsOptions(config);
  const app = Fastify({
    // As fastify's own logger type, so that the route and hook helpers take a plain FastifyInstance.
    loggerInstance: node.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1 << 20,
    // Live queries keep connections open; a stopping node must not wait for their clients.
    forceCloseConnections: true,
    ...(https ? { https } : {}),
    // Idle sockets are closed: thousands of them (no token needed to open one) must not use up file descriptors.
    connectionTimeout: config['idle-timeout'] * 1000,
    keepAliveTimeout: config['keep-alive-timeout'] * 1000,
    requestTimeout: config['request-timeout'] * 1000,
  });
  app.server.headersTimeout = config['headers-timeout'] * 1000;
  app.server.maxConnections = config['max-connections'];

  const cursors = new CursorStore(config['cursor-idle-timeout'] * 1000);
  app.addHook('onClose', async () => cursors.close());
  const document = openApiDocument(ROUTES);
  const ctx: RouteContext = {
    node,
    cursors,
    running: new RunningQueries(),
    queryTimeoutMs: config['query-timeout'] * 1000,
    tenantOf: (req) => node.tenant(req.principal.tenant),
    audit: (req: FastifyRequest, action: string, fields: AuditFields = {}) =>
      node.audit(req.principal, action, { remote: req.ip, ...fields }),
    openApi: () => document,
  };

  addBodyParsers(app, importEvents.path);
  addAuthHook(app, node);
  addErrorHandlers(app, node);
  for (const route of ROUTES) register(app, route, ctx);
  return app;
}

/** Adds a route: its role for the auth hook, and its inputs validated before the handler runs. */
function register(app: FastifyInstance, route: Route, ctx: RouteContext): void {
  app.route({
    method: route.method,
    url: route.path,
    config: { role: route.role },
    ...(route.bodyLimit !== undefined ? { bodyLimit: route.bodyLimit } : {}),
    handler: async (req, reply) => {
      route.authorize?.(req, ctx);
      const input = {
        params: route.params ? validate(route.params, req.params) : {},
        query: route.query ? validate(route.query, req.query) : {},
        headers: route.headers ? validate(route.headers, req.headers) : {},
        body: route.body ? validate(route.body, plainBody(req)) : {},
        req,
        reply,
      };
      return route.handler(input, ctx);
    },
  });
}
