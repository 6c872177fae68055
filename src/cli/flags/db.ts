import type { Command } from 'commander';
import { DEFAULT_DB } from '../../backend/open.js';
import { configValues } from './config.js';

/** `-d/--db DIR`: a global option, before the command as in VAST (`vast -d x import`) or after it. */
export function addDbFlag(cmd: Command): Command {
  return cmd.option('-d, --db <dir>', `database directory (default: ./${DEFAULT_DB}, or $VAST_DB)`);
}

/** The database directory: the flag, else --config's `db`, else $VAST_DB, else ./vast.db. */
export function dbDir(cmd: Command): string {
  const flag = cmd.optsWithGlobals().db as string | undefined;
  return flag ?? configValues().db ?? process.env.VAST_DB ?? DEFAULT_DB;
}
