/**
 * Group ids for `summarize` without a string or `Map` lookup per row where
 * the key allows: per key position, a value id per row (dictionary codes map
 * to ids once per dictionary entry; 64-bit, port and ip keys go through an
 * open-addressing table of typed arrays); several keys combine their value
 * ids in one more such table; strings (plain, dictionary entries, enums)
 * hash their bytes in an arena table. Other keys (bools, records, lists)
 * take the string keys of `keys.ts`. Ids are dense and handed out in row
 * order, so a batch's new groups are the ids at or above the previous size.
 */
import type * as A from 'apache-arrow';
import { dictionaryEntries, isDictionaryData } from '../types/dictionary-strings.js';
import type { VastType } from '../types/type.js';
import { keyEncoder } from './keys.js';

/** The key of a null (or missing) value, as `keys.ts` writes it. */
const NULL_KEY = 'N';

/** Open addressing over keys of `width` 32-bit words, linear probing, at most half full. */
class WordTable {
  private keys: Int32Array;
  private ids: Int32Array;
  private mask: number;
  private count = 0;

  constructor(private readonly width: number) {
    this.mask = 1023;
    this.keys = new Int32Array(1024 * width);
    this.ids = new Int32Array(1024).fill(-1);
  }

  /** The id of the key at `words[at * width ..]`; `next()` makes one for a new key. */
  id(words: Int32Array, at: number, next: () => number): number {
    const w = this.width;
    const base = at * w;
    let h = 0x811c9dc5;
    for (let k = 0; k < w; k++) h = Math.imul(h ^ words[base + k], 0x9e3779b1);
    h ^= h >>> 15;
    let slot = h & this.mask;
    for (;;) {
      const id = this.ids[slot];
      if (id < 0) break;
      let eq = true;
      for (let k = 0; eq && k < w; k++) eq = this.keys[slot * w + k] === words[base + k];
      if (eq) return id;
      slot = (slot + 1) & this.mask;
    }
    const id = next();
    for (let k = 0; k < w; k++) this.keys[slot * w + k] = words[base + k];
    this.ids[slot] = id;
    if (++this.count * 2 > this.mask) this.grow();
    return id;
  }

  private grow(): void {
    const { keys, ids, width: w } = this;
    this.mask = this.mask * 2 + 1;
    this.keys = new Int32Array((this.mask + 1) * w);
    this.ids = new Int32Array(this.mask + 1).fill(-1);
    this.count = 0;
    for (let s = 0; s < ids.length; s++) if (ids[s] >= 0) this.id(keys, s, () => ids[s]);
  }
}

/**
 * Open addressing over byte strings (string keys, plain or dictionary
 * entries alike, so both encodings give one value one id): the bytes of
 * each key live in one growing arena.
 */
class BytesTable {
  private arena = new Uint8Array(1 << 16);
  private used = 0;
  private starts = new Int32Array(1024);
  private lengths = new Int32Array(1024);
  private hashes = new Int32Array(1024);
  private ids = new Int32Array(1024).fill(-1);
  private mask = 1023;
  private count = 0;

  /** The id of the string `bytes[start, end)`; `next()` makes one for a new string. */
  id(bytes: Uint8Array, start: number, end: number, next: () => number): number {
    let h = 0x811c9dc5;
    for (let k = start; k < end; k++) h = Math.imul(h ^ bytes[k], 0x01000193);
    const len = end - start;
    let slot = h & this.mask;
    for (;;) {
      const id = this.ids[slot];
      if (id < 0) break;
      if (this.hashes[slot] === h && this.lengths[slot] === len) {
        const a = this.arena;
        const at = this.starts[slot];
        let eq = true;
        for (let k = 0; eq && k < len; k++) eq = a[at + k] === bytes[start + k];
        if (eq) return id;
      }
      slot = (slot + 1) & this.mask;
    }
    if (this.used + len > this.arena.length) {
      const grown = new Uint8Array(Math.max(this.arena.length * 2, this.used + len));
      grown.set(this.arena.subarray(0, this.used));
      this.arena = grown;
    }
    this.arena.set(bytes.subarray(start, end), this.used);
    const id = next();
    this.place(slot, this.used, len, h, id);
    this.used += len;
    if (++this.count * 2 > this.mask) this.grow();
    return id;
  }

