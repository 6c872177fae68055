/** Commands that only make sense with a running node: flush, stop, spawn, kill, token. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { VastError } from '../../diagnostics.js';
import type { NodeClient } from '../../node/client.js';
import { addEndpointFlags, nodeClient } from '../flags/endpoint.js';

async function requireNode(cmd: Command): Promise<NodeClient> {
  cmd.setOptionValue('node', true);
  const c = await nodeClient(cmd);
  if (!c) throw new VastError('no node is running');
  return c;
}

/**
 * The source's path options made absolute against this shell's directory:
 * the node runs elsewhere, and a relative path would mean its directory.
 */
async function absolutePaths(name: string, args: readonly string[]): Promise<string[]> {
  const { findSource } = await import('../../sources/index.js');
  const paths = (findSource(name)?.options ?? []).filter((o) => o.kind === 'path');
  const out = [...args];
  for (let i = 0; i < out.length; i++) {
    const a = out[i];
    const o = paths.find(
      (p) =>
        a === `--${p.name}` || (p.short !== undefined && a === `-${p.short}`) || a.startsWith(`--${p.name}=`),
    );
    if (!o) continue;
    if (a.includes('=')) out[i] = `--${o.name}=${resolve(a.slice(o.name.length + 3))}`;
    else if (i + 1 < out.length) out[i + 1] = resolve(out[++i]);
  }
  return out;
}

export function registerNodeControl(program: Command): void {
  const flush = addEndpointFlags(
    program.command('flush').description('write the events a node buffers as partitions now'),
  );
  flush.action(async () => {
    await (await requireNode(flush)).json('POST', '/api/v0/flush');
    process.stdout.write('flushed\n');
  });

  const stop = addEndpointFlags(program.command('stop').description('stop a running node (flushes first)'));
  stop.action(async () => {
    await (await requireNode(stop)).json('POST', '/api/v0/stop');
    process.stdout.write('stopping\n');
  });

  const spawn = addEndpointFlags(
    program
      .command('spawn')
      .description(
        'start a component inside the node: vast spawn source <pcap|netflow|syslog|file> [options] [EXPR]',
      )
      .argument('<kind>', "'source'")
      .argument('<name>', 'the source: pcap, netflow, syslog, file')
      .argument('[args...]', 'the source options and an optional filter expression')
      .allowUnknownOption()
      .helpOption(false),
  );
  spawn.action(async (kind: string, name: string, args: string[]) => {
    if (kind !== 'source') throw new VastError(`cannot spawn '${kind}' (only 'source')`);
    const { id } = await (await requireNode(spawn)).json<{ id: string }>('POST', '/api/v0/sources', {
      json: { source: name, args: await absolutePaths(name, args) },
    });
    process.stdout.write(`${id}\n`);
  });

  const kill = addEndpointFlags(
    program.command('kill').description('stop a component by id').argument('<id>', 'as printed by spawn'),
  );
  kill.action(async (id: string) => {
    await (await requireNode(kill)).request('DELETE', `/api/v0/sources/${encodeURIComponent(id)}`);
    process.stdout.write(`killed ${id}\n`);
  });

  const token = addEndpointFlags(
    program
      .command('token')
      .description('manage API tokens (admin)')
      .argument('<action>', "'create'")
      .requiredOption('--tenant <name>', 'the tenant the token belongs to'),
  );
  token.action(async (action: string, flags: { tenant: string }) => {
    if (action !== 'create') throw new VastError(`unknown token action '${action}' (only 'create')`);
    const r = await (await requireNode(token)).json<{ token: string }>('POST', '/api/v0/tokens', {
      json: { tenant: flags.tenant },
    });
    process.stdout.write(`${r.token}\n`);
  });
}
