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
    'log-level': z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    /** TLS: the server's certificate chain and private key (PEM); both or neither. */
    certfile: z.string().min(1).optional(),
    keyfile: z.string().min(1).optional(),
    /** TLS: CA (PEM) whose client certificates the node requires; unset: no client certificates. */
    'client-ca': z.string().min(1).optional(),
    /** Serve plain HTTP on a non-loopback endpoint (tokens then cross the network in clear). */
    insecure: z.boolean().default(false),
    /** Seconds a connection may be idle (no request, or a request's client sending nothing) before it is closed. */
    'idle-timeout': z.number().positive().default(30),
    /** Seconds a client has to send a request's headers. */
    'headers-timeout': z.number().positive().default(10),
    /** Seconds a client has to send a whole request (bodies of large imports included). */
    'request-timeout': z.number().positive().default(600),
    /**
     * Seconds an idle keep-alive connection stays open between requests (longer than
     * clients' pool timeouts, so a client never reuses a connection the node is closing).
     */
    'keep-alive-timeout': z.number().positive().default(65),
    /** Open connections at most; more are refused at once (bounds file descriptors). */
    'max-connections': z.number().int().positive().default(1024),
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
  VAST_CERTFILE: 'certfile',
  VAST_KEYFILE: 'keyfile',
  VAST_CLIENT_CA: 'client-ca',
  VAST_INSECURE: 'insecure',
  VAST_IDLE_TIMEOUT: 'idle-timeout',
  VAST_HEADERS_TIMEOUT: 'headers-timeout',
  VAST_REQUEST_TIMEOUT: 'request-timeout',
  VAST_KEEP_ALIVE_TIMEOUT: 'keep-alive-timeout',
  VAST_MAX_CONNECTIONS: 'max-connections',
};

const NUMERIC = new Set<keyof NodeConfig>([
  'max-partition-size',
  'flush-interval',
  'max-import-bytes',
  'live-queue',
  'idle-timeout',
  'headers-timeout',
  'request-timeout',
  'keep-alive-timeout',
  'max-connections',
]);

const BOOLEAN = new Set<keyof NodeConfig>(['insecure']);

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
    out[key] = NUMERIC.has(key) ? Number(v) : BOOLEAN.has(key) ? v === 'true' || v === '1' : v;
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
