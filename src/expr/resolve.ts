/**
 * Name resolution against schemas. The suffix rule of VAST lives here and
 * nowhere else: a field extractor matches a field whose dotted path equals it
 * or ends with it on a segment boundary (`orig_h` finds `id.orig_h`,
 * `id.orig_h` finds `id.orig_h`, `rig_h` finds nothing), and the path may be
 * qualified by the schema name (`conn.duration` and `zeek.conn.id.orig_h`
 * find their fields in `zeek.conn`). Taxonomy concepts (`net.src.ip`) and
 * type extractors (`:port`, `:timestamp`) resolve here too. A member of a
 * list of records is a field too (`dns.queries.rrname`, see `MemberLeaf`).
 */
import { editDistance } from '../diagnostics/suggest.js';
import type { Taxonomy } from '../schemas/taxonomy.js';
import { parseType } from '../types/parse-type.js';
import {
  aliasNames,
  BASIC_KINDS,
  indexPath,
  type Leaf,
  leaves,
  list,
  type RecordType,
  type Schema,
  type VastType,
} from '../types/type.js';

/**
 * A member of a list of records named as a field: of Suricata's
 * `dns.queries: list<record{rrname: string, rrtype: string}>`, the member
 * `dns.queries.rrname` is the list of the elements' query names, typed
 * `list<string>`, and compares as a list field does (some element's member
 * satisfies it). The first `listSegments` of `segments` name the list; the
 * rest name the member inside the element record (through nested records).
 */
export interface MemberLeaf extends Leaf {
  readonly listSegments: number;
}

export const isMemberLeaf = (l: Leaf): l is MemberLeaf => 'listSegments' in l;

/**
 * The members of the lists of records of a record type, as `MemberLeaf`s in
 * schema order. Members that are lists themselves (a list of lists) are left
 * out, and so are lists of records inside lists of records.
 */
export function memberLeaves(type: RecordType): MemberLeaf[] {
  const out: MemberLeaf[] = [];
  for (const l of leaves(type)) {
    if (l.type.kind !== 'list' || l.type.element.kind !== 'record') continue;
    for (const m of leaves(l.type.element)) {
      if (m.type.kind === 'list' || m.type.kind === 'map') continue;
      const segments = [...l.segments, ...m.segments];
      out.push({ path: segments.join('.'), segments, type: list(m.type), listSegments: l.segments.length });
    }
  }
  return out;
}

/**
 * Where a member's values are in a record type: the index path of the list,
 * and the member's index path inside the element record (see `listMemberColumn`).
 */
export function memberIndices(
  type: RecordType,
  leaf: MemberLeaf,
): { list: number[]; member: number[] } | undefined {
  const listPath = leaf.segments.slice(0, leaf.listSegments);
  const at = indexPath(type, listPath);
  let t: VastType = type;
  for (const k of at ?? []) t = (t as RecordType).fields[k].type;
  if (!at || t.kind !== 'list' || t.element.kind !== 'record') return undefined;
  const member = indexPath(t.element, leaf.segments.slice(leaf.listSegments));
  return member && { list: at, member };
}

/** Everything a field extractor can name in a record type: its leaves, then the members of its lists of records. */
export function fieldLeaves(type: RecordType): Leaf[] {
  return [...leaves(type), ...memberLeaves(type)];
}

/** Whether `path` is matched by the extractor `name` under the suffix rule. */
export function matchesFieldName(path: string, name: string): boolean {
  return path === name || (path.endsWith(name) && path[path.length - name.length - 1] === '.');
}

/**
 * The leaves of `schema` matched by the field extractor `name`: an exact path
 * first; else every leaf whose path, or whose path qualified by the schema
 * name, ends with `name`. When `name` is a taxonomy concept, the leaves of the
 * concept's fields present in this schema instead (VAST resolves concepts
 * before fields). `all` are the candidates (the schema's leaves unless
 * a caller adds its own, as intel matching adds the members of lists of records).
 */
