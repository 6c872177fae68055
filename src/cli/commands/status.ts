import type { Command } from 'commander';
import { Store } from '../../store/store.js';
import { addDbFlag, dbDir } from '../flags/db.js';

export function registerStatus(program: Command): void {
  const cmd = program
    .command('status')
    .description('partitions, events and bytes per schema')
    .option('--json', 'machine-readable output')
    .option('--detailed', 'also list every partition');
  addDbFlag(cmd).action(async (flags: { json?: boolean; detailed?: boolean }) => {
    const db = dbDir(cmd);
    const store = await Store.open(db);
    const status = { database: db, ...store.status(), ...(flags.detailed ? { partitions: store.partitions() } : {}) };
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      return;
    }
    const s = store.status();
    const rows = s.schemas.map((x) => [x.name, x.partitions, x.events, x.bytes, x.bytesPerEvent.toFixed(1)]);
    rows.push(['total', s.partitions, s.events, s.bytes, s.events ? (s.bytes / s.events).toFixed(1) : '0']);
    const header = ['schema', 'partitions', 'events', 'bytes', 'bytes/event'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
    const line = (r: (string | number)[]) =>
      r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
    process.stdout.write(`database: ${db}\n${line(header)}\n${rows.map(line).join('\n')}\n`);
    if (flags.detailed) {
      for (const p of store.partitions())
        process.stdout.write(`${p.id}  ${p.schema}  ${p.events} events  ${p.bytes} bytes\n`);
    }
  });
}
