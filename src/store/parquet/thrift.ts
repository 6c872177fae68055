/**
 * Thrift's compact protocol, the encoding of Parquet's footer and page
 * headers. Hand-written because it is small (a few hundred bytes per page
 * header, read on every column chunk a query touches) and no npm package
 * decodes it without code generation and per-field objects.
 *
 * Decoded structs are plain objects keyed by field id (`s[4]`), lists are
 * arrays, 64-bit integers are numbers (Parquet uses them for sizes, offsets and
 * counts, all far below 2^53), binaries are Uint8Array views of the input.
 */
import { CorruptionError } from '../errors.js';
import { ByteSink } from './bytes.js';

const T = {
  STOP: 0,
  TRUE: 1,
  FALSE: 2,
  BYTE: 3,
  I16: 4,
  I32: 5,
  I64: 6,
  DOUBLE: 7,
  BINARY: 8,
  LIST: 9,
  SET: 10,
  MAP: 11,
  STRUCT: 12,
} as const;

export type ThriftValue = number | boolean | Uint8Array | ThriftValue[] | ThriftStruct;
export interface ThriftStruct {
  [field: number]: ThriftValue;
}

/** Reads compact-protocol values from a byte array; errors name `file`. */
export class ThriftReader {
  pos: number;
  constructor(
    private readonly buf: Uint8Array,
    private readonly file: string,
    start = 0,
  ) {
    this.pos = start;
  }

  private fail(what: string): never {
    throw new CorruptionError(this.file, `bad Parquet metadata: ${what} at byte ${this.pos}`);
  }

  private byte(): number {
    if (this.pos >= this.buf.length) this.fail('unexpected end');
    return this.buf[this.pos++];
  }

  /** An unsigned varint, up to 2^53. */
  varint(): number {
    let out = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      out += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return out;
      mul *= 128;
    }
    return this.fail('varint too long');
  }

  zigzag(): number {
    const v = this.varint();
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }

  struct(): ThriftStruct {
    const out: ThriftStruct = {};
    let last = 0;
    for (;;) {
      const head = this.byte();
      const type = head & 0x0f;
      if (type === T.STOP) return out;
      const delta = head >> 4;
      const id = delta === 0 ? this.zigzag() : last + delta;
      last = id;
      out[id] = this.value(type);
    }
  }

  private value(type: number): ThriftValue {
    switch (type) {
      case T.TRUE:
        return true;
      case T.FALSE:
        return false;
      case T.BYTE:
        return (this.byte() << 24) >> 24;
      case T.I16:
      case T.I32:
      case T.I64:
        return this.zigzag();
      case T.DOUBLE: {
        if (this.pos + 8 > this.buf.length) this.fail('unexpected end');
        const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
        this.pos += 8;
        return v;
      }
      case T.BINARY: {
        const n = this.varint();
        if (this.pos + n > this.buf.length) this.fail('binary runs past the end');
        const v = this.buf.subarray(this.pos, this.pos + n);
        this.pos += n;
        return v;
      }
      case T.LIST:
      case T.SET: {
        const head = this.byte();
        const size = head >> 4 === 15 ? this.varint() : head >> 4;
        const elem = head & 0x0f;
        const out: ThriftValue[] = [];
        for (let i = 0; i < size; i++) {
          // Booleans inside lists are one byte each (1 true, 2 false), not a type nibble.
          out.push(elem === T.TRUE || elem === T.FALSE ? this.byte() === 1 : this.value(elem));
        }
        return out;
      }
      case T.STRUCT:
        return this.struct();
      default:
        return this.fail(`unknown type ${type}`);
    }
  }
}

/** Writes compact-protocol structs into a growing buffer. */
export class ThriftWriter {
  private readonly out = new ByteSink(256);
  private readonly lastIds: number[] = [];
  private lastId = 0;

  private byte(b: number): void {
    this.out.u8(b);
  }

  private varint(v: number): void {
    this.out.varint(v);
  }

  private zigzag(v: number): void {
    this.varint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  private header(id: number, type: number): void {
    const delta = id - this.lastId;
    if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
    else {
      this.byte(type);
      this.zigzag(id);
    }
    this.lastId = id;
  }

  i32(id: number, v: number | undefined): this {
    if (v === undefined) return this;
    this.header(id, T.I32);
    this.zigzag(v);
    return this;
  }

  i64(id: number, v: number | undefined): this {
    if (v === undefined) return this;
    this.header(id, T.I64);
    this.zigzag(v);
    return this;
  }

  bool(id: number, v: boolean | undefined): this {
    if (v === undefined) return this;
    this.header(id, v ? T.TRUE : T.FALSE);
    return this;
  }

  byteField(id: number, v: number): this {
    this.header(id, T.BYTE);
    this.byte(v & 0xff);
    return this;
  }

  binary(id: number, v: Uint8Array | string | undefined): this {
    if (v === undefined) return this;
    this.header(id, T.BINARY);
    this.rawBinary(typeof v === 'string' ? new TextEncoder().encode(v) : v);
    return this;
  }

  private rawBinary(v: Uint8Array): void {
    this.varint(v.length);
    this.out.bytes(v);
  }

  /** A nested struct field; `body` writes its fields. */
  struct(id: number, body: (w: this) => void): this {
    this.header(id, T.STRUCT);
    this.inner(body);
    return this;
  }

  private inner(body: (w: this) => void): void {
    this.lastIds.push(this.lastId);
    this.lastId = 0;
    body(this);
    this.byte(T.STOP);
    this.lastId = this.lastIds.pop() ?? 0;
  }

  private listHeader(id: number, elem: number, size: number): void {
    this.header(id, T.LIST);
    if (size < 15) this.byte((size << 4) | elem);
    else {
      this.byte(0xf0 | elem);
      this.varint(size);
    }
  }

  structList<V>(id: number, items: readonly V[], body: (w: this, item: V) => void): this {
    this.listHeader(id, T.STRUCT, items.length);
    for (const item of items) this.inner((w) => body(w, item));
    return this;
  }

  i32List(id: number, items: readonly number[]): this {
    this.listHeader(id, T.I32, items.length);
    for (const v of items) this.zigzag(v);
    return this;
  }

  stringList(id: number, items: readonly string[]): this {
    this.listHeader(id, T.BINARY, items.length);
    for (const v of items) this.rawBinary(new TextEncoder().encode(v));
    return this;
  }

  /** Ends the top-level struct and returns its bytes. */
  finish(): Uint8Array {
    this.byte(T.STOP);
    return this.out.view();
  }
}
