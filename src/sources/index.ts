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

/**
 * A listening source that also reads a file once with `-r`, as every import
 * format does (`vast spawn source syslog -r messages.log`): the file goes
 * through the format source, the socket through the dedicated one.
 */
function withFileRead(src: SourceDef): SourceDef {
  const format = formats.find((f) => f.name === src.name && f.read);
  if (!format || 'read' in src.options) return src;
  const fromFile = formatSource(format);
  return {
    ...src,
    description: `${src.description}; or a file read once with -r`,
    options: { read: fromFile.options.read, ...src.options },
    start: (o, ctx) =>
      o.read === undefined ? src.start(o, ctx) : fromFile.start({ ...o, listen: undefined }, ctx),
  };
}

const dedicated: readonly SourceDef[] = [pcapSource, netflowSource, syslogSource, fileSource].map(
  withFileRead,
);

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
