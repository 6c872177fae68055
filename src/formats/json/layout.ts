/**
 * A layout is one inferred or schema-typed record shape compiled for
 * appending decoded JSON objects column-wise into a `BatchBuilder`: every
 * field gets a slot with its builder and a small integer saying how to append
 * a value, chosen once per layout rather than once per value (the same idea
 * as the Zeek reader's parse plan).
 *
 * `append` walks the object's keys once. Keys are looked up through a
 * per-record cache of the previous event's key order, so events that share a
 * key order (the common case: one producer, one hidden class) never touch
 * the name index. Values go straight into the builders; there is no second
 * per-event representation.
 *
 * Absent fields cost nothing per event: a column only catches up with nulls
 * when a later event has a value for it ("lazy padding"), and a column that
 * stays absent for a whole batch is emitted as one all-null Arrow buffer. That
 * matters for wide schemas: a Suricata alert fills ~22 of its schema's ~55
 * leaves.
 */

import * as A from 'apache-arrow';
import { arrowType } from '../../types/arrow.js';
import { BatchBuilder } from '../../types/batch-builder.js';
import {
  type ColumnBuilder,
  type Int64ColumnBuilder,
  type ListBuilder,
  RecordBuilder,
  type StringColumnBuilder,
} from '../../types/builder.js';
import { jsonText } from '../../types/json-text.js';
import type { Schema } from '../../types/type.js';
import { finishColumn, pad, padRecord } from './columns.js';
import { isCanonicalIp, type RecordShape, recordShapeToType, type Shape, shapeFromType } from './infer.js';
import { decodeZeekEscapes, isoToWords, nsWords, roundHalfEven, words } from './values.js';

/** `append` results. */
export const OK = 0;
/** The event does not fit the layout's inferred part: infer a wider layout and retry. */
export const GROW = 1;
/** A value does not fit a type fixed by a registry schema: report and skip the event. */
export const BAD = 2;

// How a slot appends a value.
const C_NULL = 0;
const C_JSON = 1;
export const C_BOOL = 2;
export const C_INT = 3;
export const C_UINT = 4;
export const C_DOUBLE = 5;
export const C_STRING = 6;
export const C_IP = 7;
export const C_TIME = 8;
const C_DURATION = 9;
export const C_ENUM = 10;
export const C_LIST = 11;
export const C_RECORD = 12;
/** port, subnet, map: rare enough for the builder's generic `appendJson`. */
const C_GENERIC = 13;
/** A dotted key (`id.orig_h`) standing for a path of slots. */
export const C_PATH = 14;
/** A key that is dropped. */
export const C_IGNORE = 15;

/** Per-dialect value conventions. */
export interface LayoutOptions {
  /**
   * Zeek JSON: `\xHH` escapes (Zeek's rendering of non-printable bytes) are
   * decoded as the Zeek TSV reader does, and numeric times/intervals are
   * rounded to the microseconds Zeek logs have.
   */
  readonly zeek?: boolean;
  /** Flat dotted keys (`id.orig_h`) address fields of nested records, as in Zeek JSON. */
  readonly dottedKeys?: boolean;
  /** Top-level keys that are dropped (Zeek's `_path`, which is the schema name). */
  readonly ignoreKeys?: readonly string[];
  /**
   * Records are never null: an absent record is a record of nulls, as Zeek
   * TSV's flattened `id.orig_h` columns can only express.
   */
  readonly validRecords?: boolean;
}

/** One field of a layout: its builder and how values are appended (internal to the JSON readers). */
export class Slot {
  /** Instance id of the record this record slot was last opened in. */
  stamp = 0;
  /** The nested layout of a record slot, or of the elements of a list of records. */
  record: RecordLayout | undefined;
  /** The element slot of a list (its builder is the list's child). */
  element: Slot | undefined;
  /** The slots a dotted key walks through (C_PATH). */
  path: Slot[] | undefined;
  // The last value appended and its encoding: logs repeat values (hosts, signatures, times), so
  // a repeat costs one string comparison instead of a conversion.
  last: unknown = undefined;
  lastLength = 0;
  lastBytes: Uint8Array | undefined;
  lastLo = 0;
  lastHi = 0;
  constructor(
    readonly name: string,
    readonly code: number,
    /** Fixed by a registry schema: a value that does not fit is BAD, not GROW. */
    readonly typed: boolean,
    readonly builder: ColumnBuilder,
  ) {}
}

