/**
 * Partitions: immutable Arrow IPC files (Feather v2) with zstd-compressed
 * buffers, one layout (schema name + field types) each. A PartitionWriter
 * streams batches to a file as they arrive, so an import's memory stays at
 * about one batch, and builds the partition's synopsis on the way.
 */

import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import * as A from 'apache-arrow';
import { vastSchema } from '../types/arrow.js';
import { type Schema, typeToString } from '../types/type.js';
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
  private readonly drained: Promise<void>;
  private bytes = 0;
  events = 0;

  constructor(
    readonly path: string,
    readonly schema: Schema,
    arrowSchema: A.Schema,
  ) {
    registerZstd();
    this.fd = openSync(path, 'w');
    this.synopsis = new SynopsisBuilder(schema.type);
    this.conformer = new DictionaryConformer(arrowSchema);
    // The arrow writer queues bytes; this loop moves them to the file as they come.
    this.drained = (async () => {
      for await (const chunk of this.writer) {
        let off = 0;
        while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off);
        this.bytes += chunk.length;
      }
    })();
  }

  add(batch: A.RecordBatch): void {
    if (batch.numRows === 0) return;
    const conformed = this.conformer.conform(batch);
    this.writer.write(conformed);
    this.synopsis.add(conformed);
    this.events += batch.numRows;
  }

  /** Writes the footer and fsyncs the file. */
  async finish(): Promise<WrittenPartition> {
    // close() writes the footer (arrow-js resets, then ends the byte queue).
    this.writer.close();
    await this.drained;
    fsyncSync(this.fd);
    closeSync(this.fd);
    return { events: this.events, bytes: this.bytes, synopsis: this.synopsis.finish() };
  }

  async abort(): Promise<void> {
    this.writer.abort();
    await this.drained.catch(() => {});
    closeSync(this.fd);
  }
}

/**
 * Reads a partition file's batches, decompressing batch by batch. With `want`,
 * only the batches it accepts (by index) are decompressed: the file footer
 * allows random access, which is how batch synopses save work.
 */
export function* readPartition(path: string, want?: (index: number) => boolean): Generator<A.RecordBatch> {
  registerZstd();
  const reader = A.RecordBatchFileReader.from(readFileSync(path));
  reader.open();
  for (let i = 0; i < reader.numRecordBatches; i++) {
    if (want && !want(i)) continue;
    const batch = reader.readRecordBatch(i) as A.RecordBatch | null;
    if (batch) yield batch;
  }
}

/**
 * Reads only the chosen batches of a partition file: the footer, the
 * dictionaries and the chosen batches' blocks are read from disk, nothing
 * else. For queries, where a needle usually touches one batch of many.
 */
export async function* readPartitionBatches(
  path: string,
  want: (index: number) => boolean,
): AsyncGenerator<A.RecordBatch> {
  registerZstd();
  const fh = await open(path, 'r');
  try {
    const reader = await A.RecordBatchReader.from(fh);
    await reader.open();
    const file = reader as unknown as A.AsyncRecordBatchFileReader;
    for (let i = 0; i < file.numRecordBatches; i++) {
      if (!want(i)) continue;
      const batch = await file.readRecordBatch(i);
      if (batch) yield batch;
    }
  } finally {
    await fh.close();
  }
}

/** The VAST schema stored in a partition file (for `vast rebuild`). */
export function partitionSchema(path: string): Schema {
  registerZstd();
  const reader = A.RecordBatchReader.from(readFileSync(path));
  reader.open();
  return vastSchema(reader.schema);
}
