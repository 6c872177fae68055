/**
 * Hash-set kernels: the matching engine for threat intel (a million
 * indicators) and for long `x in [a, b, ...]` lists. `IpSet` holds exact
 * addresses and networks, `StringSet` byte strings (optionally case-folded,
 * optionally matching subdomains); both report every (row, id) hit of an
 * Arrow column without making a JS value per row.
 *
 * Columns are read the way the other kernels read them: an ip column is
 * FixedSizeBinary(16) whose values arrow-js slices with the Data (`r * 16`),
 * a Utf8 column has sliced offsets, a dictionary column sliced codes, a list
 * sliced offsets into an unsliced child; validity bitmaps are never sliced
 * (`col.offset + r`).
 */
import * as A from 'apache-arrow';
import { dictionaryEntries, isDictionaryData } from '../../types/dictionary-strings.js';
import { validBit } from './bitmap.js';
import type { Kernel } from './kernel.js';

type Emit = (row: number, id: number) => void;

/** murmur3's 32-bit finalizer: spreads every input bit over the low bits used as slot index. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Bytes 8..11 of a v4-mapped address (`::ffff:a.b.c.d`) as a word of the platform's order. */
const V4_WORD = new Int32Array(Uint8Array.of(0, 0, 0xff, 0xff).buffer)[0];

const hash4 = (a: number, b: number, c: number, d: number) =>
  fmix(Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77) ^ Math.imul(c, 0xc2b2ae3d) ^ d);

function grown(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const out = new Int32Array(Math.max(n, a.length * 2));
  out.set(a);
  return out;
}

/** Copies 16 bytes (an address) without the subarray object a `set` would need. */
function copy16(b: Uint8Array, o: number, to: Uint8Array): void {
  for (let i = 0; i < 16; i++) to[i] = b[o + i];
}

/** Adds entry `e` to a hit buffer unless present (a list row's elements may hit one entry twice). */
function pushUnique(buf: Int32Array, n: number, e: number): number {
  for (let k = 0; k < n; k++) if (buf[k] === e) return n;
  buf[n] = e;
  return n + 1;
}

/**
 * One prefix length's networks: 5 words a slot, the masked key's 4 words and
 * the first entry of its chain (-1: empty slot), so that a probe touches one
 * cache line.
 */
interface NetTable {
  readonly length: number;
  readonly mask: Int32Array;
  slots: Int32Array;
  /** Slot count - 1 (a power of two). */
  capMask: number;
  count: number;
  /**
   * For big tables, 2 bits of 8 per key in one word (a blocked Bloom filter
   * that stays in cache): most misses never touch the slots, whose random
   * reads cost a cache and TLB miss each.
   */
  bloom: Uint32Array | undefined;
}

/** Tables of this many keys and more get a Bloom filter. */
const BLOOM_MIN = 1 << 15;

const W = 5;

function emptySlots(cap: number): Int32Array {
  const a = new Int32Array(cap * W);
  for (let i = 4; i < a.length; i += W) a[i] = -1;
  return a;
}

function netTable(length: number, cap: number): NetTable {
  const bytes = new Uint8Array(16);
  bytes.fill(0xff, 0, length >> 3);
  if (length & 7) bytes[length >> 3] = (0xff << (8 - (length & 7))) & 0xff;
  return {
    length,
    mask: new Int32Array(bytes.buffer),
    slots: emptySlots(cap),
    capMask: cap - 1,
    count: 0,
    bloom: undefined,
  };
}

/**
 * Exact addresses and networks, each with an integer id (an indicator). An
 * address may match several entries (an exact ip and the /16 and /8 that
 * contain it): each is reported. One open-addressing table per distinct
 * prefix length (exact addresses are length 128); a lookup masks the address
 * once per length and probes. An IPv4 address probes only the tables that
 * hold a network overlapping its /16 (a 64Ki-entry filter of table bits,
 * rebuilt on the first lookup after an add), so a thousand subnets of many
 * lengths cost about one probe more than none.
 */
