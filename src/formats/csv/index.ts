import type { FormatDef } from '../format.js';
import { readCsv } from './reader.js';
import { writeCsv } from './writer.js';

/** Comma-separated values with a header line (RFC 4180 quoting). */
export const csv: FormatDef = {
  name: 'csv',
  description: 'comma-separated values with a header line',
  extensions: ['.csv'],
  read: readCsv,
  write: writeCsv,
};
