/**
 * Hash keys of values, for grouping (`summarize`, `top`, `rare`), `distinct`
 * and `unique`.
 *
 * A key is a compact JS string made straight from the Arrow buffers: each
 * value writes a type tag and its bytes (8 for a 64-bit value, 16 for an ip,
 * a length and the UTF-8 bytes for a string) into a scratch buffer, and the
 * buffer becomes one latin1 string. Every encoding is self-delimiting, so the
 * keys of several columns concatenate into the key of the tuple.
 *
 * Why strings: a JS `Map` hashes strings natively and keeps no object per
 * entry beyond the key itself, while any structured key (arrays, objects)
 * would need our own hashing and equality on top. Latin1 strings are stored
 * with one byte per character, and making one costs one native call; that
 * string is the only per-row allocation on the grouping hot path.
 *
 * Strings and enums share a tag, so `"tcp"` groups with the enum `tcp` of
 * another schema; other types never compare equal (int64 `5` and uint64 `5`
 * are different keys). Doubles are keyed with -0 as 0.
 */
import type * as A from 'apache-arrow';
import { dictionaryBytes } from '../types/dictionary.js';
import type { VastType } from '../types/type.js';

/** A growable scratch buffer that key writers append to. */
export class KeyBuffer {
  buf = Buffer.alloc(256);
  len = 0;

  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  /** Bytes `src[start, end)`. */
  bytes(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.reserve(n);
    if (n < 24) {
      // inline the following for performance: short copies dominate, and set() on a subarray costs more.
      const buf = this.buf;
      let o = this.len;
      for (let i = start; i < end; i++) buf[o++] = src[i];
    } else this.buf.set(src.subarray(start, end), this.len);
    this.len += n;
  }

  length(n: number): void {
    this.reserve(4);
    this.buf.writeUInt32LE(n, this.len);
    this.len += 4;
  }

  /** The key written so far, as a string; then starts over. */
  take(): string {
    const s = latin1(this.buf, this.len);
    this.len = 0;
    return s;
  }
}

type Latin1Buffer = Buffer & { latin1Slice?: (start: number, end: number) => string };

/** `buf.latin1Slice` is what `toString('latin1')` calls, without its argument checks (twice as fast). */
function latin1(buf: Latin1Buffer, len: number): string {
  return buf.latin1Slice ? buf.latin1Slice(0, len) : buf.toString('latin1', 0, len);
}

/** Appends the key of row `i` (relative to the offset-free data it was made for). */
export type KeyWriter = (i: number, out: KeyBuffer) => void;
/** Returns the key of row `i`. */
export type KeyAt = (i: number) => string;

const NULL = 0x4e; // 'N'
const TAG = {
  bool: 0x62,
  int64: 0x69,
  uint64: 0x75,
  time: 0x74,
  duration: 0x64,
  double: 0x66,
  port: 0x70,
  string: 0x73,
  ip: 0x61,
  subnet: 0x6e,
  list: 0x6c,
  record: 0x72,
} as const;

function bytesOf(values: ArrayBufferView): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** The key writer of a column; made once per batch and column. */
export function keyWriter(data: A.Data, type: VastType): KeyWriter {
  const value = valueWriter(data, type);
  const nulls = data.nullCount > 0 ? data.nullBitmap : undefined;
  if (!nulls || nulls.length === 0) return value;
  return (i, out) => {
    if (nulls[i >> 3] & (1 << (i & 7))) value(i, out);
    else out.byte(NULL);
  };
}

const enumKeys = new WeakMap<A.Vector, string[]>();
const BOOL_KEYS: readonly string[] = [String.fromCharCode(TAG.bool, 0), String.fromCharCode(TAG.bool, 1)];

/**
 * The key function of a column (one writer and buffer of its own). Enums and
 * bools look their keys up in a table instead, so they allocate nothing.
 */
