import type { Command } from 'commander';
import { splitStatus } from '../../query/internal-schemas.js';
import { Store, type StoreStatus } from '../../store/store.js';
import { addDbFlag, dbDir } from '../flags/db.js';
import { addEndpointFlags, nodeClient } from '../flags/endpoint.js';

interface SourceLine {
  id: string;
  state: string;
  events: number;
  eventsPerSecond: number;
  endpoint?: string;
}

/** One line per quarantined file: what failed, so an operator can act on it. */
function quarantineLines(s: Pick<StoreStatus, 'quarantined'>): string[] {
  return (s.quarantined ?? []).map(
    (q) =>
      `quarantined: ${q.id}${q.schema ? ` (${q.schema}${q.events !== undefined ? `, ${q.events} events` : ''})` : ''}: ${q.file}: ${q.reason}`,
  );
}

function table(where: string, s: StoreStatus, extra: string[]): string {
  const rows = s.schemas.map((x) => [x.name, x.partitions, x.events, x.bytes, x.bytesPerEvent.toFixed(1)]);
  rows.push(['total', s.partitions, s.events, s.bytes, s.events ? (s.bytes / s.events).toFixed(1) : '0']);
  const header = ['schema', 'partitions', 'events', 'bytes', 'bytes/event'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r: (string | number)[]) =>
    r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [where, line(header), ...rows.map(line), ...extra].join('\n');
}

export function registerStatus(program: Command): void {
  const cmd = program
    .command('status')
    .description('partitions, events and bytes per schema (and sources, on a node)')
    .option('--json', 'machine-readable output')
    .option('--detailed', 'also list every partition');
  addEndpointFlags(addDbFlag(cmd)).action(async (flags: { json?: boolean; detailed?: boolean }) => {
    const client = await nodeClient(cmd);
    if (client) {
      const s = await client.json<StoreStatus & { buffered: number; sources: SourceLine[]; tenant: string }>(
        'GET',
        '/api/v0/status',
      );
      if (flags.json) return void process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
      const sources = s.sources.map(
        (x) =>
          `source ${x.id}  ${x.state}  ${x.events} events  ${x.eventsPerSecond} events/s  ${x.endpoint ?? ''}`,
      );
      process.stdout.write(
        `${table(`node: ${client.endpoint} (tenant ${s.tenant}, ${s.buffered} events buffered)`, s, [...sources, ...quarantineLines(s)])}\n`,
      );
      return;
    }
    const db = dbDir(cmd);
    const store = await Store.open(db);
    // Internal events (the audit log) are not counted as data; `vast export json '#schema == "vast.audit"'` shows them.
    const status = splitStatus(store.status()).data;
    if (flags.json) {
      const out = { database: db, ...status, ...(flags.detailed ? { partitions: store.partitions() } : {}) };
      return void process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    }
    const detail = flags.detailed
      ? store.partitions().map((p) => `${p.id}  ${p.schema}  ${p.events} events  ${p.bytes} bytes`)
      : [];
    process.stdout.write(`${table(`database: ${db}`, status, [...detail, ...quarantineLines(status)])}\n`);
  });
}
