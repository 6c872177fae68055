/**
 * The write-ahead log of a node: batches are appended here and fsync'd before
 * the node acknowledges them, and replayed on start (DESIGN principle 4).
 *
 * Segments `wal/<seq>.wal` hold records `[u32 length][u32 crc32][payload]`,
 * little endian, where the payload is an Arrow IPC stream of one batch. A
 * record cut short by a crash (or with a bad checksum) ends the segment: the
 * tail is truncated on replay, and since its append never completed, it was
 * never acknowledged.
 *
 * A record may instead carry an acknowledged import: the payload starts
 * with `VACK`, then `[u32 header length][JSON header {id, at, errors,
 * lengths}]` and one Arrow IPC stream per batch (`lengths` bytes each). The
 * batch id travels with its batches, so a node that crashed after making an
 * import durable still knows, after replay, that a retry of it is a
 * duplicate (see `BatchIds` in the node).
 *
 * Appends are group-committed: all appends that arrive while an fsync runs
 * share the next fsync, so many concurrent clients cost one fsync per round.
 */

import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import * as A from 'apache-arrow';
import { fsyncDir } from './fs-util.js';

const HEADER = 8;
/** A record larger than this is corrupt, not big: batches are far smaller. */
const MAX_RECORD = 1 << 30;
/** First bytes of a record that carries a batch id (an Arrow IPC stream starts with 0xFFFFFFFF). */
const ACK_MAGIC = Buffer.from('VACK');

/** An import the node acknowledged under a client's batch id. */
export interface BatchAck {
  id: string;
  /** When it was acknowledged (ms since the epoch). */
  at: number;
  events: number;
  /** Invalid events the reader skipped in that request. */
  errors: number;
}

/** One WAL record: its batches, and the acknowledgement they were appended under, if any. */
export interface WalRecord {
  batches: A.RecordBatch[];
  ack?: BatchAck;
}

/** The payload of a record: a plain Arrow IPC stream, or an acknowledged import (see the header). */
export function encodeRecord(batches: readonly A.RecordBatch[], ack?: Omit<BatchAck, 'events'>): Uint8Array {
  if (!ack && batches.length === 1) return A.tableToIPC(new A.Table([batches[0]]), 'stream');
  const streams = batches.map((b) => A.tableToIPC(new A.Table([b]), 'stream'));
  const header = Buffer.from(
    JSON.stringify({
      id: ack?.id ?? '',
      at: ack?.at ?? 0,
      errors: ack?.errors ?? 0,
      lengths: streams.map((s) => s.length),
    }),
  );
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length, 0);
  return Buffer.concat([ACK_MAGIC, len, header, ...streams]);
}

/** Decodes a record payload (whose checksum matched); throws on a malformed one. */
export function decodeRecord(payload: Uint8Array): WalRecord {
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (bytes.length < 8 || !bytes.subarray(0, 4).equals(ACK_MAGIC)) {
    const batches: A.RecordBatch[] = [];
    for (const b of A.RecordBatchReader.from(bytes)) batches.push(b);
    return { batches };
  }
  const headerLen = bytes.readUInt32LE(4);
  if (8 + headerLen > bytes.length) throw new Error('record header exceeds the record');
  const h = JSON.parse(bytes.subarray(8, 8 + headerLen).toString('utf8')) as Record<string, unknown>;
  const { id, at, errors, lengths } = h;
  if (
    typeof id !== 'string' ||
    typeof at !== 'number' ||
    typeof errors !== 'number' ||
    !Array.isArray(lengths) ||
    !lengths.every((n) => Number.isInteger(n) && n >= 0)
  )
    throw new Error('malformed record header');
  const batches: A.RecordBatch[] = [];
  let off = 8 + headerLen;
  for (const n of lengths as number[]) {
    if (off + n > bytes.length) throw new Error('record batches exceed the record');
    for (const b of A.RecordBatchReader.from(bytes.subarray(off, off + n))) batches.push(b);
    off += n;
  }
  if (off !== bytes.length) throw new Error('trailing bytes after the record batches');
  const events = batches.reduce((n, b) => n + b.numRows, 0);
  return { batches, ack: id === '' ? undefined : { id, at, events, errors } };
}