  private place(slot: number, at: number, len: number, h: number, id: number): void {
    this.starts[slot] = at;
    this.lengths[slot] = len;
    this.hashes[slot] = h;
    this.ids[slot] = id;
  }

  private grow(): void {
    const { starts, lengths, hashes, ids } = this;
    this.mask = this.mask * 2 + 1;
    this.starts = new Int32Array(this.mask + 1);
    this.lengths = new Int32Array(this.mask + 1);
    this.hashes = new Int32Array(this.mask + 1);
    this.ids = new Int32Array(this.mask + 1).fill(-1);
    for (let s = 0; s < ids.length; s++) {
      if (ids[s] < 0) continue;
      let slot = hashes[s] & this.mask;
      while (this.ids[slot] >= 0) slot = (slot + 1) & this.mask;
      this.place(slot, starts[s], lengths[s], hashes[s], ids[s]);
    }
  }
}

const WORDS: Partial<Record<VastType['kind'], number>> = {
  int64: 2,
  uint64: 2,
  time: 2,
  duration: 2,
  double: 2,
  port: 1,
  ip: 4,
};

/** The values of a fixed-width key column as 32-bit words (doubles with -0 as 0, ports widened). */
function wordsOf(data: A.Data, kind: VastType['kind'], n: number): Int32Array {
  if (kind === 'port') return Int32Array.from((data.values as Uint16Array).subarray(0, n));
  if (kind === 'double') {
    const v = Float64Array.from((data.values as Float64Array).subarray(0, n), (x) => (x === 0 ? 0 : x));
    return new Int32Array(v.buffer);
  }
  const v = data.values as ArrayBufferView;
  const bytes = n * (WORDS[kind] ?? 0) * 4;
  if (v.byteOffset % 4 === 0) return new Int32Array(v.buffer, v.byteOffset, bytes / 4);
  return new Int32Array(new Uint8Array(v.buffer, v.byteOffset, bytes).slice().buffer);
}

/** The validity bitmap of offset-free data, or null when every row is valid. */
const nullsOf = (d: A.Data): Uint8Array | null =>
  d.nullCount > 0 && d.nullBitmap && d.nullBitmap.length > 0 ? d.nullBitmap : null;

/** Value ids of one key position, stable across batches. */
class ValueIndex {
  private size = 0;
  private readonly byKey = new Map<string, number>();
  private readonly tables = new Map<string, WordTable>();
  /** Strings and enums (equal text, one group), plain or dictionary-encoded. */
  private readonly strings = new BytesTable();
  /** Per dictionary: the value id of each entry, -1 until seen. */
  private readonly entryIds = new WeakMap<A.Vector, Int32Array>();
  private readonly next = () => this.size++;

