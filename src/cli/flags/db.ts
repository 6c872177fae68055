import type { Command } from 'commander';

export const DEFAULT_DB = 'vast.db';

/** `-d/--db DIR`, accepted before the command (`vast -d x import`) and after it. */
export function addDbFlag(cmd: Command): Command {
  return cmd.option('-d, --db <dir>', `database directory (default: ./${DEFAULT_DB}, or $VAST_DB)`);
}

/** The database directory: the command's flag, else the global flag, else $VAST_DB, else ./vast.db. */
export function dbDir(cmd: Command): string {
  const own = cmd.opts().db as string | undefined;
  const global = cmd.parent?.opts().db as string | undefined;
  return own ?? global ?? process.env.VAST_DB ?? DEFAULT_DB;
}
