import { z } from 'zod';
import { intelStatus } from '../../detect/detection.js';
import { isInternalSchema, splitStatus } from '../../query/internal-schemas.js';
import { schemaName } from '../../types/arrow.js';
import { flag } from '../http.js';
import type { Tenant } from '../tenant.js';
import { defineRoute } from './route.js';

export const status = defineRoute({
  method: 'GET',
  path: '/api/v0/status',
  role: 'read',
  summary: 'partitions, events and bytes per schema, buffered events, running sources',
  query: z.object({ detailed: flag.meta({ description: 'also list every partition' }) }),
  responses: { 200: 'status' },
  async handler({ req, query }, { node, tenantOf, running }) {
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
      runningQueries: running.of(t.name),
      sources: node.components.list(req.principal.admin ? undefined : t.name),
      intel: intelStatus(t.detection),
      ...(query.detailed
        ? {
            partitionList: t.store
              .partitions()
              .filter((p) => !isInternalSchema(p.schema))
              .map((p) => ({ id: p.id, schema: p.schema, events: p.events, bytes: p.bytes })),
          }
        : {}),
    };
  },
});

/**
 * A tenant's store status without internal events (the audit log), which are
 * reported apart: what a tenant counts is what was imported.
 */
function splitInternal(t: Tenant) {
  const { data, internal } = splitStatus(t.store.status());
  let buffered = 0;
  for (const b of t.snapshot().tail) if (isInternalSchema(schemaName(b))) buffered += b.numRows;
  return {
    data,
    internal: { events: internal.events, buffered, ingested: t.ingestedInternal, schemas: internal.schemas },
  };
}
