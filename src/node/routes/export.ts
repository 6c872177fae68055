/** Streams the results of a query as NDJSON or an Arrow IPC stream. */
import { Readable } from 'node:stream';
import type * as A from 'apache-arrow';
import type { z } from 'zod';
import { writeJson } from '../../formats/json/writer.js';
import { batchSelector, QueryBudget, QueryCancelledError, runQuery } from '../../query/run.js';
import { selfContainedStreams } from '../arrow-streams.js';
import { ARROW_STREAM } from '../endpoint.js';
import { merged } from '../http.js';
import { LiveSubscriber } from '../live.js';
import { errorLine, errorStream } from '../stream-error.js';
import { prepareTenantQuery, queryHttpError } from '../tenant-query.js';
import { QueryParams } from './query-params.js';
import { defineRoute, type RouteContext, type RouteInput } from './route.js';

type Params = z.output<typeof QueryParams>;

const responses = {
  200:
    'events; a query failing after results were sent ends with a line {"error": ...} ' +
    '(NDJSON) or a message whose schema metadata vast.error holds it (Arrow)',
  400: 'invalid expression, or a value too long for a pattern',
  504: 'the query exceeded query-timeout',
};

export const exportGet = defineRoute({
  method: 'GET',
  path: '/api/v0/export',
  role: 'read',
  summary: 'stream matching events as NDJSON (default) or an Arrow IPC stream (Accept or ?format=arrow)',
  query: QueryParams,
  responses,
  handler: (input, ctx) => exportEvents(input, input.query, ctx),
});

export const exportPost = defineRoute({
  method: 'POST',
  path: '/api/v0/export',
  role: 'read',
  summary: 'as GET, with parameters in a JSON body (the query string wins)',
  query: QueryParams,
  body: QueryParams,
  responses,
  handler: (input, ctx) => exportEvents(input, merged(input.query, input.body), ctx),
});

async function exportEvents(
  { req, reply }: RouteInput<unknown, unknown, unknown, unknown>,
  p: Params,
  { node, tenantOf, audit, running, queryTimeoutMs }: RouteContext,
) {
  const t = await tenantOf(req);
  const q = prepareTenantQuery(t, p.expression ?? p.query, node.registry);
  audit(req, 'query', { target: q.text, details: { route: 'export' } });
  const { continuous, unified } = p;
  const maxEvents = p.limit ?? p.n;
  const arrowOut = p.format === 'arrow' || req.headers.accept === ARROW_STREAM;
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
  const chunks = (
    arrowOut ? selfContainedStreams(guarded()) : writeJson(guarded(), { options: { nested: p.nested } })
  )[Symbol.asyncIterator]();
  let out: Readable | undefined;
  const ended = running.track(t.name);
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
      const error = queryHttpError(e);
      node.log.warn({ tenant: t.name, error: error.message }, 'query failed while streaming');
      yield arrowOut ? errorStream(error) : errorLine(error);
    } finally {
      ended();
      await chunks.return?.();
    }
  }
  out = Readable.from(withErrorTail());
  reply.type(arrowOut ? ARROW_STREAM : 'application/x-ndjson');
  return reply.send(out);
}
