/**
 * Intel sets of the request's tenant: list, show, add (a feed as the raw
 * body), remove. Loading content is a write; actions that run programs or
 * send data elsewhere (`exec=`, `webhook=`, `syslog=`) are the operator's
 * (admin's) right alone, as spawning sources is.
 */
import { Readable } from 'node:stream';
import { z } from 'zod';
import { FEED_FORMATS } from '../../detect/feeds/index.js';
import { addResult, readFeed } from '../../detect/intel-api.js';
import { summarize } from '../../detect/intel-sets.js';
import { VastError } from '../../diagnostics.js';
import { flag, HttpError, text } from '../http.js';
import { defineRoute } from './route.js';

const name = z.object({ name: z.string() });

const INDICATOR_TYPES = ['ip', 'subnet', 'domain', 'url', 'md5', 'sha1', 'sha256', 'string'] as const;

export const listIntel = defineRoute({
  method: 'GET',
  path: '/api/v0/intel',
  role: 'read',
  summary: 'the intel sets of the tenant, with their revisions and indicator counts',
  responses: { 200: '{sets}' },
  async handler({ req }, { tenantOf }) {
    const t = await tenantOf(req);
    return { sets: t.detection.sets.list().map(summarize) };
  },
});

export const showIntel = defineRoute({
  method: 'GET',
  path: '/api/v0/intel/:name',
  role: 'read',
  summary: 'one intel set: summary, memory of its kernels, retro hunts under way, first indicators',
  params: name,
  responses: { 200: '{set, memoryBytes, hunts, sample}', 404: 'no such set' },
  async handler({ req, params }, { tenantOf }) {
    const shown = (await tenantOf(req)).detection.show(params.name);
    if (!shown) throw new HttpError(404, `no intel set '${params.name}'`);
    return shown;
  },
});

/** The request body as bytes, at most `limit` of them. */
async function bodyBytes(body: unknown, limit: number): Promise<Uint8Array> {
  if (!(body instanceof Readable)) {
    // A JSON document sent as application/json (a STIX bundle) arrives parsed.
    if (body && typeof body === 'object') return new TextEncoder().encode(JSON.stringify(body));
    throw new HttpError(400, 'missing request body: the feed');
  }
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    n += (c as Buffer).length;
    if (n > limit) throw new HttpError(413, `feed larger than max-import-bytes (${limit} bytes)`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

export const addIntel = defineRoute({
  method: 'POST',
  path: '/api/v0/intel/:name',
  role: 'write',
  summary:
    'load a feed (the raw body: list, CSV, STIX 2.1 or MISP JSON) into a set, replacing its indicators; starts a retro hunt for the new ones',
  params: name,
  query: z.object({
    format: z.enum(FEED_FORMATS, { error: `'format' must be one of ${FEED_FORMATS.join(', ')}` }).optional(),
    type: z
      .enum(INDICATOR_TYPES, { error: `'type' must be one of ${INDICATOR_TYPES.join(', ')}` })
      .optional(),
    field: text.meta({ description: 'the field plain-string indicators match' }),
    subdomains: flag.meta({ description: 'domain indicators also match subdomains' }),
    include_non_ids: flag.meta({ description: 'MISP: also attributes with to_ids false' }),
    action: z
      .union([z.string(), z.array(z.string())], { error: "'action' must be text" })
      .optional()
      .transform((a) => (a === undefined ? [] : Array.isArray(a) ? a : [a]))
      .meta({ description: 'webhook=URL, exec=CMD or syslog=HOST:PORT (repeatable; admin only)' }),
    name: text.meta({ description: 'the feed name in problems' }),
  }),
  rawBody: ['application/octet-stream', 'text/plain'],
  responses: {
    200: '{set, added, removed, problems, problemCount, hunt}',
    400: 'a malformed feed (with its line and column) or a bad option',
    403: 'actions need the admin token',
    413: 'feed larger than max-import-bytes',
  },
  async handler({ req, params, query }, { node, tenantOf, audit }) {
    const t = await tenantOf(req);
    if (query.action.length > 0 && !req.principal.admin)
      throw new HttpError(
        403,
        'only the admin token may attach actions (they run programs or send data out)',
      );
    const feed = await bodyBytes(req.body, node.config['max-import-bytes']);
    let parsed: ReturnType<typeof readFeed>;
    try {
      parsed = readFeed(feed, {
        ...query,
        includeNonIds: query.include_non_ids,
        source: query.name ?? '<request>',
      });
    } catch (e) {
      if (e instanceof VastError) throw HttpError.of(400, e);
      throw e;
    }
    let update: ReturnType<typeof t.updateIntel>;
    try {
      update = t.updateIntel(params.name, parsed.indicators, {
        subdomains: query.subdomains ?? false,
        actions: query.action,
      });
    } catch (e) {
      if (e instanceof VastError) throw HttpError.of(400, e);
      throw e;
    }
    audit(req, 'intel.add', {
      target: params.name,
      details: {
        revision: update.set.revision,
        indicators: update.set.indicators.length,
        added: update.added,
      },
    });
    return addResult(update, parsed.problems);
  },
});

export const removeIntel = defineRoute({
  method: 'DELETE',
  path: '/api/v0/intel/:name',
  role: 'write',
  summary: 'remove an intel set: its indicators stop matching (its sightings stay)',
  params: name,
  responses: { 200: '{removed: true}', 404: 'no such set' },
  async handler({ req, params }, { tenantOf, audit }) {
    const t = await tenantOf(req);
    if (!t.detection.removeSet(params.name)) throw new HttpError(404, `no intel set '${params.name}'`);
    audit(req, 'intel.remove', { target: params.name });
    return { removed: true };
  },
});
