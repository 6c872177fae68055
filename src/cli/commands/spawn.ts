/**
 * `vast spawn source <name> [options] [EXPR]`: starts a source inside a node
 * (VAST: `vast spawn source zeek -r conn.log`). The names, options and help
 * come from the source registry, so help works without a node.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../diagnostics.js';
import { optionHelp } from '../../formats/options.js';
import type { NodeClient } from '../../node/client.js';
import type { SourceDef } from '../../sources/source.js';
import { addEndpointFlags } from '../flags/endpoint.js';

const isHelp = (a: string | undefined) => a === '--help' || a === '-h' || a === 'help';

/**
 * The source's path options made absolute against this shell's directory:
 * the node runs elsewhere, and a relative path would mean its directory.
 */
function absolutePaths(def: SourceDef, args: readonly string[]): string[] {
  const paths = Object.entries(def.options).filter(([, o]) => o.kind === 'path');
  const out = [...args];
  for (let i = 0; i < out.length; i++) {
    const a = out[i];
    const o = paths.find(
      ([n, p]) => a === `--${n}` || (p.short !== undefined && a === `-${p.short}`) || a.startsWith(`--${n}=`),
    );
    if (!o) continue;
    if (a.includes('=')) out[i] = `--${o[0]}=${resolve(a.slice(o[0].length + 3))}`;
    else if (i + 1 < out.length) out[i + 1] = resolve(out[++i]);
  }
  return out;
}

/** `vast spawn source NAME --help`. */
function sourceHelp(def: SourceDef): string {
  return `Usage: vast spawn source ${def.name} [options] [EXPR]\n\n${def.description}; EXPR keeps only matching events.\n\nOptions:\n${optionHelp(def.options)}\n`;
}

/** `vast spawn source --help`: every source with its description. */
function sourceList(sources: readonly SourceDef[]): string {
  const width = Math.max(...sources.map((s) => s.name.length));
  return `Usage: vast spawn source <name> [options] [EXPR]\n\nSources (vast spawn source NAME --help for their options):\n${sources
    .map((s) => `  ${s.name.padEnd(width)}  ${s.description}`)
    .join('\n')}\n`;
}

/** Registers `spawn`; `requireNode` connects to the running node (node-control.ts). */
export function registerSpawn(program: Command, requireNode: (cmd: Command) => Promise<NodeClient>): void {
  const spawn = addEndpointFlags(
    program
      .command('spawn')
      .description('start a component inside the node: vast spawn source <format or source> [options] [EXPR]')
      .argument('[kind]', "'source'")
      .argument('[name]', 'the source: any import format, or file (see vast spawn source --help)')
      .argument('[args...]', 'the source options and an optional filter expression')
      .allowUnknownOption()
      // Everything after `source` is the source's (pcap's -e is its flow expiry, not the endpoint).
      .passThroughOptions()
      .helpOption(false),
  );
  spawn.action(async (kind: string | undefined, name: string | undefined, args: string[]) => {
    if (kind === undefined || isHelp(kind)) return void process.stdout.write(spawn.helpInformation());
    if (kind !== 'source') throw new UsageError(`cannot spawn '${kind}' (only 'source')`);
    // The registry loads every format: only when a source is spawned or described.
    const { findSource, sources, sourceNames } = await import('../../sources/index.js');
    if (name === undefined || isHelp(name)) return void process.stdout.write(sourceList(sources));
    const def = findSource(name);
    if (!def) throw new UsageError(`unknown source '${name}' (choose one of: ${sourceNames().join(', ')})`);
    if (args.some(isHelp)) return void process.stdout.write(sourceHelp(def));
    const { id } = await (await requireNode(spawn)).json<{ id: string }>('POST', '/api/v0/sources', {
      json: { source: name, args: absolutePaths(def, args) },
    });
    process.stdout.write(`${id}\n`);
  });
}
