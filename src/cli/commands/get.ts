import type { Command } from 'commander';
import { findFormat } from '../../formats/index.js';
import { parseIds } from '../../query/get.js';
import { backendOf } from '../flags/endpoint.js';
import { writeEvents } from '../output.js';

/** `vast get ID...`: events by id (their position in stored order, as `export` prints them), as VAST's `get`. */
export function registerGet(program: Command): void {
  const cmd = program
    .command('get')
    .description('print events by id (0 is the first event imported), e.g. vast get 0 42 1234')
    .argument('<ids...>', 'event ids')
    .option('-f, --format <name>', 'output format', 'json');
  cmd.action(async (texts: string[], flags: { format: string }) => {
    const format = findFormat(flags.format, 'write');
    const ids = parseIds(texts);
    const backend = await backendOf(cmd);
    await writeEvents(backend.get(ids), format, undefined);
  });
}
