/** The route registry: every route has a role, inputs are validated with messages naming the field, the document lists them all. */
import { describe, expect, it } from 'vitest';
import { validate } from '../../../src/node/http.js';
import { openApiDocument } from '../../../src/node/openapi-document.js';
import { exportGet } from '../../../src/node/routes/export.js';
import { importEvents } from '../../../src/node/routes/import.js';
import { ROUTES } from '../../../src/node/routes/index.js';
import { nextPage } from '../../../src/node/routes/query.js';
import { spawnSource } from '../../../src/node/routes/sources.js';
import { createToken } from '../../../src/node/routes/tokens.js';

const errorOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e as Error & { status: number };
  }
  throw new Error('no error');
};

describe('route registry', () => {
  it('has one route per method and path, each with a role', () => {
    const keys = ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toHaveLength(26);
    for (const r of ROUTES) expect(['read', 'write', 'admin']).toContain(r.role);
    const role = (key: string) => ROUTES.find((r) => `${r.method} ${r.path}` === key)?.role;
    expect(role('POST /api/v0/tokens')).toBe('admin');
    expect(role('POST /api/v0/stop')).toBe('admin');
    expect(role('POST /api/v0/import')).toBe('write');
    expect(role('GET /api/v0/query/:id/next')).toBe('read');
    expect(role('POST /api/v0/count')).toBe('read');
    expect(role('GET /api/v0/get')).toBe('read');
    // Loading content is a write; actions on it are checked for the admin token in the handler.
    expect(role('GET /api/v0/intel')).toBe('read');
    expect(role('POST /api/v0/intel/:name')).toBe('write');
    expect(role('DELETE /api/v0/intel/:name')).toBe('write');
    expect(role('GET /api/v0/rules')).toBe('read');
    expect(role('POST /api/v0/rules')).toBe('write');
    expect(role('DELETE /api/v0/rules/:id')).toBe('write');
  });

  it('validates inputs with a 400 naming the field', () => {
    const tooMany = errorOf(() => validate(nextPage.query!, { n: '10001' }));
    expect(tooMany.status).toBe(400);
    expect(tooMany.message).toBe("'n' must be at most 10000 events per page, got 10001");
    expect(errorOf(() => validate(nextPage.query!, { n: '-1' })).message).toBe(
      "'n' must be a non-negative integer, got '-1'",
    );
    expect(validate(nextPage.query!, {})).toEqual({});
    expect(errorOf(() => validate(createToken.body!, { tenant: 5 })).message).toMatch(
      /^'tenant': .*expected string/,
    );
    expect(errorOf(() => validate(createToken.body!, { tenant: 'a', admin: true })).message).toBe(
      "unknown field 'admin'",
    );
    expect(errorOf(() => validate(spawnSource.body!, { source: 'pcap', args: ['-i', 3] })).message).toBe(
      "'args' must be a list of strings",
    );
    expect(errorOf(() => validate(spawnSource.body!, [])).message).toBe(
      'missing \'source\' (e.g. {"source": "pcap", "args": ["-i", "lo"]})',
    );
    expect(validate(spawnSource.body!, { source: 'pcap', args: null })).toEqual({ source: 'pcap', args: [] });
    expect(
      errorOf(() => validate(spawnSource.body!, { source: 'zeek', options: { listen: null } })).message,
    ).toMatch(/^'options.listen': /);
    // The readers' own options are import parameters, from the formats' declarations.
    expect(validate(importEvents.query!, { format: 'pcap', cutoff: '100', payload: 'true' })).toMatchObject({
      cutoff: '100',
      payload: 'true',
    });
    expect(errorOf(() => validate(importEvents.query!, { 'on-error': 'ignore' })).message).toBe(
      "'on-error' must be skip or fail",
    );
    expect(errorOf(() => validate(importEvents.headers!, { 'x-vast-batch-id': 'a b' })).message).toBe(
      'X-VAST-Batch-Id must be 1-128 characters of A-Z a-z 0-9 . _ : -',
    );
  });

  it('generates an OpenAPI document with every route and its parameters', () => {
    const doc = openApiDocument(ROUTES);
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      ROUTES.map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`).sort(),
    );
    const next = doc.paths['/api/v0/query/{id}/next'].get as {
      parameters: { name: string; in: string; required?: boolean }[];
      responses: Record<string, unknown>;
    };
    expect(next.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(['path:id', 'query:n']);
    expect(next.parameters[0].required).toBe(true);
    expect(Object.keys(next.responses).sort()).toEqual(['200', '400', '401', '403', '404', '410', '504']);
    expect(next.responses[200]).toMatchObject({
      content: { 'application/json': { schema: { required: ['events', 'done'] } } },
    });
    const imp = doc.paths['/api/v0/import'].post as { parameters: { name: string; schema: unknown }[] };
    expect(imp.parameters.find((p) => p.name === 'on-error')?.schema).toMatchObject({
      enum: ['skip', 'fail'],
    });
    expect(imp.parameters.map((p) => p.name)).toContain('X-VAST-Batch-Id');
    const tokens = doc.paths['/api/v0/tokens'].post as {
      requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> };
    };
    expect(Object.keys(tokens.requestBody.content['application/json'].schema.properties)).toEqual([
      'tenant',
      'role',
      'expires',
    ]);
  });

  it('export takes nested (NDJSON records as objects) as a flag', () => {
    expect(validate(exportGet.query!, { nested: 'true' })).toMatchObject({ nested: true });
    expect(validate(exportGet.query!, { nested: 'false' })).toMatchObject({ nested: false });
    const exp = openApiDocument(ROUTES).paths['/api/v0/export'].get as { parameters: { name: string }[] };
    expect(exp.parameters.map((p) => p.name)).toContain('nested');
  });
});
