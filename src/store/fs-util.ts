/** Durable file operations: everything the store writes goes through these. */
import {
  chmodSync,
  closeSync,
  fchmodSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { storageError } from './errors.js';

/**
 * Modes of everything in a database: it holds other people's security data,
 * so only the node's own user may read it (finding 8 of issue 9).
 */
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/** Creates a directory (and missing parents) readable by the owner only. */
export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
}

/** Opens a file for writing, created owner-only. */
export function openForWrite(path: string, flags: 'w' | 'wx' | 'a' = 'w'): number {
  return openSync(path, flags, FILE_MODE);
}

/**
 * Tightens the modes of an existing tree to FILE_MODE/DIR_MODE (databases
 * written before modes were set). Symlinks are left alone.
 */
export function tightenModes(root: string): void {
  const visit = (path: string) => {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(path);
    } catch {
      return; // removed meanwhile
    }
    if (st.isSymbolicLink()) return;
    const want = st.isDirectory() ? DIR_MODE : FILE_MODE;
    if ((st.mode & 0o777 & ~want) !== 0) chmodSync(path, want);
    if (st.isDirectory()) for (const f of readdirSync(path)) visit(join(path, f));
  };
  visit(root);
}

/** fsyncs a directory so that renames and creations in it survive a crash. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes all of `bytes` at the file's position. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

/**
 * Writes `data` to `path` atomically: temp file, fsync, rename, fsync of the
 * directory. On failure (a full disk) the temp file is removed and the old
 * file stays as it was.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fd = openForWrite(tmp);
    try {
      // A temp file left by a crash keeps its old mode: set it explicitly.
      fchmodSync(fd, FILE_MODE);
      writeAll(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw storageError(e, basename(path));
  }
  fsyncDir(dirname(path));
}
