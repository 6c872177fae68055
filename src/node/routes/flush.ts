import { z } from 'zod';
import { defineRoute } from './route.js';

export const flush = defineRoute({
  method: 'POST',
  path: '/api/v0/flush',
  role: 'write',
  summary: 'write buffered events as partitions now',
  response: z.object({ flushed: z.literal(true) }),
  responses: { 200: 'flushed' },
  async handler({ req }, { tenantOf }) {
    const t = await tenantOf(req);
    await t.flush();
    return { flushed: true };
  },
});
