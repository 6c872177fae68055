/**
 * Partitions: immutable Arrow IPC files (Feather v2) with zstd-compressed
 * buffers, one layout (schema name + field types) each. A PartitionWriter
 * streams batches to a file as they arrive, so an import's memory stays at
 * about one batch, and builds the partition's synopsis on the way.
 */

import { closeSync, fsyncSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import * as A from 'apache-arrow';
import { type Schema, typeToString } from '../types/type.js';
import { ChunkHasher, type FileChecksums, VerifiedFile, verifyFile } from './checksum.js';
import { CorruptionError, storageError } from './errors.js';
import { openForWrite, writeAll } from './fs-util.js';
import { type PartitionSynopsis, SynopsisBuilder } from './synopsis.js';
import { registerZstd } from './zstd.js';

/** Identity of a layout: batches with equal fingerprints share partitions. */
export function layoutFingerprint(schema: Schema): string {
  return `${schema.name} ${typeToString(schema.type)}`;
}

interface DictState {
  index: Map<string, number>;
  size: number;
  dictionary: A.Vector<A.Utf8> | undefined;
}

/**
 * Rewrites enum columns onto the partition's own dictionaries. Batches from
 * different readers (or clients) carry unrelated dictionaries, and the Arrow
 * file format allows a dictionary to grow (deltas) but not to be replaced.
 * Columns without enums are passed through untouched.
 */
class DictionaryConformer {
  private readonly states = new Map<string, DictState>();
  constructor(private readonly schema: A.Schema) {}

  conform(batch: A.RecordBatch): A.RecordBatch {
    if (!hasDictionary(this.schema.fields.map((f) => f.type))) {
      return batch.schema === this.schema ? batch : new A.RecordBatch(this.schema, batch.data);
    }
    const data = this.data(batch.data, new A.Struct(this.schema.fields), '');
    return new A.RecordBatch(this.schema, data as A.Data<A.Struct>);
  }

  private data(d: A.Data, type: A.DataType, path: string): A.Data {
    if (!hasDictionary([type])) return d;
    if (A.DataType.isDictionary(type)) return this.remap(d, type, path);
    const children = d.children.map((c, i) => this.data(c, type.children[i].type, `${path}/${i}`));
    return d.clone(type, d.offset, d.length, d.nullCount, d.buffers, children);
  }

  private remap(d: A.Data, type: A.Dictionary, path: string): A.Data {
    let st = this.states.get(path);
    if (!st) {
      st = { index: new Map(), size: 0, dictionary: undefined };
      this.states.set(path, st);
    }
    const src = d.dictionary!;
    const lookup = new Int16Array(src.length);
    const added: string[] = [];
    for (let k = 0; k < src.length; k++) {
      const v = src.get(k) as string;
      let idx = st.index.get(v);
      if (idx === undefined) {
        idx = st.size++;
        st.index.set(v, idx);
        added.push(v);
      }
      lookup[k] = idx;
    }
    if (added.length > 0 || !st.dictionary) {
      const chunk = A.vectorFromArray(added, new A.Utf8());
      st.dictionary = st.dictionary ? st.dictionary.concat(chunk) : chunk;
    }
    const srcKeys = d.values as Int16Array;
    const keys = new Int16Array(d.offset + d.length);
    for (let r = d.offset; r < d.offset + d.length; r++) keys[r] = lookup[srcKeys[r]] ?? 0;
    return A.makeData({
      type,
      offset: d.offset,
      length: d.length,
      nullCount: d.nullCount,
      nullBitmap: d.nullBitmap,
      data: keys,
      dictionary: st.dictionary,
    });
  }
}

function hasDictionary(types: A.DataType[]): boolean {
  return types.some(
    (t) => A.DataType.isDictionary(t) || hasDictionary((t.children ?? []).map((c) => c.type)),
  );
}

export interface WrittenPartition {
  events: number;
  bytes: number;
  synopsis: PartitionSynopsis;
}

/** Writes one partition file; call `add` per batch, then `finish` (durable on return) or `abort`. */
export class PartitionWriter {
  private readonly fd: number = -1;
  private readonly writer: A.RecordBatchFileWriter = new A.RecordBatchFileWriter({
    compressionType: A.CompressionType.ZSTD,
  });
  private readonly synopsis: SynopsisBuilder;
  private readonly conformer: DictionaryConformer;
  private readonly hasher = new ChunkHasher();
  private readonly drained: Promise<void>;
  /** The first write error (a full disk): reported by the next `add` or by `finish`. */
  private failure: unknown;
  private bytes = 0;
  events = 0;

  constructor(
    readonly path: string,
    readonly schema: Schema,
    arrowSchema: A.Schema,
  ) {
    registerZstd();
    try {
      this.fd = openForWrite(path);
    } catch (e) {
      throw storageError(e, `partition ${basename(path)}`);
    }
    this.synopsis = new SynopsisBuilder(schema.type);
    this.conformer = new DictionaryConformer(arrowSchema);
    // The arrow writer queues bytes; this loop moves them to the file as they come.
    this.drained = (async () => {
      for await (const chunk of this.writer) {
        try {
          writeAll(this.fd, chunk);
        } catch (e) {
          // Recorded before leaving the loop closes the writer's queue, so `add` reports this, not the closed queue.
          this.failure ??= storageError(e, `partition ${basename(this.path)}`);
          throw e;
        }
        this.hasher.update(chunk);
        this.bytes += chunk.length;
      }
    })().catch((e: unknown) => {
      // Caught here, so that a failing write is never an unhandled rejection (it would end a node).
      this.failure ??= storageError(e, `partition ${basename(this.path)}`);
    });
  }

  add(batch: A.RecordBatch): void {
    if (this.failure) throw this.failure;
    if (batch.numRows === 0) return;
    const conformed = this.conformer.conform(batch);
    try {
      this.writer.write(conformed);
    } catch (e) {
      throw this.failure ?? e;
    }
    this.synopsis.add(conformed);
    this.events += batch.numRows;
  }

  /** Writes the footer and fsyncs the file; `walSegment` is recorded in the sidecar. */
  async finish(walSegment?: number): Promise<WrittenPartition> {
    // close() writes the footer (arrow-js resets, then ends the byte queue).
    if (!this.failure) this.writer.close();
    await this.drained;
    if (this.failure) throw this.failure;
    try {
      fsyncSync(this.fd);
    } catch (e) {
      throw storageError(e, `partition ${basename(this.path)}`);
    } finally {
      closeSync(this.fd);
    }
    const file = this.hasher.finish();
    return { events: this.events, bytes: this.bytes, synopsis: this.synopsis.finish({ file, walSegment }) };
  }

  async abort(): Promise<void> {
    if (!this.failure) this.writer.abort();
    await this.drained;
    closeSync(this.fd);
  }
}

/**
 * Decoding errors of a partition file become a CorruptionError; errors of
 * the file system (EIO, EMFILE, ...) pass unchanged, they are not the file's fault.
 */
function corrupt(path: string, e: unknown): unknown {
  if (e instanceof CorruptionError) return e;
  if (
    typeof (e as NodeJS.ErrnoException)?.code === 'string' &&
    (e as NodeJS.ErrnoException).code !== 'ERR_INVALID_ARG_VALUE'
  )
    return e;
  return new CorruptionError(path, `cannot decode partition: ${(e as Error)?.message ?? String(e)}`, {
    cause: e,
  });
}

/**
 * Reads a partition file's batches, decompressing batch by batch. With
 * `sums` (from its sidecar), the whole file is verified first. With `want`,
 * only the batches it accepts (by index) are decompressed.
 */
export function* readPartition(
  path: string,
  want?: (index: number) => boolean,
  sums?: FileChecksums,
): Generator<A.RecordBatch> {
  registerZstd();
  const bytes = readFileSync(path);
  if (sums) verifyFile(path, bytes, sums);
  let reader: A.RecordBatchFileReader;
  let count: number;
  try {
    const opened = A.RecordBatchReader.from(bytes).open();
    if (!opened.isFile()) throw new CorruptionError(path, 'not an Arrow IPC file');
    reader = opened;
    count = reader.numRecordBatches;
  } catch (e) {
    throw corrupt(path, e);
  }
  for (let i = 0; i < count; i++) {
    if (want && !want(i)) continue;
    let batch: A.RecordBatch | null;
    try {
      batch = reader.readRecordBatch(i) as A.RecordBatch | null;
    } catch (e) {
      throw corrupt(path, e);
    }
    if (batch) yield batch;
  }
}

/**
 * Reads only the chosen batches of a partition file: the footer, the
 * dictionaries and the chosen batches' blocks are read from disk, nothing
 * else. For queries, where a needle usually touches one batch of many. With
 * `sums`, every chunk of the file that is read is verified.
 */
export async function* readPartitionBatches(
  path: string,
  want: (index: number) => boolean,
  sums?: FileChecksums,
): AsyncGenerator<A.RecordBatch> {
  registerZstd();
  const fh = await open(path, 'r');
  try {
    let file: A.AsyncRecordBatchFileReader;
    let count: number;
    try {
      const source = sums ? await VerifiedFile.open(fh, path, sums) : fh;
      const reader = await A.RecordBatchReader.from(source as typeof fh);
      await reader.open();
      if (!reader.isFile()) throw new CorruptionError(path, 'not an Arrow IPC file');
      file = reader as unknown as A.AsyncRecordBatchFileReader;
      count = file.numRecordBatches;
    } catch (e) {
      throw corrupt(path, e);
    }
    for (let i = 0; i < count; i++) {
      if (!want(i)) continue;
      let batch: A.RecordBatch | null;
      try {
        batch = await file.readRecordBatch(i);
      } catch (e) {
        throw corrupt(path, e);
      }
      if (batch) yield batch;
    }
  } finally {
    await fh.close();
  }
}
