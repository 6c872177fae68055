/**
 * Internal events (schemas named `vast.*`, such as the `vast.audit` log) live in
 * the admin's tenant beside the data but are not data: like Tenzir's internal
 * events, a query sees them only when its expression asks for them with `#schema`
 * (`#schema == "vast.audit"`). Counts and exports of "everything" stay what was imported.
 */
import type { Expr, Literal } from '../expr/ast.js';
import type { CompiledQuery, Program } from '../expr/compile.js';
import type { StoreStatus } from '../store/store.js';

export const isInternalSchema = (name: string): boolean => name.startsWith('vast.');

/** Whether a `#schema` value names internal schemas: `"vast.audit"`, a list with one, a pattern that says `vast`. */
function namesInternal(l: Literal): boolean {
  if (l.type === 'string') return isInternalSchema(l.value);
  if (l.type === 'pattern') return l.source.includes('vast');
  if (l.type === 'list') return l.items.some(namesInternal);
  return false;
}

/**
 * Whether an expression asks for internal events: a `#schema` predicate that selects them
 * (`#schema == "vast.audit"`, `#schema in [...]`). Excluding one (`#type != "vast.metrics"`,
 * as VAST's own queries did) asks for none.
 */
function asksForInternal(e: Expr): boolean {
  switch (e.kind) {
    case 'and':
    case 'or':
      return asksForInternal(e.left) || asksForInternal(e.right);
    case 'not':
      return false;
    case 'predicate': {
      const [meta, value] = e.lhs.kind === 'meta' ? [e.lhs, e.rhs] : [e.rhs, e.lhs];
      return (
        meta.kind === 'meta' &&
        meta.name === 'schema' &&
        value.kind === 'literal' &&
        (e.op === '==' || e.op === 'in' || e.op === 'ni') &&
        namesInternal(value.value)
      );
    }
    default:
      return false;
  }
}

const NEVER: Program = { kind: 'const', value: false };

/** The compiled query, with internal schemas never selected unless the expression asks for them with `#schema`. */
export function hideInternalSchemas(compiled: CompiledQuery): CompiledQuery {
  if (asksForInternal(compiled.expr)) return compiled;
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