export class IpSet {
  /** Most specific first. */
  private tables: NetTable[] = [];
  private entId = new Int32Array(16);
  private entNext = new Int32Array(16);
  private entries = 0;
  /** Entries hit by the current lookup (and list row). */
  private hits = new Int32Array(16);
  private readonly tmp = new Uint8Array(16);
  private readonly tmpWords = new Int32Array(this.tmp.buffer);
  /** Per IPv4 /16: bit i set when table i (< 32) may hold a network containing an address of it. */
  private v4Filter: Uint32Array | undefined;
  private dirty = true;
  /** The table of the previous add (intel feeds come sorted by kind). */
  private last: NetTable | undefined;

  /**
   * bytes: 16 bytes network order (v4-mapped for IPv4); prefix: 0..128 on the
   * 128-bit scale (an IPv4 /24 is 96+24=120; an exact address 128). Host bits
   * beyond prefix are ignored. Adding the same (network, prefix) twice with
   * different ids keeps both ids.
   */
  add(bytes: Uint8Array, prefix: number, id: number): void {
    if (!(prefix >= 0 && prefix <= 128) || !Number.isInteger(prefix))
      throw new RangeError(`prefix ${prefix}`);
    if (bytes.length < 16) throw new RangeError('an address is 16 bytes');
    let t = this.last !== undefined && this.last.length === prefix ? this.last : undefined;
    t ??= this.tables.find((x) => x.length === prefix);
    if (!t) {
      t = netTable(prefix, 16);
      this.tables.push(t);
      this.tables.sort((a, b) => b.length - a.length);
    }
    this.last = t;
    if ((t.count + 1) * 2 > t.capMask + 1) this.rehash(t);
    this.dirty = true;
    copy16(bytes, 0, this.tmp);
    const w = this.tmpWords;
    const m = t.mask;
    const k0 = w[0] & m[0];
    const k1 = w[1] & m[1];
    const k2 = w[2] & m[2];
    const k3 = w[3] & m[3];
    const a = t.slots;
    for (let s = hash4(k0, k1, k2, k3) & t.capMask; ; s = (s + 1) & t.capMask) {
      const o = s * W;
      const h = a[o + 4];
      if (h < 0) {
        a[o] = k0;
        a[o + 1] = k1;
        a[o + 2] = k2;
        a[o + 3] = k3;
        t.count++;
        a[o + 4] = this.newEntry(id, -1);
        return;
      }
      if (a[o] === k0 && a[o + 1] === k1 && a[o + 2] === k2 && a[o + 3] === k3) {
        a[o + 4] = this.newEntry(id, h);
        return;
      }
    }
  }

  /**
   * Makes room for `n` more addresses of one prefix length up front (a feed
   * of a million addresses would otherwise rehash its table twenty times).
   */
  reserve(prefix: number, n: number): void {
    let t = this.tables.find((x) => x.length === prefix);
    if (!t) {
      t = netTable(prefix, 16);
      this.tables.push(t);
      this.tables.sort((a, b) => b.length - a.length);
    }
    let cap = t.capMask + 1;
    while ((t.count + n) * 2 > cap) cap *= 2;
    if (cap > t.capMask + 1) this.rehash(t, cap);
    if (this.entries + n > this.entId.length) {
      this.entId = grown(this.entId, this.entries + n);
      this.entNext = grown(this.entNext, this.entries + n);
    }
  }

  get size(): number {
    return this.entries;
  }

  /** Approximate bytes of memory held (for `vast intel show`). */
  memoryBytes(): number {
    let n = this.entId.byteLength + this.entNext.byteLength + this.hits.byteLength + 64;
    n += this.v4Filter ? this.v4Filter.byteLength : 0;
    for (const t of this.tables) n += t.slots.byteLength + (t.bloom ? t.bloom.byteLength : 0) + 64;
    return n;
  }

  /**
   * For every valid row of an ip column (plain 16-byte values, or a list<ip>
   * column: rows whose any element matches — report the row), calls
   * emit(row, id) for each matching entry. rows are relative to col.offset.
   */
  match(col: A.Data, rows: number, emit: Emit): void {
    if (this.entries === 0) return;
    if (col.typeId === A.Type.List) {
      this.matchList(col, rows, emit);
      return;
    }
    const b = col.values as Uint8Array;
    const bm = col.nullBitmap;
    const nulls = col.nullCount;
    const aligned = b.byteOffset % 4 === 0;
    const w = aligned ? new Int32Array(b.buffer, b.byteOffset, rows * 4) : this.tmpWords;
    for (let r = 0; r < rows; r++) {
      if (nulls !== 0 && !validBit(bm, nulls, col.offset + r)) continue;
      let n: number;
      if (aligned) n = this.lookup(w, r * 4, b, r * 16);
      else {
        copy16(b, r * 16, this.tmp);
        n = this.lookup(w, 0, this.tmp, 0);
      }
      for (let k = 0; k < n; k++) emit(r, this.entId[this.hits[k]]);
    }
  }

