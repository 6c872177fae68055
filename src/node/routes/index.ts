/** Every route of the HTTP API; the server registers these and the OpenAPI document describes them. */
import { countEvents } from './count.js';
import { exportGet, exportPost } from './export.js';
import { flush } from './flush.js';
import { getEvents } from './get.js';
import { importEvents } from './import.js';
import { addIntel, listIntel, removeIntel, showIntel } from './intel.js';
import { openApi } from './openapi.js';
import { deleteQuery, newQuery, nextPage } from './query.js';
import type { Route } from './route.js';
import { addRules, listRules, removeRule, showRule } from './rules.js';
import { killSource, listSources, spawnSource } from './sources.js';
import { status } from './status.js';
import { stop } from './stop.js';
import { createToken, listTokens, revokeToken } from './tokens.js';

export const ROUTES: readonly Route[] = [
  openApi,
  status,
  importEvents,
  exportGet,
  exportPost,
  countEvents,
  getEvents,
  newQuery,
  deleteQuery,
  nextPage,
  listSources,
  spawnSource,
  killSource,
  flush,
  stop,
  createToken,
  listTokens,
  revokeToken,
  listIntel,
  showIntel,
  addIntel,
  removeIntel,
  listRules,
  showRule,
  addRules,
  removeRule,
];
