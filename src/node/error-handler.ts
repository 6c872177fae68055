/**
 * Errors of the HTTP API as JSON `{error, diagnostics}` (diagnostics/wire.ts) with a fitting
 * status, in this one place; unknown paths as 404.
 */
import type { FastifyInstance } from 'fastify';
import { errorBody } from '../diagnostics/wire.js';
import { VastError } from '../diagnostics.js';
import { StorageFullError } from '../store/errors.js';
import { HttpError } from './http.js';
import type { VastNode } from './node.js';

export function addErrorHandlers(app: FastifyInstance, node: VastNode): void {
  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const status =
      err instanceof HttpError
        ? err.status
        : err instanceof StorageFullError
          ? 507
          : err instanceof VastError
            ? 400
            : (err.statusCode ?? 500);
    if (status >= 500) node.log.error({ err: err.message, stack: err.stack }, 'request failed');
    reply.status(status).send({ ...(err instanceof HttpError ? err.extra : {}), ...errorBody(err) });
  });

  app.setNotFoundHandler((req, reply) => {
    reply
      .status(404)
      .send(errorBody(new VastError(`no such endpoint: ${req.method} ${req.url.split('?')[0]}`)));
  });
}
