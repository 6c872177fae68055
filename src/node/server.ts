/**
 * The HTTP API of a node (REST paths after VAST's: /api/v0/...). Every route
 * needs a bearer token (`Authorization: Bearer ...`, the scheme in any case, or
 * `X-VAST-Token`); the token's tenant decides which data a request sees and
 * writes, its role which routes it may use (access.ts); security-relevant
 * actions go to the audit log (audit.ts). Errors are
 * JSON `{error: message}` with a fitting status code. The OpenAPI document is
 * served at /api/v0/openapi.json.
 */

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import * as A from 'apache-arrow';
import Fastify, { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { z } from 'zod';
import { type Diagnostic, formatDiagnostic, InputError, VastError } from '../diagnostics.js';
import { findFormat } from '../formats/index.js';
import { writeJson } from '../formats/json/writer.js';
import { InputLimitError, type OnError, readBatches } from '../formats/read.js';
import { isInternalSchema, splitStatus } from '../query/internal-schemas.js';
import {
  batchSelector,
  type PreparedQuery,
  prepareQuery,
  QueryBudget,
  QueryCancelledError,
  QueryTimeoutError,
  runQuery,
} from '../query/run.js';
import { SourceRefusal } from '../sources/policy.js';
import { StorageFullError } from '../store/errors.js';
import { schemaName, vastSchema } from '../types/arrow.js';
import { parseDuration } from '../types/duration.js';
import type { Schema } from '../types/type.js';
import { neededRole } from './access.js';
import type { AuditFields } from './audit.js';
import { DEFAULT_TENANT, type Principal, ROLES, roleAllows } from './auth.js';
import { BATCH_ID_HEADER, BATCH_ID_RE } from './batch-ids.js';
import { ARROW_STREAM } from './endpoint.js';
import { LiveSubscriber } from './live.js';
import type { VastNode } from './node.js';
import { openApiDocument } from './openapi.js';
import { errorLine, errorStream } from './stream-error.js';
import type { Tenant } from './tenant.js';

/** Diagnostics returned in an import response; the rest are only counted. */
const MAX_REPORTED = 20;
/** Events one page of a query cursor may hold (`n`): a page is built in memory. */
export const MAX_PAGE_EVENTS = 10_000;

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
  // RFC 7235: the auth scheme is case-insensitive.
  const m = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (m) return m[1];
  const x = req.headers['x-vast-token'];
  return typeof x === 'string' && x !== '' ? x : undefined;
}

/** The body of `POST /api/v0/tokens`. */
const TokenRequest = z
  .object({
    tenant: z.string().optional(),
    role: z.enum(ROLES).default('write'),
    /** A duration from now: 30d, 12h, 90min. */
    expires: z.string().optional(),
  })
  .strict();

/** The first problem of a zod validation, naming the field: `'tenant': expected string, received number`. */
function zodMessage(err: z.ZodError): string {
  const issue = err.issues[0];
  if (issue.code === 'unrecognized_keys')
    return `unknown field ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  const field = issue.path.join('.');
  return field ? `'${field}': ${issue.message}` : issue.message;
}

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

/** TLS options for the server from the config, or undefined for plain HTTP; unreadable files are clear errors. */
function tlsOptions(config: VastNode['config']) {
  const { certfile, keyfile } = config;
  const clientCa = config['client-ca'];
  if (!certfile && !keyfile) {
    if (clientCa) throw new VastError("'client-ca' needs TLS: give 'certfile' and 'keyfile' too");
    return undefined;
  }
  if (!certfile || !keyfile) throw new VastError("TLS needs both 'certfile' and 'keyfile'");
  const read = (key: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new VastError(
        `cannot read ${key} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  };
  return {
    cert: read('certfile', certfile),
    key: read('keyfile', keyfile),
    ...(clientCa ? { ca: read('client-ca', clientCa), requestCert: true, rejectUnauthorized: true } : {}),
    // A client that connects and never completes the handshake holds a socket like an idle one.
    handshakeTimeout: config['headers-timeout'] * 1000,
  };
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
  budget: QueryBudget;
  abort: AbortController;
  pending: A.RecordBatch | undefined;
  tenant: string;
  touched: number;
  /** A page is being computed: not idle, whatever `touched` says. */
  busy: boolean;
}

