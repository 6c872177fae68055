import type { Command } from 'commander';
import { refuseIfServed } from '../../store/holder.js';
import { Store } from '../../store/store.js';
import { dbDir } from '../flags/db.js';

export function registerRebuild(program: Command): void {
  const cmd = program
    .command('rebuild')
    .description(
      'recompute the catalog and all synopses from the partition files (and convert partitions of the old format to Parquet)',
    );
  cmd.action(async () => {
    refuseIfServed(dbDir(cmd), 'rebuild');
    const store = await Store.open(dbDir(cmd), { legacy: true });
    const r = await store.rebuild();
    process.stdout.write(`rebuilt catalog: ${r.partitions} partitions, ${r.events} events\n`);
  });
}
