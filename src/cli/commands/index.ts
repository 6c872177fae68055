/**
 * Every `vast` command, by the module that registers it. main.ts loads only the module of the
 * command a command line names: a command's imports (formats, the store, the node's server)
 * cost start-up time that a short command such as `vast count` should not pay for the others.
 * The order here is the order of `vast --help`.
 */
import type { Command } from 'commander';

type Register = (program: Command) => void;

interface CommandModule {
  /** The commands the module registers. */
  names: readonly string[];
  load: () => Promise<Register>;
}

const commandModules: readonly CommandModule[] = [
  { names: ['version'], load: async () => (await import('./version.js')).registerVersion },
  { names: ['import'], load: async () => (await import('./import.js')).registerImport },
  { names: ['export'], load: async () => (await import('./export.js')).registerExport },
  { names: ['count'], load: async () => (await import('./count.js')).registerCount },
  { names: ['get'], load: async () => (await import('./get.js')).registerGet },
  { names: ['status'], load: async () => (await import('./status.js')).registerStatus },
  { names: ['rebuild'], load: async () => (await import('./rebuild.js')).registerRebuild },
  { names: ['exec'], load: async () => (await import('./exec.js')).registerExec },
  { names: ['pivot'], load: async () => (await import('./pivot.js')).registerPivot },
  { names: ['explore'], load: async () => (await import('./explore.js')).registerExplore },
  { names: ['infer'], load: async () => (await import('./infer.js')).registerInfer },
  { names: ['sigma'], load: async () => (await import('./sigma.js')).registerSigma },
  { names: ['intel', 'sightings'], load: async () => (await import('./intel.js')).registerIntel },
  { names: ['start'], load: async () => (await import('./start.js')).registerStart },
  {
    names: ['flush', 'stop', 'spawn', 'kill', 'token'],
    load: async () => (await import('./node-control.js')).registerNodeControl,
  },
  { names: ['dump'], load: async () => (await import('./dump.js')).registerDump },
];

/**
 * The registrars for a command line naming `command`: its module alone, or, when it names none
 * of ours (`vast`, `vast --help`, a typo), all of them, so that help lists every command and
 * commander suggests the nearest name.
 */
export function loadCommands(command: string | undefined): Promise<Register[]> {
  const one = commandModules.find((m) => command !== undefined && m.names.includes(command));
  return Promise.all((one ? [one] : commandModules).map((m) => m.load()));
}
