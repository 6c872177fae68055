/**
 * Decoded partition sidecars, kept by the store across queries: a node runs
 * many queries, and a warm one must neither re-read nor re-parse any sidecar.
 * Least recently used entries go first once the decoded sketches would
 * exceed the byte budget. An entry is served only while the catalog's
 * checksum of the sidecar is the one it was verified against (a rebuild
 * rewrites sidecars under the same id); the store drops entries of
 * partitions that leave the catalog or are quarantined.
 */
import type { Sketch } from './synopsis.js';

/** Default budget: enough for the sidecars of ~100 one-million-event partitions. */
const DEFAULT_SKETCH_CACHE_BYTES = 64 * 1024 * 1024;

/** What the catalog says a sidecar is: its checksum (absent for legacy ones) and size. */
export interface SidecarIdentity {
  readonly id: string;
  readonly sketchCrc?: number;
  readonly sketchBytes: number;
}

interface Entry {
  sketch: Sketch;
  crc: number | undefined;
  length: number;
  /** Estimated memory of the decoded sketch, in bytes. */
  cost: number;
}

/**
 * Parsed JSON objects take several times the bytes of their text; the
 * Bloom filters and prefix sets are views of the file's buffer.
 */
const HEADER_EXPANSION = 3;

/** The memory a decoded sidecar of `fileBytes` bytes holds, `blob` being its binary region. */
export function sketchCost(fileBytes: number, sketch: Sketch): number {
  return fileBytes + HEADER_EXPANSION * (fileBytes - sketch.blob.length);
}

export interface SketchCacheStats {
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
  evictions: number;
}

export class SidecarCache {
  /** Map order is recency order: the first entry is the least recently used. */
  private readonly map = new Map<string, Entry>();
  private used = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  constructor(readonly capacity = DEFAULT_SKETCH_CACHE_BYTES) {}

  /** The decoded sidecar of `e`, if cached and still the one the catalog describes. */
  get(e: SidecarIdentity): Sketch | undefined {
    const hit = this.map.get(e.id);
    if (!hit || hit.crc !== e.sketchCrc || hit.length !== e.sketchBytes) {
      if (hit) this.drop(e.id);
      this.misses++;
      return undefined;
    }
    this.map.delete(e.id);
    this.map.set(e.id, hit);
    this.hits++;
    return hit.sketch;
  }

  /** Keeps a verified sidecar; one larger than the whole budget is not kept. */
  put(e: SidecarIdentity, sketch: Sketch, cost: number): void {
    this.drop(e.id);
    if (cost > this.capacity) return;
    this.map.set(e.id, { sketch, crc: e.sketchCrc, length: e.sketchBytes, cost });
    this.used += cost;
    for (const [id, old] of this.map) {
      if (this.used <= this.capacity) break;
      this.map.delete(id);
      this.used -= old.cost;
      this.evictions++;
    }
  }

  drop(id: string): void {
    const old = this.map.get(id);
    if (!old) return;
    this.map.delete(id);
    this.used -= old.cost;
  }

  /** Drops every entry whose partition is not among `live` (the catalog changed). */
  retain(live: readonly { readonly id: string }[]): void {
    const keep = new Set(live.map((e) => e.id));
    for (const id of [...this.map.keys()]) if (!keep.has(id)) this.drop(id);
  }

  stats(): SketchCacheStats {
    return {
      entries: this.map.size,
      bytes: this.used,
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
    };
  }
}
