import type { FormatDef } from '../format.js';
import { readJson } from './reader.js';
import { writeJson } from './writer.js';

/** Newline-delimited JSON (also concatenated pretty-printed objects on input). */
export const json: FormatDef = {
  name: 'json',
  description: 'newline-delimited JSON objects, with schema inference',
  extensions: ['.json', '.ndjson', '.jsonl'],
  detect: (head) => {
    const s = Buffer.from(head.subarray(0, 64)).toString('utf8').trimStart();
    return s.startsWith('{');
  },
  read: readJson,
  write: writeJson,
};
