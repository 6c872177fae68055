/**
 * Node configuration: `vast.yaml` (in ./ or the user config dir), then
 * `VAST_*` environment variables, then command-line flags; later ones win.
 * Invalid settings are errors that name the key and the source; in vast.yaml,
 * located at the key or value (line:column, the line, a caret), with a
 * "did you mean" for misspelt keys.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { suggest } from '../diagnostics/suggest.js';
import { errorDiagnostic, type Location, spanIn, VastError } from '../diagnostics.js';
import { userConfigDir } from '../schemas/load.js';
import { parseHostPort } from '../util/host-port.js';

import { DEFAULT_ENDPOINT } from './endpoint.js';

/** Checked by the one host:port parser (util/host-port.ts), so `vast start -e` and the config agree. */
const endpoint = z.string().refine(
  (v) => {
    try {
      parseHostPort(v);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'expected HOST:PORT, e.g. 127.0.0.1:42000' },
);

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
    /** Commands run once the node is up (VAST's `vast.start.commands`): `spawn source zeek -r conn.log`. */
    'start-commands': z.array(z.string().min(1)).default([]),
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
const envName = (key: string) => `VAST_${key.toUpperCase().replaceAll('-', '_')}`;

/** The config file to read: an explicit path, else ./vast.yaml, else the user config dir's. */
function configPath(explicit?: string): string | undefined {
  if (explicit) {
    if (!existsSync(explicit)) throw new VastError(`config file ${explicit} does not exist`);
    return explicit;
  }
  for (const p of ['vast.yaml', join(userConfigDir(), 'vast.yaml')]) if (existsSync(p)) return p;
  return undefined;
}

/** The settings of a config file, and where each came from in its text (for located errors). */
interface FileLayer {
  readonly values: Record<string, unknown>;
  /** The span of a setting's key (`what: 'key'`) or value in the file, if it is there. */
  span(key: string, what: 'key' | 'value'): { location: Location; excerpt: string } | undefined;
}

const NO_FILE: FileLayer = { values: {}, span: () => undefined };

/** A config file's settings with their places in its text (no defaults); client commands given --config read `values`. */
export function fromFile(path: string | undefined): FileLayer {
  if (!path) return NO_FILE;
  const text = readFileSync(path, 'utf8');
  const doc = YAML.parseDocument(text);
  const syntax = doc.errors[0];
  if (syntax) {
    // The yaml library's message ends with its own excerpt of the text; ours renders the line itself.
    const message = syntax.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new VastError(
      `${path}: invalid YAML: ${message}`,
      errorDiagnostic(
        `invalid YAML: ${message}`,
        spanIn(path, text, syntax.pos[0], syntax.pos[1] - syntax.pos[0]),
      ),
    );
  }
  const root = doc.contents;
  if (root === null || (YAML.isScalar(root) && root.value === null)) return NO_FILE;
  if (!YAML.isMap(root))
    throw new VastError(
      `${path}: expected a map of settings`,
      errorDiagnostic(
        'expected a map of settings (`key: value` lines)',
        spanIn(path, text, root.range?.[0] ?? 0),
      ),
    );
  // VAST nested its settings under `vast:`; accept both forms.
  const nested = root.get('vast', true);
  const settings = YAML.isMap(nested) ? nested : root;
  const values = settings.toJSON() as Record<string, unknown>;
  return {
    values: values ?? {},
    span(key, what) {
      const pair = settings.items.find((p) => YAML.isScalar(p.key) && String(p.key.value) === key);
      const node = what === 'key' ? pair?.key : (pair?.value ?? pair?.key);
      const range = (node as YAML.Node | undefined)?.range;
      if (!range) return undefined;
      return spanIn(path, text, range[0], range[1] - range[0]);
    },
  };
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
  const file = fromFile(path);
  const layers: [Origin, Record<string, unknown>][] = [
    ['file', file.values],
    ['environment', fromEnv(opts.env ?? process.env)],
    ['command line', Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined))],
  ];
  const merged: Record<string, unknown> = {};
  const origin: Record<string, Origin> = {};
  for (const [source, layer] of layers) {
    for (const [k, v] of Object.entries(layer)) {
      merged[k] = v;
      origin[k] = source;
    }
  }
  const r = ConfigSchema.safeParse(merged);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const unknown = issue.code === 'unrecognized_keys';
  const keys = unknown ? issue.keys : [String(issue.path[0] ?? '')];
  const from = (k: string) =>
    origin[k] === 'file' ? (path ?? 'config file') : (origin[k] ?? 'configuration');
  const diagnostics = keys.map((key) => {
    const message = unknown ? `unknown setting '${key}'` : `invalid setting '${key}': ${issue.message}`;
    const near = unknown ? suggest(Object.keys(ConfigSchema.shape), key) : undefined;
    const hints = near ? [`did you mean '${near}'?`] : [];
    if (origin[key] === 'file')
      return errorDiagnostic(message, { ...file.span(key, unknown ? 'key' : 'value'), hints });
    const notes = [
      origin[key] === 'environment'
        ? `set by ${envName(key)} in the environment`
        : `given on the command line`,
    ];
    return errorDiagnostic(message, { notes, hints });
  });
  const key = keys.join(', ');
  const what = unknown ? 'unknown setting' : issue.message;
  throw new VastError(`invalid configuration: '${key}' (from ${from(keys[0])}): ${what}`, diagnostics);
}

/** Where a setting came from, for its errors. */
type Origin = 'file' | 'environment' | 'command line';
