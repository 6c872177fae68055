/**
 * The schema registry: the schemas, type aliases and taxonomy vast knows by
 * name, loaded from the YAML files shipped in `schemas/` and from user
 * directories. Readers use it to type known fields; queries use it to resolve
 * names (aliases for `:alias` extractors, concepts for `net.src.ip`).
 *
 * File format (see schemas/README.md):
 *   types:            # type aliases, usable in fields and as `:alias` extractors
 *     timestamp: time
 *   schemas:
 *     zeek.conn:
 *       timestamp: ts
 *       fields:
 *         ts: timestamp
 *         id.orig_h: ip
 *   concepts:         # taxonomy (taxonomy.ts)
 *     net.src.ip: { fields: [zeek.conn.id.orig_h] }
 *   models:
 *     net.connection: { definition: [net.src.ip, net.src.port, ...] }
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type YAMLModule from 'yaml';
import { parseType, recordFromFieldMap } from '../types/parse-type.js';
import type { RecordType, Schema, VastType } from '../types/type.js';
import { Taxonomy } from './taxonomy.js';

/**
 * The YAML parser, loaded on first use: a command that finds the shipped schemas in their
 * bundled JSON form (and no user schema files) parses no YAML and should not pay for loading it.
 */
let yaml: typeof YAMLModule | undefined;
const YAML = (): typeof YAMLModule => {
  yaml ??= createRequire(import.meta.url)('yaml') as typeof YAMLModule;
  return yaml;
};

export class SchemaRegistry {
  private readonly schemas = new Map<string, Schema>();
  readonly aliases = new Map<string, VastType>();
  readonly taxonomy = new Taxonomy();

  get(name: string): Schema | undefined {
    return this.schemas.get(name);
  }
  all(): Schema[] {
    return [...this.schemas.values()];
  }
  /** Adds a schema; a second definition of the same name replaces the first (user files override shipped ones). */
  add(schema: Schema): void {
    this.schemas.set(schema.name, schema);
  }

  /** Loads one YAML document's `types` and `schemas`; errors name the file and key. */
  loadYaml(text: string, source: string): void {
    let doc: unknown;
    try {
      doc = YAML().parse(text);
    } catch (e) {
      throw new Error(`${source}: invalid YAML: ${(e as Error).message}`);
    }
    this.loadDocument(doc, source);
  }

  /** A parsed schema file (`source` names it in errors). */
  private loadDocument(doc: unknown, source: string): void {
    if (doc === null || doc === undefined) return;
    if (Array.isArray(doc)) {
      // VAST 2's taxonomy files are lists of `- concept:` / `- model:` items.
      this.taxonomy.loadVastList(doc, source);
      return;
    }
    if (typeof doc !== 'object')
      throw new Error(`${source}: expected a map with 'types', 'schemas', 'concepts' and/or 'models'`);
    const { types = {}, schemas = {} } = doc as {
      types?: Record<string, string>;
      schemas?: Record<string, unknown>;
    };
    this.taxonomy.load(doc as { concepts?: unknown; models?: unknown }, source);
    for (const [name, t] of Object.entries(types)) {
      try {
        this.aliases.set(name, parseType(String(t), this.aliases));
      } catch (e) {
        throw new Error(`${source}: types.${name}: ${(e as Error).message}`);
      }
    }
    for (const [name, def] of Object.entries(schemas)) {
      const d = def as { fields?: Record<string, unknown>; timestamp?: string };
      try {
        const type = recordFromFieldMap(d.fields ?? {}, this.aliases) as RecordType;
        this.add({ name, type, timestamp: d.timestamp });
      } catch (e) {
        throw new Error(`${source}: schemas.${name}: ${(e as Error).message}`);
      }
    }
  }

  loadDirectory(dir: string): void {
    for (const f of schemaFiles(dir)) this.loadYaml(readFileSync(join(dir, f), 'utf8'), join(dir, f));
  }

  /**
   * The shipped schemas: from the build's bundle (scripts/bundle-schemas.mjs) while it is
   * newer than every YAML file, else from the YAML (a checkout edited since its build, tests).
   */
  loadBuiltin(): void {
    const files = schemaFiles(BUILTIN_SCHEMA_DIR);
    const bundled = existsSync(BUNDLE) ? statSync(BUNDLE).mtimeMs : -1;
    if (files.some((f) => statSync(join(BUILTIN_SCHEMA_DIR, f)).mtimeMs > bundled)) {
      this.loadDirectory(BUILTIN_SCHEMA_DIR);
      return;
    }
    const bundle = JSON.parse(readFileSync(BUNDLE, 'utf8')) as { file: string; doc: unknown }[];
    for (const { file, doc } of bundle) this.loadDocument(doc, join(BUILTIN_SCHEMA_DIR, file));
  }
}

/** The schema files of a directory, in the order they load. */
function schemaFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort();
}

const HERE = dirname(fileURLToPath(import.meta.url));
/** The `schemas/` directory shipped with the package. */
const BUILTIN_SCHEMA_DIR = join(HERE, '..', '..', 'schemas');
/** Its parsed form, written by the build next to the compiled code (`dist/bundled-schemas.json`). */
const BUNDLE = join(HERE, '..', 'bundled-schemas.json');

/** Loads the shipped schemas, then each extra directory in order (later ones override). */
export function loadRegistry(extraDirs: readonly string[] = []): SchemaRegistry {
  const r = new SchemaRegistry();
  r.loadBuiltin();
  for (const d of extraDirs) r.loadDirectory(d);
  return r;
}
