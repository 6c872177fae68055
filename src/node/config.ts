/**
 * Node configuration: `vast.yaml` (in ./ or the user config dir), then
 * `VAST_*` environment variables, then command-line flags; later ones win.
 * Invalid settings are errors that name the key and the source.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { userConfigDir } from '../cli/schemas.js';
import { VastError } from '../diagnostics.js';

import { DEFAULT_ENDPOINT } from './endpoint.js';

const endpoint = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'expected HOST:PORT, e.g. 127.0.0.1:42000');

export const ConfigSchema = z
  .object({
    endpoint: endpoint.default(DEFAULT_ENDPOINT),
    db: z.string().min(1).default('vast.db'),
    /** Events per partition before it is written out. */
    'max-partition-size': z.number().int().positive().default(1_048_576),
    /** Seconds after which buffered events are written out as partitions even if not full. */
    'flush-interval': z.number().positive().default(10),
    /** Bytes of request body the import endpoint accepts in one request. */
    'max-import-bytes': z
      .number()
      .int()
      .positive()
      .default(256 * 1024 * 1024),
    /** Batches a live query may queue before the slowest consumer blocks ingestion. */
    'live-queue': z.number().int().positive().default(64),
    /** Seconds a one-shot query (export, count, a cursor's page) may run; 0: no limit. Live queries are exempt. */
    'query-timeout': z.number().nonnegative().default(60),
    /** Open query cursors (POST /api/v0/query/new) per tenant. */
    'max-cursors': z.number().int().positive().default(32),
    /** Seconds after which an unused query cursor is dropped. */
    'cursor-idle-timeout': z.number().positive().default(120),
    'log-level': z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
  })
  .strict();

export type NodeConfig = z.infer<typeof ConfigSchema>;

const ENV: Record<string, keyof NodeConfig> = {
  VAST_ENDPOINT: 'endpoint',
  VAST_DB: 'db',
  VAST_MAX_PARTITION_SIZE: 'max-partition-size',
  VAST_FLUSH_INTERVAL: 'flush-interval',
  VAST_MAX_IMPORT_BYTES: 'max-import-bytes',
  VAST_LIVE_QUEUE: 'live-queue',
  VAST_LOG_LEVEL: 'log-level',
  VAST_QUERY_TIMEOUT: 'query-timeout',
  VAST_MAX_CURSORS: 'max-cursors',
  VAST_CURSOR_IDLE_TIMEOUT: 'cursor-idle-timeout',
};

const NUMERIC = new Set<keyof NodeConfig>([
  'max-partition-size',
  'flush-interval',
  'max-import-bytes',
  'live-queue',
  'query-timeout',
  'max-cursors',
  'cursor-idle-timeout',
]);

/** The config file to read: an explicit path, else ./vast.yaml, else the user config dir's. */
export function configPath(explicit?: string): string | undefined {
  if (explicit) {
    if (!existsSync(explicit)) throw new VastError(`config file ${explicit} does not exist`);
    return explicit;
  }
  for (const p of ['vast.yaml', join(userConfigDir(), 'vast.yaml')]) if (existsSync(p)) return p;
  return undefined;
}

function fromFile(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  let doc: unknown;
  try {
    doc = YAML.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new VastError(`${path}: invalid YAML: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new VastError(`${path}: expected a map of settings`);
  // VAST nested its settings under `vast:`; accept both forms.
  const d = doc as Record<string, unknown>;
  return (d.vast && typeof d.vast === 'object' ? d.vast : d) as Record<string, unknown>;
}

function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV)) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    out[key] = NUMERIC.has(key) ? Number(v) : v;
  }
  return out;
}

/** Merges file < environment < flags and validates; errors name the offending key and where it came from. */
export function loadConfig(
  flags: Partial<Record<keyof NodeConfig, unknown>>,
  opts: { file?: string; env?: NodeJS.ProcessEnv } = {},
): NodeConfig {
  const path = configPath(opts.file);
  const layers: [string, Record<string, unknown>][] = [
    [path ?? 'config file', fromFile(path)],
    ['environment', fromEnv(opts.env ?? process.env)],
    ['command line', Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined))],
  ];
  const merged: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  for (const [source, layer] of layers) {
    for (const [k, v] of Object.entries(layer)) {
      merged[k] = v;
      origin[k] = source;
    }
  }
  const r = ConfigSchema.safeParse(merged);
  if (!r.success) {
    const issue = r.error.issues[0];
    const key = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.');
    const from = origin[key] ?? origin[String(issue.path[0])] ?? 'configuration';
    const what = issue.code === 'unrecognized_keys' ? 'unknown setting' : issue.message;
    throw new VastError(`invalid configuration: '${key}' (from ${from}): ${what}`);
  }
  return r.data;
}
