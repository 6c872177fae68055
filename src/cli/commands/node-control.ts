/** Commands that only make sense with a running node: flush, stop, spawn (spawn.ts), kill, token. */
import type { Command } from 'commander';
import { VastError } from '../../diagnostics.js';
import type { TokenInfo } from '../../node/auth.js';
import { nodeClient as requireNode } from '../flags/endpoint.js';
import { textTable } from '../table.js';
import { registerSpawn } from './spawn.js';

export function registerNodeControl(program: Command): void {
  const flush = program.command('flush').description('write the events a node buffers as partitions now');
  flush.action(async () => {
    await (await requireNode(flush)).json('POST', '/api/v0/flush');
    process.stdout.write('flushed\n');
  });

  const stop = program.command('stop').description('stop a running node (flushes first)');
  stop.action(async () => {
    await (await requireNode(stop)).json('POST', '/api/v0/stop');
    process.stdout.write('stopping\n');
  });

  registerSpawn(program, requireNode);

  const kill = program
    .command('kill')
    .description('stop a component by id')
    .argument('<id>', 'as printed by spawn');
  kill.action(async (id: string) => {
    await (await requireNode(kill)).request('DELETE', `/api/v0/sources/${encodeURIComponent(id)}`);
    process.stdout.write(`killed ${id}\n`);
  });

  const token = program
    .command('token')
    .description(
      'manage API tokens (admin): token create --tenant T [--role read|write|admin] [--expires 30d], token list, token revoke ID',
    )
    .argument('<action>', 'create, list or revoke')
    .argument('[id]', 'the token id to revoke (as printed by create and list)')
    .option('--tenant <name>', 'create: the tenant the token belongs to (admin tokens: default)')
    .option('--role <role>', 'create: read (queries, status), write (also import, flush) or admin', 'write')
    .option('--expires <duration>', 'create: the token stops working after this long (30d, 12h, 90min)');
  token.action(async (action: string, id: string | undefined, flags: TokenFlags) => {
    const client = await requireNode(token);
    if (action === 'create') {
      if (!flags.tenant && flags.role !== 'admin') throw new VastError('token create needs --tenant NAME');
      const r = await client.json<{ id: string; token: string }>('POST', '/api/v0/tokens', {
        json: { tenant: flags.tenant, role: flags.role, expires: flags.expires },
      });
      // Only the token on stdout (TOKEN=$(vast token create ...)); its id, for list and revoke, on stderr.
      process.stderr.write(`token id ${r.id}\n`);
      process.stdout.write(`${r.token}\n`);
    } else if (action === 'list') {
      const { tokens } = await client.json<{ tokens: TokenInfo[] }>('GET', '/api/v0/tokens');
      process.stdout.write(`${tokenTable(tokens)}\n`);
    } else if (action === 'revoke') {
      if (!id) throw new VastError('token revoke needs the token id (see vast token list)');
      await client.json('DELETE', `/api/v0/tokens/${encodeURIComponent(id)}`);
      process.stdout.write(`revoked ${id}\n`);
    } else throw new VastError(`unknown token action '${action}' (create, list or revoke)`);
  });
}

interface TokenFlags {
  tenant?: string;
  role: string;
  expires?: string;
}

/** `vast token list` output: one token a line, aligned; never the token or its hash (the node does not know them). */
function tokenTable(tokens: TokenInfo[]): string {
  const rows = [
    ['id', 'tenant', 'role', 'created', 'expires'],
    ...tokens.map((t) => [t.id, t.tenant, t.role, t.created, t.expires ?? 'never']),
  ];
  return textTable(rows);
}
