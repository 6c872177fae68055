/**
 * The catalog: one JSON document listing every committed partition with its
 * synopsis. It is the commit point of imports (a partition not in the catalog
 * does not exist), written atomically, and rebuildable from the partition
 * files themselves (`vast rebuild`).
 *
 * Version 2 carries a CRC-32 of its partition list:
 *   {"version":2,"crc32":"xxxxxxxx","partitions":[...]}
 * The checksum covers the exact bytes of the list as written, so checking
 * needs no re-serialisation. Version 1 catalogs (no checksum) are read
 * unverified and written as version 2 at the next commit.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { RecordType, Schema } from '../types/type.js';
import { CorruptionError } from './errors.js';
import { writeFileAtomic } from './fs-util.js';
import type { FieldSynopsis } from './synopsis.js';

const CATALOG_VERSION = 2;
/** Partition ids become file names: no separators, no leading dot. */
export const ID_RE = /^[\w-][\w.-]*$/;
const LEGACY_VERSION = 1;
const hex8 = (n: number) => n.toString(16).padStart(8, '0');
const prefix = (sum: string) => `{"version":${CATALOG_VERSION},"crc32":"${sum}","partitions":`;

export interface PartitionEntry {
  /** Random id; also the file name: `partitions/<id>.parquet` and `<id>.sketch`. */
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
  /** CRC-32 of the sidecar file (absent for partitions written before checksums). */
  readonly sketchCrc?: number;
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

/** A partition's schema, from its catalog entry (no need to open the file). */
export const entrySchema = (e: PartitionEntry): Schema => ({
  name: e.schema,
  type: e.layout,
  timestamp: e.timestamp,
});

export interface CatalogDocument {
  version: number;
  partitions: PartitionEntry[];
}

/**
 * Reads the catalog; undefined if there is none. A catalog that does not
 * verify or parse throws a CorruptionError (the store rebuilds it).
 */
export function readCatalog(path: string): CatalogDocument | undefined {
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  let doc: CatalogDocument;
  try {
    doc = JSON.parse(text) as CatalogDocument;
  } catch (e) {
    throw new CorruptionError(path, `catalog is unreadable (${(e as Error).message})`, { cause: e });
  }
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.partitions))
    throw new CorruptionError(path, 'catalog has no partition list');
  if (doc.version === CATALOG_VERSION) {
    const sum = (doc as { crc32?: unknown }).crc32;
    const head = typeof sum === 'string' ? prefix(sum) : '';
    if (!head || !text.startsWith(head) || !text.endsWith('}'))
      throw new CorruptionError(path, 'catalog is not in its written form (damaged)');
    if (hex8(crc32(text.slice(head.length, -1))) !== sum)
      throw new CorruptionError(path, 'catalog checksum mismatch');
  } else if (doc.version !== LEGACY_VERSION)
    // Damage or a newer vast: either way the partitions are the truth, and the old file is kept aside.
    throw new CorruptionError(path, `catalog has unknown version ${JSON.stringify(doc.version)}`);
  for (const e of doc.partitions)
    if (!e || typeof e !== 'object' || typeof e.id !== 'string' || !ID_RE.test(e.id))
      throw new CorruptionError(path, 'catalog has a malformed partition entry');
  return doc;
}

/**
 * The extension of partition files of the first format (Arrow IPC, see
 * legacy-partition.ts). Here rather than there, because that module loads
 * apache-arrow and `committedPartitions` must not.
 */
export const LEGACY_PARTITION_EXT = '.feather';

/**
 * The committed partitions of the database in `dir`, from its catalog alone, without
 * opening the store (which loads the Parquet reader and apache-arrow): for answers the
 * catalog gives by itself, such as `vast count` without an expression. Undefined whenever
 * `Store.open` would do more than read the catalog, and must decide: no database, no
 * catalog, a damaged one (rebuilt), partitions of the first format (refused).
 */
export function committedPartitions(dir: string): readonly PartitionEntry[] | undefined {
  const partitions = join(dir, 'partitions');
  if (!existsSync(partitions) || readdirSync(partitions).some((f) => f.endsWith(LEGACY_PARTITION_EXT)))
    return undefined;
  try {
    return readCatalog(join(dir, 'catalog.json'))?.partitions;
  } catch (e) {
    if (e instanceof CorruptionError) return undefined;
    throw e;
  }
}

export function writeCatalog(path: string, partitions: readonly PartitionEntry[]): void {
  const list = JSON.stringify(partitions);
  writeFileAtomic(path, `${prefix(hex8(crc32(list)))}${list}}`);
}