  /** Whether any entry contains the 16 bytes at b[o..o+16). */
  has(b: Uint8Array, o: number): boolean {
    copy16(b, o, this.tmp);
    return this.lookup(this.tmpWords, 0, this.tmp, 0) > 0;
  }

  private matchList(col: A.Data, rows: number, emit: Emit): void {
    const lo = col.valueOffsets as Int32Array;
    const child = col.children[0];
    const b = child.values as Uint8Array;
    let buf = new Int32Array(16);
    for (let r = 0; r < rows; r++) {
      if (!validBit(col.nullBitmap, col.nullCount, col.offset + r)) continue;
      let n = 0;
      for (let k = lo[r]; k < lo[r + 1]; k++) {
        if (!validBit(child.nullBitmap, child.nullCount, child.offset + k)) continue;
        copy16(b, k * 16, this.tmp);
        const m = this.lookup(this.tmpWords, 0, this.tmp, 0);
        if (n + m > buf.length) buf = grown(buf, n + m);
        for (let i = 0; i < m; i++) n = pushUnique(buf, n, this.hits[i]);
      }
      for (let k = 0; k < n; k++) emit(r, this.entId[buf[k]]);
    }
  }

  /**
   * Collects the entries containing the address `w[o..o+4)` (the same 16
   * bytes as `b[bo..bo+16)`) into `hits`; returns their count.
   */
  private lookup(w: Int32Array, o: number, b: Uint8Array, bo: number): number {
    if (this.dirty) this.buildFilter();
    const a0 = w[o];
    const a1 = w[o + 1];
    const a2 = w[o + 2];
    const a3 = w[o + 3];
    let n = 0;
    const tables = this.tables;
    if (a0 === 0 && a1 === 0 && a2 === V4_WORD) {
      for (let m = this.v4Filter![(b[bo + 12] << 8) | b[bo + 13]]; m !== 0; ) {
        const low = m & -m;
        n = this.probe(tables[31 - Math.clz32(low)], a0, a1, a2, a3, n);
        m ^= low;
      }
      for (let i = 32; i < tables.length; i++) n = this.probe(tables[i], a0, a1, a2, a3, n);
    } else for (let i = 0; i < tables.length; i++) n = this.probe(tables[i], a0, a1, a2, a3, n);
    return n;
  }

  /** Appends the entries of table t containing the address (a0..a3) to `hits`. */
  private probe(t: NetTable, a0: number, a1: number, a2: number, a3: number, n: number): number {
    const m = t.mask;
    const k0 = a0 & m[0];
    const k1 = a1 & m[1];
    const k2 = a2 & m[2];
    const k3 = a3 & m[3];
    const hash = hash4(k0, k1, k2, k3);
    const bloom = t.bloom;
    if (bloom !== undefined) {
      const bits = (1 << (hash >>> 27)) | (1 << ((hash >>> 22) & 31));
      if ((bloom[hash & (bloom.length - 1)] & bits) !== bits) return n;
    }
    const a = t.slots;
    const capMask = t.capMask;
    for (let s = hash & capMask; ; s = (s + 1) & capMask) {
      const q = s * W;
      const h = a[q + 4];
      if (h < 0) return n;
      if (a[q + 3] === k3 && a[q + 2] === k2 && a[q] === k0 && a[q + 1] === k1) {
        for (let e = h; e >= 0; e = this.entNext[e]) {
          if (n === this.hits.length) this.hits = grown(this.hits, n + 1);
          this.hits[n++] = e;
        }
        return n;
      }
    }
  }

