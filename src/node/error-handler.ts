/** Errors of the HTTP API as JSON `{error: message}` with a fitting status; unknown paths as 404. */
import type { FastifyInstance } from 'fastify';
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
    reply.status(status).send({ error: err.message, ...(err instanceof HttpError ? err.extra : {}) });
  });

  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ error: `no such endpoint: ${req.method} ${req.url.split('?')[0]}` });
  });
}
