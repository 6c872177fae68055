/** The `vast` command line: one file per command in commands/, shared flags in flags/. */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { renderError, VastError } from '../diagnostics.js';
import { registerCount } from './commands/count.js';
import { registerDump } from './commands/dump.js';
import { registerExec } from './commands/exec.js';
import { registerExplore } from './commands/explore.js';
import { registerExport } from './commands/export.js';
import { registerGet } from './commands/get.js';
import { registerImport } from './commands/import.js';
import { registerInfer } from './commands/infer.js';
import { registerNodeControl } from './commands/node-control.js';
import { registerPivot } from './commands/pivot.js';
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
    // Options before a command are the program's (as in VAST); every command but spawn takes them after it too (withGlobalOptions).
    .enablePositionalOptions()
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
  registerPivot(program);
  registerExplore(program);
  registerInfer(program);
  registerStart(program);
  registerNodeControl(program);
  registerDump(program);
  acceptGlobalsAfter(program);
  return program;
}

/**
 * Global options work after the command too (`vast import zeek -d DB`). The program's own
 * options are positional (before the command, as in VAST), so that `spawn source pcap -e 30s`
 * can pass `-e` on to the source; every other command gets hidden copies of them, and
 * `optsWithGlobals()` sees whichever was given.
 */
function acceptGlobalsAfter(program: Command): void {
  const globals = program.options.filter((o) => o.long !== '--version');
  const visit = (cmd: Command): void => {
    for (const sub of cmd.commands) visit(sub);
    if (cmd === program || cmd.name() === 'spawn') return;
    for (const o of globals) {
      if (cmd.options.some((x) => x.long === o.long)) continue;
      const shortTaken = o.short !== undefined && cmd.options.some((x) => x.short === o.short);
      const copy = new Option(shortTaken ? o.flags.replace(/^-\w, /, '') : o.flags, o.description).hideHelp();
      if (o.parseArg) copy.argParser(o.parseArg);
      cmd.addOption(copy);
    }
  };
  visit(program);
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