  /** Rebuilds `v4Filter` from the tables (their order changes when a new length is added). */
  private buildFilter(): void {
    const f = this.v4Filter ?? new Uint32Array(65536);
    f.fill(0);
    const tables = this.tables;
    for (const t of tables) {
      t.bloom = undefined;
      if (t.count < BLOOM_MIN) continue;
      let words = 1;
      while (words * 4 < t.count) words *= 2;
      const bloom = new Uint32Array(words);
      const a = t.slots;
      for (let q = 0; q < a.length; q += W) {
        if (a[q + 4] < 0) continue;
        const hash = hash4(a[q], a[q + 1], a[q + 2], a[q + 3]);
        bloom[hash & (words - 1)] |= (1 << (hash >>> 27)) | (1 << ((hash >>> 22) & 31));
      }
      t.bloom = bloom;
    }
    // Not `tmp`: the address being looked up may be there.
    const word = new Int32Array(1);
    const bytes = new Uint8Array(word.buffer);
    for (let i = 0; i < Math.min(32, tables.length); i++) {
      const t = tables[i];
      const bit = 1 << i;
      if (t.length < 96) {
        // A network shorter than the v4-mapped prefix holds all of IPv4 or none of it.
        if (this.probe(t, 0, 0, V4_WORD, 0, 0) > 0) for (let j = 0; j < f.length; j++) f[j] |= bit;
        continue;
      }
      const span = t.length >= 112 ? 1 : 1 << (112 - t.length);
      const a = t.slots;
      for (let q = 0; q < a.length; q += W) {
        if (a[q + 4] < 0 || a[q] !== 0 || a[q + 1] !== 0 || a[q + 2] !== V4_WORD) continue;
        word[0] = a[q + 3];
        const first = (bytes[0] << 8) | bytes[1];
        for (let j = 0; j < span; j++) f[first + j] |= bit;
      }
    }
    this.v4Filter = f;
    this.dirty = false;
  }

  private newEntry(id: number, next: number): number {
    if (this.entries === this.entId.length) {
      this.entId = grown(this.entId, this.entries + 1);
      this.entNext = grown(this.entNext, this.entries + 1);
    }
    this.entId[this.entries] = id;
    this.entNext[this.entries] = next;
    return this.entries++;
  }

  private rehash(t: NetTable, cap = (t.capMask + 1) * 2): void {
    const old = t.slots;
    const a = emptySlots(cap);
    const capMask = cap - 1;
    for (let o = 0; o < old.length; o += W) {
      if (old[o + 4] < 0) continue;
      let s = hash4(old[o], old[o + 1], old[o + 2], old[o + 3]) & capMask;
      while (a[s * W + 4] >= 0) s = (s + 1) & capMask;
      a.set(old.subarray(o, o + W), s * W);
    }
    t.slots = a;
    t.capMask = capMask;
  }
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
const DOT = 0x2e;
const encoder = new TextEncoder();
const IDENTITY = Uint8Array.from({ length: 256 }, (_, c) => c);
const FOLD = IDENTITY.map((c) => (c >= 65 && c <= 90 ? c | 32 : c));

/** Per dictionary entry, the set entries it matches (CSR), for the set's version. */
interface DictionaryHits {
  readonly version: number;
  readonly start: Int32Array;
  readonly entries: Int32Array;
}

/**
 * Byte strings with ids; optional ASCII case folding; optional suffix
 * (subdomain) entries: an entry added with `subdomains: true` for
 * 'evil.example' also matches 'a.b.evil.example' (label boundary: the byte
 * before the suffix is '.'), not 'notevil.example'. A value with one trailing
 * dot (an FQDN, 'a.evil.example.') matches subdomain entries as without it;
 * exact entries compare the bytes as they are.
 *
 * Hashes are FNV-1a over the bytes from last to first, so one backward pass
 * over a value yields the hash of each of its '.'-boundary suffixes.
 */
export class StringSet {
  /** Byte → the byte hashed and compared: ASCII lower case when case-insensitive, else identity. */
  private readonly map: Uint8Array;
  private arena = new Uint8Array(256);
  private arenaUsed = 0;
  // Distinct keys.
  private keyOff = new Int32Array(16);
  private keyLen = new Int32Array(16);
  private keyHash = new Int32Array(16);
  private keyHead = new Int32Array(16);
  /** 1 when some entry of the key matches subdomains. */
  private keySub = new Uint8Array(16);
  private keys = 0;
  // Entries: chains of ids per key.
  private entId = new Int32Array(16);
  private entNext = new Int32Array(16);
  private entSub = new Uint8Array(16);
  private entries = 0;
  private subEntries = 0;
  /** Two words a slot: key index + 1 (0: empty) and the key's hash, compared before the key is read. */
  private slots = new Int32Array(64);
  /** A blocked Bloom filter of the keys (2 bits in one word, 4 bits a slot): misses stay in cache. */
  private bloom = new Uint32Array(4);
  private hits = new Int32Array(16);
  private version = 0;
  private readonly byDictionary = new WeakMap<A.Vector, DictionaryHits>();

