/**
 * The catalog: one JSON document listing every committed partition with its
 * synopsis. It is the commit point of imports (a partition not in the catalog
 * does not exist), written atomically, and rebuildable from the partition
 * files themselves (`vast rebuild`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { StoreError } from '../diagnostics.js';
import type { RecordType } from '../types/type.js';
import { writeFileAtomic } from './fs-util.js';
import type { FieldSynopsis } from './synopsis.js';

export const CATALOG_VERSION = 1;

export interface PartitionEntry {
  /** Random id; also the file name: `partitions/<id>.feather` and `<id>.sketch`. */
  readonly id: string;
  readonly schema: string;
  /** Layout identity (schema name + types), see `layoutFingerprint`. */
  readonly fingerprint: string;
  /** The layout's VAST type, so queries can resolve fields without opening the partition. */
  readonly layout: RecordType;
  /** The layout's timestamp field, if any. */
  readonly timestamp?: string;
  readonly events: number;
  /** Size of the partition file. */
  readonly bytes: number;
  readonly sketchBytes: number;
  /** Import time, nanoseconds since the epoch, as a decimal string. */
  readonly importTime: string;
  /** Range of the schema's timestamp field, ns decimal strings, when it has one. */
  readonly minTime?: string;
  readonly maxTime?: string;
  readonly fields: Readonly<Record<string, FieldSynopsis>>;
  /**
   * For partitions a node wrote: the last write-ahead-log segment whose
   * batches this commit contains. On restart, segments up to the highest such
   * number are already in partitions and are not replayed (no duplicates).
   */
  readonly walSegment?: number;
}

export interface CatalogDocument {
  version: number;
  partitions: PartitionEntry[];
}

export function readCatalog(path: string): CatalogDocument | undefined {
  if (!existsSync(path)) return undefined;
  let doc: CatalogDocument;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as CatalogDocument;
  } catch (e) {
    throw new StoreError(`catalog ${path} is unreadable (${(e as Error).message}); run 'vast rebuild'`, {
      cause: e,
    });
  }
  if (doc.version !== CATALOG_VERSION || !Array.isArray(doc.partitions))
    throw new StoreError(`catalog ${path} has unknown version ${doc.version}; run 'vast rebuild'`);
  return doc;
}

export function writeCatalog(path: string, partitions: readonly PartitionEntry[]): void {
  const doc: CatalogDocument = { version: CATALOG_VERSION, partitions: [...partitions] };
  writeFileAtomic(path, JSON.stringify(doc));
}
