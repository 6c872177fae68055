/**
 * Decodes one column chunk: its pages (dictionary, DATA_PAGE v1 and v2) into
 * repetition and definition levels and the dense non-null values, in the
 * physical type's byte layout (see `decode-values.ts`). Assembling rows from
 * these is `assemble.ts`'s job.
 *
 * Spec: https://github.com/apache/parquet-format (README "Data Pages", "Nested Encoding").
 */
import zstd from 'zstd-napi';
import {
  ByteValues,
  byteStreamSplit,
  deltaBinaryPacked,
  deltaBytes,
  deltaLengthBytes,
  dictionaryIndices,
  FixedValues,
  gatherBytes,
  gatherFixed,
  plainBoolean,
  plainBytes,
  plainFixed,
  rleBoolean,
} from './decode-values.js';
import {
  Codec,
  DataPageHeader,
  DataPageHeaderV2,
  DictionaryPageHeader,
  Encoding,
  PageHeader,
  PageType,
  PhysicalType,
} from './format.js';
import { bitWidth, decodeHybrid } from './rle.js';
import { ThriftReader, type ThriftStruct } from './thrift.js';

/** BYTE_ARRAY values that were all dictionary-encoded: one code per non-null value. */
export interface DictValues {
  readonly kind: 'dict';
  readonly count: number;
  readonly codes: Int32Array;
  readonly dict: ByteValues;
}

export interface DecodedChunk {
  /** Level entries (the chunk's num_values): one per row for flat columns. */
  readonly levels: number;
  /** Definition levels, one per entry; undefined when the column's max is 0. */
  readonly def: Uint8Array | undefined;
  /** Repetition levels, one per entry; undefined when the column's max is 0. */
  readonly rep: Uint8Array | undefined;
  /** The non-null values, in order. */
  readonly values: FixedValues | ByteValues | DictValues;
}

export interface ChunkSpec {
  physical: number;
  typeLength: number;
  codec: number;
  numValues: number;
  /** The chunk's size once decompressed, if the footer says: room for its strings in one allocation. */
  uncompressedBytes?: number;
  maxDef: number;
  maxRep: number;
}

/** A footer's uncompressed size is trusted for a first allocation up to this; past it, buffers grow as needed. */
const MAX_BYTES_HINT = 256 * 1024 * 1024;

/** Bytes per value of each fixed-width physical type (BOOLEAN decoded one byte per value). */
function physicalWidth(physical: number, typeLength: number): number {
  switch (physical) {
    case PhysicalType.BOOLEAN:
      return 1;
    case PhysicalType.INT32:
    case PhysicalType.FLOAT:
      return 4;
    case PhysicalType.INT64:
    case PhysicalType.DOUBLE:
      return 8;
    case PhysicalType.INT96:
      return 12;
    case PhysicalType.FIXED_LEN_BYTE_ARRAY:
      return typeLength;
    default:
      return 0;
  }
}

export const codecName = (codec: number): string =>
  Object.entries(Codec).find(([, v]) => v === codec)?.[0] ?? `#${codec}`;

const encodingName = (e: number): string => Object.entries(Encoding).find(([, v]) => v === e)?.[0] ?? `#${e}`;

function int(s: ThriftStruct | undefined, id: number, what: string): number {
  const v = s?.[id];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Error(`page header lacks ${what}`);
  return v;
}

function sub(s: ThriftStruct, id: number, what: string): ThriftStruct {
  const v = s[id];
  if (typeof v !== 'object' || v instanceof Uint8Array || Array.isArray(v))
    throw new Error(`page header lacks ${what}`);
  return v;
}

function decompress(codec: number, body: Uint8Array, size: number): Uint8Array {
  if (codec === Codec.UNCOMPRESSED) return body;
  let out: Uint8Array;
  try {
    out = zstd.decompress(body);
  } catch (e) {
    throw new Error(`zstd: ${(e as Error).message}`);
  }
  if (out.length !== size)
    throw new Error(`page decompressed to ${out.length} bytes, its header says ${size}`);
  return out;
}

/** Levels of a v1 page: a 4-byte length, then the hybrid. Returns the position after them. */
function levelsV1(
  buf: Uint8Array,
  pos: number,
  max: number,
  n: number,
  out: Uint8Array,
  what: string,
): number {
  if (pos + 4 > buf.length) throw new Error(`${what} levels run past the end of the page`);
  const len = (buf[pos] | (buf[pos + 1] << 8) | (buf[pos + 2] << 16) | (buf[pos + 3] << 24)) >>> 0;
  if (pos + 4 + len > buf.length) throw new Error(`${what} levels run past the end of the page`);
  decodeHybrid(buf, pos + 4, pos + 4 + len, bitWidth(max), n, out);
  return pos + 4 + len;
}

