/**
 * Internal events (schemas named `vast.*`, such as the `vast.audit` log) live in
 * the admin's tenant beside the data but are not data: like Tenzir's internal
 * events, a query sees them only when its expression asks with `#schema`
 * (`#schema == "vast.audit"`). Counts and exports of "everything" stay what was imported.
 */
import type { Expr } from '../expr/ast.js';
import type { CompiledQuery, Program } from '../expr/compile.js';
import type { StoreStatus } from '../store/store.js';

export const isInternalSchema = (name: string): boolean => name.startsWith('vast.');

/** Whether an expression has a `#schema` predicate anywhere. */
function mentionsSchema(e: Expr): boolean {
  switch (e.kind) {
    case 'and':
    case 'or':
      return mentionsSchema(e.left) || mentionsSchema(e.right);
    case 'not':
      return mentionsSchema(e.expr);
    case 'predicate':
      return [e.lhs, e.rhs].some((o) => o.kind === 'meta' && o.name === 'schema');
    default:
      return false;
  }
}

const NEVER: Program = { kind: 'const', value: false };

/** The compiled query, with internal schemas never selected unless the expression names them with `#schema`. */
export function hideInternalSchemas(compiled: CompiledQuery): CompiledQuery {
  if (mentionsSchema(compiled.expr)) return compiled;
  return {
    ...compiled,
    program: (schema) => (isInternalSchema(schema.name) ? NEVER : compiled.program(schema)),
  };
}

/** A store's status without internal schemas (what was imported), and the internal ones apart. */
export function splitStatus(all: StoreStatus): { data: StoreStatus; internal: StoreStatus } {
  const part = (schemas: StoreStatus['schemas'], quarantined: StoreStatus['quarantined']): StoreStatus => ({
    partitions: schemas.reduce((n, s) => n + s.partitions, 0),
    events: schemas.reduce((n, s) => n + s.events, 0),
    bytes: schemas.reduce((n, s) => n + s.bytes, 0),
    schemas,
    quarantined,
  });
  return {
    data: part(
      all.schemas.filter((s) => !isInternalSchema(s.name)),
      all.quarantined,
    ),
    internal: part(
      all.schemas.filter((s) => isInternalSchema(s.name)),
      [],
    ),
  };
}
