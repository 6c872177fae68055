/** `--config FILE` for client commands: where the database and the node are, from the node's config file. */
import type { Command } from 'commander';

export function addConfigFlag(cmd: Command): Command {
  return cmd.option(
    '--config <file>',
    'configuration file (start: default ./vast.yaml or ~/.config/vast/vast.yaml); other commands take db and endpoint from it',
  );
}

interface ClientSettings {
  db?: string;
  endpoint?: string;
}

let settings: ClientSettings = {};

/**
 * Reads `--config FILE` once before the command runs (main.ts), validated as `vast start`
 * would; without --config a client command reads no file, so a stray ./vast.yaml in the
 * working directory cannot redirect it. The node's config module loads only when needed.
 */
export async function prepareConfig(cmd: Command): Promise<void> {
  const file = cmd.optsWithGlobals().config as string | undefined;
  if (!file) return;
  const { fromFile, loadConfig } = await import('../../node/config.js');
  loadConfig({}, { file, env: {} });
  const s = fromFile(file).values;
  settings = {
    db: typeof s.db === 'string' ? s.db : undefined,
    endpoint: typeof s.endpoint === 'string' ? s.endpoint : undefined,
  };
}

/** `db` and `endpoint` set by the --config file, if any. */
export const configValues = (): ClientSettings => settings;
