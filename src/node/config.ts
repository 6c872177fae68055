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
    /** Matching batches a live query may fall behind before it is dropped (ingest never waits for it). */
    'live-max-lag': z.number().int().positive().default(1024),
    /** Bytes of matching batches a live query may fall behind before it is dropped. */
    'live-max-lag-bytes': z
      .number()
      .int()
      .positive()
      .default(64 * 1024 * 1024),
    /** Seconds a tenant remembers an import's batch id, so that a retry is not ingested twice. */
    'batch-id-window': z.number().positive().default(3600),
    /** Batch ids a tenant remembers at most (the oldest are forgotten first). */
    'batch-id-capacity': z.number().int().positive().default(16_384),
    /** Seconds a one-shot query (export, count, a cursor's page) may run; 0: no limit. Live queries are exempt. */
    'query-timeout': z.number().nonnegative().default(60),
    /** Open query cursors (POST /api/v0/query/new) per tenant. */
    'max-cursors': z.number().int().positive().default(32),
    /** Seconds after which an unused query cursor is dropped. */
    'cursor-idle-timeout': z.number().positive().default(120),
    'log-level': z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    /** The packet capture program the pcap source runs; only the operator chooses it. */
    'capture-program': z.string().min(1).default('tcpdump'),
    /** Whether tenant tokens may spawn and kill sources (the admin token always may). */
    'tenant-sources': z.boolean().default(false),
    /** Directories whose files spawned sources may read; empty: none. */
    'source-paths': z.array(z.string().min(1)).default([]),
    /** Addresses syslog and netflow listeners may bind. */
    'source-bind-addresses': z.array(z.string().min(1)).default(['127.0.0.1', '::1']),
    /** Sources one tenant may have at once (finished ones count until killed). */
    'max-sources-per-tenant': z.number().int().positive().default(16),
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

/** Every setting can come from the environment as `VAST_` + its name in upper snake case. */
export const envName = (key: string) => `VAST_${key.toUpperCase().replaceAll('-', '_')}`;

/** The config file to read: an explicit path, else ./vast.yaml, else the user config dir's. */
export function configPath(explicit?: string): string | undefined {
  if (explicit) {
    if (!existsSync(explicit)) throw new VastError(`config file ${explicit} does not exist`);
    return explicit;
  }
  for (const p of ['vast.yaml', join(userConfigDir(), 'vast.yaml')]) if (existsSync(p)) return p;
  return undefined;
}

/** The settings a config file sets itself (no defaults), for client commands given --config. */
export function fromFile(path: string | undefined): Record<string, unknown> {
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

/**
 * An environment value in the type its setting expects, read off the schema so that a new
 * setting needs no second table: numbers, `true`/`1`/`false`/`0`, comma-separated lists.
 * A value that does not convert stays a string, which validation then names.
 */
function fromEnvText(setting: z.ZodType, v: string): unknown {
  const inner = setting instanceof z.ZodDefault ? (setting.unwrap() as z.ZodType) : setting;
  if (inner instanceof z.ZodNumber) return v.trim() === '' || Number.isNaN(Number(v)) ? v : Number(v);
  if (inner instanceof z.ZodBoolean)
    return v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v;
  if (inner instanceof z.ZodArray)
    return v
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
  return v;
}

function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(ConfigSchema.shape)) {
    const v = env[envName(key)];
    if (v !== undefined && v !== '') out[key] = fromEnvText(setting as z.ZodType, v);
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
