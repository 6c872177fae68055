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

export interface ReplayedSegment {
  seq: number;
  batches: A.RecordBatch[];
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
      let off = 0;
      while (off + HEADER <= bytes.length) {
        const len = bytes.readUInt32LE(off);
        const sum = bytes.readUInt32LE(off + 4);
        if (len > MAX_RECORD || off + HEADER + len > bytes.length) break;
        const payload = bytes.subarray(off + HEADER, off + HEADER + len);
        if (crc32(payload) !== sum) break;
        for (const b of A.RecordBatchReader.from(payload)) batches.push(b);
        off += HEADER + len;
      }
      const truncated = bytes.length - off;
      if (truncated > 0) truncateSync(path, off);
      out.push({ seq, batches, truncated });
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

  /** Appends a batch; resolves once it is on disk (fsync'd). */
  append(batch: A.RecordBatch): Promise<void> {
    const payload = A.tableToIPC(new A.Table([batch]), 'stream');
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
