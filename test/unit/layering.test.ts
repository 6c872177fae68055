/**
 * Layering (DESIGN.md): the CLI sits on top; the node, the schema registry and
 * everything below them never import `src/cli/` (the node once took its schema
 * registry from `cli/schemas.ts`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/datasets.js';

const SRC = join(ROOT, 'src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The src/ folders a file imports from, by its relative import specifiers. */
function importedFolders(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/from '(\.[^']+)'/g)].map(
    (m) => relative(SRC, resolve(dirname(file), m[1])).split('/')[0],
  );
}

describe('layering', () => {
  for (const layer of ['node', 'schemas', 'expr', 'query', 'store', 'types', 'formats']) {
    it(`src/${layer} does not import src/cli`, () => {
      const offenders = tsFiles(join(SRC, layer)).filter((f) => importedFolders(f).includes('cli'));
      expect(offenders.map((f) => relative(ROOT, f))).toEqual([]);
    });
  }
});
