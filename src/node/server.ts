/**
 * The HTTP API of a node (REST paths after VAST's: /api/v0/...). Every route
 * needs a bearer token (`Authorization: Bearer ...` or `X-VAST-Token`); the
 * token's tenant decides which data a request sees and writes. Errors are
 * JSON `{error: message}` with a fitting status code. The OpenAPI document is
 * served at /api/v0/openapi.json.
 */

import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import * as A from 'apache-arrow';
import Fastify, { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { type Diagnostic, formatDiagnostic, InputError, VastError } from '../diagnostics.js';
import { findFormat } from '../formats/index.js';
import { writeJson } from '../formats/json/writer.js';
import { InputLimitError, type OnError, readBatches } from '../formats/read.js';
import { batchSelector, type PreparedQuery, prepareQuery, runQuery } from '../query/run.js';
import { vastSchema } from '../types/arrow.js';
import type { Schema } from '../types/type.js';
import type { Principal } from './auth.js';
import { ARROW_STREAM } from './endpoint.js';
import { LiveSubscriber } from './live.js';
import type { VastNode } from './node.js';
import { openApiDocument } from './openapi.js';
import type { Tenant } from './tenant.js';

/** Diagnostics returned in an import response; the rest are only counted. */
const MAX_REPORTED = 20;
/** Idle query cursors are dropped after this long. */
const CURSOR_TTL_MS = 10 * 60 * 1000;

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra fields for the response body (an import's partial report). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function tokenOf(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7).trim();
  const x = req.headers['x-vast-token'];
  return typeof x === 'string' ? x : undefined;
}

/** A query parameter as a string, or undefined. */
function param(req: FastifyRequest, name: string): string | undefined {
  const q = req.query as Record<string, unknown>;
  const b = (
    req.body && typeof req.body === 'object' && !(req.body instanceof Readable) ? req.body : {}
  ) as Record<string, unknown>;
  const v = q[name] ?? b[name];
  return v === undefined || v === null ? undefined : String(v);
}

function boolParam(req: FastifyRequest, name: string): boolean {
  const v = param(req, name);
  return v !== undefined && v !== 'false' && v !== '0';
}

function limitParam(req: FastifyRequest, name: string): number | undefined {
  const v = param(req, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new HttpError(400, `'${name}' must be a non-negative integer, got '${v}'`);
  return n;
}

interface Cursor {
  iterator: AsyncIterator<A.RecordBatch>;
  pending: A.RecordBatch | undefined;
  tenant: string;
  touched: number;
}

export function buildServer(node: VastNode) {
  const app = Fastify({
    loggerInstance: node.log,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1 << 20,
    // Live queries keep connections open; a stopping node must not wait for their clients.
    forceCloseConnections: true,
  });
  const cursors = new Map<string, Cursor>();
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [id, c] of cursors)
      if (now - c.touched > CURSOR_TTL_MS) {
        c.iterator.return?.();
        cursors.delete(id);
      }
  }, 60_000);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));

  // Import bodies are streamed to the reader, not buffered; JSON bodies of other routes parse as usual.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (req.url.startsWith('/api/v0/import')) {
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

  app.addHook('onRequest', async (req) => {
    const token = tokenOf(req);
    const principal = token ? node.tokens.verify(token) : undefined;
    if (!principal)
      throw new HttpError(401, token ? 'invalid token' : 'missing token (Authorization: Bearer <token>)');
    req.principal = principal;
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const status =
      err instanceof HttpError ? err.status : err instanceof VastError ? 400 : (err.statusCode ?? 500);
    if (status >= 500) node.log.error({ err: err.message, stack: err.stack }, 'request failed');
    reply.status(status).send({ error: err.message, ...(err instanceof HttpError ? err.extra : {}) });
  });

  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ error: `no such endpoint: ${req.method} ${req.url.split('?')[0]}` });
  });

  const tenantOf = (req: FastifyRequest) => node.tenant(req.principal.tenant);

  app.get('/api/v0/openapi.json', async () => openApiDocument);

  app.get('/api/v0/status', async (req) => {
    const t = await tenantOf(req);
    return {
      uptime: (Date.now() - node.started) / 1000,
      tenant: t.name,
      database: t.store.dir,
      ...t.store.status(),
      buffered: t.buffered,
      ingested: t.ingested,
      liveQueries: t.subscribers.size,
      sources: node.components.list(req.principal.admin ? undefined : t.name),
    };
  });

  app.post('/api/v0/flush', async (req) => {
    const t = await tenantOf(req);
    await t.flush();
    return { flushed: true };
  });

  app.post('/api/v0/stop', async (req, reply) => {
    if (!req.principal.admin) throw new HttpError(403, 'only the admin token may stop the node');
    reply.send({ stopping: true });
    setImmediate(() => process.kill(process.pid, 'SIGTERM'));
    return reply;
  });

  app.post('/api/v0/tokens', async (req) => {
    if (!req.principal.admin) throw new HttpError(403, 'only the admin token may create tokens');
    const tenant = param(req, 'tenant');
    if (!tenant) throw new HttpError(400, "missing 'tenant'");
    try {
      return { tenant, token: node.tokens.create(tenant) };
    } catch (e) {
      throw new HttpError(400, (e as Error).message);
    }
  });

  app.post('/api/v0/import', async (req) => {
    const t = await tenantOf(req);
    const formatName =
      param(req, 'format') ?? (req.headers['content-type'] === ARROW_STREAM ? 'arrow' : undefined);
    if (!formatName)
      throw new HttpError(
        400,
        "missing 'format' (e.g. ?format=zeek, or Content-Type: application/vnd.apache.arrow.stream)",
      );
    const format = findFormat(formatName, 'read');
    const onError = (param(req, 'on-error') ?? 'skip') as OnError;
    if (onError !== 'skip' && onError !== 'fail') throw new HttpError(400, "'on-error' must be skip or fail");
    if (!(req.body instanceof Readable)) throw new HttpError(400, 'missing request body');
    const body = req.body as Readable;
    const diagnostics: Diagnostic[] = [];
    const stats = { errors: 0, warnings: 0 };
    let events = 0;
    let failure: Error | undefined;
    try {
      const batches = readBatches(
        format,
        body,
        {
          file: param(req, 'name') ?? '<request>',
          // Counted after decompression: a small gzip may hold gigabytes.
          maxInputBytes: node.config['max-import-bytes'],
          maxInputBytesName: 'max-import-bytes',
          schemas: node.registry,
          onError,
          schema: param(req, 'schema'),
          selector: param(req, 'selector'),
          onDiagnostic: (d) => {
            if (diagnostics.length < MAX_REPORTED) diagnostics.push(d);
          },
        },
        stats,
      );
      for await (const batch of batches) {
        await t.ingest(batch);
        events += batch.numRows;
      }
    } catch (e) {
      if (e instanceof HttpError) throw e;
      failure = e as Error;
    }
    const report = { events, errors: stats.errors, diagnostics: diagnostics.map(formatDiagnostic) };
    // What was ingested before a fatal error stays: it was acknowledged batch by batch.
    if (failure instanceof InputLimitError) {
      throw new HttpError(413, failure.diagnostic?.message ?? failure.message, report);
    }
    if (failure) {
      const message =
        failure instanceof InputError ? failure.message : `cannot read input: ${failure.message}`;
      throw new HttpError(400, message, report);
    }
    return report;
  });

  /** Prepares a query against the tenant's schemas; errors become 400 with the rendered diagnostics. */
  const prepare = (t: Tenant, text: string | undefined): PreparedQuery => {
    try {
      return prepareQuery(text, [...t.store.schemas(), ...tailSchemas(t)], node.registry);
    } catch (e) {
      throw new HttpError(400, (e as Error).message);
    }
  };

  /** Streams the results of a query as NDJSON or an Arrow IPC stream. */
  const exportRoute = async (req: FastifyRequest, reply: FastifyReply) => {
    const t = await tenantOf(req);
    const q = prepare(t, param(req, 'expression') ?? param(req, 'query'));
    const continuous = boolParam(req, 'continuous');
    const unified = boolParam(req, 'unified');
    const maxEvents = limitParam(req, 'limit') ?? limitParam(req, 'n');
    const arrowOut = param(req, 'format') === 'arrow' || req.headers.accept === ARROW_STREAM;
    let live: LiveSubscriber | undefined;
    // Subscribing and taking the snapshot happen in the same tick: no event is missed or seen twice.
    if (continuous || unified) {
      live = new LiveSubscriber(batchSelector(q), node.config['live-queue']);
      t.subscribers.add(live);
    }
    const snap = t.snapshot();
    const batches = runQuery(snap.store, q, {
      maxEvents,
      tail: snap.tail,
      live,
      liveOnly: continuous && !unified,
    });
    async function* guarded(): AsyncIterable<A.RecordBatch> {
      try {
        yield* batches;
      } finally {
        if (live) {
          live.close();
          t.subscribers.delete(live);
        }
      }
    }
    const out = Readable.from(
      arrowOut ? selfContainedStreams(guarded()) : writeJson(guarded(), { options: {} }),
    );
    req.raw.on('close', () => {
      if (!reply.raw.writableFinished) {
        live?.close();
        out.destroy();
      }
    });
    reply.type(arrowOut ? ARROW_STREAM : 'application/x-ndjson');
    return reply.send(out);
  };
  app.get('/api/v0/export', exportRoute);
  app.post('/api/v0/export', exportRoute);

  app.post('/api/v0/query/new', async (req) => {
    const t = await tenantOf(req);
    const q = prepare(t, param(req, 'expression') ?? param(req, 'query'));
    const snap = t.snapshot();
    const iterator = runQuery(snap.store, q, { tail: snap.tail })[Symbol.asyncIterator]();
    const id = randomUUID();
    cursors.set(id, { iterator, pending: undefined, tenant: t.name, touched: Date.now() });
    return { id };
  });

  app.get('/api/v0/query/:id/next', async (req) => {
    const { id } = req.params as { id: string };
    const c = cursors.get(id);
    if (!c || c.tenant !== req.principal.tenant) throw new HttpError(404, `no such query: ${id}`);
    c.touched = Date.now();
    const n = limitParam(req, 'n') ?? 100;
    const picked: A.RecordBatch[] = [];
    let count = 0;
    let done = false;
    while (count < n) {
      let batch = c.pending;
      c.pending = undefined;
      if (!batch) {
        const r = await c.iterator.next();
        if (r.done) {
          done = true;
          break;
        }
        batch = r.value;
      }
      const take = Math.min(n - count, batch.numRows);
      picked.push(batch.slice(0, take));
      if (take < batch.numRows) c.pending = batch.slice(take);
      count += take;
    }
    if (done) cursors.delete(id);
    const events: unknown[] = [];
    for await (const chunk of writeJson(
      (async function* () {
        yield* picked;
      })(),
      { options: {} },
    )) {
      for (const line of String(chunk).split('\n')) if (line) events.push(JSON.parse(line));
    }
    return { events, done };
  });

  app.get('/api/v0/sources', async (req) => ({
    sources: node.components.list(req.principal.admin ? undefined : req.principal.tenant),
  }));

  app.post('/api/v0/sources', async (req) => {
    const t = await tenantOf(req);
    const body = (req.body ?? {}) as { source?: unknown; args?: unknown };
    if (typeof body.source !== 'string')
      throw new HttpError(400, 'missing \'source\' (e.g. {"source": "pcap", "args": ["-i", "lo"]})');
    const args = body.args ?? [];
    if (!Array.isArray(args) || !args.every((a) => typeof a === 'string'))
      throw new HttpError(400, "'args' must be a list of strings");
    const id = await node.components.spawn(t, body.source, args as string[]);
    return { id };
  });

  app.delete('/api/v0/sources/:id', async (req) => {
    const { id } = req.params as { id: string };
    const ok = await node.components.kill(id, req.principal.admin ? undefined : req.principal.tenant);
    if (!ok) throw new HttpError(404, `no such source: ${id}`);
    return { killed: id };
  });

  return app;
}

/**
 * Each batch as a complete Arrow IPC stream (schema, batch, end-of-stream).
 * Readers see a batch as soon as it arrives: arrow-js reads ahead one message,
 * so inside one long stream a live batch would wait for the next one.
 */
async function* selfContainedStreams(batches: AsyncIterable<A.RecordBatch>): AsyncIterable<Uint8Array> {
  for await (const b of batches) yield A.tableToIPC(new A.Table([b]), 'stream');
}

/** Schemas of batches in a tenant's unflushed tail (so queries on fresh data type-check). */
function tailSchemas(t: Tenant): Schema[] {
  const seen = new Map<A.Schema, Schema>();
  for (const b of t.snapshot().tail) if (!seen.has(b.schema)) seen.set(b.schema, vastSchema(b.schema));
  return [...seen.values()];
}
