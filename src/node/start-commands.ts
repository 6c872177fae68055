/**
 * `vast start --commands "spawn source ..."` (VAST 2's `vast.start.commands`):
 * commands that run once the node is up, with the effect of a client issuing
 * them against the node as its admin. Only `spawn source` has an effect inside
 * a node today; any other command is refused before the node starts, rather
 * than ignored. Sources spawned this way are not persisted: the command
 * spawns them again at every start.
 */
import { UsageError } from '../diagnostics.js';
import { findSource } from '../sources/index.js';
import { shellWords } from '../util/shell-words.js';
import { DEFAULT_TENANT } from './auth.js';
import type { VastNode } from './node.js';

export interface StartCommand {
  readonly text: string;
  readonly source: string;
  readonly args: string[];
}

/** Parses and checks one command (`spawn source zeek -r conn.log`); throws a UsageError naming it. */
export function parseStartCommand(text: string): StartCommand {
  const words = shellWords(text);
  if (words[0] === 'vast') words.shift();
  const [verb, kind, source, ...args] = words;
  if (verb !== 'spawn' || kind !== 'source' || source === undefined)
    throw new UsageError(
      `start command '${text}': only 'spawn source NAME [options] [EXPR]' can run inside the node`,
    );
  if (!findSource(source)) throw new UsageError(`start command '${text}': unknown source '${source}'`);
  return { text, source, args };
}

/**
 * Runs the checked commands against the started node, in order, each in the
 * default tenant as the admin would; a command that fails is logged and the
 * node goes on (as VAST did), so one bad source does not keep the node down.
 */
export async function runStartCommands(node: VastNode, commands: readonly StartCommand[]): Promise<void> {
  for (const c of commands) {
    try {
      const id = await node.components.spawn(await node.tenant(DEFAULT_TENANT), c.source, c.args, {
        persist: false,
      });
      node.log.info({ command: c.text, source: id }, 'start command ran');
    } catch (e) {
      node.log.error({ command: c.text, err: (e as Error).message }, 'start command failed');
    }
  }
}