  constructor(opts?: { caseInsensitive?: boolean }) {
    this.map = opts?.caseInsensitive === true ? FOLD : IDENTITY;
  }

  add(value: string, id: number, opts?: { subdomains?: boolean }): void {
    const sub = opts?.subdomains === true;
    let bytes = encoder.encode(value);
    if (sub && bytes.length > 1 && bytes[bytes.length - 1] === DOT)
      bytes = bytes.subarray(0, bytes.length - 1);
    for (let i = 0; i < bytes.length; i++) bytes[i] = this.map[bytes[i]];
    this.version++;
    let h = FNV_OFFSET;
    for (let i = bytes.length - 1; i >= 0; i--) h = Math.imul(h ^ bytes[i], FNV_PRIME);
    let key = this.findKey(h, bytes, 0, bytes.length);
    if (key < 0) key = this.newKey(h, bytes);
    if (this.entries === this.entId.length) {
      this.entId = grown(this.entId, this.entries + 1);
      this.entNext = grown(this.entNext, this.entries + 1);
      const s = new Uint8Array(this.entId.length);
      s.set(this.entSub);
      this.entSub = s;
    }
    const e = this.entries++;
    this.entId[e] = id;
    this.entSub[e] = sub ? 1 : 0;
    this.entNext[e] = this.keyHead[key];
    this.keyHead[key] = e;
    if (sub) {
      this.keySub[key] = 1;
      this.subEntries++;
    }
  }

  get size(): number {
    return this.entries;
  }

  memoryBytes(): number {
    return (
      this.arena.byteLength +
      this.keyOff.byteLength * 4 +
      this.keySub.byteLength +
      this.entId.byteLength * 2 +
      this.entSub.byteLength +
      this.slots.byteLength +
      this.bloom.byteLength +
      this.hits.byteLength +
      128
    );
  }

  /**
   * Over a Utf8 column, a dictionary-encoded one (each dictionary entry tested
   * once per dictionary vector, then per row by code), or a list<string>
   * column (reports the row), calls emit(row, id) for every match.
   */
  match(col: A.Data, rows: number, emit: Emit): void {
    if (this.entries === 0) return;
    if (col.typeId === A.Type.List) {
      this.matchList(col, rows, emit);
      return;
    }
    if (isDictionaryData(col)) {
      const d = this.dictionaryHits(col.dictionary!);
      const codes = col.values as Int32Array;
      for (let r = 0; r < rows; r++) {
        if (!validBit(col.nullBitmap, col.nullCount, col.offset + r)) continue;
        const c = codes[r];
        for (let k = d.start[c]; k < d.start[c + 1]; k++) emit(r, this.entId[d.entries[k]]);
      }
      return;
    }
    const o = col.valueOffsets as Int32Array;
    const b = col.values as Uint8Array;
    const bm = col.nullBitmap;
    const nulls = col.nullCount;
    for (let r = 0; r < rows; r++) {
      if (nulls !== 0 && !validBit(bm, nulls, col.offset + r)) continue;
      const n = this.lookup(b, o[r], o[r + 1]);
      for (let k = 0; k < n; k++) emit(r, this.entId[this.hits[k]]);
    }
  }

  has(value: string): boolean {
    const b = encoder.encode(value);
    return this.lookup(b, 0, b.length) > 0;
  }

