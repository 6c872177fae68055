/**
 * Name resolution against schemas. The suffix rule of VAST lives here and
 * nowhere else: a field extractor matches a field whose dotted path equals it
 * or ends with it on a segment boundary (`orig_h` finds `id.orig_h`,
 * `id.orig_h` finds `id.orig_h`, `rig_h` finds nothing).
 */

import { editDistance } from '../diagnostics/suggest.js';
import { type Leaf, leaves, type RecordType } from '../types/type.js';

/** Whether `path` is matched by the extractor `name` under the suffix rule. */
export function matchesFieldName(path: string, name: string): boolean {
  return path === name || (path.endsWith(name) && path[path.length - name.length - 1] === '.');
}

/**
 * The leaves of `type` matched by `name`. Records are matched too when
 * `includeRecords` is set (`select id` keeps the whole `id` record); the
 * result then holds the record's path with a synthetic record "leaf".
 */
export function resolveFields(type: RecordType, name: string): Leaf[] {
  const all = leaves(type);
  const exact = all.filter((l) => l.path === name);
  if (exact.length > 0) return exact;
  return all.filter((l) => matchesFieldName(l.path, name));
}

/** Record-or-leaf paths matched by `name` (for select/drop/rename of whole records). */
export function resolvePaths(type: RecordType, name: string): string[] {
  const paths: string[] = [];
  const walk = (t: RecordType, prefix: string) => {
    for (const f of t.fields) {
      const p = prefix ? `${prefix}.${f.name}` : f.name;
      paths.push(p);
      if (f.type.kind === 'record') walk(f.type, p);
    }
  };
  walk(type, '');
  const exact = paths.filter((p) => p === name);
  return exact.length > 0 ? exact : paths.filter((p) => matchesFieldName(p, name));
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
