import { z } from 'zod';
import { defineRoute } from './route.js';

export const stop = defineRoute({
  method: 'POST',
  path: '/api/v0/stop',
  role: 'admin',
  summary: 'stop the node (admin)',
  response: z.object({ stopping: z.literal(true) }),
  responses: { 200: 'stopping' },
  async handler({ req, reply }, { node, audit }) {
    audit(req, 'node.stop', { target: 'node' });
    await node.auditLog.flush();
    reply.send({ stopping: true });
    setImmediate(() => process.kill(process.pid, 'SIGTERM'));
    return reply;
  },
});
