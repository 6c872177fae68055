/** The source registry: `vast spawn source <name>` looks names up here. One line per source. */
import { fileSource } from './file.js';
import { netflowSource } from './netflow.js';
import { pcapSource } from './pcap.js';
import type { SourceDef } from './source.js';
import { syslogSource } from './syslog.js';

export const sources: readonly SourceDef[] = [pcapSource, netflowSource, syslogSource, fileSource];

export function findSource(name: string): SourceDef | undefined {
  return sources.find((s) => s.name === name);
}
