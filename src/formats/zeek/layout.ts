/**
 * The per-header parse plan of the Zeek reader: for every `#fields` column
 * the leaf builder it appends to and a small integer saying how to parse it,
 * chosen once per header rather than once per value.
 */
import { BatchBuilder } from '../../types/batch-builder.js';
import { type ColumnBuilder, ListBuilder } from '../../types/builder.js';
import { leaves, type Schema, type VastType } from '../../types/type.js';
import type { HeaderColumn } from './header.js';

/** Decimal seconds scaled to nanoseconds (`time`, `interval`). */
export const P_SECONDS = 0;
/** Decimal integers, signed (`int`) and unsigned (`count`). */
export const P_INT = 1;
export const P_COUNT = 10;
export const P_DOUBLE = 2;
export const P_ADDR = 3;
export const P_SUBNET = 4;
export const P_PORT = 5;
export const P_BOOL = 6;
export const P_STRING = 7;
export const P_ENUM = 8;
/** `set[T]`, `vector[T]`, `table[T]`: elements are parsed with the element's code. */
export const P_LIST = 9;

/** The parse code for a value of type `t`. */
function parseCode(t: VastType): number {
  switch (t.kind) {
    case 'time':
    case 'duration':
      return P_SECONDS;
    case 'int64':
      return P_INT;
    case 'uint64':
      return P_COUNT;
    case 'double':
      return P_DOUBLE;
    case 'ip':
      return P_ADDR;
    case 'subnet':
      return P_SUBNET;
    case 'port':
      return P_PORT;
    case 'bool':
      return P_BOOL;
    case 'string':
      return P_STRING;
    case 'enum':
      return P_ENUM;
    case 'list':
      return P_LIST;
    case 'record':
    case 'map':
      // Zeek headers never produce these (see vastTypeOfZeek).
      throw new Error(`no Zeek parse routine for ${t.kind}`);
  }
}

const utf8 = new TextDecoder();

/**
 * Remembers the strings of recent enum values by their bytes, so that the
 * common case (`tcp`, `udp`, `icmp`) costs a byte comparison, not a decode.
 */
export class EnumCache {
  private readonly bytes: Uint8Array[] = [];
  private readonly strings: string[] = [];
  get(b: Uint8Array, s: number, e: number): string {
    const n = e - s;
    outer: for (let k = 0; k < this.bytes.length; k++) {
      const c = this.bytes[k];
      if (c.length !== n) continue;
      for (let i = 0; i < n; i++) if (c[i] !== b[s + i]) continue outer;
      return this.strings[k];
    }
    const text = utf8.decode(b.subarray(s, e));
    if (this.bytes.length < 64) {
      this.bytes.push(b.slice(s, e));
      this.strings.push(text);
    }
    return text;
  }
}

/** How to parse the data lines of one header into one batch builder. */
export class Layout {
  readonly builder: BatchBuilder;
  /** Per `#fields` column: the leaf builder (a ListBuilder for containers). */
  readonly cols: ColumnBuilder[];
  /** Per column: the parse code (`P_*`). */
  readonly codes: Uint8Array;
  /** Per column: the element parse code of containers (else equal to `codes`). */
  readonly elementCodes: Uint8Array;
  /** Per column: where values go, the element builder for containers, else the column builder. */
  readonly targets: ColumnBuilder[];
  readonly enums: (EnumCache | undefined)[];
  readonly columns: readonly HeaderColumn[];

  constructor(schema: Schema, columns: readonly HeaderColumn[]) {
    this.builder = new BatchBuilder(schema);
    this.columns = columns;
    // unflatten() groups `a.x, b, a.y` into one record `a`, so leaf order may differ from column order.
    const leafIndex = new Map(leaves(schema.type).map((l, i) => [l.path, i]));
    this.cols = columns.map((c) => this.builder.leaves[leafIndex.get(c.name)!]);
    this.codes = Uint8Array.from(columns.map((c) => parseCode(c.type)));
    this.elementCodes = Uint8Array.from(
      columns.map((c) => (c.type.kind === 'list' ? parseCode(c.type.element) : parseCode(c.type))),
    );
    this.targets = this.cols.map((b) => (b instanceof ListBuilder ? b.child : b));
    this.enums = columns.map((c) =>
      c.type.kind === 'enum' || (c.type.kind === 'list' && c.type.element.kind === 'enum')
        ? new EnumCache()
        : undefined,
    );
  }

  get width(): number {
    return this.cols.length;
  }
}
