/**
 * The direct decoder: appends one JSON object from its bytes straight into a
 * layout's builders, without `JSON.parse`, JS objects or JS strings. String
 * values are copied as bytes, numbers, times and addresses parsed from bytes.
 *
 * It is an optimisation of the common case and never the only judge: it
 * handles the subset of JSON that event logs are made of, against a layout
 * the caller predicts (the schema of the previous event), and gives up
 * (returns false, having appended nothing) on anything else: a key the layout
 * lacks, a value of another type, `\u` escapes, doubtful syntax, a key given
 * twice, and, for guarded layouts, another value of the schema-selecting key
 * (`event_type`). The caller then takes the `JSON.parse` path, which also
 * produces every diagnostic. So what this accepts is valid JSON whose values
 * the slow path would append identically.
 *
 * Written in position-passing style (functions take and return byte offsets,
 * -1 for "give up") so that the byte loops run on locals: this is the hot path
 * of `vast import suricata`.
 */
import type { Int64ColumnBuilder, ListBuilder } from '../../types/builder.js';
import { integerWords, intWords } from '../../types/integer-words.js';
import {
  C_BOOL,
  C_DOUBLE,
  C_ENUM,
  C_IGNORE,
  C_INT,
  C_IP,
  C_LIST,
  C_PATH,
  C_RECORD,
  C_STRING,
  C_TIME,
  C_UINT,
  type Layout,
  nextInstance,
  type RecordLayout,
  type Slot,
  truncateChildren,
} from './layout.js';
import { isoBytesToWords, words } from './values.js';

/** The schema-selecting key and the value that leads to the predicted layout. */
export interface DirectGuard {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

const QUOTE = 34;
const BACKSLASH = 92;
const FAIL = -1;

/** Skips JSON whitespace from `p`. */
function ws(b: Uint8Array, p: number, e: number): number {
  while (p < e) {
    const c = b[p];
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return p;
    p++;
  }
  return p;
}

/** The end of a JSON number token at `p` (its grammar checked), or FAIL. */
function numberEnd(b: Uint8Array, p: number, e: number): number {
  if (b[p] === 45) p++;
  if (b[p] === 48) p++;
  else if (b[p] >= 49 && b[p] <= 57) while (p < e && b[p] >= 48 && b[p] <= 57) p++;
  else return FAIL;
  if (b[p] === 46) {
    p++;
    if (!(b[p] >= 48 && b[p] <= 57)) return FAIL;
    while (p < e && b[p] >= 48 && b[p] <= 57) p++;
  }
  if (b[p] === 101 || b[p] === 69) {
    p++;
    if (b[p] === 43 || b[p] === 45) p++;
    if (!(b[p] >= 48 && b[p] <= 57)) return FAIL;
    while (p < e && b[p] >= 48 && b[p] <= 57) p++;
  }
  return p <= e ? p : FAIL;
}

/** Whether `b[p, p + word.length)` is `word` (`null`, `true`, `false`) within `e`. */
function isWord(b: Uint8Array, p: number, e: number, word: Uint8Array): boolean {
  if (p + word.length > e) return false;
  for (let j = 0; j < word.length; j++) if (b[p + j] !== word[j]) return false;
  return true;
}

const NULL = Buffer.from('null');
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');

export class DirectDecoder {
  private layout!: Layout;
  private guard: DirectGuard | undefined;
  private guardSeen = false;
  private zeek = false;
  // Scratch for strings with escapes, decoded to UTF-8.
  private out = new Uint8Array(256);
  private outLength = 0;
  /** End of the last string's bytes (exclusive), or -2 when it was decoded into `out`. */
  private strEnd = 0;

  /**
   * Appends the object in `buf[start, end)` as a row of `layout`. Returns
   * false, with nothing appended, when the slow path must decide.
   */
  decode(layout: Layout, b: Buffer, start: number, end: number, guard: DirectGuard | undefined): boolean {
    this.layout = layout;
    this.guard = guard;
    this.guardSeen = false;
    this.zeek = layout.zeek;
    const root = layout.root;
    root.cur = nextInstance();
    let p = this.object(b, start, end, root, true);
    if (p !== FAIL) p = ws(b, p, end);
    if (p !== end || (guard !== undefined && !this.guardSeen)) {
      layout.builder.rollback();
      return false;
    }
    layout.finish(root);
    layout.builder.root.closeRecord();
    return true;
  }

