/** The `vast` command line: one file per command in commands/, shared flags in flags/. */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { VastError } from '../diagnostics.js';
import { registerCount } from './commands/count.js';
import { registerExec } from './commands/exec.js';
import { registerExport } from './commands/export.js';
import { registerGet } from './commands/get.js';
import { registerImport } from './commands/import.js';
import { registerInfer } from './commands/infer.js';
import { registerNodeControl } from './commands/node-control.js';
import { registerRebuild } from './commands/rebuild.js';
import { registerStart } from './commands/start.js';
import { registerStatus } from './commands/status.js';
import { addConfigFlag, prepareConfig } from './flags/config.js';
import { addDbFlag } from './flags/db.js';
import { addEndpointFlags } from './flags/endpoint.js';
import { positiveInt } from './flags/input.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

function buildProgram(): Command {
  const program = new Command('vast')
    .description('security telemetry engine: import Zeek, Suricata, JSON and CSV; store compactly; hunt fast')
    .version(pkg.version, '--version')
    .showHelpAfterError()
    .configureHelp({ showGlobalOptions: true })
    .exitOverride();
  // Global options, before the command as in VAST (`vast -d DB -e HOST:PORT --config F import ...`) or after it.
  addEndpointFlags(addConfigFlag(addDbFlag(program))).option(
    '--max-partition-size <n>',
    'events per partition (import into a database; start)',
    (v) => positiveInt(v, '--max-partition-size'),
  );
  program.hook('preAction', (_program, action) => prepareConfig(action));
  program
    .command('version')
    .description('print the version')
    .action(() => {
      process.stdout.write(`vast ${pkg.version}\n`);
    });
  registerImport(program);
  registerExport(program);
  registerCount(program);
  registerGet(program);
  registerStatus(program);
  registerRebuild(program);
  registerExec(program);
  registerInfer(program);
  registerStart(program);
  registerNodeControl(program);
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
      // Rendered diagnostics (expressions, pipelines) already carry their `error:` prefix.
      process.stderr.write(e.message.startsWith('error:') ? `${e.message}\n` : `error: ${e.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw e;
  }
}

await main(process.argv);
