/** The source registry: `vast spawn source <name>` looks names up here. One line per source. */
import { fileSource } from './file.js';
import type { SourceDef } from './source.js';

export const sources: readonly SourceDef[] = [fileSource];

export function findSource(name: string): SourceDef | undefined {
  return sources.find((s) => s.name === name);
}