export function resolveFields(
  schema: Schema,
  name: string,
  taxonomy?: Taxonomy,
  all: readonly Leaf[] = leaves(schema.type),
): Leaf[] {
  const conceptFields = taxonomy?.conceptFields(name);
  const qualified = (l: Leaf) => `${schema.name}.${l.path}`;
  if (conceptFields) return all.filter((l) => conceptFields.some((f) => matchesFieldName(qualified(l), f)));
  const exact = all.filter((l) => l.path === name);
  if (exact.length > 0) return exact;
  return all.filter((l) => matchesFieldName(l.path, name) || matchesFieldName(qualified(l), name));
}

/** Whether a field extractor names a taxonomy concept (which is never an unknown field). */
export function isConcept(name: string, taxonomy?: Taxonomy): boolean {
  return taxonomy?.concepts.has(name) ?? false;
}

const TYPE_SYNONYMS: Record<string, string> = {
  count: 'uint64',
  int: 'int64',
  addr: 'ip',
  real: 'double',
  interval: 'duration',
};

/**
 * VAST 2 matched a basic type extractor against every field whose type is
 * congruent to it, names aside: `type port = count`, so `:count` finds ports
 * too, while `:port` finds only ports. Here `port` is a kind of its own, so
 * this table carries that congruence.
 */
const CONGRUENT: Record<string, readonly string[]> = { uint64: ['uint64', 'port'] };

/**
 * The names a leaf's type goes by: its alias chain, and `timestamp` for the
 * schema's event-time field (VAST 2's readers typed Zeek's `ts` and EVE's
 * `timestamp` as `timestamp = time`; our readers keep the plain `time`).
 */
function leafTypeNames(schema: Schema, leaf: Leaf): readonly string[] {
  const names = aliasNames(leaf.type);
  return leaf.path === schema.timestamp ? [...names, 'timestamp'] : names;
}

/**
 * Leaves of a schema selected by a type extractor: a basic kind (`:ip`,
 * `:count`), a container kind (`:list`), a full type (`:list<ip>`), or an
 * alias name (`:timestamp`, `:community_id`), which matches fields of that
 * alias and of aliases of it. Undefined when the name is no type at all.
 */
export function resolveType(
  schema: Schema,
  name: string,
  aliases: ReadonlyMap<string, VastType>,
): Leaf[] | undefined {
  const all = leaves(schema.type);
  const kind = TYPE_SYNONYMS[name] ?? name;
  const known: readonly string[] = [...BASIC_KINDS, 'enum', 'list', 'map'];
  if (known.includes(kind)) {
    const kinds = CONGRUENT[kind] ?? [kind];
    return all.filter((l) => kinds.includes(l.type.kind));
  }
  // An alias the registry knows, or one the data carries (stored with a schema file the registry lacks).
  const named = all.filter((l) => leafTypeNames(schema, l).includes(name));
  if (named.length > 0 || aliases.has(name) || name === 'timestamp') return named;
  // `:list<ip>`-style extractors name a full type.
  try {
    const t = parseType(name, aliases);
    return all.filter((l) => JSON.stringify(l.type) === JSON.stringify(t));
  } catch {
    return undefined;
  }
}

/**
 * Record-or-leaf paths of `schema` matched by `name` (for select/drop/rename
 * of whole records), with the same qualified-name rule as `resolveFields`.
 */
export function resolvePaths(schema: Schema, name: string): string[] {
  const paths: string[] = [];
  const walk = (t: RecordType, prefix: string) => {
    for (const f of t.fields) {
      const p = prefix ? `${prefix}.${f.name}` : f.name;
      paths.push(p);
      if (f.type.kind === 'record') walk(f.type, p);
    }
  };
  walk(schema.type, '');
  const exact = paths.filter((p) => p === name);
  if (exact.length > 0) return exact;
  return paths.filter((p) => matchesFieldName(p, name) || matchesFieldName(`${schema.name}.${p}`, name));
}

/** The known field path closest to `name`, if any is close enough to suggest. */
export function suggestField(paths: Iterable<string>, name: string): string | undefined {
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const p of paths) {
    // Compare with the whole path and with its last segments, so `orig_hh` suggests `id.orig_h`.
    const segs = p.split('.');
    for (let k = 0; k < segs.length; k++) {
      const score = editDistance(name, segs.slice(k).join('.'));
      if (score < bestScore) {
        bestScore = score;
        best = p;
      }
    }
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}
