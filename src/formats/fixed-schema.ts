/**
 * Schemas of formats whose layout is fixed by their parser (syslog, pcap,
 * netflow) come from the shipped `schemas/*.yaml`, like every other schema:
 * the YAML is the one definition. The parser fills columns by position, so it
 * names the columns it writes, and the schema it gets must have exactly those
 * leaves: a user's schema directory may refine the YAML (aliases,
 * attributes), not change the layout under the parser.
 */
import { VastError } from '../diagnostics.js';
import { loadRegistry, type SchemaRegistry } from '../schemas/registry.js';
import { leaves, type Schema, typeToString } from '../types/type.js';

let shipped: SchemaRegistry | undefined;

/** The shipped schemas, loaded once, for parsers that were given no registry. */
function shippedSchemas(): SchemaRegistry {
  shipped ??= loadRegistry();
  return shipped;
}

/**
 * The schema `name` from `registry` (default: the shipped one), checked
 * against the columns the parser writes, in order, as `path: type`
 * (`'facility: uint64'`); a `VastError` names the first difference.
 */
export function fixedSchema(
  name: string,
  columns: readonly string[],
  registry: SchemaRegistry = shippedSchemas(),
): Schema {
  const s = registry.get(name);
  if (!s) throw new VastError(`schema ${name} is missing (it ships in schemas/*.yaml)`);
  const got = leaves(s.type).map((l) => `${l.path}: ${typeToString(l.type)}`);
  const at = columns.findIndex((c, i) => got[i] !== c);
  if (at >= 0 || got.length !== columns.length) {
    const i = at >= 0 ? at : columns.length;
    throw new VastError(
      `schema ${name} does not have the layout its parser writes: column ${i + 1} is '${got[i] ?? 'missing'}', expected '${columns[i] ?? 'none'}'`,
    );
  }
  return s;
}
