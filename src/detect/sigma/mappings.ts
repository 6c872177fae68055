/**
 * Where Sigma rules meet vast's schemas: which schemas a `logsource` means
 * and what the rule's field names are called there. The data ships in
 * `schemas/sigma.yaml` (a `sigma:` section) and users extend it the same way
 * as schemas, with a `sigma:` section in a file of their schema directory
 * (`~/.config/vast/schemas/`, `<db>/schemas/`); later entries win.
 *
 *   sigma:
 *     logsources:
 *       - logsource: { product: zeek, service: dns }
 *         schemas: [zeek.dns]
 *     fields:
 *       zeek.http:
 *         c-uri: uri                       # Sigma name: vast field (or a list: any of them)
 */
import type { SchemaRegistry } from '../../schemas/registry.js';
import type { Taxonomy } from '../../schemas/taxonomy.js';
import type { Schema } from '../../types/type.js';
import type { SigmaLogsource } from './types.js';

const LOGSOURCE_KEYS = ['product', 'service', 'category'] as const;

/** One logsource mapping: a rule whose logsource has exactly these keys and values means `schemas`. */
interface LogsourceMapping {
  readonly logsource: SigmaLogsource;
  readonly schemas: readonly string[];
  readonly source: string;
}

/** The logsource and field mappings, and the schemas they name. */
export interface SigmaMappings {
  readonly logsources: readonly LogsourceMapping[];
  /** Per schema: Sigma field name (lower case) → the vast field names it stands for. */
  readonly fields: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
  /** A schema by name. */
  schema(name: string): Schema | undefined;
  readonly taxonomy?: Taxonomy;
}

const fail = (source: string, where: string, what: string): never => {
  throw new Error(`${source}: sigma.${where}: ${what}`);
};

function stringsOf(v: unknown, source: string, where: string): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) return v as string[];
  return fail(source, where, 'expected a string or a non-empty list of strings');
}

/**
 * The mappings of the `sigma:` sections a registry loaded (the shipped
 * `schemas/sigma.yaml`, then user files). A logsource mapped twice takes the
 * later schemas; field maps merge, later names winning.
 */
export function loadSigmaMappings(registry: SchemaRegistry): SigmaMappings {
  const logsources: LogsourceMapping[] = [];
  const fields = new Map<string, Map<string, readonly string[]>>();
  for (const { source, section } of registry.sigma) {
    if (section === null || typeof section !== 'object' || Array.isArray(section))
      fail(source, '', "expected a map with 'logsources' and/or 'fields'");
    const { logsources: ls = [], fields: fs = {}, ...rest } = section as Record<string, unknown>;
    for (const k of Object.keys(rest)) fail(source, k, "unknown key (known: 'logsources', 'fields')");
    if (!Array.isArray(ls)) fail(source, 'logsources', 'expected a list');
    (ls as unknown[]).forEach((item, i) => {
      const where = `logsources[${i}]`;
      const m = item as { logsource?: Record<string, unknown>; schemas?: unknown };
      if (!m || typeof m.logsource !== 'object' || m.logsource === null)
        fail(source, where, "expected 'logsource' (product/service/category) and 'schemas'");
      const logsource: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.logsource as Record<string, unknown>)) {
        if (!(LOGSOURCE_KEYS as readonly string[]).includes(k) || typeof v !== 'string')
          fail(
            source,
            `${where}.logsource.${k}`,
            'expected product, service or category with a string value',
          );
        logsource[k] = (v as string).toLowerCase();
      }
      const schemas = stringsOf(m.schemas, source, `${where}.schemas`);
      const same = logsources.findIndex((x) => sameLogsource(x.logsource, logsource));
      if (same >= 0) logsources.splice(same, 1);
      logsources.push({ logsource, schemas, source });
    });
    if (typeof fs !== 'object' || fs === null || Array.isArray(fs)) fail(source, 'fields', 'expected a map');
    for (const [schema, map] of Object.entries(fs as Record<string, unknown>)) {
      if (typeof map !== 'object' || map === null || Array.isArray(map))
        fail(source, `fields.${schema}`, 'expected a map of Sigma field names to vast field names');
      const m = fields.get(schema) ?? new Map<string, readonly string[]>();
      fields.set(schema, m);
      for (const [name, to] of Object.entries(map as Record<string, unknown>))
        m.set(name.toLowerCase(), stringsOf(to, source, `fields.${schema}.${name}`));
    }
  }
  return { logsources, fields, schema: (name) => registry.get(name), taxonomy: registry.taxonomy };
}

function sameLogsource(a: SigmaLogsource, b: SigmaLogsource): boolean {
  return LOGSOURCE_KEYS.every((k) => a[k] === b[k]);
}

/**
 * The mapping for a rule's logsource: the one whose keys and values equal the
 * rule's (case-insensitive; other logsource keys such as `definition` do not
 * count). Exact, so that `product: windows, category: dns` never lands on the
 * network DNS logs that `category: dns` means.
 */
export function mapLogsource(m: SigmaMappings, logsource: SigmaLogsource): LogsourceMapping | undefined {
  const wanted: SigmaLogsource = Object.fromEntries(
    LOGSOURCE_KEYS.filter((k) => logsource[k] !== undefined).map((k) => [k, logsource[k]!.toLowerCase()]),
  );
  return m.logsources.find((x) => sameLogsource(x.logsource, wanted));
}

/** The vast field names a Sigma field stands for in a schema (itself when unmapped). */
export function mapField(m: SigmaMappings, schema: string, field: string): readonly string[] {
  return m.fields.get(schema)?.get(field.toLowerCase()) ?? [field];
}