const IGNORE = new Slot('', C_IGNORE, false, undefined as unknown as ColumnBuilder);

/** A key's UTF-8 bytes and its slot. */
export interface KeyBytes {
  readonly bytes: Uint8Array;
  readonly slot: Slot;
}

const keyHash = (length: number, first: number, last: number): number => (length << 16) | (first << 8) | last;

/** The slots of one record level (internal to the JSON readers). */
export class RecordLayout {
  /** Id of the record instance being filled; record slots with `stamp === cur` are open in it. */
  cur = 0;
  readonly index = new Map<string, Slot>();
  readonly recordSlots: Slot[];
  // The key order of the last event: position i → slot, so repeated shapes skip the index.
  readonly lastKeys: string[] = [];
  readonly lastSlots: (Slot | undefined)[] = [];
  // The same for the direct byte decoder (`direct.ts`): key bytes by position.
  readonly lastKeyBytes: Uint8Array[] = [];
  readonly lastKeySlots: (Slot | undefined)[] = [];
  // Names as bytes by (length, first byte, last byte): producers vary their key order (EVE
  // writes `alert` and `flow` either way round), so the key cache above misses often.
  private byteNames: Map<number, KeyBytes[]> | undefined;

  /** The key `b[ks, ke)` (non-empty) and its slot, found by comparing bytes (no string is made). */
  keyOfBytes(b: Uint8Array, ks: number, ke: number): KeyBytes | undefined {
    this.byteNames ??= this.indexBytes();
    const names = this.byteNames;
    const n = ke - ks;
    const bucket = names.get(keyHash(n, b[ks], b[ke - 1]));
    if (bucket === undefined) return undefined;
    for (let i = 0; i < bucket.length; i++) {
      const bytes = bucket[i].bytes;
      if (bytes.length !== n) continue;
      let j = 0;
      while (j < n && bytes[j] === b[ks + j]) j++;
      if (j === n) return bucket[i];
    }
    return undefined;
  }

  private indexBytes(): Map<number, KeyBytes[]> {
    const names = new Map<number, KeyBytes[]>();
    for (const [name, slot] of this.index) {
      const bytes = Buffer.from(name);
      if (bytes.length === 0) continue;
      const h = keyHash(bytes.length, bytes[0], bytes[bytes.length - 1]);
      let bucket = names.get(h);
      if (bucket === undefined) {
        bucket = [];
        names.set(h, bucket);
      }
      bucket.push({ bytes, slot });
    }
    return names;
  }
  constructor(
    readonly slots: Slot[],
    readonly exact: boolean,
    readonly builder: RecordBuilder,
  ) {
    for (const s of slots) this.index.set(s.name, s);
    this.recordSlots = slots.filter((s) => s.code === C_RECORD);
  }
  /** The slot of key `k` at position `i` of an event, remembered for the next event. */
  lookup(k: string, i: number): Slot | undefined {
    const e = this.index.get(k);
    this.lastKeys[i] = k;
    this.lastSlots[i] = e;
    return e;
  }
}

let instances = 0;
/** A fresh record instance id (see `RecordLayout.cur`). */
export const nextInstance = (): number => ++instances;

/** What went wrong in the last failed `append`, for the caller's message. */
export interface AppendFailure {
  /** Key path from the event root to the value. */
  path: string[];
  value: unknown;
  /** The declared type, as text. */
  type: string;
}

export class Layout {
  readonly builder: BatchBuilder;
  readonly schema: Schema;
  readonly failure: AppendFailure = { path: [], value: undefined, type: '' };
  /** @internal The top-level record, for the direct byte decoder. */
  readonly root: RecordLayout;
  /** @internal */
  readonly zeek: boolean;
  private readonly validRecords: boolean;

