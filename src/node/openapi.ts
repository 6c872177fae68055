/** The OpenAPI 3.1 description of the node's HTTP API, served at /api/v0/openapi.json. */
const errorResponse = {
  description: 'error',
  content: { 'application/json': { schema: { type: 'object', properties: { error: { type: 'string' } } } } },
};
const auth = {
  401: { ...errorResponse, description: 'missing, invalid or expired token' },
  403: { ...errorResponse, description: "the token's role does not allow this (read < write < admin)" },
};
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
          {
            name: 'X-VAST-Batch-Id',
            in: 'header',
            schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
            description:
              'makes the request idempotent and all-or-nothing: a repeated id is not ingested again (answer has duplicate: true)',
          },
        ],
        requestBody: {
          content: { 'application/octet-stream': {}, 'application/vnd.apache.arrow.stream': {} },
        },
        responses: {
          200: { description: '{events, errors, diagnostics, duplicate (with a batch id)}' },
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
          200: {
            description:
              'events; a query failing after results were sent ends with a line {"error": ...} ' +
              '(NDJSON) or a message whose schema metadata vast.error holds it (Arrow)',
          },
          400: { ...errorResponse, description: 'invalid expression, or a value too long for a pattern' },
          504: { ...errorResponse, description: 'the query exceeded query-timeout' },
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
        responses: {
          200: { description: '{id}' },
          429: { ...errorResponse, description: 'the tenant has max-cursors open cursors' },
          ...auth,
        },
      },
    },
    '/api/v0/query/{id}': {
      delete: {
        summary: 'cancel a paged query and free its cursor',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          200: { description: '{deleted: id}' },
          404: { ...errorResponse, description: 'unknown query id' },
          ...auth,
        },
      },
    },
    '/api/v0/query/{id}/next': {
      get: {
        summary: 'the next n events of a paged query: {events, done}',
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'n', in: 'query', schema: { type: 'integer', minimum: 0, maximum: 10_000 } },
        ],
        responses: {
          200: { description: '{events, done}' },
          400: { ...errorResponse, description: "'n' above 10000" },
          404: { ...errorResponse, description: 'unknown query id (expired after cursor-idle-timeout)' },
          410: { ...errorResponse, description: 'the query was deleted while this page was computed' },
          504: { ...errorResponse, description: 'the page exceeded query-timeout' },
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
          ...auth,
          200: { description: '{id}' },
          400: { ...errorResponse, description: 'unknown source or bad options' },
          403: {
            ...errorResponse,
            description:
              'a tenant token (tenant-sources), a path outside source-paths, or a bind address outside source-bind-addresses',
          },
          429: { ...errorResponse, description: 'the tenant has max-sources-per-tenant sources' },
        },
      },
    },
    '/api/v0/sources/{id}': {
      delete: {
        summary: 'kill a source',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          ...auth,
          200: { description: '{killed}' },
          404: { ...errorResponse, description: 'unknown source id' },
          403: { ...errorResponse, description: 'a tenant token (tenant-sources)' },
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
        responses: { 200: { description: 'stopping' }, ...auth },
      },
    },
    '/api/v0/tokens': {
      post: {
        summary:
          'create a token (admin): {tenant, role?: read|write|admin (default write), expires?: duration such as 30d}',
        responses: {
          200: { description: '{id, tenant, role, expires, token}: the only time the token is shown' },
          400: { ...errorResponse, description: 'invalid field (named in the message)' },
          ...auth,
        },
      },
      get: {
        summary: 'list tokens (admin): {tokens: [{id, tenant, role, created, expires}]}, never the tokens',
        responses: { 200: { description: '{tokens}' }, ...auth },
      },
    },
    '/api/v0/tokens/{id}': {
      delete: {
        summary: 'revoke a token by id (admin); the last admin token cannot be revoked',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          200: { description: '{revoked}' },
          400: { ...errorResponse, description: 'the last admin token' },
          404: { ...errorResponse, description: 'unknown token id' },
          ...auth,
        },
      },
    },
    '/api/v0/openapi.json': {
      get: { summary: 'this document', responses: { 200: { description: 'OpenAPI document' }, ...auth } },
    },
  },
} as const;
