/** Sources: list, spawn, kill. Spawning and killing is the operator's right unless the config lets tenants. */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SourceRefusal } from '../../sources/policy.js';
import { HttpError } from '../http.js';
import type { RouteContext } from './route.js';
import { defineRoute } from './route.js';

const mayManageSources = (req: FastifyRequest, { node }: RouteContext) => {
  if (req.principal.admin || node.config['tenant-sources']) return;
  throw new HttpError(
    403,
    'only the admin token may spawn or kill sources (the operator may allow tenants with the tenant-sources setting)',
  );
};

const ARGS_MESSAGE = "'args' must be a list of strings";
const OPTIONS_MESSAGE = "'options' must map option names to strings, numbers or booleans";

/** Named options as the command-line arguments the source's declarations parse (`--listen=HOST:PORT`). */
const optionArgs = (options: Record<string, string | number | boolean> = {}) =>
  Object.entries(options).map(([k, v]) => (v === true ? `--${k}` : `--${k}=${v}`));
const SOURCE_MESSAGE = 'missing \'source\' (e.g. {"source": "pcap", "args": ["-i", "lo"]})';

export const listSources = defineRoute({
  method: 'GET',
  path: '/api/v0/sources',
  role: 'read',
  summary: 'running sources with their rates',
  responses: { 200: '{sources}' },
  async handler({ req }, { node }) {
    return { sources: node.components.list(req.principal.admin ? undefined : req.principal.tenant) };
  },
});

export const spawnSource = defineRoute({
  method: 'POST',
  path: '/api/v0/sources',
  // Sources need admin unless the operator allows tenants (`tenant-sources`, checked by the handler).
  role: 'write',
  summary:
    'spawn a source: {source: "zeek", args: ["-r", "/logs/conn.log"]} or {source: "zeek", options: {listen: "127.0.0.1:9000"}, args: ["EXPR"]}; returns {id}',
  body: z.object(
    {
      source: z.string({ error: SOURCE_MESSAGE }),
      args: z
        .array(z.string({ error: ARGS_MESSAGE }), { error: ARGS_MESSAGE })
        .nullish()
        .transform((a) => a ?? []),
      // The same options as named values; they are checked against the source's declarations like args.
      options: z
        .record(z.string(), z.union([z.string(), z.number(), z.boolean()]), { error: OPTIONS_MESSAGE })
        .optional(),
    },
    // A JSON body that is not an object (a list, say) names no source either.
    { error: SOURCE_MESSAGE },
  ),
  response: z.object({ id: z.string() }),
  responses: {
    200: '{id}',
    400: 'unknown source or bad options',
    403: 'a tenant token (tenant-sources), a path outside source-paths, or a bind address outside source-bind-addresses',
    429: 'the tenant has max-sources-per-tenant sources',
  },
  authorize: mayManageSources,
  async handler({ req, body }, ctx) {
    const t = await ctx.tenantOf(req);
    const args = [...optionArgs(body.options), ...body.args];
    let id: string;
    try {
      id = await ctx.node.components.spawn(t, body.source, args);
    } catch (e) {
      throw e instanceof SourceRefusal ? new HttpError(e.status, e.message) : e;
    }
    ctx.audit(req, 'source.spawn', { target: id, details: { source: body.source, args } });
    return { id };
  },
});

export const killSource = defineRoute({
  method: 'DELETE',
  path: '/api/v0/sources/:id',
  role: 'write',
  summary: 'kill a source',
  params: z.object({ id: z.string() }),
  response: z.object({ killed: z.string() }),
  responses: { 200: '{killed}', 403: 'a tenant token (tenant-sources)', 404: 'unknown source id' },
  authorize: mayManageSources,
  async handler({ req, params: { id } }, ctx) {
    const ok = await ctx.node.components.kill(id, req.principal.admin ? undefined : req.principal.tenant);
    if (!ok) throw new HttpError(404, `no such source: ${id}`);
    ctx.audit(req, 'source.kill', { target: id });
    return { killed: id };
  },
});
