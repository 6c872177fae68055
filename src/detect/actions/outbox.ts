/**
 * The durable queue of one action: a folder holding
 *
 * - `action`: the action's text (`formatAction`), so a restart knows where to deliver;
 * - `outbox.jsonl`: every queued record, one JSON text per line, appended;
 * - `cursor`: two byte offsets in `outbox.jsonl`, `FIRST REST` (20 decimal
 *   digits each, overwritten in place by one small write): the record in
 *   flight, and the first record queued behind it.
 *
 * Two offsets suffice because records are dropped only from the front of the
 * queue, never the one in flight: what is left to deliver is always the line
 * at FIRST plus every line from REST on. When nothing is left the log is
 * truncated; when more than half of it (and more than `COMPACT_MIN_BYTES`)
 * is dead it is rewritten with the live records, so the file stays within
 * about twice the pending records plus that slack.
 *
 * Crash safety: the cursor is always written *before* the log shrinks, so a
 * crash in between re-delivers (duplicates), never skips. A cursor beyond the
 * end of the log is read as 0; a torn last line (no newline) is cut off.
 */

import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/** A queued record; `start`/`end` are its line's byte range in `outbox.jsonl`. */
export interface OutboxEntry {
  /** Order of arrival across all actions (oldest = smallest), for dropping the oldest first. */
  readonly seq: number;
  readonly json: string;
  start: number;
  end: number;
}

const COMPACT_MIN_BYTES = 4 << 20;
const CURSOR_WIDTH = 20;

function cursorText(first: number, rest: number): string {
  return `${first.toString().padStart(CURSOR_WIDTH, '0')} ${rest.toString().padStart(CURSOR_WIDTH, '0')}`;
}

/** The folder of an action below the dispatcher's directory: a hash of its text. */
export function outboxDir(root: string, action: string): string {
  return join(root, createHash('sha256').update(action).digest('hex').slice(0, 16));
}

