/** Paged queries: start one, read it page by page, delete it. */
import type * as A from 'apache-arrow';
import { z } from 'zod';
import { writeJson } from '../../formats/json/writer.js';
import { QueryBudget, QueryCancelledError, runQuery } from '../../query/run.js';
import { count, HttpError, merged } from '../http.js';
import { prepareTenantQuery, queryHttpError } from '../tenant-query.js';
import { QueryParams } from './query-params.js';
import { defineRoute } from './route.js';

/** Events one page of a query cursor may hold (`n`): a page is built in memory. */
const MAX_PAGE_EVENTS = 10_000;

const QueryNew = QueryParams.pick({ expression: true, query: true });
const QueryId = z.object({ id: z.string() });

export const newQuery = defineRoute({
  method: 'POST',
  path: '/api/v0/query/new',
  role: 'read',
  summary: 'start a paged query; returns {id}',
  query: QueryNew,
  body: QueryNew,
  response: z.object({ id: z.string() }),
  responses: { 200: '{id}', 400: 'invalid expression', 429: 'the tenant has max-cursors open cursors' },
  async handler({ req, query, body }, { node, tenantOf, audit, cursors, queryTimeoutMs }) {
    const t = await tenantOf(req);
    const p = merged(query, body);
    const q = prepareTenantQuery(t, p.expression ?? p.query, node.registry);
    const max = node.config['max-cursors'];
    const open = cursors.openBy(t.name);
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
    return { id: cursors.open({ iterator, budget, abort, tenant: t.name }) };
  },
});

export const deleteQuery = defineRoute({
  method: 'DELETE',
  path: '/api/v0/query/:id',
  role: 'read',
  summary: 'cancel a paged query and free its cursor',
  params: QueryId,
  response: z.object({ deleted: z.string() }),
  responses: { 200: '{deleted: id}', 404: 'unknown query id' },
  async handler({ req, params: { id } }, { cursors }) {
    if (!cursors.get(id, req.principal.tenant)) throw new HttpError(404, `no such query: ${id}`);
    cursors.drop(id);
    return { deleted: id };
  },
});

export const nextPage = defineRoute({
  method: 'GET',
  path: '/api/v0/query/:id/next',
  role: 'read',
  summary: 'the next n events of a paged query: {events, done}',
  params: QueryId,
  query: z.object({
    n: count('n').refine((n) => n === undefined || n <= MAX_PAGE_EVENTS, {
      error: (issue) => `'n' must be at most ${MAX_PAGE_EVENTS} events per page, got ${issue.input}`,
    }),
  }),
  response: z.object({
    events: z.array(z.record(z.string(), z.unknown())).meta({ description: 'events as JSON objects' }),
    done: z.boolean().meta({ description: 'the query has no more events' }),
  }),
  responses: {
    200: '{events, done}',
    400: `'n' above ${MAX_PAGE_EVENTS}`,
    404: 'unknown query id (expired after cursor-idle-timeout)',
    410: 'the query was deleted while this page was computed',
    504: 'the page exceeded query-timeout',
  },
  async handler({ req, params: { id }, query }, { cursors, running }) {
    const c = cursors.get(id, req.principal.tenant);
    if (!c) throw new HttpError(404, `no such query: ${id}`);
    c.touched = Date.now();
    const n = query.n ?? 100;
    c.budget.restart();
    const picked: A.RecordBatch[] = [];
    let taken = 0;
    let done = false;
    while (taken < n) {
      let batch = c.pending;
      c.pending = undefined;
      if (!batch) {
        let r: IteratorResult<A.RecordBatch>;
        const ended = running.track(c.tenant);
        c.busy = true;
        try {
          r = await c.iterator.next();
        } catch (e) {
          // A failed or cancelled run cannot continue: the cursor is gone.
          cursors.forget(id);
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
      const take = Math.min(n - taken, batch.numRows);
      picked.push(batch.slice(0, take));
      if (take < batch.numRows) c.pending = batch.slice(take);
      taken += take;
    }
    if (done) cursors.forget(id);
    const events: unknown[] = [];
    for await (const chunk of writeJson(
      (async function* () {
        yield* picked;
      })(),
      // The events are objects in a JSON answer, so they keep their nesting.
      { options: { nested: true } },
    )) {
      for (const line of String(chunk).split('\n')) if (line) events.push(JSON.parse(line));
    }
    return { events, done };
  },
});
