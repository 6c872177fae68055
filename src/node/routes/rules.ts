/**
 * Rules of the request's tenant (Sigma detection and correlation rules):
 * list, show, add (Sigma files as JSON), remove. As for intel, loading rules
 * is a write, and actions (`exec=`, `webhook=`, `syslog=`) are the admin's.
 */
import { z } from 'zod';
import { readRules, ruleAddResult, ruleOptions } from '../../detect/rule-api.js';
import { summarizeRule } from '../../detect/rules.js';
import { VastError } from '../../diagnostics.js';
import { HttpError } from '../http.js';
import { defineRoute } from './route.js';

const id = z.object({ id: z.string() });

const FILES_MESSAGE = "'files' must be a list of {name, text}: the Sigma files";

export const listRules = defineRoute({
  method: 'GET',
  path: '/api/v0/rules',
  role: 'read',
  summary: 'the rules of the tenant, with their revisions, levels and schemas',
  responses: { 200: '{rules}' },
  async handler({ req }, { tenantOf }) {
    const t = await tenantOf(req);
    return { rules: t.detection.rules.list().map(summarizeRule) };
  },
});

export const showRule = defineRoute({
  method: 'GET',
  path: '/api/v0/rules/:id',
  role: 'read',
  summary: 'one rule (by id or name): summary, the VAST expression it compiled to, its Sigma text, its hunts',
  params: id,
  responses: { 200: '{rule, compiled, source, hunts}', 404: 'no such rule' },
  async handler({ req, params }, { tenantOf }) {
    const shown = (await tenantOf(req)).detection.showRule(params.id);
    if (!shown) throw new HttpError(404, `no rule '${params.id}'`);
    return shown;
  },
});

export const addRules = defineRoute({
  method: 'POST',
  path: '/api/v0/rules',
  role: 'write',
  summary:
    'load Sigma rules: {files: [{name, text}], suppress?, suppress_by?, action?}; rules new or changed are hunted over the stored events',
  body: z.object(
    {
      files: z.array(z.object({ name: z.string(), text: z.string() }), { error: FILES_MESSAGE }),
      suppress: z.string({ error: "'suppress' must be a duration such as 10m" }).optional(),
      suppress_by: z.array(z.string(), { error: "'suppress_by' must be a list of fields" }).optional(),
      lateness: z.string({ error: "'lateness' must be a duration such as 1h" }).optional(),
      action: z
        .array(z.string(), { error: "'action' must be a list of actions" })
        .optional()
        .transform((a) => a ?? []),
    },
    { error: FILES_MESSAGE },
  ),
  // SigmaHQ's whole rule set is about 10 MiB of YAML.
  bodyLimit: 32 << 20,
  responses: {
    200: '{changed, unchanged, problems, hunt}',
    400: 'a bad option, or a correlation whose rules are missing (files that do not compile are problems in the answer)',
    403: 'actions need the admin token',
    413: 'more than 32 MiB of rules in one request',
  },
  async handler({ req, body }, { tenantOf, audit }) {
    const t = await tenantOf(req);
    if (body.action.length > 0 && !req.principal.admin)
      throw new HttpError(
        403,
        'only the admin token may attach actions (they run programs or send data out)',
      );
    const { docs, problems } = readRules(body.files, t.detection.sigmaMappings);
    let update: ReturnType<typeof t.addRules>;
    try {
      update = t.addRules(
        docs,
        ruleOptions({
          suppress: body.suppress,
          suppressBy: body.suppress_by,
          lateness: body.lateness,
          actions: body.action,
        }),
      );
    } catch (e) {
      if (e instanceof VastError) throw HttpError.of(400, e);
      throw e;
    }
    audit(req, 'rule.add', {
      target: update.changed.map((r) => r.id).join(',') || '-',
      details: { changed: update.changed.length, unchanged: update.unchanged, problems: problems.length },
    });
    return ruleAddResult(update, problems);
  },
});

export const removeRule = defineRoute({
  method: 'DELETE',
  path: '/api/v0/rules/:id',
  role: 'write',
  summary: 'remove a rule: it stops matching (its alerts stay)',
  params: id,
  responses: { 200: '{removed: true}', 404: 'no such rule' },
  async handler({ req, params }, { tenantOf, audit }) {
    const t = await tenantOf(req);
    if (!t.detection.removeRule(params.id)) throw new HttpError(404, `no rule '${params.id}'`);
    audit(req, 'rule.remove', { target: params.id });
    return { removed: true };
  },
});
