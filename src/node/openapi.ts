/** The OpenAPI 3.1 description of the node's HTTP API, served at /api/v0/openapi.json. */
const errorResponse = {
  description: 'error',
  content: { 'application/json': { schema: { type: 'object', properties: { error: { type: 'string' } } } } },
};
const auth = { 401: { ...errorResponse, description: 'missing or invalid token' } };
const queryParams = [
  {
    name: 'expression',
    in: 'query',
    schema: { type: 'string' },
    description: "VAST expression, optionally followed by '| operator ...'",
  },
  {
    name: 'limit',
    in: 'query',
    schema: { type: 'integer', minimum: 0 },
    description: 'stop after this many events',
  },
];

export const openApiDocument = {
  openapi: '3.1.0',
  info: { title: 'vast node API', version: '0' },
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer' },
      header: { type: 'apiKey', in: 'header', name: 'X-VAST-Token' },
    },
  },
  security: [{ bearer: [] }, { header: [] }],
  paths: {
    '/api/v0/status': {
      get: {
        summary: 'partitions, events and bytes per schema, buffered events, running sources',
        responses: { 200: { description: 'status' }, ...auth },
      },
    },
    '/api/v0/import': {
      post: {
        summary:
          'import events: a raw format body (?format=zeek) or an Arrow IPC stream; returns when they are durable',
        parameters: [
          {
            name: 'format',
            in: 'query',
            schema: { type: 'string' },
            description: 'zeek, zeek-json, suricata, json, csv, arrow, ...',
          },
          { name: 'on-error', in: 'query', schema: { enum: ['skip', 'fail'] } },
          { name: 'schema', in: 'query', schema: { type: 'string' } },
          { name: 'selector', in: 'query', schema: { type: 'string' } },
        ],
        requestBody: {
          content: { 'application/octet-stream': {}, 'application/vnd.apache.arrow.stream': {} },
        },
        responses: {
          200: { description: '{events, errors, diagnostics}' },
          400: {
            ...errorResponse,
            description: 'unknown format or unreadable input (events before the error are kept and counted)',
          },
          413: {
            ...errorResponse,
            description: 'input larger than max-import-bytes (counted after decompression)',
          },
          ...auth,
        },
      },
    },
    '/api/v0/export': {
      get: {
        summary:
          'stream matching events as NDJSON (default) or an Arrow IPC stream (Accept or ?format=arrow)',
        parameters: [
          ...queryParams,
          {
            name: 'continuous',
            in: 'query',
            schema: { type: 'boolean' },
            description: 'only new events, until the client disconnects',
          },
          {
            name: 'unified',
            in: 'query',
            schema: { type: 'boolean' },
            description: 'historical events, then new ones, without gaps or duplicates',
          },
          { name: 'format', in: 'query', schema: { enum: ['json', 'arrow'] } },
        ],
        responses: {
          200: { description: 'events' },
          400: { ...errorResponse, description: 'invalid expression' },
          ...auth,
        },
      },
      post: {
        summary: 'as GET, with parameters in a JSON body',
        responses: { 200: { description: 'events' }, ...auth },
      },
    },
    '/api/v0/query/new': {
      post: {
        summary: 'start a paged query; returns {id}',
        parameters: queryParams,
        responses: { 200: { description: '{id}' }, ...auth },
      },
    },
    '/api/v0/query/{id}/next': {
      get: {
        summary: 'the next n events of a paged query: {events, done}',
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'n', in: 'query', schema: { type: 'integer' } },
        ],
        responses: {
          200: { description: '{events, done}' },
          404: { ...errorResponse, description: 'unknown query id' },
          ...auth,
        },
      },
    },
    '/api/v0/sources': {
      get: {
        summary: 'running sources with their rates',
        responses: { 200: { description: '{sources}' }, ...auth },
      },
      post: {
        summary: 'spawn a source: {source: "pcap", args: ["-i", "lo"]}; returns {id}',
        responses: {
          200: { description: '{id}' },
          400: { ...errorResponse, description: 'unknown source or bad options' },
          ...auth,
        },
      },
    },
    '/api/v0/sources/{id}': {
      delete: {
        summary: 'kill a source',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          200: { description: '{killed}' },
          404: { ...errorResponse, description: 'unknown source id' },
          ...auth,
        },
      },
    },
    '/api/v0/flush': {
      post: {
        summary: 'write buffered events as partitions now',
        responses: { 200: { description: 'flushed' }, ...auth },
      },
    },
    '/api/v0/stop': {
      post: {
        summary: 'stop the node (admin)',
        responses: { 200: { description: 'stopping' }, 403: errorResponse, ...auth },
      },
    },
    '/api/v0/tokens': {
      post: {
        summary: 'create a token for a tenant (admin): {tenant}',
        responses: { 200: { description: '{tenant, token}' }, 403: errorResponse, ...auth },
      },
    },
    '/api/v0/openapi.json': {
      get: { summary: 'this document', responses: { 200: { description: 'OpenAPI document' }, ...auth } },
    },
  },
} as const;