export interface ReplayedSegment {
  seq: number;
  batches: A.RecordBatch[];
  /** Acknowledgements recorded with batch ids in this segment, in order. */
  acks: BatchAck[];
  /** Bytes cut from the end because the last record was incomplete or corrupt. */
  truncated: number;
}

export class Wal {
  private fd = -1;
  private seq = 0;
  private pending: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private syncing = false;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** Sequence numbers of the segments on disk, ascending. */
  segments(): number[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => /^\d+\.wal$/.test(f))
      .map((f) => Number.parseInt(f, 10))
      .sort((a, b) => a - b);
  }

  private path(seq: number): string {
    return join(this.dir, `${String(seq).padStart(12, '0')}.wal`);
  }

  /** Reads every segment after `after`, truncating torn tails; call before `open`. */
  replay(after = -1): ReplayedSegment[] {
    const out: ReplayedSegment[] = [];
    for (const seq of this.segments()) {
      if (seq <= after) continue;
      const path = this.path(seq);
      const bytes = readFileSync(path);
      const batches: A.RecordBatch[] = [];
      const acks: BatchAck[] = [];
      let off = 0;
      while (off + HEADER <= bytes.length) {
        const len = bytes.readUInt32LE(off);
        const sum = bytes.readUInt32LE(off + 4);
        if (len > MAX_RECORD || off + HEADER + len > bytes.length) break;
        const payload = bytes.subarray(off + HEADER, off + HEADER + len);
        if (crc32(payload) !== sum) break;
        let record: WalRecord;
        try {
          record = decodeRecord(payload);
        } catch (e) {
          throw new Error(`${path}: record at byte ${off}: ${(e as Error).message}`);
        }
        batches.push(...record.batches);
        if (record.ack) acks.push(record.ack);
        off += HEADER + len;
      }
      const truncated = bytes.length - off;
      if (truncated > 0) truncateSync(path, off);
      out.push({ seq, batches, acks, truncated });
    }
    return out;
  }

  /** Opens a fresh segment after the existing ones. */
  open(): number {
    const segs = this.segments();
    this.seq = (segs.length ? segs[segs.length - 1] : 0) + 1;
    this.fd = openSync(this.path(this.seq), 'a');
    fsyncDir(this.dir);
    return this.seq;
  }

  /** The segment new appends go to. */
  get current(): number {
    return this.seq;
  }

  /**
   * Appends batches as one record (all or none of them survive a crash), with
   * the acknowledgement of the import they belong to, if any; resolves once
   * the record is on disk (fsync'd).
   */
  append(batches: A.RecordBatch | readonly A.RecordBatch[], ack?: Omit<BatchAck, 'events'>): Promise<void> {
    const payload = encodeRecord(Array.isArray(batches) ? batches : [batches as A.RecordBatch], ack);
    const header = Buffer.alloc(HEADER);
    header.writeUInt32LE(payload.length, 0);
    header.writeUInt32LE(crc32(payload), 4);
    writeAll(this.fd, header);
    writeAll(this.fd, payload);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.scheduleSync();
    });
  }

  private scheduleSync(): void {
    if (this.syncing) return;
    this.syncing = true;
    setImmediate(() => {
      const waiting = this.pending;
      this.pending = [];
      try {
        fsyncSync(this.fd);
        for (const w of waiting) w.resolve();
      } catch (e) {
        for (const w of waiting) w.reject(e);
      }
      this.syncing = false;
      if (this.pending.length > 0) this.scheduleSync();
    });
  }

  /** Starts a new segment; returns the number of the one just closed. */
  rotate(): number {
    const closed = this.seq;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.seq++;
    this.fd = openSync(this.path(this.seq), 'a');
    fsyncDir(this.dir);
    return closed;
  }

  /** Deletes segments up to and including `seq` (their batches are committed partitions now). */
  dropThrough(seq: number): void {
    for (const s of this.segments()) if (s <= seq && s !== this.seq) rmSync(this.path(s), { force: true });
    fsyncDir(this.dir);
  }

  close(): void {
    if (this.fd >= 0) {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}

function writeAll(fd: number, b: Uint8Array): void {
  let off = 0;
  while (off < b.length) off += writeSync(fd, b, off, b.length - off);
}
