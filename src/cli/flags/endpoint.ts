import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Backend } from '../../backend/backend.js';
import { openBackend } from '../../backend/open.js';
import { VastError } from '../../diagnostics.js';
import type { ClientTls, NodeClient } from '../../node/client.js';
import { DEFAULT_ENDPOINT } from '../../node/endpoint.js';
import { userConfigDir } from '../../schemas/load.js';
import { configValues } from './config.js';
import { dbDir } from './db.js';

/**
 * `--endpoint`, `--token`, `--node` and TLS: where the node is, whether it must be used, how
 * to trust it. Global options (main.ts), so they go before the command as in VAST
 * (`vast -e HOST:PORT count`) or after it.
 */
export function addEndpointFlags(cmd: Command): Command {
  return cmd
    .option(
      '-e, --endpoint <host:port>',
      `node endpoint, https://HOST:PORT for a TLS node (default: $VAST_ENDPOINT or ${DEFAULT_ENDPOINT})`,
    )
    .option('--token <token>', 'API token (default: $VAST_TOKEN, or ~/.config/vast/token)')
    .option('--node', 'require a running node (fail instead of using the local database)')
    .option(
      '--cacert <file>',
      'CA certificate (PEM) to verify a TLS node with (default: $VAST_CACERT); implies TLS',
    )
    .option(
      '--cert <file>',
      'client certificate (PEM) for a node that requires one (default: $VAST_CLIENT_CERT)',
    )
    .option('--key <file>', 'private key (PEM) of --cert (default: $VAST_CLIENT_KEY)');
}

interface TlsFlags {
  cacert?: string;
  cert?: string;
  key?: string;
}

/** The TLS material named by flags or environment, read now so a wrong path is a clear error. */
function clientTls(flags: TlsFlags): ClientTls | undefined {
  const read = (what: string, path: string | undefined) => {
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (e) {
      throw new VastError(
        `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  };
  const ca = read('--cacert', flags.cacert ?? process.env.VAST_CACERT);
  const cert = read('--cert', flags.cert ?? process.env.VAST_CLIENT_CERT);
  const key = read('--key', flags.key ?? process.env.VAST_CLIENT_KEY);
  if ((cert === undefined) !== (key === undefined)) throw new VastError('--cert and --key go together');
  return ca || cert ? { ca, cert, key } : undefined;
}

function token(flags: { token?: string }): string | undefined {
  if (flags.token) return flags.token;
  if (process.env.VAST_TOKEN) return process.env.VAST_TOKEN;
  try {
    return readFileSync(join(userConfigDir(), 'token'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

interface EndpointFlags extends TlsFlags {
  endpoint?: string;
  token?: string;
  node?: boolean;
}

/**
 * The backend of a command: a node when one answers at the endpoint, else the local
 * database; with `--node`, not finding one is an error.
 */
export async function backendOf(cmd: Command): Promise<Backend> {
  const flags = cmd.optsWithGlobals() as EndpointFlags;
  return openBackend({
    db: dbDir(cmd),
    endpoint: flags.endpoint ?? configValues().endpoint,
    token: token(flags),
    tls: clientTls(flags),
    mode: flags.node ? 'node' : 'auto',
  });
}

/** The node to talk to (commands that only make sense with one: flush, stop, spawn, ...). */
export async function nodeClient(cmd: Command): Promise<NodeClient> {
  cmd.setOptionValue('node', true);
  const [b, { RemoteBackend }] = await Promise.all([backendOf(cmd), import('../../backend/remote.js')]);
  if (!(b instanceof RemoteBackend)) throw new VastError('no node is running');
  return b.client;
}
