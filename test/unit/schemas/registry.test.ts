/**
 * The shipped schemas load deferred (their fields are parsed when first asked for): the
 * registry must hold what parsing every file at once gives, whatever is loaded after them.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRegistry, SchemaRegistry } from '../../../src/schemas/registry.js';
import { ROOT } from '../../helpers/datasets.js';

/** The shipped schema files, each parsed as it loads (user directories load this way). */
function eager(): SchemaRegistry {
  const r = new SchemaRegistry();
  r.loadDirectory(join(ROOT, 'schemas'));
  return r;
}

describe('shipped schemas', () => {
  it('are the schemas their files define, in the same order', () => {
    const all = eager().all();
    expect(all.length).toBeGreaterThan(0);
    expect(loadRegistry().all()).toEqual(all);
  });

  it('keep the type aliases of when they loaded, as if parsed then', () => {
    const r = loadRegistry();
    // argus.record has a field of the shipped alias argus.cause, which a user file redefines.
    r.loadYaml('types:\n  argus.cause: int64\n', 'user.yaml');
    expect(r.aliases.get('argus.cause')?.kind).toBe('int64');
    const shipped = eager().get('argus.record');
    expect(JSON.stringify(shipped)).toContain('"alias":"argus.cause"');
    expect(r.get('argus.record')).toEqual(shipped);
  });

  it('are replaced by a user schema of the same name, in place', () => {
    const r = loadRegistry();
    const names = r.all().map((s) => s.name);
    r.loadYaml('schemas:\n  zeek.conn:\n    fields:\n      x: string\n', 'user.yaml');
    expect(r.all().map((s) => s.name)).toEqual(names);
    expect(r.get('zeek.conn')?.type.fields.map((f) => f.name)).toEqual(['x']);
  });
});