  private matchList(col: A.Data, rows: number, emit: Emit): void {
    const lo = col.valueOffsets as Int32Array;
    const child = col.children[0];
    const dict = isDictionaryData(child) ? this.dictionaryHits(child.dictionary!) : undefined;
    const co = child.valueOffsets as Int32Array;
    const cb = child.values as Uint8Array;
    const codes = child.values as Int32Array;
    let buf = new Int32Array(16);
    for (let r = 0; r < rows; r++) {
      if (!validBit(col.nullBitmap, col.nullCount, col.offset + r)) continue;
      let n = 0;
      for (let k = lo[r]; k < lo[r + 1]; k++) {
        if (!validBit(child.nullBitmap, child.nullCount, child.offset + k)) continue;
        if (dict) {
          const c = codes[k];
          const m = dict.start[c + 1] - dict.start[c];
          if (n + m > buf.length) buf = grown(buf, n + m);
          for (let i = dict.start[c]; i < dict.start[c + 1]; i++) n = pushUnique(buf, n, dict.entries[i]);
        } else {
          const m = this.lookup(cb, co[k], co[k + 1]);
          if (n + m > buf.length) buf = grown(buf, n + m);
          for (let i = 0; i < m; i++) n = pushUnique(buf, n, this.hits[i]);
        }
      }
      for (let k = 0; k < n; k++) emit(r, this.entId[buf[k]]);
    }
  }

  private dictionaryHits(dict: A.Vector): DictionaryHits {
    const cached = this.byDictionary.get(dict);
    if (cached && cached.version === this.version) return cached;
    const entries = dictionaryEntries(dict);
    const o = entries.valueOffsets as Int32Array;
    const b = entries.values as Uint8Array;
    const start = new Int32Array(entries.length + 1);
    let hit = new Int32Array(16);
    let total = 0;
    for (let i = 0; i < entries.length; i++) {
      const n = this.lookup(b, o[i], o[i + 1]);
      if (total + n > hit.length) hit = grown(hit, total + n);
      for (let k = 0; k < n; k++) hit[total++] = this.hits[k];
      start[i + 1] = total;
    }
    const out = { version: this.version, start, entries: hit.slice(0, total) };
    this.byDictionary.set(dict, out);
    return out;
  }

  /** Collects the entries matching the bytes b[s..e) into `hits`; returns their count. */
  private lookup(b: Uint8Array, s: number, e: number): number {
    let n = 0;
    const map = this.map;
    let h = FNV_OFFSET;
    if (this.subEntries === 0) {
      for (let i = e - 1; i >= s; i--) h = Math.imul(h ^ map[b[i]], FNV_PRIME);
      const key = this.findKey(h, b, s, e);
      return key < 0 ? 0 : this.collect(key, false, 0);
    }
    for (let i = e - 1; i >= s; i--) {
      const c = b[i];
      // h is the hash of b[i+1..e): a suffix at a label boundary.
      if (c === DOT && i + 1 < e) n = this.suffix(h, b, i + 1, e, n);
      h = Math.imul(h ^ map[c], FNV_PRIME);
    }
    const key = this.findKey(h, b, s, e);
    if (key >= 0) n = this.collect(key, false, n);
    // An FQDN's trailing dot: subdomain entries match as without it.
    if (e - s > 1 && b[e - 1] === DOT) {
      const before = n;
      h = FNV_OFFSET;
      for (let i = e - 2; i >= s; i--) {
        const c = b[i];
        if (c === DOT && i + 1 < e - 1) n = this.suffix(h, b, i + 1, e - 1, n);
        h = Math.imul(h ^ map[c], FNV_PRIME);
      }
      n = this.suffix(h, b, s, e - 1, n);
      // The subdomain key '.' matched 'x..' in both passes: report each entry once.
      let m = before;
      for (let k = before; k < n; k++) {
        const x = this.hits[k];
        let seen = false;
        for (let j = 0; !seen && j < before; j++) seen = this.hits[j] === x;
        if (!seen) this.hits[m++] = x;
      }
      n = m;
    }
    return n;
  }

  /** Appends the subdomain entries of the key b[s..e) (hash h) to `hits`. */
  private suffix(h: number, b: Uint8Array, s: number, e: number, n: number): number {
    const key = this.findKey(h, b, s, e);
    return key >= 0 && this.keySub[key] ? this.collect(key, true, n) : n;
  }

