import type { Command } from 'commander';
import { vastVersion } from '../version.js';

export function registerVersion(program: Command): void {
  program
    .command('version')
    .description('print the version')
    .action(() => {
      process.stdout.write(`vast ${vastVersion()}\n`);
    });
}