  /** `{ "key": value, ... }` at `p` into the current instance of `rl`; returns the end or FAIL. */
  private object(b: Uint8Array, p: number, e: number, rl: RecordLayout, top: boolean): number {
    p = ws(b, p, e);
    if (b[p] !== 123) return FAIL;
    p = ws(b, p + 1, e);
    if (b[p] === 125) return p + 1;
    const row = rl.builder.length;
    const keys = rl.lastKeyBytes;
    for (let i = 0; ; i++) {
      if (b[p] !== QUOTE) return FAIL;
      const ks = ++p;
      // inline the following for performance: the key at position i is most likely the cached one;
      // comparing against it also finds the key's end.
      let slot: Slot | undefined;
      const cached = keys[i];
      let n = cached === undefined ? -1 : cached.length;
      if (n >= 0 && ks + n < e && b[ks + n] === QUOTE) {
        let j = 0;
        while (j < n && cached[j] === b[ks + j]) j++;
        if (j !== n) n = -1;
      } else n = -1;
      if (n >= 0) {
        slot = rl.lastKeySlots[i];
        p = ks + n;
      } else {
        while (p < e) {
          const c = b[p];
          if (c === QUOTE) break;
          if (c === BACKSLASH || c < 32) return FAIL;
          p++;
        }
        if (p >= e) return FAIL;
        const key = p > ks ? rl.keyOfBytes(b, ks, p) : undefined;
        if (key === undefined) return FAIL;
        slot = key.slot;
        keys[i] = key.bytes;
        rl.lastKeySlots[i] = slot;
      }
      const ke = p;
      if (slot === undefined) return FAIL;
      p = ws(b, p + 1, e);
      if (b[p] !== 58) return FAIL;
      p = ws(b, p + 1, e);
      if (top && this.guard !== undefined && this.isGuard(b, ks, ke) && !this.checkGuard(b, p)) return FAIL;
      p = this.value(b, p, e, rl, slot, row);
      if (p === FAIL) return FAIL;
      p = ws(b, p, e);
      const c = b[p];
      if (c === 125) return p + 1;
      if (c !== 44) return FAIL;
      p = ws(b, p + 1, e);
    }
  }

  private isGuard(b: Uint8Array, ks: number, ke: number): boolean {
    const key = this.guard!.key;
    if (ke - ks !== key.length) return false;
    for (let j = 0; j < key.length; j++) if (b[ks + j] !== key[j]) return false;
    return true;
  }

  /** The guard key's value must be the string that selected the layout. */
  private checkGuard(b: Uint8Array, p: number): boolean {
    const v = this.guard!.value;
    if (b[p] !== QUOTE || b[p + 1 + v.length] !== QUOTE) return false;
    for (let j = 0; j < v.length; j++) if (b[p + 1 + j] !== v[j]) return false;
    this.guardSeen = true;
    return true;
  }

  private value(b: Uint8Array, p: number, e: number, rl: RecordLayout, s: Slot, row: number): number {
    // A null appends nothing: absent and null fields are padded later alike.
    if (b[p] === 110) return isWord(b, p, e, NULL) ? p + 4 : FAIL;
    switch (s.code) {
      case C_RECORD:
        // A record given twice would merge here but be replaced in JSON.parse: slow path.
        if (s.stamp === rl.cur) return FAIL;
        this.layout.open(rl, s);
        return this.object(b, p, e, s.record!, false);
      case C_PATH: {
        const path = s.path!;
        let parent = rl;
        for (let j = 0; j < path.length - 1; j++) {
          this.layout.open(parent, path[j]);
          parent = path[j].record!;
        }
        const leaf = path[path.length - 1];
        return leaf.code === C_RECORD ? FAIL : this.leaf(b, p, e, leaf, parent.builder.length);
      }
      case C_IGNORE:
        return this.skipScalar(b, p, e);
      default:
        return this.leaf(b, p, e, s, row);
    }
  }

  /** A leaf or list value as row `row` of its column (padding a lagging column, refusing a second value). */
  private leaf(b: Uint8Array, p: number, e: number, s: Slot, row: number): number {
    const bld = s.builder;
    if (bld.length !== row) {
      if (bld.length > row) return FAIL;
      while (bld.length < row) bld.appendNull();
    }
    return this.append(b, p, e, s);
  }