  private collect(key: number, subOnly: boolean, n: number): number {
    for (let x = this.keyHead[key]; x >= 0; x = this.entNext[x]) {
      if (subOnly && !this.entSub[x]) continue;
      if (n === this.hits.length) this.hits = grown(this.hits, n + 1);
      this.hits[n++] = x;
    }
    return n;
  }

  /** The key with the bytes b[s..e) (mapped by `map`), or -1. */
  private findKey(h: number, b: Uint8Array, s: number, e: number): number {
    const slots = this.slots;
    const capMask = (slots.length >> 1) - 1;
    const len = e - s;
    const arena = this.arena;
    const f = fmix(h);
    const bits = (1 << (f >>> 27)) | (1 << ((f >>> 22) & 31));
    if ((this.bloom[f & (this.bloom.length - 1)] & bits) !== bits) return -1;
    for (let x = f & capMask; ; x = (x + 1) & capMask) {
      const k = slots[2 * x] - 1;
      if (k < 0) return -1;
      if (slots[2 * x + 1] !== h || this.keyLen[k] !== len) continue;
      const ko = this.keyOff[k];
      const map = this.map;
      let i = 0;
      while (i < len && map[b[s + i]] === arena[ko + i]) i++;
      if (i === len) return k;
    }
  }

  private newKey(h: number, bytes: Uint8Array): number {
    if (this.keys === this.keyOff.length) {
      const n = this.keys + 1;
      this.keyOff = grown(this.keyOff, n);
      this.keyLen = grown(this.keyLen, n);
      this.keyHash = grown(this.keyHash, n);
      this.keyHead = grown(this.keyHead, n);
      const s = new Uint8Array(this.keyOff.length);
      s.set(this.keySub);
      this.keySub = s;
    }
    if (this.arenaUsed + bytes.length > this.arena.length) {
      const a = new Uint8Array(Math.max(this.arena.length * 2, this.arenaUsed + bytes.length));
      a.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = a;
    }
    const k = this.keys++;
    this.arena.set(bytes, this.arenaUsed);
    this.keyOff[k] = this.arenaUsed;
    this.keyLen[k] = bytes.length;
    this.keyHash[k] = h;
    this.keyHead[k] = -1;
    this.keySub[k] = 0;
    this.arenaUsed += bytes.length;
    if (this.keys * 4 > this.slots.length) {
      this.slots = new Int32Array(this.slots.length * 2);
      this.bloom = new Uint32Array(this.slots.length >> 4);
      for (let i = 0; i < this.keys; i++) this.place(i);
    } else this.place(k);
    return k;
  }

  private place(k: number): void {
    const capMask = (this.slots.length >> 1) - 1;
    const f = fmix(this.keyHash[k]);
    this.bloom[f & (this.bloom.length - 1)] |= (1 << (f >>> 27)) | (1 << ((f >>> 22) & 31));
    let x = f & capMask;
    while (this.slots[2 * x] !== 0) x = (x + 1) & capMask;
    this.slots[2 * x] = k + 1;
    this.slots[2 * x + 1] = this.keyHash[k];
  }
}

/** Rows with any match (negate: rows with none; null rows never set). */
function setKernel(set: { match(col: A.Data, rows: number, emit: Emit): void }, negate: boolean): Kernel {
  return (col, rows, out) => {
    const acc = negate ? new Uint8Array(out.length) : out;
    set.match(col, rows, (r) => {
      acc[r >> 3] |= 1 << (r & 7);
    });
    if (!negate) return;
    for (let r = 0; r < rows; r++)
      if (!(acc[r >> 3] & (1 << (r & 7))) && validBit(col.nullBitmap, col.nullCount, col.offset + r))
        out[r >> 3] |= 1 << (r & 7);
  };
}

/** A boolean kernel for the query compiler: rows whose address (or any list element) is in the set. */
export function ipSetKernel(set: IpSet, negate: boolean): Kernel {
  return setKernel(set, negate);
}

/** A boolean kernel for the query compiler: rows whose string (or any list element) is in the set. */
export function stringSetKernel(set: StringSet, negate: boolean): Kernel {
  return setKernel(set, negate);
}
