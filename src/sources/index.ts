/**
 * The source registry: `vast spawn source <name>` looks names up here. The
 * dedicated sources (one line each) own their transport; every other import
 * format is spawnable through `formatSource` (`-r FILE` or `--listen`).
 */
import { formats } from '../formats/index.js';
import { fileSource } from './file.js';
import { formatSource } from './format.js';
import { netflowSource } from './netflow.js';
import { pcapSource } from './pcap.js';
import type { SourceDef } from './source.js';
import { syslogSource } from './syslog.js';

const dedicated: readonly SourceDef[] = [pcapSource, netflowSource, syslogSource, fileSource];

/** Every spawnable source: the dedicated ones, then a format source for each other readable format. */
export const sources: readonly SourceDef[] = [
  ...dedicated,
  ...formats.filter((f) => f.read && !dedicated.some((d) => d.name === f.name)).map(formatSource),
];

export function findSource(name: string): SourceDef | undefined {
  return sources.find((s) => s.name === name);
}

/** The names `vast spawn source` takes, for help texts and errors. */
export function sourceNames(): string[] {
  return sources.map((s) => s.name);
}
