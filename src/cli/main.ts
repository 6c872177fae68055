/** The `vast` command line: one file per command in commands/, shared flags in flags/. */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { renderError, VastError } from '../diagnostics.js';
import { registerCount } from './commands/count.js';
import { registerDump } from './commands/dump.js';
import { registerExec } from './commands/exec.js';
import { registerExplore } from './commands/explore.js';
import { registerExport } from './commands/export.js';
import { registerImport } from './commands/import.js';
import { registerNodeControl } from './commands/node-control.js';
import { registerPivot } from './commands/pivot.js';
import { registerRebuild } from './commands/rebuild.js';
import { registerStart } from './commands/start.js';
import { registerStatus } from './commands/status.js';
import { addDbFlag } from './flags/db.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

function buildProgram(): Command {
  const program = new Command('vast')
    .description('security telemetry engine: import Zeek, Suricata, JSON and CSV; store compactly; hunt fast')
    .version(pkg.version, '--version')
    .showHelpAfterError()
    // Options before a command are the program's, after it the command's (as in VAST); spawn passes its own on.
    .enablePositionalOptions()
    .exitOverride();
  addDbFlag(program);
  program
    .command('version')
    .description('print the version')
    .action(() => {
      process.stdout.write(`vast ${pkg.version}\n`);
    });
  registerImport(program);
  registerExport(program);
  registerCount(program);
  registerStatus(program);
  registerRebuild(program);
  registerExec(program);
  registerPivot(program);
  registerExplore(program);
  registerStart(program);
  registerNodeControl(program);
  registerDump(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    if (
      e instanceof VastError ||
      (e instanceof Error && !(e instanceof TypeError) && !(e instanceof RangeError))
    ) {
      process.stderr.write(`${renderError(e)}\n`);
      process.exitCode = 1;
      return;
    }
    throw e;
  }
}

await main(process.argv);
