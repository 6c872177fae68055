/**
 * The build's bundle of the shipped schemas (scripts/bundle-schemas.mjs), which every
 * `vast` command loads instead of parsing the YAML: it must hold every file, parsed to the
 * same document. (`npm test` builds first; a stale bundle is also never used: the registry
 * falls back to the YAML when a file is newer.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ROOT } from '../../helpers/datasets.js';

describe('dist/bundled-schemas.json', () => {
  it('holds every shipped schema file, parsed as the YAML parses', () => {
    const dir = join(ROOT, 'schemas');
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
      .sort();
    const bundle = JSON.parse(readFileSync(join(ROOT, 'dist', 'bundled-schemas.json'), 'utf8')) as {
      file: string;
      doc: unknown;
    }[];
    expect(bundle.map((b) => b.file)).toEqual(files);
    for (const b of bundle)
      expect(b.doc, b.file).toEqual(YAML.parse(readFileSync(join(dir, b.file), 'utf8')));
  });
});
