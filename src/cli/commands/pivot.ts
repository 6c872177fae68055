/** `vast pivot [--format F] TYPE EXPR`: events of schema TYPE related to the matches (see query/pivot.ts). */
import type { Command } from 'commander';
import { findFormat } from '../../formats/index.js';
import { pivot } from '../../query/pivot.js';
import { backendOf } from '../flags/endpoint.js';
import { writeEvents } from '../output.js';

export function registerPivot(program: Command): void {
  const cmd = program
    .command('pivot')
    .description(
      "events of schema TYPE related to the matches of EXPR, by Zeek uid (Zeek to Zeek) or community_id, e.g. vast pivot zeek.conn 'src_ip == 192.168.1.103'",
    )
    .argument('<type>', 'schema of the related events, e.g. zeek.conn, zeek.dns, suricata.alert')
    .argument('<expr>', 'expression selecting the events to pivot from')
    .option('-f, --format <name>', 'output format', 'json')
    .option('-w, --write <file>', 'write to a file instead of standard output');
  cmd.action(async (type: string, expr: string, flags: { format: string; write?: string }) => {
    const format = findFormat(flags.format, 'write');
    const backend = await backendOf(cmd);
    await writeEvents(
      pivot((q, o) => backend.query(q, o), type, expr),
      format,
      flags.write,
    );
  });
}