  constructor(
    name: string,
    readonly shape: RecordShape,
    timestamp: string | undefined,
    opts: LayoutOptions,
  ) {
    this.zeek = opts.zeek === true;
    this.validRecords = opts.validRecords === true;
    this.schema = { name, type: recordShapeToType(shape), timestamp };
    this.builder = new BatchBuilder(this.schema);
    this.root = this.compileRecord(shape, this.builder.root);
    for (const k of opts.ignoreKeys ?? []) if (!this.root.index.has(k)) this.root.index.set(k, IGNORE);
    if (opts.dottedKeys) this.addDotted(this.root, '', []);
  }

  get rows(): number {
    return this.builder.rows;
  }

  /**
   * Appends one event. On OK the row is committed; otherwise nothing is
   * appended and `failure` says where (for BAD).
   */
  append(obj: Record<string, unknown>): number {
    const root = this.root;
    root.cur = ++instances;
    // (Only allocate when the last append failed: setting an array's length is a runtime call.)
    if (this.failure.path.length !== 0) this.failure.path = [];
    let r = this.fill(root, obj);
    if (r === OK) r = this.finish(root);
    if (r !== OK) {
      this.builder.rollback();
      this.failure.path.reverse();
      return r;
    }
    this.builder.root.closeRecord();
    return OK;
  }

  /** Returns the rows so far as a batch and starts a new one. */
  finishBatch(): A.RecordBatch {
    const root = this.builder.root;
    const rows = root.length;
    const children = root.children.map((c) => finishColumn(c, rows, this.validRecords));
    root.truncate(0);
    const type = arrowType(this.schema.type) as A.Struct;
    const data = A.makeData({ type, length: rows, nullCount: 0, children });
    return new A.RecordBatch(this.builder.arrowSchema, data);
  }

  // --- compiling -----------------------------------------------------------

  private compileRecord(shape: RecordShape, builder: RecordBuilder): RecordLayout {
    const slots = shape.fields.map((f, i) => this.compileSlot(f.name, f.shape, builder.children[i]));
    return new RecordLayout(slots, shape.exact, builder);
  }

  private compileSlot(name: string, shape: Shape, builder: ColumnBuilder): Slot {
    switch (shape.kind) {
      case 'null':
        return new Slot(name, C_NULL, false, builder);
      case 'json':
        return new Slot(name, C_JSON, false, builder);
      case 'basic':
        return new Slot(name, codeOfKind(shape.type), false, builder);
      case 'typed': {
        const t = shape.type;
        if (t.kind === 'record') return this.compileSlot(name, shapeFromType(t), builder);
        const slot = new Slot(name, codeOfKind(t.kind), true, builder);
        if (t.kind === 'list')
          slot.element = this.compileSlot(name, shapeFromType(t.element), (builder as ListBuilder).child);
        return slot;
      }
      case 'record': {
        const slot = new Slot(name, C_RECORD, shape.typed === true, builder);
        slot.record = this.compileRecord(shape, builder as RecordBuilder);
        return slot;
      }
      case 'list': {
        const slot = new Slot(name, C_LIST, shape.typed === true, builder);
        slot.element = this.compileSlot(name, shape.element, (builder as ListBuilder).child);
        if (shape.element.kind === 'record') slot.record = slot.element.record;
        return slot;
      }
    }
  }

  /** Indexes `a.b.c` keys of nested records under the root, for Zeek's flat JSON keys. */
  private addDotted(rl: RecordLayout, prefix: string, path: Slot[]): void {
    for (const s of rl.slots) {
      if (s.code !== C_RECORD) {
        const key = `${prefix}${s.name}`;
        if (path.length > 0 && !this.root.index.has(key)) {
          const entry = new Slot(key, C_PATH, false, s.builder);
          entry.path = [...path, s];
          this.root.index.set(key, entry);
        }
      } else this.addDotted(s.record!, `${prefix}${s.name}.`, [...path, s]);
    }
  }

