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

/** A schema whose fields are parsed when it is first asked for (the shipped ones, see loadBuiltin). */
type Deferred = () => Schema;

function parseYaml(text: string, source: string): unknown {
  try {
    return YAML().parse(text);
  } catch (e) {
    throw new Error(`${source}: invalid YAML: ${(e as Error).message}`);
  }
}

export class SchemaRegistry {
  private readonly schemas = new Map<string, Schema | Deferred>();
  readonly aliases = new Map<string, VastType>();
  readonly taxonomy = new Taxonomy();
  /** The `sigma:` sections of the loaded files, in load order (read by `detect/sigma/mappings.ts`). */
  readonly sigma: { readonly source: string; readonly section: unknown }[] = [];

  get(name: string): Schema | undefined {
    const s = this.schemas.get(name);
    if (typeof s !== 'function') return s;
    const parsed = s();
    this.schemas.set(name, parsed);
    return parsed;
  }
  all(): Schema[] {
    return [...this.schemas.keys()].map((name) => this.get(name) as Schema);
  }
  /** Adds a schema; a second definition of the same name replaces the first (user files override shipped ones). */
  add(schema: Schema): void {
    this.schemas.set(schema.name, schema);
  }

  /** Loads one YAML document's `types` and `schemas`; errors name the file and key. */
  loadYaml(text: string, source: string): void {
    this.loadDocument(parseYaml(text, source), source);
  }

  /**
   * A parsed schema file (`source` names it in errors). With `defer`, its schemas' fields
   * are parsed only when asked for, against the type aliases known now.
   */
  private loadDocument(doc: unknown, source: string, defer = false): void {
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
    if ('sigma' in doc) this.sigma.push({ source, section: (doc as { sigma: unknown }).sigma });
    for (const [name, t] of Object.entries(types)) {
      try {
        this.aliases.set(name, parseType(String(t), this.aliases));
      } catch (e) {
        throw new Error(`${source}: types.${name}: ${(e as Error).message}`);
      }
    }
    const aliases = defer ? new Map(this.aliases) : this.aliases;
    for (const [name, def] of Object.entries(schemas)) {
      const d = def as { fields?: Record<string, unknown>; timestamp?: string };
      const parse = (): Schema => {
        try {
          const type = recordFromFieldMap(d.fields ?? {}, aliases) as RecordType;
          return { name, type, timestamp: d.timestamp };
        } catch (e) {
          throw new Error(`${source}: schemas.${name}: ${(e as Error).message}`);
        }
      };
      this.schemas.set(name, defer ? parse : parse());
    }
  }

  loadDirectory(dir: string): void {
    for (const f of schemaFiles(dir)) this.loadYaml(readFileSync(join(dir, f), 'utf8'), join(dir, f));
  }

  /**
   * The shipped schemas: from the build's bundle (scripts/bundle-schemas.mjs) while it is
   * newer than every YAML file, else from the YAML (a checkout edited since its build, tests).
   * Their fields are parsed when a schema is first asked for: a query resolves names
   * against the stored layouts and needs only the aliases and the taxonomy, and parsing
   * every shipped schema is most of the registry's load time (test/unit/schemas checks
   * that they all parse).
   */
  loadBuiltin(): void {
    const files = schemaFiles(BUILTIN_SCHEMA_DIR);
    const bundled = existsSync(BUNDLE) ? statSync(BUNDLE).mtimeMs : -1;
    const stale = files.some((f) => statSync(join(BUILTIN_SCHEMA_DIR, f)).mtimeMs > bundled);
    const docs = stale
      ? files.map((file) => {
          const path = join(BUILTIN_SCHEMA_DIR, file);
          return { path, doc: parseYaml(readFileSync(path, 'utf8'), path) };
        })
      : (JSON.parse(readFileSync(BUNDLE, 'utf8')) as { file: string; doc: unknown }[]).map(
          ({ file, doc }) => ({
            path: join(BUILTIN_SCHEMA_DIR, file),
            doc,
          }),
        );
    for (const { path, doc } of docs) this.loadDocument(doc, path, true);
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
