import { defineRoute } from './route.js';

export const openApi = defineRoute({
  method: 'GET',
  path: '/api/v0/openapi.json',
  role: 'read',
  summary: 'this document',
  responses: { 200: 'OpenAPI document' },
  async handler(_input, ctx) {
    return ctx.openApi();
  },
});
