/** Commands that only make sense with a running node: flush, stop, spawn, kill, token. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { VastError } from '../../diagnostics.js';
import type { TokenInfo } from '../../node/auth.js';
import { nodeClient as requireNode } from '../flags/endpoint.js';

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

  const spawn = program
    .command('spawn')
    .description(
      'start a component inside the node: vast spawn source <pcap|netflow|syslog|file> [options] [EXPR]',
    )
    .argument('[kind]', "'source'")
    .argument('[name]', 'the source: pcap, netflow, syslog, file')
    .argument('[args...]', 'the source options and an optional filter expression')
    .allowUnknownOption()
    .helpOption(false);
  spawn.action(async (kind: string | undefined, name: string | undefined, args: string[]) => {
    // The source's options go to the node unparsed, so --help is answered here, without a node.
    if ([kind, name, ...args].some((a) => a === '--help' || a === '-h'))
      return void process.stdout.write(await spawnHelp(spawn, kind, name));
    if (kind === undefined) return void process.stdout.write(spawn.helpInformation());
    if (kind !== 'source') throw new VastError(`cannot spawn '${kind}' (only 'source')`);
    if (name === undefined) throw new VastError('spawn source needs a source name (see vast spawn --help)');
    const { id } = await (await requireNode(spawn)).json<{ id: string }>('POST', '/api/v0/sources', {
      json: { source: name, args: await absolutePaths(name, args) },
    });
    process.stdout.write(`${id}\n`);
  });

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

/** `vast spawn --help`, `vast spawn source --help`, `vast spawn source NAME --help`: from the sources registry. */
async function spawnHelp(spawn: Command, kind?: string, name?: string): Promise<string> {
  const { findSource, sources } = await import('../../sources/index.js');
  const source = kind === 'source' && name && !name.startsWith('-') ? findSource(name) : undefined;
  if (!source) {
    const names = sources.map((s) => s.name).join(', ');
    return `${spawn.helpInformation()}\nsources: ${names}\n(vast spawn source NAME --help for a source's options)\n`;
  }
  const lines = source.options.map(
    (o) =>
      `  ${o.short ? `-${o.short}, ` : ''}--${o.name}${o.kind === 'boolean' ? '' : ` <${o.kind}>`}  ${o.description}` +
      (o.default !== undefined ? ` (default: ${o.default})` : ''),
  );
  return `Usage: vast spawn source ${source.name} [options] [EXPR]\n\n${source.description}\n\nOptions:\n${lines.join('\n')}\n`;
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
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