/** Checks levels against their maximum; returns how many equal it. */
function checkLevels(levels: Uint8Array, max: number, what: string): number {
  let full = 0;
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i];
    if (l > max) throw new Error(`${what} level ${l} is above the maximum ${max}`);
    if (l === max) full++;
  }
  return full;
}

/** Decodes every page of a column chunk's bytes; throws Error on malformed input. */
export function decodeChunk(buf: Uint8Array, spec: ChunkSpec, file: string): DecodedChunk {
  const { physical, numValues, maxDef, maxRep, codec } = spec;
  const width = physicalWidth(physical, spec.typeLength);
  const isBytes = physical === PhysicalType.BYTE_ARRAY;
  if (!isBytes && width <= 0) throw new Error(`unknown physical type ${physical}`);
  const def = maxDef > 0 ? new Uint8Array(numValues) : undefined;
  const rep = maxRep > 0 ? new Uint8Array(numValues) : undefined;
  const fixed = isBytes ? undefined : new FixedValues(width, numValues);
  const hint = Math.min(MAX_BYTES_HINT, Math.max(buf.length, spec.uncompressedBytes ?? 0));
  const bytes = isBytes ? new ByteValues(numValues, hint) : undefined;
  let dict: FixedValues | ByteValues | undefined;
  // Byte arrays stay codes while every page is dictionary-encoded (the common case), and
  // turn into plain bytes at the first page that is not (a writer's fallback mid-chunk).
  let codes: Int32Array | undefined;
  let codeCount = 0;
  let plainSeen = false;
  const toPlain = () => {
    if (codes && bytes && dict) gatherBytes(dict as ByteValues, codes, codeCount, bytes);
    codes = undefined;
    plainSeen = true;
  };
  let levels = 0;
  let pos = 0;

  const values = (page: Uint8Array, p: number, n: number, encoding: number) => {
    switch (encoding) {
      case Encoding.PLAIN:
        if (bytes) {
          toPlain();
          plainBytes(page, p, page.length, n, bytes);
        } else if (physical === PhysicalType.BOOLEAN) plainBoolean(page, p, page.length, n, fixed!);
        else plainFixed(page, p, page.length, n, fixed!);
        return;
      case Encoding.PLAIN_DICTIONARY:
      case Encoding.RLE_DICTIONARY: {
        if (!dict) throw new Error('dictionary-encoded page without a dictionary page');
        if (bytes && !plainSeen) {
          codes ??= new Int32Array(numValues);
          if (codeCount + n > numValues) throw new Error('more values than the column chunk metadata says');
          dictionaryIndices(page, p, page.length, n, dict.count, codes.subarray(codeCount, codeCount + n));
          codeCount += n;
          return;
        }
        const tmp = new Int32Array(n);
        dictionaryIndices(page, p, page.length, n, dict.count, tmp);
        if (bytes) gatherBytes(dict as ByteValues, tmp, n, bytes);
        else gatherFixed(dict as FixedValues, tmp, n, fixed!);
        return;
      }
      case Encoding.RLE:
        if (physical !== PhysicalType.BOOLEAN) break;
        rleBoolean(page, p, page.length, n, fixed!);
        return;
      case Encoding.DELTA_BINARY_PACKED: {
        if (physical !== PhysicalType.INT32 && physical !== PhysicalType.INT64) break;
        const at = fixed!.reserve(n);
        const words = new Uint32Array(fixed!.bytes.buffer);
        deltaBinaryPacked(page, p, page.length, n, words, at >> 2, physical === PhysicalType.INT64);
        fixed!.count += n;
        return;
      }
      case Encoding.DELTA_LENGTH_BYTE_ARRAY:
        if (!bytes) break;
        toPlain();
        deltaLengthBytes(page, p, page.length, n, bytes);
        return;
      case Encoding.DELTA_BYTE_ARRAY:
        if (!bytes) break;
        toPlain();
        deltaBytes(page, p, page.length, n, bytes);
        return;
      case Encoding.BYTE_STREAM_SPLIT:
        if (!fixed || physical === PhysicalType.BOOLEAN) break;
        byteStreamSplit(page, p, page.length, n, fixed);
        return;
    }
    throw new Error(`unsupported encoding ${encodingName(encoding)} for physical type ${physical}`);
  };

  while (levels < numValues) {
    if (pos >= buf.length) throw new Error(`column chunk ends after ${levels} of ${numValues} values`);
    const r = new ThriftReader(buf, file, pos);
    const header = r.struct();
    pos = r.pos;
    const type = int(header, PageHeader.type, 'type');
    const csize = int(header, PageHeader.compressed_page_size, 'compressed_page_size');
    const usize = int(header, PageHeader.uncompressed_page_size, 'uncompressed_page_size');
    if (csize < 0 || usize < 0 || pos + csize > buf.length)
      throw new Error(`page of ${csize} bytes at byte ${pos} does not fit in the column chunk`);
    const body = buf.subarray(pos, pos + csize);
    pos += csize;
    if (type === PageType.DICTIONARY_PAGE) {
      const h = sub(header, PageHeader.dictionary_page_header, 'dictionary_page_header');
      const n = int(h, DictionaryPageHeader.num_values, 'dictionary num_values');
      const enc = h[DictionaryPageHeader.encoding];
      if (enc !== undefined && enc !== Encoding.PLAIN && enc !== Encoding.PLAIN_DICTIONARY)
        throw new Error(`unsupported dictionary encoding ${encodingName(enc as number)}`);
      const page = decompress(codec, body, usize);
      // Entries are at least one bit (booleans) or four bytes (byte arrays): bounds the allocation.
      if (n < 0 || n > page.length * 8)
        throw new Error(`dictionary of ${n} entries in a page of ${page.length} bytes`);
      // A second dictionary (not in the spec, but cheap to allow) ends the codes of the first.
      if (dict) toPlain();
      if (bytes) {
        const d = new ByteValues(n, page.length);
        plainBytes(page, 0, page.length, n, d);
        dict = d;
      } else {
        const d = new FixedValues(width, n);
        if (physical === PhysicalType.BOOLEAN) plainBoolean(page, 0, page.length, n, d);
        else plainFixed(page, 0, page.length, n, d);
        dict = d;
      }
      continue;
    }
    if (type !== PageType.DATA_PAGE && type !== PageType.DATA_PAGE_V2) continue; // index pages
    const v2 = type === PageType.DATA_PAGE_V2;
    const h = v2
      ? sub(header, PageHeader.data_page_header_v2, 'data_page_header_v2')
      : sub(header, PageHeader.data_page_header, 'data_page_header');
    const n = int(h, v2 ? DataPageHeaderV2.num_values : DataPageHeader.num_values, 'num_values');
    const encoding = int(h, v2 ? DataPageHeaderV2.encoding : DataPageHeader.encoding, 'encoding');
    if (n < 0 || levels + n > numValues)
      throw new Error(`pages hold more than the ${numValues} values the column chunk metadata says`);
    const repOut = rep?.subarray(levels, levels + n);
    const defOut = def?.subarray(levels, levels + n);
    let page: Uint8Array;
    let p = 0;
    if (v2) {
      const rl = int(h, DataPageHeaderV2.repetition_levels_byte_length, 'repetition_levels_byte_length');
      const dl = int(h, DataPageHeaderV2.definition_levels_byte_length, 'definition_levels_byte_length');
      if (rl < 0 || dl < 0 || rl + dl > body.length)
        throw new Error('page levels run past the end of the page');
      if (repOut) decodeHybrid(body, 0, rl, bitWidth(maxRep), n, repOut);
      if (defOut) decodeHybrid(body, rl, rl + dl, bitWidth(maxDef), n, defOut);
      const compressed = h[DataPageHeaderV2.is_compressed] !== false;
      page = compressed ? decompress(codec, body.subarray(rl + dl), usize - rl - dl) : body.subarray(rl + dl);
    } else {
      page = decompress(codec, body, usize);
      if (repOut) p = levelsV1(page, p, maxRep, n, repOut, 'repetition');
      if (defOut) p = levelsV1(page, p, maxDef, n, defOut, 'definition');
    }
    if (repOut) checkLevels(repOut, maxRep, 'repetition');
    const present = defOut ? checkLevels(defOut, maxDef, 'definition') : n;
    values(page, p, present, encoding);
    levels += n;
  }
  if (rep && numValues > 0 && rep[0] !== 0) throw new Error('the first repetition level is not 0');
  let out: FixedValues | ByteValues | DictValues;
  if (fixed) out = fixed;
  else if (codes && dict) out = { kind: 'dict', count: codeCount, codes, dict: dict as ByteValues };
  else out = bytes!;
  return { levels, def, rep, values: out };
}
