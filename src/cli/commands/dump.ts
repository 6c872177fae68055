import type { Command } from 'commander';
import YAML from 'yaml';
import { DUMP_SECTIONS, type DumpSection, dumpRegistry } from '../../schemas/dump.js';
import { schemaRegistry } from '../../schemas/load.js';
import { addDbFlag, dbDir } from '../flags/db.js';

/** `vast dump [concepts|models|schemas] [--yaml]`: what the registry knows, as VAST 2's dump printed it (JSON, or YAML). */
export function registerDump(program: Command): void {
  const cmd = program
    .command('dump')
    .description('print the taxonomy (concepts, models) and the schemas vast knows, as JSON or YAML')
    .argument('[what]', `one of ${DUMP_SECTIONS.join(', ')} (default: all)`)
    .option('--yaml', 'print YAML in the schema file syntax (loadable as a schema file)');
  addDbFlag(cmd).action((what: string | undefined, opts: { yaml?: boolean }) => {
    if (what !== undefined && !(DUMP_SECTIONS as readonly string[]).includes(what))
      throw new Error(`unknown dump section '${what}': expected one of ${DUMP_SECTIONS.join(', ')}`);
    const doc = dumpRegistry(schemaRegistry(dbDir(cmd)), what as DumpSection | undefined);
    process.stdout.write(opts.yaml ? YAML.stringify(doc) : `${JSON.stringify(doc, null, 2)}\n`);
  });
}
