/** Picks the backend: a node when one answers at the endpoint, else the local database. */

import { VastError } from '../diagnostics.js';
import type { ClientTls } from '../node/client.js';
import { DEFAULT_ENDPOINT, probe } from '../node/endpoint.js';
import { schemaRegistry } from '../schemas/load.js';
import type { SchemaRegistry } from '../schemas/registry.js';
import type { Backend } from './backend.js';

export const DEFAULT_DB = 'vast.db';

export interface BackendOptions {
  /** Database directory for embedded mode (default: $VAST_DB, else ./vast.db). */
  db?: string;
  /** Node endpoint, HOST:PORT or https://HOST:PORT (default: $VAST_ENDPOINT, else 127.0.0.1:42000). */
  endpoint?: string;
  token?: string;
  tls?: ClientTls;
  /** `node`: fail without a node; `local`: never ask one; `auto` (default): a node if one answers. */
  mode?: 'auto' | 'node' | 'local';
  /** Schemas for embedded mode (default: shipped, user's, and the database's own). */
  schemas?: SchemaRegistry;
}

export const dbOf = (opts: Pick<BackendOptions, 'db'>): string =>
  opts.db ?? process.env.VAST_DB ?? DEFAULT_DB;

export async function openBackend(opts: BackendOptions = {}): Promise<Backend> {
  const mode = opts.mode ?? 'auto';
  const db = dbOf(opts);
  const registry = () => opts.schemas ?? schemaRegistry(db);
  if (mode !== 'local') {
    const endpoint = opts.endpoint ?? process.env.VAST_ENDPOINT ?? DEFAULT_ENDPOINT;
    // Each backend's modules load only when it is the one picked: a short command starts sooner.
    if (await probe(endpoint)) {
      const [{ NodeClient }, { RemoteBackend }] = await Promise.all([
        import('../node/client.js'),
        import('./remote.js'),
      ]);
      return new RemoteBackend(new NodeClient(endpoint, opts.token, opts.tls), registry());
    }
    if (mode === 'node')
      throw new VastError(`no node is running at ${endpoint} (start one with 'vast start', or drop --node)`);
  }
  const { LocalBackend } = await import('./local.js');
  return new LocalBackend(db, registry());
}
