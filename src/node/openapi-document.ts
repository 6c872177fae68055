/** The OpenAPI 3.1 description of the node's HTTP API, generated from the routes' definitions. */
import { z } from 'zod';
import { ErrorBody } from '../diagnostics/wire.js';
import type { Route } from './routes/route.js';

/** A zod schema as JSON Schema, as a client sends it (before transforms). */
const jsonSchema = (schema: z.ZodType) =>
  z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as {
    properties?: Record<string, Record<string, unknown>>;
    required?: string[];
  };

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: stripDialect(jsonSchema(ErrorBody)) } },
});
const AUTH_RESPONSES = {
  401: errorResponse('missing, invalid or expired token'),
  403: errorResponse("the token's role does not allow this (read < write < admin)"),
};

/** The parameters of one place (path, query, header) from an object schema. */
function parameters(schema: z.ZodType | undefined, where: 'path' | 'query' | 'header') {
  if (!schema) return [];
  const { properties = {}, required = [] } = jsonSchema(schema);
  return Object.entries(properties).map(([name, s]) => {
    const { description, $schema: _, ...rest } = s;
    return {
      name: where === 'header' ? headerName(name) : name,
      in: where,
      ...(where === 'path' || required.includes(name) ? { required: true } : {}),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

/** `x-vast-batch-id` as the header is usually written: `X-VAST-Batch-Id`. */
const headerName = (name: string) =>
  name
    .split('-')
    .map((w, i) => (i < 2 && name.startsWith('x-vast') ? w.toUpperCase() : w[0].toUpperCase() + w.slice(1)))
    .join('-');

function operation(r: Route) {
  const responses: Record<string, unknown> = {};
  for (const [status, description] of Object.entries(r.responses))
    responses[status] = Number(status) >= 400 ? errorResponse(description) : { description };
  if (r.response)
    responses[200] = {
      description: r.responses[200] ?? 'success',
      content: { 'application/json': { schema: stripDialect(jsonSchema(r.response)) } },
    };
  for (const [status, response] of Object.entries(AUTH_RESPONSES))
    if (!(status in responses)) responses[status] = response;
  const params = [
    ...parameters(r.params, 'path'),
    ...parameters(r.query, 'query'),
    ...parameters(r.headers, 'header'),
  ];
  const content = {
    ...(r.body ? { 'application/json': { schema: stripDialect(jsonSchema(r.body)) } } : {}),
    ...Object.fromEntries((r.rawBody ?? []).map((type) => [type, {}])),
  };
  return {
    summary: r.summary,
    ...(params.length ? { parameters: params } : {}),
    ...(Object.keys(content).length ? { requestBody: { content } } : {}),
    responses,
  };
}

function stripDialect(schema: Record<string, unknown>) {
  const { $schema: _, ...rest } = schema;
  return rest;
}

/** The document for these routes; paths as OpenAPI writes them (`/api/v0/query/{id}`). */
export function openApiDocument(routes: readonly Route[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    paths[path] ??= {};
    paths[path][r.method.toLowerCase()] = operation(r);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'vast node API', version: '0' },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        header: { type: 'apiKey', in: 'header', name: 'X-VAST-Token' },
      },
    },
    security: [{ bearer: [] }, { header: [] }],
    paths,
  };
}
