/** The `vast` command line: one file per command in commands/, shared flags in flags/. */
import { Command, CommanderError, Option } from 'commander';
import { renderError, VastError } from '../diagnostics.js';
import { setScanThreads } from '../query/scan-pool.js';
import { loadCommands } from './commands/index.js';
import { addConfigFlag, prepareConfig } from './flags/config.js';
import { addDbFlag } from './flags/db.js';
import { addEndpointFlags } from './flags/endpoint.js';
import { positiveInt } from './flags/positive-int.js';
import { vastVersion } from './version.js';

/** Global options, before the command as in VAST (`vast -d DB -e HOST:PORT --config F import ...`) or after it. */
function addGlobalOptions(cmd: Command): Command {
  return addEndpointFlags(addConfigFlag(addDbFlag(cmd)))
    .option('--max-partition-size <n>', 'events per partition (import into a database; start)', (v) =>
      positiveInt(v, '--max-partition-size'),
    )
    .option('--threads <n>', 'threads a query may scan with (default: every core)', (v) =>
      positiveInt(v, '--threads'),
    );
}

/**
 * The command a command line names: its first operand once the global options (and their
 * values) before it are skipped. Only a guess for which module to load (commands/index.ts);
 * a command line it cannot read loads every command, and the real parse reports the error.
 */
function namedCommand(argv: string[]): string | undefined {
  const probe = addGlobalOptions(new Command()).passThroughOptions().exitOverride();
  try {
    return probe.parseOptions(argv.slice(2)).operands[0];
  } catch {
    return undefined;
  }
}

async function buildProgram(argv: string[]): Promise<Command> {
  const program = new Command('vast')
    .description('security telemetry engine: import Zeek, Suricata, JSON and CSV; store compactly; hunt fast')
    .version(vastVersion(), '--version')
    .showHelpAfterError()
    // Options before a command are the program's (as in VAST); every command but spawn takes them after it too (withGlobalOptions).
    .enablePositionalOptions()
    .configureHelp({ showGlobalOptions: true })
    .exitOverride();
  addGlobalOptions(program);
  program.hook('preAction', async (_program, action) => {
    await prepareConfig(action);
    const { threads } = action.optsWithGlobals<{ threads?: number }>();
    if (threads !== undefined) setScanThreads(threads);
  });
  for (const register of await loadCommands(namedCommand(argv))) register(program);
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
    await (await buildProgram(argv)).parseAsync(argv);
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