  /** Appends the value at `p` to `s` (whose column is at the right row); returns its end or FAIL. */
  private append(b: Uint8Array, p: number, e: number, s: Slot): number {
    const c = b[p];
    switch (s.code) {
      case C_STRING:
      case C_ENUM: {
        if (c !== QUOTE) return FAIL;
        const next = this.string(b, p, e);
        if (next === FAIL) return FAIL;
        const end = this.strEnd;
        if (end >= 0) return s.builder.appendBytes(b, p + 1, end) ? next : FAIL;
        // Escapes were decoded into `out`; Zeek's `\\xHH` text needs the slow path.
        if (this.zeek) return FAIL;
        return s.builder.appendBytes(this.out, 0, this.outLength) ? next : FAIL;
      }
      case C_INT:
      case C_UINT: {
        // Exact over the whole 64-bit range, from the digits (never via a double).
        const end = integerWords(b, p, e, s.code === C_UINT);
        if (end === FAIL) return FAIL;
        // JSON has no leading zeros; fractions and exponents are doubles: the slow path judges them.
        const d0 = c === 45 ? p + 1 : p;
        const t = b[end];
        if ((b[d0] === 48 && end - d0 > 1) || t === 46 || t === 101 || t === 69) return FAIL;
        (s.builder as Int64ColumnBuilder).appendWords(intWords[0], intWords[1]);
        return end;
      }
      case C_IP: {
        if (c !== QUOTE) return FAIL;
        const next = this.string(b, p, e);
        const end = this.strEnd;
        if (next === FAIL || end < 0) return FAIL;
        // IPv6 in inferred columns must be canonical: the slow path checks that.
        if (!s.typed) for (let j = p + 1; j < end; j++) if (b[j] === 58) return FAIL;
        return s.builder.appendBytes(b, p + 1, end) ? next : FAIL;
      }
      case C_TIME: {
        if (c !== QUOTE) return FAIL;
        const next = this.string(b, p, e);
        const end = this.strEnd;
        if (next === FAIL || end < 0 || !isoBytesToWords(b, p + 1, end)) return FAIL;
        (s.builder as Int64ColumnBuilder).appendWords(words[0], words[1]);
        return next;
      }
      case C_BOOL:
        if (c === 116 && isWord(b, p, e, TRUE)) return s.builder.appendJson(true) ? p + 4 : FAIL;
        if (c === 102 && isWord(b, p, e, FALSE)) return s.builder.appendJson(false) ? p + 5 : FAIL;
        return FAIL;
      case C_DOUBLE: {
        const end = numberEnd(b, p, e);
        if (end === FAIL) return FAIL;
        const text = Buffer.from(b.buffer, b.byteOffset + p, end - p).toString('latin1');
        return s.builder.appendJson(Number(text)) ? end : FAIL;
      }
      case C_LIST:
        return c === 91 ? this.list(b, p, e, s) : FAIL;
      default: {
        // Ports as JSON numbers: the builder parses the digits. Other kinds: slow path.
        if (!s.typed || s.builder.type.kind !== 'port') return FAIL;
        const end = numberEnd(b, p, e);
        if (end === FAIL) return FAIL;
        return s.builder.appendBytes(b, p, end) ? end : FAIL;
      }
    }
  }

  /** `[v, ...]` into a list slot; on failure the elements appended before are taken back. */
  private list(b: Uint8Array, p: number, e: number, s: Slot): number {
    const list = s.builder as ListBuilder;
    const el = s.element!;
    const child = list.child;
    const start = child.length;
    p = ws(b, p + 1, e);
    if (b[p] === 93) {
      list.closeList();
      return p + 1;
    }
    for (;;) {
      if (b[p] === 110) {
        if (!isWord(b, p, e, NULL)) p = FAIL;
        else {
          child.appendNull();
          p += 4;
        }
      } else if (el.code === C_RECORD) {
        const rl = el.record!;
        rl.cur = nextInstance();
        p = this.object(b, p, e, rl, false);
        if (p !== FAIL) {
          this.layout.finish(rl);
          rl.builder.closeRecord();
        } else truncateChildren(rl.builder);
      } else if (el.code === C_LIST || el.code === C_PATH) p = FAIL;
      else p = this.append(b, p, e, el);
      if (p !== FAIL) {
        p = ws(b, p, e);
        const c = b[p];
        if (c === 93) {
          list.closeList();
          return p + 1;
        }
        if (c === 44) {
          p = ws(b, p + 1, e);
          continue;
        }
      }
      child.truncate(start);
      return FAIL;
    }
  }

  /**
   * Scans the string whose quote is at `p`; returns the position after its
   * closing quote, or FAIL. `strEnd` is then the end of its bytes, or -2 when
   * it had escapes and was decoded into `out`.
   */
  private string(b: Uint8Array, p: number, e: number): number {
    const start = p + 1;
    for (let q = start; q < e; q++) {
      const c = b[q];
      if (c === QUOTE) {
        this.strEnd = q;
        return q + 1;
      }
      if (c === BACKSLASH) return this.escaped(b, start, e);
      if (c < 32) return FAIL;
    }
    return FAIL;
  }

  /** Decodes a string with escapes from `start` into `out`; `\u` escapes are left to JSON.parse. */
  private escaped(b: Uint8Array, start: number, e: number): number {
    if (this.out.length < e - start) this.out = new Uint8Array(Math.max(this.out.length * 2, e - start));
    const out = this.out;
    let n = 0;
    let q = start;
    while (q < e) {
      const c = b[q];
      if (c === QUOTE) {
        this.outLength = n;
        this.strEnd = -2;
        return q + 1;
      }
      if (c < 32) return FAIL;
      if (c !== BACKSLASH) {
        out[n++] = c;
        q++;
        continue;
      }
      const x = b[q + 1];
      q += 2;
      if (x === QUOTE || x === BACKSLASH || x === 47) out[n++] = x;
      else if (x === 110) out[n++] = 10;
      else if (x === 116) out[n++] = 9;
      else if (x === 114) out[n++] = 13;
      else if (x === 98) out[n++] = 8;
      else if (x === 102) out[n++] = 12;
      else return FAIL;
    }
    return FAIL;
  }

  /** Skips a string, number or literal (a dropped key's value); anything else: slow path. */
  private skipScalar(b: Uint8Array, p: number, e: number): number {
    const c = b[p];
    if (c === QUOTE) return this.string(b, p, e);
    if (c === 116) return isWord(b, p, e, TRUE) ? p + 4 : FAIL;
    if (c === 102) return isWord(b, p, e, FALSE) ? p + 5 : FAIL;
    return numberEnd(b, p, e);
  }
}
