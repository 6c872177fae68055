/**
 * Zeek's TSV log format (`vast import zeek`, `vast export zeek`): the
 * tab-separated logs with `#` header directives that Zeek writes by default.
 * Zeek's JSON logs are the `zeek-json` format.
 */
import type { FormatDef } from '../format.js';
import { readZeek } from './reader.js';
import { writeZeek } from './writer.js';

const SEPARATOR_DIRECTIVE = new TextEncoder().encode('#separator');

export const zeek: FormatDef = {
  name: 'zeek',
  description: 'Zeek TSV logs (tab-separated values with #-header directives)',
  extensions: ['.log'],
  // Every Zeek TSV log starts with `#separator`.
  detect: (head) => SEPARATOR_DIRECTIVE.every((c, i) => head[i] === c),
  read: readZeek,
  write: writeZeek,
};
