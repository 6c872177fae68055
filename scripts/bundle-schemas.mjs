// Build step: the shipped schemas/*.yaml parsed once into dist/bundled-schemas.json, so that
// every `vast` command starts without parsing ~60 KB of YAML (about a third of a short
// command's run time). src/schemas/registry.ts reads the bundle while it is newer than every
// YAML file, else the YAML itself.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'schemas');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
  .sort();
const bundle = files.map((file) => ({ file, doc: YAML.parse(readFileSync(join(dir, file), 'utf8')) }));
writeFileSync(join(root, 'dist', 'bundled-schemas.json'), JSON.stringify(bundle));
