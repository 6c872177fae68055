/**
 * Catalog pruning: the counterpart of compile.ts that evaluates an
 * expression against a partition's synopsis instead of its rows. Three-valued:
 * a partition certainly matches nothing ('never'), everything ('always'), or
 * must be scanned ('maybe'). Only 'never' lets the query skip the partition.
 */
import type { PartitionEntry } from '../store/catalog.js';
import { subnetMayMeet } from '../store/subnet-sketch.js';
import { type FieldSynopsis, type Sketch, sketchMayContain } from '../store/synopsis.js';
import type { Program } from './compile.js';

export type Tri = 'never' | 'always' | 'maybe';

/** What a column predicate means for pruning: recorded by the compiler alongside its kernel. */
export interface PruneHint {
  path: string;
  op: string;
  /** For min/max checks: the literal as a comparable number or bigint. */
  ordered?: bigint | number;
  /** For Bloom checks: the literal's bytes as they are hashed in sketches. */
  bytes?: Uint8Array;
  /** For enum checks: the literal string. */
  enumValue?: string;
  /** For ip checks (`==` an address, `in` a subnet): the address range as 32 hex digits each. */
  ipRange?: [string, string];
  /** For subnet-sketch checks (`==` an address, `in` a subnet): masked 16 bytes, prefix length on the 128-bit scale. */
  subnet?: { bytes: Uint8Array; length: number };
}

/** The first 12 bytes of every v4-mapped address, in hex. */
const V4_PREFIX = '00000000000000000000ffff';

const not = (t: Tri): Tri => (t === 'never' ? 'always' : t === 'always' ? 'never' : 'maybe');

/**
 * Loads sketch files (partition sidecars) once per query. The loader
 * verifies them: a damaged sidecar throws (a CorruptionError), since pruning
 * by a wrong one would silently drop matches.
 */
export class SketchCache {
  private readonly cache = new Map<string, Sketch>();
  constructor(private readonly load: (e: Pick<PartitionEntry, 'id'>) => Sketch) {}
  get(e: Pick<PartitionEntry, 'id'>): Sketch {
    let s = this.cache.get(e.id);
    if (!s) {
      s = this.load(e);
      this.cache.set(e.id, s);
    }
    return s;
  }
}

/** What prune() needs to know of a partition, or of one batch inside it. */
export type PruneTarget = Pick<PartitionEntry, 'id' | 'events' | 'importTime' | 'fields'>;

function toOrdered(v: string | number, like: bigint | number): bigint | number {
  return typeof like === 'bigint' ? BigInt(v) : Number(v);
}

/** Whether a column predicate can match anything in a partition, from its field synopsis. */
function checkField(
  hint: PruneHint,
  f: FieldSynopsis | undefined,
  entry: PruneTarget,
  sketches: SketchCache,
): Tri {
  if (!f) return 'maybe';
  // A field that is null everywhere matches no value predicate.
  if (f.nulls === entry.events && hint.op !== '!=') return 'never';
  const { op } = hint;
  if (hint.ordered !== undefined && f.min !== undefined && f.max !== undefined) {
    const lit = hint.ordered;
    const min = toOrdered(f.min, lit);
    const max = toOrdered(f.max, lit);
    const never =
      (op === '==' && (lit < min || lit > max)) ||
      (op === '<' && min >= lit) ||
      (op === '<=' && min > lit) ||
      (op === '>' && max <= lit) ||
      (op === '>=' && max < lit) ||
      (op === '!=' && min === lit && max === lit && f.nulls === 0);
    if (never) return 'never';
  }
  if (hint.ipRange && f.ip6 !== undefined) {
    const [lo, hi] = hint.ipRange;
    // A range inside the v4-mapped block (::ffff:0:0/96) meets only the IPv4 addresses.
    const v4 = lo.startsWith(V4_PREFIX) && hi.startsWith(V4_PREFIX);
    const meetsV4 = f.ip4 !== undefined && !(f.ip4[1] < lo || f.ip4[0] > hi);
    if (!meetsV4 && (v4 || !f.ip6)) return 'never';
  }
  // The prefix sketches prune where outliers (8.8.8.8 next to 10.2.x.y) make the range useless.
  if (hint.subnet && (f.net4 || f.net6)) {
    const { bytes, length } = hint.subnet;
    if (!subnetMayMeet(sketches.get(entry).blob, f, bytes, length)) return 'never';
  }
  if (op === '==' && hint.bytes && f.bloom) {
    return sketchMayContain(sketches.get(entry).blob, f, hint.bytes) ? 'maybe' : 'never';
  }
  if (op === '==' && hint.enumValue !== undefined && f.values) {
    return f.values.includes(hint.enumValue) ? 'maybe' : 'never';
  }
  return 'maybe';
}

/** Evaluates a compiled program against a partition's synopsis. */
export function prune(
  p: Program,
  entry: PruneTarget,
  sketches: SketchCache,
  hints: ReadonlyMap<Program, PruneHint>,
): Tri {
  switch (p.kind) {
    case 'const':
      return p.value ? 'always' : 'never';
    case 'import_time':
      return p.kernel(BigInt(entry.importTime)) ? 'always' : 'never';
    case 'fields':
      return 'maybe';
    case 'column': {
      const hint = hints.get(p);
      return hint ? checkField(hint, entry.fields[hint.path], entry, sketches) : 'maybe';
    }
    case 'not':
      return not(prune(p.child, entry, sketches, hints));
    case 'and': {
      let all = true;
      for (const c of p.children) {
        const t = prune(c, entry, sketches, hints);
        if (t === 'never') return 'never';
        if (t !== 'always') all = false;
      }
      return all ? 'always' : 'maybe';
    }
    case 'or': {
      let none = true;
      for (const c of p.children) {
        const t = prune(c, entry, sketches, hints);
        if (t === 'always') return 'always';
        if (t !== 'never') none = false;
      }
      return none ? 'never' : 'maybe';
    }
  }
}
