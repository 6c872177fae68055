/**
 * Request bodies: import bodies are streamed to the reader, not buffered (a
 * body may be gigabytes); JSON bodies of other routes parse as usual.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { HttpError } from './http.js';

export function addBodyParsers(app: FastifyInstance, streamedPrefix: string): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (req.url.startsWith(streamedPrefix)) {
      done(null, Readable.from([Buffer.from(body as string)]));
      return;
    }
    try {
      done(null, body === '' ? {} : JSON.parse(body as string));
    } catch {
      done(new HttpError(400, 'request body is not valid JSON'), undefined);
    }
  });
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
}