  // --- appending -----------------------------------------------------------

  private fill(rl: RecordLayout, obj: Record<string, unknown>): number {
    // The row this instance fills: the record is closed (and its length grows) only in `finish`.
    const row = rl.builder.length;
    let i = 0;
    const lastKeys = rl.lastKeys;
    for (const k in obj) {
      // inline the following for performance: rl.entry(k, i)
      const e = lastKeys[i] === k ? rl.lastSlots[i] : rl.lookup(k, i);
      i++;
      if (e === undefined) {
        this.failure.path.push(k);
        return GROW;
      }
      const v = obj[k];
      if (v === null) continue;
      const code = e.code;
      const r =
        code < C_LIST
          ? this.appendValue(e, v, row)
          : code === C_RECORD
            ? this.appendRecord(rl, e, v)
            : code === C_PATH
              ? this.appendPath(rl, e.path!, v)
              : code === C_IGNORE
                ? OK
                : this.appendValue(e, v, row);
      if (r !== OK) {
        this.failure.path.push(k);
        return r;
      }
    }
    if (rl.exact && i !== rl.slots.length) return GROW;
    return OK;
  }

  /** A `a.b` key: opens the records along the path, then appends to the leaf. */
  private appendPath(rl: RecordLayout, path: Slot[], v: unknown): number {
    let parent = rl;
    for (let j = 0; j < path.length - 1; j++) {
      const s = path[j];
      this.open(parent, s);
      parent = s.record!;
    }
    const leaf = path[path.length - 1];
    if (leaf.code === C_RECORD) return this.appendRecord(parent, leaf, v);
    return this.appendValue(leaf, v, parent.builder.length);
  }

  /** Starts the nested record of slot `s` in the current instance of `rl` (once). */
  /** @internal */
  open(rl: RecordLayout, s: Slot): void {
    if (s.stamp === rl.cur) return;
    s.stamp = rl.cur;
    if (this.validRecords) padRecord(s.builder as RecordBuilder, rl.builder.length);
    else pad(s.builder, rl.builder.length);
    s.record!.cur = ++instances;
  }

  /** A nested object for a record field: filled now, closed when its parent instance finishes. */
  private appendRecord(rl: RecordLayout, s: Slot, v: unknown): number {
    if (typeof v !== 'object' || Array.isArray(v)) return this.mismatch(s, v);
    this.open(rl, s);
    return this.fill(s.record!, v as Record<string, unknown>);
  }