export function buildServer(node: VastNode) {
  const config = node.config;
  const https = tlsOptions(config);
  const app = Fastify({
    loggerInstance: node.log,
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
  /** Records an action of this request's principal in the audit log. */
  const audit = (req: FastifyRequest, action: string, fields: AuditFields = {}) =>
    node.audit(req.principal, action, { remote: req.ip, ...fields });
  const cursors = new Map<string, Cursor>();
  const dropCursor = (id: string, c: Cursor) => {
    c.abort.abort();
    c.iterator.return?.().catch(() => {});
    cursors.delete(id);
  };
  const cursorTtlMs = node.config['cursor-idle-timeout'] * 1000;
  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const [id, c] of cursors) if (!c.busy && now - c.touched > cursorTtlMs) dropCursor(id, c);
    },
    Math.min(cursorTtlMs / 4, 60_000),
  );
  sweep.unref();
  app.addHook('onClose', async () => {
    clearInterval(sweep);
    for (const [id, c] of cursors) dropCursor(id, c);
  });
  const queryTimeoutMs = node.config['query-timeout'] * 1000;
  /** Queries scanning right now, per tenant (in `status`: shows that a cancelled query really stopped). */
  const scanning = new Map<string, number>();
  /** Counts a running query until the returned function is called (at most once counts). */
  const trackQuery = (tenant: string) => {
    scanning.set(tenant, (scanning.get(tenant) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      scanning.set(tenant, (scanning.get(tenant) ?? 1) - 1);
    };
  };

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
    const principal = token ? node.tokens.verify(token) : 'missing token (Authorization: Bearer <token>)';
    const path = req.url.split('?')[0];
    if (typeof principal === 'string') {
      node.auditLog.authFailure(req.ip, undefined, { reason: principal, path, remote: req.ip });
      throw new HttpError(401, principal);
    }
    req.principal = principal;
    const need = neededRole(req.method, req.routeOptions.url);
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

  const tenantOf = (req: FastifyRequest) => node.tenant(req.principal.tenant);

  app.get('/api/v0/openapi.json', async () => openApiDocument);

  app.get('/api/v0/status', async (req) => {
    const t = await tenantOf(req);
    const { data, internal } = splitInternal(t);
    return {
      uptime: (Date.now() - node.started) / 1000,
      tenant: t.name,
      // Where the data lives on the node's disk is the operator's business, not a tenant's.
      ...(req.principal.admin ? { database: t.store.dir, internal } : {}),
      ...data,
      buffered: t.buffered - internal.buffered,
      ingested: t.ingested,
      liveQueries: t.subscribers.size,
      runningQueries: scanning.get(t.name) ?? 0,
      sources: node.components.list(req.principal.admin ? undefined : t.name),
    };
  });

  app.post('/api/v0/flush', async (req) => {
    const t = await tenantOf(req);
    await t.flush();
    return { flushed: true };
  });

  app.post('/api/v0/stop', async (req, reply) => {
    audit(req, 'node.stop', { target: 'node' });
    await node.auditLog.flush();
    reply.send({ stopping: true });
    setImmediate(() => process.kill(process.pid, 'SIGTERM'));
    return reply;
  });

  app.post('/api/v0/tokens', async (req) => {
    const body = TokenRequest.safeParse(
      req.body && typeof req.body === 'object' && !(req.body instanceof Readable) ? req.body : {},
    );
    if (!body.success) throw new HttpError(400, zodMessage(body.error));
    const { role } = body.data;
    const tenant = body.data.tenant ?? (role === 'admin' ? DEFAULT_TENANT : undefined);
    if (tenant === undefined) throw new HttpError(400, "missing 'tenant'");
    const expires = expiryOf(body.data.expires);
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
  });

  app.get('/api/v0/tokens', async () => ({ tokens: node.tokens.list() }));

  app.delete('/api/v0/tokens/:id', async (req) => {
    const { id } = req.params as { id: string };
    let revoked: ReturnType<VastNode['tokens']['revoke']>;
    try {
      revoked = node.tokens.revoke(id);
    } catch (e) {
      throw new HttpError(400, (e as Error).message);
    }
    if (!revoked) throw new HttpError(404, `no such token: ${id}`);
    audit(req, 'token.revoke', { target: id, details: { tenant: revoked.tenant, role: revoked.role } });
    return { revoked: id };
  });

  app.post('/api/v0/import', async (req, reply) => {
    const t = await tenantOf(req);
    const formatName =
      param(req, 'format') ?? (req.headers['content-type'] === ARROW_STREAM ? 'arrow' : undefined);
    if (!formatName)
      throw new HttpError(
        400,
        "missing 'format' (e.g. ?format=zeek, or Content-Type: application/vnd.apache.arrow.stream)",
      );
    const format = findFormat(formatName, 'read');
    const batchId = batchIdOf(req);
    const onError = (param(req, 'on-error') ?? 'skip') as OnError;
    if (onError !== 'skip' && onError !== 'fail') throw new HttpError(400, "'on-error' must be skip or fail");
    if (!(req.body instanceof Readable)) throw new HttpError(400, 'missing request body');
    const body = req.body as Readable;
    const diagnostics: Diagnostic[] = [];
    const stats = { errors: 0, warnings: 0 };
    let events = 0;
    let failure: Error | undefined;
    // With a batch id, the request's batches are ingested at the end, all or nothing, and only once.
    const collected: A.RecordBatch[] = [];
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
        if (batchId) collected.push(batch);
        else await t.ingest(batch);
        events += batch.numRows;
      }
    } catch (e) {
      // An answer before the whole body was read: the rest of it must not be read as the next request.
      if (!req.raw.complete) reply.header('connection', 'close');
      if (e instanceof HttpError) throw e;
      failure = e as Error;
    }
    const report = { events, errors: stats.errors, diagnostics: diagnostics.map(formatDiagnostic) };
    audit(req, 'import', {
      target: formatName,
      details: { events, errors: stats.errors },
      outcome: failure ? 'failure' : 'success',
    });
    if (batchId && failure) report.events = 0;
    if (batchId && !failure) {
      const { ack, duplicate } = await t.ingestOnce(batchId, collected, stats.errors);
      return { ...report, events: ack.events, errors: ack.errors, duplicate };
    }
    // What was ingested before a fatal error stays: it was acknowledged batch by batch.
    // A full disk: nothing from the failed batch on was acknowledged; the report says what was.
    if (failure instanceof StorageFullError) throw new HttpError(507, failure.message, report);
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
    audit(req, 'query', { target: q.text, details: { route: 'export' } });
    const continuous = boolParam(req, 'continuous');
    const unified = boolParam(req, 'unified');
    const maxEvents = limitParam(req, 'limit') ?? limitParam(req, 'n');
    const arrowOut = param(req, 'format') === 'arrow' || req.headers.accept === ARROW_STREAM;
    let live: LiveSubscriber | undefined;
    const abort = new AbortController();
    // Live queries run until their client leaves: no total budget, but they still yield and can be cancelled.
    const budget = new QueryBudget(continuous || unified ? undefined : queryTimeoutMs, abort.signal);
    // Subscribing and taking the snapshot happen in the same tick: no event is missed or seen twice.
    if (continuous || unified) {
      live = new LiveSubscriber(batchSelector(q), node.liveLimits);
      t.subscribers.add(live);
    }
    const snap = t.snapshot();
    const batches = runQuery(snap.store, q, {
      maxEvents,
      tail: snap.tail,
      live,
      liveOnly: continuous && !unified,
      budget,
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
    const chunks = (arrowOut ? selfContainedStreams(guarded()) : writeJson(guarded(), { options: {} }))[
      Symbol.asyncIterator
    ]();
    let out: Readable | undefined;
    const ended = trackQuery(t.name);
    // A client that goes away cancels the scan itself, not just the output stream.
    reply.raw.on('close', () => {
      ended();
      if (!reply.raw.writableFinished) {
        abort.abort();
        live?.close();
        out?.destroy();
      }
    });
    // A one-shot query's first chunk is awaited before the headers go out, so that a query that
    // fails early (over budget, a value too long for a pattern) gets a proper HTTP status.
    let first: IteratorResult<string | Uint8Array> | undefined;
    if (!live) {
      try {
        first = await chunks.next();
      } catch (e) {
        ended();
        throw queryHttpError(e);
      }
    }
    // Later failures can only travel inside the stream: a last NDJSON line `{"error": ...}`, or for
    // Arrow a last message whose schema metadata holds the error (see `errorStream`).
    async function* withErrorTail(): AsyncIterable<string | Uint8Array> {
      try {
        if (first?.done) return;
        if (first) yield first.value;
        for (let r = await chunks.next(); !r.done; r = await chunks.next()) yield r.value;
      } catch (e) {
        if (e instanceof QueryCancelledError) return;
        const message = queryHttpError(e).message;
        node.log.warn({ tenant: t.name, error: message }, 'query failed while streaming');
        yield arrowOut ? errorStream(message) : errorLine(message);
      } finally {
        ended();
        await chunks.return?.();
      }
    }
    out = Readable.from(withErrorTail());
    reply.type(arrowOut ? ARROW_STREAM : 'application/x-ndjson');
    return reply.send(out);
  };
  app.get('/api/v0/export', exportRoute);
  app.post('/api/v0/export', exportRoute);

  app.post('/api/v0/query/new', async (req) => {
    const t = await tenantOf(req);
    const q = prepare(t, param(req, 'expression') ?? param(req, 'query'));
    const max = node.config['max-cursors'];
    let open = 0;
    for (const c of cursors.values()) if (c.tenant === t.name) open++;
    if (open >= max)
      throw new HttpError(
        429,
        `too many open query cursors (${open}, max-cursors ${max}): read them to the end, ` +
          'DELETE /api/v0/query/:id, or wait until idle ones expire',
      );
    audit(req, 'query', { target: q.text, details: { route: 'query/new' } });
    const snap = t.snapshot();
    const abort = new AbortController();
    // Each page gets the full budget (see `next`); the clock does not run while the client is away.
    const budget = new QueryBudget(queryTimeoutMs, abort.signal);
    const iterator = runQuery(snap.store, q, { tail: snap.tail, budget })[Symbol.asyncIterator]();
    const id = randomUUID();
    cursors.set(id, {
      iterator,
      budget,
      abort,
      pending: undefined,
      tenant: t.name,
      touched: Date.now(),
      busy: false,
    });
    return { id };
  });

  app.delete('/api/v0/query/:id', async (req) => {
    const { id } = req.params as { id: string };
    const c = cursors.get(id);
    if (!c || c.tenant !== req.principal.tenant) throw new HttpError(404, `no such query: ${id}`);
    dropCursor(id, c);
    return { deleted: id };
  });

  app.get('/api/v0/query/:id/next', async (req) => {
    const { id } = req.params as { id: string };
    const c = cursors.get(id);
    if (!c || c.tenant !== req.principal.tenant) throw new HttpError(404, `no such query: ${id}`);
    c.touched = Date.now();
    const n = limitParam(req, 'n') ?? 100;
    if (n > MAX_PAGE_EVENTS)
      throw new HttpError(400, `'n' must be at most ${MAX_PAGE_EVENTS} events per page, got ${n}`);
    c.budget.restart();
    const picked: A.RecordBatch[] = [];
    let count = 0;
    let done = false;
    while (count < n) {
      let batch = c.pending;
      c.pending = undefined;
      if (!batch) {
        let r: IteratorResult<A.RecordBatch>;
        const ended = trackQuery(c.tenant);
        c.busy = true;
        try {
          r = await c.iterator.next();
        } catch (e) {
          // A failed or cancelled run cannot continue: the cursor is gone.
          cursors.delete(id);
          if (e instanceof QueryCancelledError) throw new HttpError(410, `query ${id} was deleted`);
          throw queryHttpError(e);
        } finally {
          c.busy = false;
          c.touched = Date.now();
          ended();
        }
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

  /** Spawning and killing sources is the operator's right unless the config lets tenants. */
  const mayManageSources = (req: FastifyRequest) => {
    if (req.principal.admin || node.config['tenant-sources']) return;
    throw new HttpError(
      403,
      'only the admin token may spawn or kill sources (the operator may allow tenants with the tenant-sources setting)',
    );
  };

  app.post('/api/v0/sources', async (req) => {
    mayManageSources(req);
    const t = await tenantOf(req);
    const body = (req.body ?? {}) as { source?: unknown; args?: unknown };
    if (typeof body.source !== 'string')
      throw new HttpError(400, 'missing \'source\' (e.g. {"source": "pcap", "args": ["-i", "lo"]})');
    const args = body.args ?? [];
    if (!Array.isArray(args) || !args.every((a) => typeof a === 'string'))
      throw new HttpError(400, "'args' must be a list of strings");
    let id: string;
    try {
      id = await node.components.spawn(t, body.source, args as string[]);
    } catch (e) {
      throw e instanceof SourceRefusal ? new HttpError(e.status, e.message) : e;
    }
    audit(req, 'source.spawn', { target: id, details: { source: body.source, args } });
    return { id };
  });

  app.delete('/api/v0/sources/:id', async (req) => {
    mayManageSources(req);
    const { id } = req.params as { id: string };
    const ok = await node.components.kill(id, req.principal.admin ? undefined : req.principal.tenant);
    if (!ok) throw new HttpError(404, `no such source: ${id}`);
    audit(req, 'source.kill', { target: id });
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

/** The batch id of an import request (header `X-VAST-Batch-Id`), validated. */
function batchIdOf(req: FastifyRequest): string | undefined {
  const id = req.headers[BATCH_ID_HEADER];
  if (id === undefined) return undefined;
  if (typeof id !== 'string' || !BATCH_ID_RE.test(id))
    throw new HttpError(400, 'X-VAST-Batch-Id must be 1-128 characters of A-Z a-z 0-9 . _ : -');
  return id;
}

/** The HTTP error for a query that failed while running. */
function queryHttpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  if (e instanceof QueryTimeoutError) return new HttpError(504, e.message);
  if (e instanceof QueryCancelledError) return new HttpError(499, e.message);
  if (e instanceof VastError) return new HttpError(400, e.message);
  return new HttpError(500, `query failed: ${(e as Error).message}`);
}

/**
 * A tenant's store status without internal events (the audit log), which are
 * reported apart: what a tenant counts is what was imported.
 */
function splitInternal(t: Tenant) {
  const { data, internal } = splitStatus(t.store.status());
  let buffered = 0;
  for (const b of t.snapshot().tail) if (isInternalSchema(schemaName(b))) buffered += b.numRows;
  return { data, internal: { events: internal.events, buffered, schemas: internal.schemas } };
}

/** Schemas of batches in a tenant's unflushed tail (so queries on fresh data type-check). */
function tailSchemas(t: Tenant): Schema[] {
  const seen = new Map<A.Schema, Schema>();
  for (const b of t.snapshot().tail) if (!seen.has(b.schema)) seen.set(b.schema, vastSchema(b.schema));
  return [...seen.values()];
}
