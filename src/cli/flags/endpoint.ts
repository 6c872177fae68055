import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { VastError } from '../../diagnostics.js';
import { NodeClient, probe } from '../../node/client.js';
import { DEFAULT_ENDPOINT } from '../../node/endpoint.js';
import { userConfigDir } from '../schemas.js';

/** `--endpoint`, `--token` and `--node`: where the node is, and whether it must be used. */
export function addEndpointFlags(cmd: Command): Command {
  return cmd
    .option('-e, --endpoint <host:port>', `node endpoint (default: $VAST_ENDPOINT or ${DEFAULT_ENDPOINT})`)
    .option('--token <token>', 'API token (default: $VAST_TOKEN, or ~/.config/vast/token)')
    .option('--node', 'require a running node (fail instead of using the local database)');
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

/**
 * The node to talk to, or undefined for embedded mode: a node is used when one
 * answers at the endpoint; with `--node`, not finding one is an error.
 */
export async function nodeClient(cmd: Command): Promise<NodeClient | undefined> {
  const flags = { ...cmd.parent?.opts(), ...cmd.opts() } as {
    endpoint?: string;
    token?: string;
    node?: boolean;
  };
  const endpoint = flags.endpoint ?? process.env.VAST_ENDPOINT ?? DEFAULT_ENDPOINT;
  if (await probe(endpoint)) return new NodeClient(endpoint, token(flags));
  if (flags.node)
    throw new VastError(`no node is running at ${endpoint} (start one with 'vast start', or drop --node)`);
  return undefined;
}