  /** Closes the nested records an instance opened (absent fields are padded later). */
  /** @internal */
  finish(rl: RecordLayout): number {
    const cur = rl.cur;
    const slots = rl.recordSlots;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i];
      if (s.stamp === cur) {
        this.finish(s.record!);
        (s.builder as RecordBuilder).closeRecord();
      }
    }
    return OK;
  }

  private mismatch(s: Slot, v: unknown): number {
    if (!s.typed) return GROW;
    this.failure.value = v;
    this.failure.type = typeLabel(s);
    return BAD;
  }

  /**
   * Appends a non-null value to a leaf or list slot, as row `row` of its
   * column. A column that lags behind is padded with nulls first; one that
   * already has this row (a key given twice, as `id.orig_h` and inside `id`)
   * keeps its first value. (Each case reads `length` itself so that every
   * property access sees one builder class.)
   */
  private appendValue(s: Slot, v: unknown, row: number): number {
    switch (s.code) {
      case C_STRING: {
        const b = s.builder as StringColumnBuilder;
        if (b.length !== row) {
          if (b.length > row) return OK;
          pad(b, row);
        }
        if (typeof v === 'string') {
          if (v === s.last) b.appendBytes(s.lastBytes!, 0, s.lastLength);
          else appendString(s, this.zeek && v.indexOf('\\x') >= 0 ? decodeZeekEscapes(v) : v, v);
          return OK;
        }
        // Schemas are a promise: a number where a string is declared keeps its JSON text.
        if (!s.typed) return GROW;
        b.appendJson(v);
        return OK;
      }
      case C_INT:
      case C_UINT: {
        const b = s.builder as Int64ColumnBuilder;
        if (b.length !== row) {
          if (b.length > row) return OK;
          pad(b, row);
        }
        if (typeof v === 'number' && Number.isSafeInteger(v) && (v >= 0 || s.code === C_INT)) {
          b.appendNumber(v);
          return OK;
        }
        // Exact integers beyond 2^53 (`syntax.ts`): the builder checks the range.
        if (typeof v === 'bigint') return b.appendBigInt(v) ? OK : this.mismatch(s, v);
        return s.typed && b.appendJson(v) ? OK : this.mismatch(s, v);
      }
      case C_IP: {
        const b = s.builder;
        if (b.length !== row) {
          if (b.length > row) return OK;
          pad(b, row);
        }
        if (typeof v === 'string') {
          if (v === s.last) {
            b.appendBytes(s.lastBytes!, 0, s.lastLength);
            return OK;
          }
          if (!s.typed && v.indexOf(':') >= 0 && !isCanonicalIp(v)) return GROW;
          return appendIp(s, v) ? OK : this.mismatch(s, v);
        }
        return this.mismatch(s, v);
      }
      case C_TIME:
      case C_DURATION: {
        const b = s.builder as Int64ColumnBuilder;
        if (b.length !== row) {
          if (b.length > row) return OK;
          pad(b, row);
        }
        return this.appendTimeLike(s, b, v) ? OK : this.mismatch(s, v);
      }
      case C_LIST: {
        const b = s.builder as ListBuilder;
        if (b.length !== row) {
          if (b.length > row) return OK;
          pad(b, row);
        }
        return Array.isArray(v) ? this.appendList(s, v) : this.mismatch(s, v);
      }
      case C_RECORD: {
        // A record as a list element: its own instance, finished right away.
        if (typeof v !== 'object' || Array.isArray(v)) return this.mismatch(s, v);
        const rl = s.record!;
        rl.cur = ++instances;
        let r = this.fill(rl, v as Record<string, unknown>);
        if (r === OK) r = this.finish(rl);
        if (r !== OK) {
          truncateChildren(rl.builder);
          return r;
        }
        rl.builder.closeRecord();
        return OK;
      }
      default:
        return this.appendOther(s, v, row);
    }
  }

  /** The less common kinds: double, bool, enum, port, subnet, map, and inferred placeholders. */
  private appendOther(s: Slot, v: unknown, row: number): number {
    const b = s.builder;
    if (b.length !== row) {
      if (b.length > row) return OK;
      pad(b, row);
    }
    switch (s.code) {
      case C_DOUBLE:
        if (typeof v === 'number' || typeof v === 'bigint') return b.appendJson(v) ? OK : this.mismatch(s, v);
        return s.typed && b.appendJson(v) ? OK : this.mismatch(s, v);
      case C_BOOL:
        if (typeof v === 'boolean') return b.appendJson(v) ? OK : this.mismatch(s, v);
        return s.typed && b.appendJson(v) ? OK : this.mismatch(s, v);
      case C_ENUM:
        if (typeof v === 'string')
          return b.appendText(this.zeek && v.indexOf('\\x') >= 0 ? decodeZeekEscapes(v) : v)
            ? OK
            : this.mismatch(s, v);
        return this.mismatch(s, v);
      case C_NULL:
        return GROW;
      case C_JSON:
        b.appendText(typeof v === 'string' ? v : jsonText(v));
        return OK;
      default:
        return b.appendJson(v) ? OK : this.mismatch(s, v);
    }
  }

  private appendList(s: Slot, items: unknown[]): number {
    const list = s.builder as ListBuilder;
    const el = s.element!;
    const child = list.child;
    const start = child.length;
    for (let i = 0; i < items.length; i++) {
      const x = items[i];
      if (x === null) {
        child.appendNull();
        continue;
      }
      const r = this.appendValue(el, x, child.length);
      if (r !== OK) {
        child.truncate(start);
        if (el.code === C_RECORD) truncateChildren(child as RecordBuilder);
        if (r === BAD) this.failure.path.push(String(i));
        return r;
      }
    }
    list.closeList();
    return OK;
  }

  private appendTimeLike(s: Slot, b: Int64ColumnBuilder, v: unknown): boolean {
    if (typeof v === 'string') {
      if (v === s.last) return b.appendWords(s.lastLo, s.lastHi);
      if (s.code === C_TIME && isoToWords(v)) {
        s.last = v;
        s.lastLo = words[0];
        s.lastHi = words[1];
        return b.appendWords(words[0], words[1]);
      }
      return b.appendText(v);
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) return false;
    // JSON numbers for times and durations are seconds (Zeek's convention); Zeek logs have microseconds.
    if (this.zeek && Math.abs(v) < 9e9) {
      const us = roundHalfEven(v * 1e6);
      const whole = Math.floor(us / 1e6);
      nsWords(whole, (us - whole * 1e6) * 1000);
      return b.appendWords(words[0], words[1]);
    }
    return b.appendJson(v);
  }
}

