/**
 * The registry as data for `vast dump`: the same shape as a schema file
 * (schemas/README.md), so `vast dump --yaml > x.yaml` loads back as it is.
 */
import { leaves, typeToNamedString } from '../types/type.js';
import type { SchemaRegistry } from './registry.js';

export const DUMP_SECTIONS = ['concepts', 'models', 'schemas'] as const;
export type DumpSection = (typeof DUMP_SECTIONS)[number];

/** One section, or all of them when `section` is undefined, as a schema-file document. */
export function dumpRegistry(registry: SchemaRegistry, section?: DumpSection): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const want = (s: DumpSection) => section === undefined || section === s;
  if (want('concepts')) {
    const concepts: Record<string, unknown> = {};
    for (const c of [...registry.taxonomy.concepts.values()].sort((a, b) => a.name.localeCompare(b.name)))
      concepts[c.name] = {
        ...(c.description ? { description: c.description } : {}),
        ...(c.fields.length > 0 ? { fields: c.fields } : {}),
        ...(c.concepts.length > 0 ? { concepts: c.concepts } : {}),
      };
    out.concepts = concepts;
  }
  if (want('models')) {
    const models: Record<string, unknown> = {};
    for (const m of [...registry.taxonomy.models.values()].sort((a, b) => a.name.localeCompare(b.name)))
      models[m.name] = { ...(m.description ? { description: m.description } : {}), definition: m.definition };
    out.models = models;
  }
  if (want('schemas')) {
    out.types = Object.fromEntries([...registry.aliases].map(([name, t]) => [name, typeToNamedString(t)]));
    const schemas: Record<string, unknown> = {};
    for (const s of [...registry.all()].sort((a, b) => a.name.localeCompare(b.name)))
      schemas[s.name] = {
        ...(s.timestamp ? { timestamp: s.timestamp } : {}),
        fields: Object.fromEntries(leaves(s.type).map((l) => [l.path, typeToNamedString(l.type)])),
      };
    out.schemas = schemas;
  }
  return out;
}