export function keyEncoder(data: A.Data, type: VastType): KeyAt {
  const table =
    type.kind === 'enum' ? enumKeyTable(data.dictionary!) : type.kind === 'bool' ? BOOL_KEYS : undefined;
  if (table) {
    const nulls = data.nullCount > 0 ? data.nullBitmap : undefined;
    const codes = type.kind === 'enum' ? (data.values as Int16Array) : undefined;
    const bits = data.values as Uint8Array;
    const nullKey = String.fromCharCode(NULL);
    const code = codes ? (i: number) => codes[i] : (i: number) => (bits[i >> 3] & (1 << (i & 7)) ? 1 : 0);
    if (!nulls || nulls.length === 0) return (i) => table[code(i)];
    return (i) => (nulls[i >> 3] & (1 << (i & 7)) ? table[code(i)] : nullKey);
  }
  const write = keyWriter(data, type);
  const out = new KeyBuffer();
  return (i) => {
    write(i, out);
    return out.take();
  };
}

/** The keys of an enum's dictionary entries, once per dictionary. */
function enumKeyTable(dict: A.Vector): string[] {
  let table = enumKeys.get(dict);
  if (!table) {
    const out = new KeyBuffer();
    const bytes = dictionaryBytes(dict);
    table = bytes.map((b) => {
      out.byte(TAG.string);
      out.length(b.length);
      out.bytes(b, 0, b.length);
      return out.take();
    });
    enumKeys.set(dict, table);
  }
  return table;
}

function fixedWriter(tag: number, values: ArrayBufferView, width: number): KeyWriter {
  const b = bytesOf(values);
  return (i, out) => {
    out.reserve(width + 1);
    const buf = out.buf;
    let o = out.len;
    buf[o++] = tag;
    for (let k = i * width, e = k + width; k < e; k++) buf[o++] = b[k];
    out.len = o;
  };
}

function valueWriter(data: A.Data, type: VastType): KeyWriter {
  switch (type.kind) {
    case 'bool': {
      const bits = data.values as Uint8Array;
      return (i, out) => {
        out.byte(TAG.bool);
        out.byte(bits[i >> 3] & (1 << (i & 7)) ? 1 : 0);
      };
    }
    case 'int64':
    case 'uint64':
    case 'time':
    case 'duration':
      return fixedWriter(TAG[type.kind], data.values as BigInt64Array, 8);
    case 'double': {
      const v = data.values as Float64Array;
      const scratch = new Float64Array(1);
      const write = fixedWriter(TAG.double, scratch, 8);
      return (i, out) => {
        scratch[0] = v[i] === 0 ? 0 : v[i];
        write(0, out);
      };
    }
    case 'port':
      return fixedWriter(TAG.port, data.values as Uint16Array, 2);
    case 'ip':
      return fixedWriter(TAG.ip, data.values as Uint8Array, 16);
    case 'string': {
      const o = data.valueOffsets as Int32Array;
      const bytes = data.values as Uint8Array;
      return (i, out) => {
        out.byte(TAG.string);
        out.length(o[i + 1] - o[i]);
        out.bytes(bytes, o[i], o[i + 1]);
      };
    }
    case 'enum': {
      const dict = dictionaryBytes(data.dictionary!);
      const keys = data.values as Int16Array;
      return (i, out) => {
        const b = dict[keys[i]];
        out.byte(TAG.string);
        out.length(b.length);
        out.bytes(b, 0, b.length);
      };
    }
    case 'subnet': {
      const addr = fixedWriter(TAG.subnet, data.children[0].values as Uint8Array, 16);
      const len = data.children[1].values as Uint8Array;
      return (i, out) => {
        addr(i, out);
        out.byte(len[i]);
      };
    }
    case 'list':
    case 'map': {
      const o = data.valueOffsets as Int32Array;
      const element: VastType =
        type.kind === 'list'
          ? type.element
          : {
              kind: 'record',
              fields: [
                { name: 'key', type: type.key },
                { name: 'value', type: type.value },
              ],
            };
      const item = keyWriter(data.children[0], element);
      return (i, out) => {
        out.byte(TAG.list);
        out.length(o[i + 1] - o[i]);
        for (let k = o[i]; k < o[i + 1]; k++) item(k, out);
      };
    }
    case 'record': {
      const parts = type.fields.map((f, k) => keyWriter(data.children[k], f.type));
      return (i, out) => {
        out.byte(TAG.record);
        for (const p of parts) p(i, out);
      };
    }
  }
}