function codeOfKind(kind: string): number {
  switch (kind) {
    case 'null':
      return C_NULL;
    case 'bool':
      return C_BOOL;
    case 'int64':
      return C_INT;
    case 'uint64':
      return C_UINT;
    case 'double':
      return C_DOUBLE;
    case 'string':
      return C_STRING;
    case 'ip':
      return C_IP;
    case 'time':
      return C_TIME;
    case 'duration':
      return C_DURATION;
    case 'enum':
      return C_ENUM;
    case 'list':
      return C_LIST;
    case 'record':
      return C_RECORD;
    default:
      return C_GENERIC;
  }
}

function typeLabel(s: Slot): string {
  const t = s.builder.type;
  return t.kind === 'list' && t.element.kind !== 'record' ? `list<${t.element.kind}>` : t.kind;
}

/** Drops the children's values past the record builder's length (a half-filled record in a list). */
export function truncateChildren(rb: RecordBuilder): void {
  for (const c of rb.children) {
    c.truncate(rb.length);
    if (c instanceof RecordBuilder) truncateChildren(c);
  }
}

/**
 * Short ASCII strings are copied char by char into the builder: cheaper than
 * `TextEncoder.encodeInto` for the field values that dominate JSON logs.
 */
function appendString(s: Slot, v: string, key: string): void {
  const b = s.builder;
  const n = v.length;
  if (n > 128) {
    b.appendText(v);
    return;
  }
  if (!s.lastBytes) s.lastBytes = new Uint8Array(128);
  const out = s.lastBytes;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c > 127) {
      s.last = undefined;
      b.appendText(v);
      return;
    }
    out[i] = c;
  }
  s.last = key;
  s.lastLength = n;
  b.appendBytes(out, 0, n);
}

/**
 * Appends an address. Dotted quads go to the builder's byte parser (no
 * allocation) from the slot's cache of the value's ASCII bytes, which a
 * repeated value reuses; anything else goes through text.
 */
function appendIp(s: Slot, v: string): boolean {
  const b = s.builder;
  const n = v.length;
  if (n >= 7 && n <= 15) {
    if (!s.lastBytes) s.lastBytes = new Uint8Array(16);
    const out = s.lastBytes;
    // The loop overwrites the memo's bytes before it knows whether `v` is a dotted quad: an
    // IPv6 address in between made the next repeat of the last IPv4 address read as null.
    s.last = undefined;
    let quad = true;
    for (let i = 0; i < n && quad; i++) {
      const c = v.charCodeAt(i);
      quad = c === 46 || (c >= 48 && c <= 57);
      out[i] = c;
    }
    if (quad) {
      if (!b.appendBytes(out, 0, n)) return false;
      s.last = v;
      s.lastLength = n;
      return true;
    }
  }
  return b.appendText(v);
}
