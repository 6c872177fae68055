/**
 * Counts matching events on the node: only the number travels back
 * (`vast count` through a node), with `estimate` (an upper bound from the
 * catalog and the buffered rows, no scan) and `explain` (the plan and what
 * the run did), as `vast count` does embedded.
 */
import { z } from 'zod';
import { countOrEstimate, emptyStats, explain, QueryBudget } from '../../query/run.js';
import { flag, merged } from '../http.js';
import { prepareTenantQuery, queryHttpError } from '../tenant-query.js';
import { QueryParams } from './query-params.js';
import { defineRoute } from './route.js';

const CountParams = QueryParams.pick({ expression: true, query: true }).extend({
  estimate: flag.meta({ description: 'an upper bound from the catalog alone, without scanning' }),
  explain: flag.meta({ description: 'also return the plan and what the run did' }),
});

export const countEvents = defineRoute({
  method: 'POST',
  path: '/api/v0/count',
  role: 'read',
  summary: 'the number of matching events (or an upper bound with estimate), and the plan with explain',
  query: CountParams,
  body: CountParams,
  response: z.object({ count: z.number(), explain: z.string().optional() }),
  responses: { 200: '{count, explain?}', 400: 'invalid expression', 504: 'the query exceeded query-timeout' },
  async handler({ req, query, body }, { node, tenantOf, audit, running, queryTimeoutMs }) {
    const t = await tenantOf(req);
    const p = merged(query, body);
    const q = prepareTenantQuery(t, p.expression ?? p.query, node.registry);
    audit(req, 'query', { target: q.text, details: { route: 'count' } });
    const { store, tail } = t.snapshot();
    const stats = emptyStats();
    let n: number;
    const ended = running.track(t.name);
    try {
      n = await countOrEstimate(store, q, stats, {
        estimate: p.estimate,
        tail,
        budget: new QueryBudget(queryTimeoutMs),
      });
    } catch (e) {
      throw queryHttpError(e);
    } finally {
      ended();
    }
    return { count: n, ...(p.explain ? { explain: explain(store, q, stats) } : {}) };
  },
});