/** The action text stored in an outbox folder, or undefined when the folder is not one. */
export function readOutboxAction(dir: string): string | undefined {
  const file = join(dir, 'action');
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

export class Outbox {
  private fd: number;
  private readonly cursorFd: number;
  private size: number;
  /** The offsets last written to `cursor`. */
  private first = 0;
  private rest = 0;
  /** Queued records not in flight, oldest first, from `head` on. */
  private items: OutboxEntry[] = [];
  private head = 0;
  private current: OutboxEntry | undefined;
  private liveBytes = 0;
  private dirty = false;
  private syncing: Promise<void> | undefined;

  /** Opens (creating if needed) the outbox of `action` in `dir` and loads what is left to deliver. */
  constructor(
    private readonly dir: string,
    action: string,
    nextSeq: () => number,
  ) {
    mkdirSync(dir, { recursive: true });
    if (readOutboxAction(dir) !== action) writeFileSync(join(dir, 'action'), action);
    const cursorFile = join(dir, 'cursor');
    if (!existsSync(cursorFile)) writeFileSync(cursorFile, cursorText(0, 0));
    this.cursorFd = openSync(cursorFile, 'r+');
    const [first, rest] = readFileSync(cursorFile, 'utf8').trim().split(/\s+/).map(Number);
    this.fd = openSync(this.logFile, 'a');
    const data = readFileSync(this.logFile);
    // A crash in the middle of an append leaves a torn last line: cut it off.
    const last = data.lastIndexOf(10);
    this.size = last + 1;
    if (this.size !== data.length) ftruncateSync(this.fd, this.size);
    const valid = (n: number | undefined): n is number => n !== undefined && n >= 0 && n <= this.size;
    if (valid(first) && valid(rest) && first <= rest) {
      this.first = first;
      this.rest = rest;
    }
    const load = (start: number): number => {
      const end = data.indexOf(10, start) + 1;
      const json = data.toString('utf8', start, end - 1);
      if (json.trim() !== '') {
        this.items.push({ seq: nextSeq(), json, start, end });
        this.liveBytes += end - start;
      }
      return end;
    };
    let start = this.first < this.rest ? Math.max(this.rest, load(this.first)) : this.rest;
    while (start < this.size) start = load(start);
  }

  private get logFile(): string {
    return join(this.dir, 'outbox.jsonl');
  }

  /** Records waiting, including the one in flight. */
  get pending(): number {
    return this.items.length - this.head + (this.current ? 1 : 0);
  }

  /** The arrival order of the oldest record that may be dropped, if any. */
  get oldestDroppable(): number | undefined {
    return this.items[this.head]?.seq;
  }

  /** Appends records (JSON texts without newlines); they are in the OS's hands when this returns. */
  append(jsons: readonly string[], nextSeq: () => number): void {
    const buf = Buffer.from(`${jsons.join('\n')}\n`);
    let written = 0;
    while (written < buf.length) written += writeSync(this.fd, buf, written, buf.length - written);
    let start = this.size;
    for (const json of jsons) {
      const end = start + Buffer.byteLength(json) + 1;
      this.items.push({ seq: nextSeq(), json, start, end });
      start = end;
    }
    this.liveBytes += buf.length;
    this.size += buf.length;
    this.dirty = true;
  }

  /** The record to deliver next: the one in flight again (a retry) or the oldest queued. */
  next(): OutboxEntry | undefined {
    if (!this.current && this.head < this.items.length) {
      this.current = this.items[this.head];
      this.items[this.head++] = undefined as unknown as OutboxEntry;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
    }
    return this.current;
  }

  /** The record in flight is done with (delivered, or failed for good). */
  complete(): void {
    if (!this.current) return;
    this.liveBytes -= this.current.end - this.current.start;
    this.current = undefined;
    this.advance();
  }

  /** Drops the oldest queued record (never the one in flight); false when there is none. */
  dropOldest(): boolean {
    const e = this.items[this.head];
    if (!e) return false;
    this.items[this.head++] = undefined as unknown as OutboxEntry;
    this.liveBytes -= e.end - e.start;
    this.advance();
    return true;
  }

  /** Starts an fdatasync of what was appended since the last one. */
  sync(): Promise<void> {
    if (!this.dirty) return this.syncing ?? Promise.resolve();
    this.dirty = false;
    const fd = this.fd;
    const previous = this.syncing ?? Promise.resolve();
    const p = previous.then(() => new Promise<void>((resolve) => fdatasync(fd, () => resolve())));
    this.syncing = p;
    void p.then(() => {
      if (this.syncing === p) this.syncing = undefined;
    });
    return p;
  }

  async close(): Promise<void> {
    await this.sync();
    closeSync(this.fd);
    closeSync(this.cursorFd);
  }

  private writeCursor(first: number, rest: number): void {
    if (first === this.first && rest === this.rest) return;
    this.first = first;
    this.rest = rest;
    writeSync(this.cursorFd, cursorText(first, rest), 0);
  }

  private advance(): void {
    if (this.pending === 0) {
      if (this.size === 0) return;
      this.writeCursor(0, 0);
      ftruncateSync(this.fd, 0);
      this.size = 0;
      this.liveBytes = 0;
      return;
    }
    const rest = this.items[this.head]?.start ?? this.size;
    this.writeCursor(this.current?.start ?? rest, rest);
    const dead = this.size - this.liveBytes;
    if (dead > COMPACT_MIN_BYTES && dead > this.liveBytes) this.rewrite();
  }

  /** Replaces the log by its live records (the one in flight first), offsets from 0. */
  private rewrite(): void {
    const live = [...(this.current ? [this.current] : []), ...this.items.slice(this.head)];
    const tmp = `${this.logFile}.tmp`;
    const buf = Buffer.from(live.map((e) => `${e.json}\n`).join(''));
    writeFileSync(tmp, buf);
    const tfd = openSync(tmp, 'r');
    fdatasyncSync(tfd);
    closeSync(tfd);
    this.writeCursor(0, 0);
    fdatasyncSync(this.cursorFd);
    renameSync(tmp, this.logFile);
    closeSync(this.fd);
    this.fd = openSync(this.logFile, 'a');
    let start = 0;
    for (const e of live) {
      const len = e.end - e.start;
      e.start = start;
      e.end = start + len;
      start += len;
    }
    this.items = live.slice(this.current ? 1 : 0);
    this.head = 0;
    this.size = fstatSync(this.fd).size;
    this.liveBytes = this.size;
    this.dirty = false;
  }
}