  private keyed(key: string): number {
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = this.size++;
      this.byKey.set(key, id);
    }
    return id;
  }

  /** The id of null, if a null was seen. */
  nullId(): number | undefined {
    return this.byKey.get(NULL_KEY);
  }

  /** Sets `out[i]` to the value id of row `i < n` of `data` (undefined: the schema lacks the key). */
  ids(data: A.Data | undefined, type: VastType | undefined, n: number, out: Int32Array): void {
    if (!data || !type) {
      out.fill(this.keyed(NULL_KEY), 0, n);
      return;
    }
    const width = WORDS[type.kind];
    if (isDictionaryData(data)) this.codeIds(data, n, out);
    else if (width !== undefined) {
      const nulls = nullsOf(data);
      let table = this.tables.get(type.kind);
      if (!table) {
        table = new WordTable(width);
        this.tables.set(type.kind, table);
      }
      const words = wordsOf(data, type.kind, n);
      // Ids go out in row order (groups appear in order of first appearance), nulls included.
      let nullId = -1;
      for (let i = 0; i < n; i++) {
        if (!nulls || nulls[i >> 3] & (1 << (i & 7))) out[i] = table.id(words, i, this.next);
        else {
          if (nullId < 0) nullId = this.keyed(NULL_KEY);
          out[i] = nullId;
        }
      }
    } else if (type.kind === 'string') {
      const nulls = nullsOf(data);
      const o = data.valueOffsets as Int32Array;
      const v = data.values as Uint8Array;
      let nullId = -1;
      for (let i = 0; i < n; i++) {
        if (!nulls || nulls[i >> 3] & (1 << (i & 7))) out[i] = this.strings.id(v, o[i], o[i + 1], this.next);
        else {
          if (nullId < 0) nullId = this.keyed(NULL_KEY);
          out[i] = nullId;
        }
      }
    } else {
      // Bools, subnets, records, lists, maps: their string keys (keys.ts).
      const key = keyEncoder(data, type);
      for (let i = 0; i < n; i++) out[i] = this.keyed(key(i));
    }
  }

  /** Enums and dictionary strings: one string key per dictionary entry, then a lookup per code. */
  private codeIds(data: A.Data, n: number, out: Int32Array): void {
    const dict = data.dictionary!;
    let ids = this.entryIds.get(dict);
    if (!ids) {
      ids = new Int32Array(dict.length).fill(-1);
      this.entryIds.set(dict, ids);
    }
    const entries = dictionaryEntries(dict);
    const eo = entries.valueOffsets as Int32Array;
    const ev = entries.values as Uint8Array;
    const codes = data.values as Int32Array | Int16Array;
    const nulls = nullsOf(data);
    let nullId = -1;
    for (let i = 0; i < n; i++) {
      if (nulls && !(nulls[i >> 3] & (1 << (i & 7)))) {
        if (nullId < 0) nullId = this.keyed(NULL_KEY);
        out[i] = nullId;
        continue;
      }
      const c = codes[i];
      let id = ids[c];
      if (id < 0) {
        id = this.strings.id(ev, eo[c], eo[c + 1], this.next);
        ids[c] = id;
      }
      out[i] = id;
    }
  }
}

/** Group ids of rows by their keys (one or more columns), across batches. */
export class GroupIndex {
  /** Groups so far; ids are `0..size-1`. */
  size = 0;
  private readonly values: ValueIndex[];
  private readonly tuples: WordTable | undefined;
  private scratch: Int32Array[] = [];
  private tuple = new Int32Array(0);
  private readonly next = () => this.size++;

  constructor(keys: number) {
    this.values = Array.from({ length: keys }, () => new ValueIndex());
    this.tuples = keys > 1 ? new WordTable(keys) : undefined;
  }

  /** The group whose only key is null or missing, if any (`top`, `rare` leave it out). */
  nullGroup(): number | undefined {
    return this.values.length === 1 ? this.values[0].nullId() : undefined;
  }

  /**
   * Sets `groups[i]` for rows `i < n`; `datas[j]`/`types[j]` is key column `j`
   * (offset-free), undefined where the schema lacks it. Returns the group
   * count before the batch: rows of new groups have ids at or above it.
   */
  assign(
    datas: readonly (A.Data | undefined)[],
    types: readonly (VastType | undefined)[],
    n: number,
    groups: Int32Array,
  ): number {
    const before = this.size;
    if (this.values.length === 0) {
      // No keys: one group of everything.
      groups.fill(0, 0, n);
      if (n > 0) this.size = 1;
      return before;
    }
    if (!this.tuples) {
      this.values[0].ids(datas[0], types[0], n, groups);
      // Value ids are group ids here; they grow in row order.
      for (let i = 0; i < n; i++) if (groups[i] >= this.size) this.size = groups[i] + 1;
      return before;
    }
    const k = this.values.length;
    if (this.tuple.length < n * k) this.tuple = new Int32Array(n * k);
    const tuple = this.tuple;
    this.values.forEach((v, j) => {
      if (!this.scratch[j] || this.scratch[j].length < n) this.scratch[j] = new Int32Array(n);
      const ids = this.scratch[j];
      v.ids(datas[j], types[j], n, ids);
      for (let i = 0; i < n; i++) tuple[i * k + j] = ids[i];
    });
    for (let i = 0; i < n; i++) groups[i] = this.tuples.id(tuple, i, this.next);
    return before;
  }
}
