/** Events by id (`vast get`, see query/get.ts), as NDJSON or an Arrow IPC stream. */
import { Readable } from 'node:stream';
import type * as A from 'apache-arrow';
import { z } from 'zod';
import { writeJson } from '../../formats/json/writer.js';
import { eventsById, parseIds } from '../../query/get.js';
import { selfContainedStreams } from '../arrow-streams.js';
import { ARROW_STREAM } from '../endpoint.js';
import { HttpError, text } from '../http.js';
import { defineRoute } from './route.js';

/** Ids in one request at most: each is a row read and sent. */
const MAX_IDS = 10_000;

export const getEvents = defineRoute({
  method: 'GET',
  path: '/api/v0/get',
  role: 'read',
  summary: 'events by id (their position in stored order), as NDJSON (default) or Arrow (?format=arrow)',
  query: z.object({
    ids: text.meta({ description: 'comma-separated event ids, e.g. 0,42,1234' }),
    format: text.meta({ description: 'json (NDJSON, the default) or arrow' }),
  }),
  responses: {
    200: 'the events that exist, in the order asked',
    400: 'an id that is not a non-negative integer',
  },
  async handler({ req, reply, query }, { tenantOf, audit }) {
    const t = await tenantOf(req);
    let ids: number[];
    try {
      ids = parseIds((query.ids ?? '').split(',').filter((s) => s !== ''));
    } catch (e) {
      throw new HttpError(400, (e as Error).message);
    }
    if (ids.length > MAX_IDS)
      throw new HttpError(400, `at most ${MAX_IDS} ids per request, got ${ids.length}`);
    audit(req, 'query', { target: `get ${ids.length} ids`, details: { route: 'get' } });
    const batches: A.RecordBatch[] = [];
    for await (const b of eventsById(t.snapshot().store, ids)) batches.push(b);
    const arrowOut = query.format === 'arrow' || req.headers.accept === ARROW_STREAM;
    async function* all() {
      yield* batches;
    }
    reply.type(arrowOut ? ARROW_STREAM : 'application/x-ndjson');
    return reply.send(
      Readable.from(arrowOut ? selfContainedStreams(all()) : writeJson(all(), { options: {} })),
    );
  },
});
