/**
 * The format registry: the one list that `vast import <format>`,
 * `vast export <format>`, file-extension lookup and detection read.
 * A new format is one file plus one line here.
 */
import { VastError } from '../diagnostics.js';
import { arrow } from './arrow.js';
import { ascii } from './ascii.js';
import { csv } from './csv/index.js';
import type { FormatDef } from './format.js';
import { json } from './json/index.js';
import { netflow } from './netflow/index.js';
import type { OptionDef } from './options.js';
import { parquet } from './parquet.js';
import { pcap } from './pcap/index.js';
import { suricata } from './suricata.js';
import { syslog } from './syslog/index.js';
import { zeek } from './zeek/index.js';
import { zeekJson } from './zeek-json.js';

export const formats: readonly FormatDef[] = [
  zeek,
  zeekJson,
  suricata,
  json,
  csv,
  pcap,
  netflow,
  syslog,
  ascii,
  arrow,
  parquet,
];

const byName = new Map<string, FormatDef>();
for (const f of formats) {
  if (byName.has(f.name)) throw new Error(`format '${f.name}' is registered twice; rename one of them`);
  byName.set(f.name, f);
}

/** Names of the formats that read (`use: 'read'`) or write, for help texts and errors. */
export function formatNames(use: 'read' | 'write'): string[] {
  return formats.filter((x) => (use === 'read' ? x.read : x.write)).map((x) => x.name);
}

/**
 * Every reader's own options with the formats declaring each (`vast import`
 * offers them all; an option declared by two formats must be one declaration).
 */
export const readerOptions: ReadonlyMap<string, { def: OptionDef; formats: string[] }> = (() => {
  const out = new Map<string, { def: OptionDef; formats: string[] }>();
  for (const f of formats)
    for (const [name, def] of Object.entries(f.options ?? {})) {
      const seen = out.get(name);
      if (seen && seen.def !== def)
        throw new Error(
          `option '${name}' of format '${f.name}' differs from the one of '${seen.formats[0]}'`,
        );
      if (seen) seen.formats.push(f.name);
      else out.set(name, { def, formats: [f.name] });
    }
  return out;
})();

/** Looks up a format by name for reading or writing, with the list of valid choices in the error. */
export function findFormat(name: string, use: 'read' | 'write'): FormatDef {
  const f = byName.get(name);
  const valid = formatNames(use);
  if (!f || !(use === 'read' ? f.read : f.write))
    throw new VastError(
      `unknown ${use === 'read' ? 'input' : 'output'} format '${name}' (choose one of: ${valid.join(', ')})`,
    );
  return f;
}
