/**
 * Checksums of partition files: a CRC-32 per 64 KiB chunk of the file, kept
 * in the partition's sidecar. Chunks rather than one sum for the whole file,
 * because queries read partitions by random access (footer, dictionaries,
 * the few batches their synopses cannot rule out): each read verifies just
 * the chunks it touches, so checking costs what the query reads anyway.
 */
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { CorruptionError } from './errors.js';

const CHUNK_BYTES = 64 * 1024;

export interface FileChecksums {
  /** The file's size in bytes. */
  bytes: number;
  /** Chunk size; every chunk but the last is this long. */
  chunk: number;
  /** CRC-32 of each chunk, in file order. */
  crcs: number[];
}

/** Accumulates chunk checksums of bytes written in sequence. */
export class ChunkHasher {
  private readonly crcs: number[] = [];
  private current = 0;
  private filled = 0;
  private bytes = 0;

  update(data: Uint8Array): void {
    let off = 0;
    while (off < data.length) {
      const take = Math.min(CHUNK_BYTES - this.filled, data.length - off);
      this.current = crc32(data.subarray(off, off + take), this.current);
      this.filled += take;
      off += take;
      if (this.filled === CHUNK_BYTES) this.endChunk();
    }
    this.bytes += data.length;
  }

  private endChunk(): void {
    this.crcs.push(this.current);
    this.current = 0;
    this.filled = 0;
  }

  finish(): FileChecksums {
    if (this.filled > 0) this.endChunk();
    return { bytes: this.bytes, chunk: CHUNK_BYTES, crcs: this.crcs };
  }
}

export function fileChecksums(bytes: Uint8Array): FileChecksums {
  const h = new ChunkHasher();
  h.update(bytes);
  return h.finish();
}

/** Whether `sums` is well-formed for a file (a damaged sidecar must not make verification throw oddly). */
function checkShape(file: string, sums: FileChecksums, size: number): void {
  if (size !== sums.bytes)
    throw new CorruptionError(file, `size is ${size} bytes, expected ${sums.bytes} (truncated or extended)`);
  if (
    !Number.isSafeInteger(sums.chunk) ||
    sums.chunk <= 0 ||
    !Array.isArray(sums.crcs) ||
    sums.crcs.length !== Math.ceil(sums.bytes / sums.chunk)
  )
    throw new CorruptionError(file, 'checksum list does not fit the file');
}

function verifyChunk(file: string, sums: FileChecksums, index: number, data: Uint8Array): void {
  if (crc32(data) !== sums.crcs[index])
    throw new CorruptionError(
      file,
      `checksum mismatch in bytes ${index * sums.chunk}..${index * sums.chunk + data.length}`,
    );
}

/** Verifies a whole file's bytes. */
export function verifyFile(file: string, bytes: Uint8Array, sums: FileChecksums): void {
  checkShape(file, sums, bytes.length);
  for (let i = 0; i < sums.crcs.length; i++)
    verifyChunk(file, sums, i, bytes.subarray(i * sums.chunk, Math.min(bytes.length, (i + 1) * sums.chunk)));
}

/**
 * A stand-in for a FileHandle, as arrow-js's random-access reader uses it
 * (`fd`, `stat`, `read`, `close`), that reads whole chunks and verifies each
 * chunk the first time it is read. The last chunk read is kept, since the
 * reader asks for the footer in several small pieces.
 */
export class VerifiedFile {
  private readonly verified = new Set<number>();
  private cached: { index: number; data: Uint8Array } | undefined;
  readonly fd: number;

  private constructor(
    private readonly fh: FileHandle,
    private readonly file: string,
    private readonly sums: FileChecksums,
  ) {
    this.fd = fh.fd;
  }

  static async open(fh: FileHandle, file: string, sums: FileChecksums): Promise<VerifiedFile> {
    checkShape(file, sums, (await fh.stat()).size);
    return new VerifiedFile(fh, file, sums);
  }

  stat() {
    return this.fh.stat();
  }

  close(): Promise<void> {
    return this.fh.close();
  }

  async read(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesRead: number; buffer: Uint8Array }> {
    const { chunk, bytes: size } = this.sums;
    const end = Math.min(size, position + length);
    if (end <= position) return { bytesRead: 0, buffer };
    const first = Math.floor(position / chunk);
    const last = Math.floor((end - 1) / chunk);
    let data: Uint8Array;
    let base: number;
    if (first === last && this.cached?.index === first) {
      data = this.cached.data;
      base = first * chunk;
    } else {
      base = first * chunk;
      const span = Math.min(size, (last + 1) * chunk) - base;
      data = new Uint8Array(span);
      let got = 0;
      while (got < span) {
        const { bytesRead } = await this.fh.read(data, got, span - got, base + got);
        if (bytesRead === 0) throw new CorruptionError(this.file, `file ended early at byte ${base + got}`);
        got += bytesRead;
      }
      for (let i = first; i <= last; i++) {
        if (this.verified.has(i)) continue;
        const from = (i - first) * chunk;
        verifyChunk(this.file, this.sums, i, data.subarray(from, Math.min(span, from + chunk)));
        this.verified.add(i);
      }
      if (first === last) this.cached = { index: first, data };
    }
    buffer.set(data.subarray(position - base, end - base), offset);
    return { bytesRead: end - position, buffer };
  }
}
