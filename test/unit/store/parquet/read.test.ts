/**
 * The Parquet reader of store v2 on files DuckDB writes (v1 and v2 data
 * pages, every encoding DuckDB uses, zstd and uncompressed), each value
 * compared with what DuckDB itself reads from the same file; then the
 * column selection (which byte ranges are read), and broken files.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import * as A from 'apache-arrow';
import type * as Parquet from 'parquet-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorruptionError } from '../../../../src/store/errors.js';
import { ByteSink } from '../../../../src/store/parquet/bytes.js';
import * as F from '../../../../src/store/parquet/format.js';
import { ParquetFile, type PositionedSource } from '../../../../src/store/parquet/read.js';
import { decodeHybrid, encodeHybrid } from '../../../../src/store/parquet/rle.js';
import { ThriftWriter } from '../../../../src/store/parquet/thrift.js';
import { DICTIONARY_STRING_KEY } from '../../../../src/types/arrow.js';
import { basic, type RecordType, type Schema, type VastType } from '../../../../src/types/type.js';

let dir: string;
let c: DuckDBConnection;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vast-parquet-read-'));
  const { DuckDBInstance } = await import('@duckdb/node-api');
  c = await (await DuckDBInstance.create(':memory:')).connect();
});

afterAll(() => {
  c?.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

const layoutOf = (name: string, fields: Record<string, VastType>): Schema => ({
  name,
  type: { kind: 'record', fields: Object.entries(fields).map(([n, type]) => ({ name: n, type })) },
});

let files = 0;
/** Writes `sql`'s rows to a new Parquet file with DuckDB; returns its path. */
async function write(sql: string, options = 'COMPRESSION zstd'): Promise<string> {
  const path = join(dir, `f${files++}.parquet`);
  await c.run(`COPY (${sql}) TO '${path}' (FORMAT parquet, ${options})`);
  return path;
}

/** An in-memory source that records the byte ranges asked for. */
class MemorySource implements PositionedSource {
  reads: [number, number][] = [];
  constructor(readonly bytes: Uint8Array) {}
  async read(buffer: Uint8Array, offset: number, length: number, position: number) {
    this.reads.push([position, length]);
    const n = Math.max(0, Math.min(length, this.bytes.length - position));
    buffer.set(this.bytes.subarray(position, position + n), offset);
    return { bytesRead: n };
  }
}

async function openPath(path: string, layout?: Schema): Promise<ParquetFile> {
  const bytes = new Uint8Array(readFileSync(path));
  return ParquetFile.open(new MemorySource(bytes), bytes.length, path, layout);
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The value at row `i` of `d`, read from the buffers (timestamps as bigint ns, ips as hex). */
function valueAt(d: A.Data, i: number): unknown {
  const j = d.offset + i;
  if (d.nullCount > 0 && d.nullBitmap && !(d.nullBitmap[j >> 3] & (1 << (j & 7)))) return null;
  switch (d.typeId) {
    case A.Type.Bool:
      return ((d.values as Uint8Array)[j >> 3] & (1 << (j & 7))) !== 0;
    case A.Type.Int:
    case A.Type.Float:
    case A.Type.Timestamp:
      return d.values[j];
    case A.Type.Utf8: {
      const o = d.valueOffsets as Int32Array;
      return Buffer.from((d.values as Uint8Array).subarray(o[j], o[j + 1])).toString('utf8');
    }
    case A.Type.FixedSizeBinary:
      return hex((d.values as Uint8Array).subarray(16 * j, 16 * j + 16));
    case A.Type.Dictionary:
      return valueAt(d.dictionary!.data[0], d.values[j]);
    case A.Type.Struct:
      return Object.fromEntries(
        (d.type as A.Struct).children.map((f: A.Field, k: number) => [f.name, valueAt(d.children[k], j)]),
      );
    case A.Type.List:
    case A.Type.Map: {
      const o = d.valueOffsets as Int32Array;
      const out: unknown[] = [];
      for (let k = o[j]; k < o[j + 1]; k++) out.push(valueAt(d.children[0], k));
      return out;
    }
    default:
      throw new Error(`no test reader for ${d.type}`);
  }
}

/** Every row of every row group, as arrays in field order. */
async function rowsOf(pf: ParquetFile, opts: { plainStrings?: boolean } = {}): Promise<unknown[][]> {
  const out: unknown[][] = [];
  for (let g = 0; g < pf.rowGroups.length; g++) {
    const b = await pf.readRowGroup(g, undefined, opts);
    expect(b.numRows).toBe(pf.rowGroups[g].rows);
    for (let i = 0; i < b.numRows; i++) out.push(b.data.children.map((d) => valueAt(d, i)));
  }
  return out;
}

/** What DuckDB reads from `path`, in the shape `valueAt` gives. */
async function duck(path: string, columns: string): Promise<unknown[][]> {
  const rows = (await c.runAndReadAll(`select ${columns} from read_parquet('${path}')`)).getRowsJS();
  const norm = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(norm);
    if (v && typeof v === 'object' && !(v instanceof Date))
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]));
    return v ?? null;
  };
  return rows.map((r) => r.map(norm));
}

const ipHex = (col: string) => `replace(${col}::VARCHAR, '-', '')`;

// Flat columns of every type, nulls in each at a different period, values at the edges.
const FLAT_SQL = `
  select
    case when i % 7 = 0 then null when i = 1 then -9223372036854775808 when i = 2 then 9223372036854775807
         else (hash(i) >> 1)::BIGINT * (case when i % 2 = 0 then 1 else -1 end) end as a,
    case when i % 10 = 3 then null else i * 1000000007 end as seq,
    case when i % 11 = 0 then null when i = 3 then 18446744073709551615 else hash(i) end as u,
    case when i % 13 = 0 then null else (i * 7 % 65536)::USMALLINT end as p,
    case when i % 5 = 0 then null when i = 4 then 'nan'::DOUBLE when i = 6 then -0.0 else i / 7.0 end as d,
    case when i % 17 = 0 then null else i % 3 = 0 end as b,
    case when i % 19 = 0 then null else 'proto' || (i % 5) end as s_low,
    case when i % 23 = 0 then null else md5(i::VARCHAR) end as s_high,
    case when i % 29 = 0 then null else make_timestamp_ns(1577836800000000000 + i * 1234567891) end as t,
    case when i % 31 = 0 then null else ('00000000-0000-0000-0000-ffff' || printf('%08x', i * 2654435761 % 4294967296))::UUID end as ip
  from range(5000) t(i)`;
const FLAT_LAYOUT = layoutOf('test.flat', {
  a: basic('int64'),
  seq: basic('int64'),
  u: basic('uint64'),
  p: basic('port'),
  d: basic('double'),
  b: basic('bool'),
  s_low: basic('string'),
  s_high: basic('string'),
  t: basic('time'),
  ip: basic('ip'),
});
const FLAT_DUCK = `a, seq, u, p, d, b, s_low, s_high, epoch_ns(t) as t, ${ipHex('ip')} as ip`;

async function encodings(path: string): Promise<string[]> {
  const rows = (
    await c.runAndReadAll(`select distinct encodings from parquet_metadata('${path}')`)
  ).getRowsJS();
  return rows.flatMap((r) => String(r[0]).split(', ')).sort();
}

describe('ParquetFile on DuckDB files', () => {
  for (const [label, options, expected] of [
    ['v1 pages, zstd', 'COMPRESSION zstd, ROW_GROUP_SIZE 2048', ['PLAIN', 'PLAIN_DICTIONARY']],
    [
      'v2 pages, zstd',
      'COMPRESSION zstd, ROW_GROUP_SIZE 2048, PARQUET_VERSION V2',
      ['BYTE_STREAM_SPLIT', 'DELTA_BINARY_PACKED', 'DELTA_LENGTH_BYTE_ARRAY', 'RLE_DICTIONARY'],
    ],
    ['v1 pages, uncompressed', 'COMPRESSION uncompressed, ROW_GROUP_SIZE 2048', ['PLAIN']],
    ['v2 pages, uncompressed', 'COMPRESSION uncompressed, PARQUET_VERSION V2', ['DELTA_BINARY_PACKED']],
  ] as const) {
    it(`decodes every flat type as DuckDB does (${label})`, async () => {
      const path = await write(FLAT_SQL, options);
      const used = await encodings(path);
      for (const e of expected) expect(used).toContain(e);
      const pf = await openPath(path, FLAT_LAYOUT);
      expect(pf.numRows).toBe(5000);
      if (options.includes('2048')) expect(pf.rowGroups.length).toBeGreaterThan(1);
      expect(await rowsOf(pf)).toEqual(await duck(path, FLAT_DUCK));
    });
  }

  it('hands out dictionary-encoded strings as Dictionary<Int32, Utf8> unless asked for plain strings', async () => {
    const path = await write(FLAT_SQL);
    const pf = await openPath(path, FLAT_LAYOUT);
    const b = await pf.readRowGroup(0);
    const low = b.schema.fields[6];
    expect(A.DataType.isDictionary(low.type)).toBe(true);
    expect((low.type as A.Dictionary).indices.bitWidth).toBe(32);
    expect(low.metadata.get(DICTIONARY_STRING_KEY)).toBe('true');
    expect(b.data.children[6].values).toBeInstanceOf(Int32Array);
    expect(b.data.children[6].dictionary!.nullCount).toBe(0);
    // High cardinality: DuckDB writes it plain, so it stays Utf8.
    expect(A.DataType.isUtf8(b.schema.fields[7].type)).toBe(true);
    const plain = await pf.readRowGroup(0, undefined, { plainStrings: true });
    expect(A.DataType.isUtf8(plain.schema.fields[6].type)).toBe(true);
    expect(plain.schema.fields.map(String)).toEqual(pf.arrowSchema.fields.map(String));
    // The flat fast path hands out the typed arrays the kernels expect.
    expect(b.data.children[0].values).toBeInstanceOf(BigInt64Array);
    expect(b.data.children[2].values).toBeInstanceOf(BigUint64Array);
    expect(b.data.children[3].values).toBeInstanceOf(Uint16Array);
    expect(b.data.children[8].values).toBeInstanceOf(BigInt64Array);
  });

  it('hands out dictionary strings in records too, but not in lists', async () => {
    const path = await write(
      `select {'k': 'v' || (i % 3), 'n': i} as r, ['w' || (i % 2)] as l from range(100) t(i)`,
    );
    const pf = await openPath(
      path,
      layoutOf('test.dict', {
        r: {
          kind: 'record',
          fields: [
            { name: 'k', type: basic('string') },
            { name: 'n', type: basic('int64') },
          ],
        },
        l: { kind: 'list', element: basic('string') },
      }),
    );
    const b = await pf.readRowGroup(0);
    const k = (b.schema.fields[0].type as A.Struct).children[0];
    expect(k.metadata.get(DICTIONARY_STRING_KEY)).toBe('true');
    expect(b.data.children[0].children[0].type).toBe(k.type);
    expect(A.DataType.isUtf8((b.schema.fields[1].type as A.List).children[0].type)).toBe(true);
    expect(valueAt(b.data.children[0], 4)).toEqual({ k: 'v1', n: 4n });
    // Batches of one file share the dictionary-string fields.
    expect((await pf.readRowGroup(0)).schema.fields[0].type.children[0]).toBe(k);
    const plain = await pf.readRowGroup(0, undefined, { plainStrings: true });
    expect(A.DataType.isUtf8((plain.schema.fields[0].type as A.Struct).children[0].type)).toBe(true);
  });

  for (const [distinct, encoding] of [
    [50, 'DICTIONARY'],
    [3000, 'PLAIN'],
  ] as const) {
    it(`reads enums from ${encoding} pages`, async () => {
      const path = await write(
        `select case when i % 4 = 0 then null else md5((i % ${distinct})::VARCHAR) end as e from range(3000) t(i)`,
      );
      expect((await encodings(path)).join()).toContain(encoding);
      const pf = await openPath(path, layoutOf('test.enum', { e: { kind: 'enum' } }));
      const want = await duck(path, 'e');
      expect(await rowsOf(pf)).toEqual(want);
      const d = (await pf.readRowGroup(0)).data.children[0];
      expect(d.values).toBeInstanceOf(Int16Array);
      expect(d.dictionary!.length).toBe(new Set(want.map((r) => r[0]).filter((x) => x)).size);
    });
  }

  it('uses the layout the file carries, and scales coarser timestamps to nanoseconds', async () => {
    const layout = layoutOf('test.own', {
      p: basic('port'),
      t: { kind: 'time', alias: 'timestamp' },
      us: basic('time'),
      ms: basic('time'),
    });
    const path = await write(
      `select 80::USMALLINT as p, make_timestamp_ns(1500000000123456789) as t,
        make_timestamp(1500000000123456) as us, epoch_ms(1500000000123) as ms`,
      `COMPRESSION zstd, KV_METADATA {'vast.layout': '${JSON.stringify(layout)}', 'vast.schema': 'test.own'}`,
    );
    const pf = await openPath(path, layoutOf('test.wrong', { p: basic('int64') }));
    expect(pf.schema).toEqual(layout);
    expect(pf.metadata.has('vast.layout')).toBe(false);
    expect(await rowsOf(pf)).toEqual([
      [80, 1500000000123456789n, 1500000000123456000n, 1500000000123000000n],
    ]);
  });

  const NESTED_SQL = `
    select
      case when i % 5 = 0 then null else {'x': case when i % 3 = 0 then null else i end, 'y': 'y' || i} end as r,
      case when i % 7 = 0 then null when i % 7 = 1 then []::BIGINT[]
           else [i, null, i * 2][1:(i % 4)] end as l,
      case when i % 6 = 0 then null
           else [{'a': i, 'b': case when i % 4 = 0 then null else 'b' || i end}, null][1:(i % 3)] end as ls,
      case when i % 9 = 0 then null else MAP {'k' || i: i, 'z': null} end as m,
      case when i % 8 = 0 then null
           else [[i], [], null, [null, i]][1:(i % 5)] end as ll,
      case when i % 4 = 0 then null
           else {'address': ('00000000-0000-0000-0000-ffff0a0000' || printf('%02x', i % 256))::UUID,
                 'length': (8 + i % 25)::UTINYINT} end as sn,
      case when i % 10 = 0 then null else ['tcp', 'udp', 'icmp'][1 + i % 3] end as e
    from range(3000) t(i)`;
  const NESTED_LAYOUT = layoutOf('test.nested', {
    r: {
      kind: 'record',
      fields: [
        { name: 'x', type: basic('int64') },
        { name: 'y', type: basic('string') },
      ],
    },
    l: { kind: 'list', element: basic('int64') },
    ls: {
      kind: 'list',
      element: {
        kind: 'record',
        fields: [
          { name: 'a', type: basic('int64') },
          { name: 'b', type: basic('string') },
        ],
      },
    },
    m: { kind: 'map', key: basic('string'), value: basic('int64') },
    ll: { kind: 'list', element: { kind: 'list', element: basic('int64') } },
    sn: basic('subnet'),
    e: { kind: 'enum' },
  });
  const NESTED_DUCK = `r, l, ls, map_entries(m) as m, ll,
    case when sn is null then null else {'address': ${ipHex('sn.address')}, 'length': sn.length} end as sn, e`;

  for (const options of ['COMPRESSION zstd, ROW_GROUP_SIZE 1024', 'COMPRESSION zstd, PARQUET_VERSION V2']) {
    it(`assembles records, lists, lists of records, maps, nested lists and subnets (${options})`, async () => {
      const path = await write(NESTED_SQL, options);
      const pf = await openPath(path, NESTED_LAYOUT);
      const got = await rowsOf(pf);
      const want = (await duck(path, NESTED_DUCK)).map((r) => {
        // DuckDB gives map entries as {key, value}; a subnet's length as a number.
        return r;
      });
      expect(got).toEqual(want);
      const b = await pf.readRowGroup(0);
      expect(A.DataType.isDictionary(b.schema.fields[6].type)).toBe(true);
      expect((b.schema.fields[6].type as A.Dictionary).indices.bitWidth).toBe(16);
      // A null record and a record with a null member differ.
      expect(valueAt(b.data.children[0], 0)).toBeNull();
      expect(valueAt(b.data.children[0], 3)).toEqual({ x: null, y: 'y3' });
    });
  }

  it('derives VAST types when neither the file nor the caller has a layout', async () => {
    const path = await write(
      `select 1::BIGINT as a, 2::UBIGINT as u, 3::USMALLINT as p, 1.5::DOUBLE as d, true as b, 'x' as s,
        make_timestamp_ns(5) as t, {'x': 1::BIGINT} as r, [1::BIGINT] as l, MAP {'k': 1::BIGINT} as m, 7::INTEGER as i32`,
    );
    const pf = await openPath(path);
    const kinds = (pf.schema.type as RecordType).fields.map((f) => f.type.kind);
    expect(kinds).toEqual([
      'int64',
      'uint64',
      'port',
      'double',
      'bool',
      'string',
      'time',
      'record',
      'list',
      'map',
      'int64',
    ]);
    expect(await rowsOf(pf)).toEqual([
      [1n, 2n, 3, 1.5, true, 'x', 5n, { x: 1n }, [1n], [{ key: 'k', value: 1n }], 7n],
    ]);
  });

  it('reads a legacy two-level list (repeated primitive under a LIST group)', async () => {
    // By hand, as old parquet-mr wrote it: optional group l (LIST) { repeated int64 array; }.
    // Rows: [1, 2], null, [], [3].
    const rep = [0, 1, 0, 0, 0];
    const def = [2, 2, 0, 1, 2];
    const page = new ByteSink(64);
    for (const [levels, width] of [
      [rep, 1],
      [def, 2],
    ] as const) {
      const run = new ByteSink(16);
      encodeHybrid(run, levels, levels.length, width);
      page.bytes(new Uint8Array(new Uint32Array([run.length]).buffer));
      page.bytes(run.view().slice());
    }
    page.bytes(new Uint8Array(new BigInt64Array([1n, 2n, 3n]).buffer));
    const body = page.view().slice();
    const header = new ThriftWriter()
      .i32(F.PageHeader.type, F.PageType.DATA_PAGE)
      .i32(F.PageHeader.uncompressed_page_size, body.length)
      .i32(F.PageHeader.compressed_page_size, body.length)
      .struct(F.PageHeader.data_page_header, (h) =>
        h
          .i32(F.DataPageHeader.num_values, 5)
          .i32(F.DataPageHeader.encoding, F.Encoding.PLAIN)
          .i32(F.DataPageHeader.definition_level_encoding, F.Encoding.RLE)
          .i32(F.DataPageHeader.repetition_level_encoding, F.Encoding.RLE),
      )
      .finish()
      .slice();
    const chunkLength = header.length + body.length;
    const E = F.SchemaElement;
    const M = F.ColumnMetaData;
    const footer = new ThriftWriter()
      .i32(F.FileMetaData.version, 1)
      .structList(F.FileMetaData.schema, [0, 1, 2], (e, k) => {
        if (k === 0) e.binary(E.name, 'schema').i32(E.num_children, 1);
        else if (k === 1)
          e.i32(E.repetition_type, F.Repetition.OPTIONAL)
            .binary(E.name, 'l')
            .i32(E.num_children, 1)
            .i32(E.converted_type, F.ConvertedType.LIST);
        else
          e.i32(E.type, F.PhysicalType.INT64)
            .i32(E.repetition_type, F.Repetition.REPEATED)
            .binary(E.name, 'array');
      })
      .i64(F.FileMetaData.num_rows, 4)
      .structList(F.FileMetaData.row_groups, [0], (g) =>
        g
          .structList(F.RowGroup.columns, [0], (cc) =>
            cc
              .i64(F.ColumnChunk.file_offset, 4)
              .struct(F.ColumnChunk.meta_data, (m) =>
                m
                  .i32(M.type, F.PhysicalType.INT64)
                  .i32List(M.encodings, [F.Encoding.PLAIN, F.Encoding.RLE])
                  .stringList(M.path_in_schema, ['l', 'array'])
                  .i32(M.codec, F.Codec.UNCOMPRESSED)
                  .i64(M.num_values, 5)
                  .i64(M.total_uncompressed_size, chunkLength)
                  .i64(M.total_compressed_size, chunkLength)
                  .i64(M.data_page_offset, 4),
              ),
          )
          .i64(F.RowGroup.total_byte_size, chunkLength)
          .i64(F.RowGroup.num_rows, 4),
      )
      .finish()
      .slice();
    const file = new Uint8Array(4 + chunkLength + footer.length + 8);
    const magic = new TextEncoder().encode('PAR1');
    file.set(magic);
    file.set(header, 4);
    file.set(body, 4 + header.length);
    file.set(footer, 4 + chunkLength);
    new DataView(file.buffer).setUint32(4 + chunkLength + footer.length, footer.length, true);
    file.set(magic, file.length - 4);
    const pf = await ParquetFile.open(new MemorySource(file), file.length, 'legacy.parquet');
    expect(pf.schema.type.fields[0].type).toEqual({ kind: 'list', element: { kind: 'int64' } });
    expect(await rowsOf(pf)).toEqual([[[1n, 2n]], [null], [[]], [[3n]]]);
  });

  it('carries the footer key-value pairs into the Arrow schema metadata', async () => {
    const path = await write(`select 1::BIGINT as a`, "KV_METADATA {'vast.import_time': '42', 'other': 'x'}");
    const pf = await openPath(path, layoutOf('test.kv', { a: basic('int64') }));
    expect(pf.metadata.get('other')).toBe('x');
    expect(pf.arrowSchema.metadata.get('vast.import_time')).toBe('42');
    expect(pf.arrowSchema.metadata.get('vast.schema')).toBe('test.kv');
  });
});

describe('ParquetFile on Zeek conn.log', () => {
  const CONN = join(import.meta.dirname, '../../../data/zeek/conn.log');
  const ip = (col: string) => `case when ${col} like '%.%' then
    ('00000000-0000-0000-0000-ffff' || printf('%02x%02x%02x%02x', string_split(${col}, '.')[1]::INT,
      string_split(${col}, '.')[2]::INT, string_split(${col}, '.')[3]::INT, string_split(${col}, '.')[4]::INT))::UUID end`;
  // IPv6 addresses are left null: DuckDB has no conversion to 16 bytes without the inet extension.
  const CONN_SQL = `select make_timestamp_ns((ts::DECIMAL(20, 6) * 1000000000::DECIMAL(38, 0))::BIGINT) as ts, uid,
      {'orig_h': ${ip('orig_h')}, 'orig_p': orig_p::USMALLINT, 'resp_h': ${ip('resp_h')}, 'resp_p': resp_p::USMALLINT} as id,
      proto, service, (duration::DECIMAL(18, 6) * 1000000000::DECIMAL(38, 0))::BIGINT as duration,
      orig_bytes::UBIGINT as orig_bytes, resp_bytes::UBIGINT as resp_bytes, conn_state, local_orig = 'T' as local_orig,
      missed_bytes::UBIGINT as missed_bytes, history, orig_pkts::UBIGINT as orig_pkts,
      orig_ip_bytes::UBIGINT as orig_ip_bytes, resp_pkts::UBIGINT as resp_pkts, resp_ip_bytes::UBIGINT as resp_ip_bytes,
      case when tunnel_parents = '(empty)' then []::VARCHAR[] else string_split(tunnel_parents, ',') end as tunnel_parents
    from read_csv('${CONN}', delim = '\t', comment = '#', header = false, nullstr = '-', all_varchar = true,
      names = ['ts', 'uid', 'orig_h', 'orig_p', 'resp_h', 'resp_p', 'proto', 'service', 'duration', 'orig_bytes',
        'resp_bytes', 'conn_state', 'local_orig', 'missed_bytes', 'history', 'orig_pkts', 'orig_ip_bytes',
        'resp_pkts', 'resp_ip_bytes', 'tunnel_parents'])`;
  const count = basic('uint64');
  const CONN_LAYOUT: Schema = {
    ...layoutOf('zeek.conn', {
      ts: basic('time'),
      uid: basic('string'),
      id: {
        kind: 'record',
        fields: [
          { name: 'orig_h', type: basic('ip') },
          { name: 'orig_p', type: basic('port') },
          { name: 'resp_h', type: basic('ip') },
          { name: 'resp_p', type: basic('port') },
        ],
      },
      proto: { kind: 'enum' },
      service: basic('string'),
      duration: basic('duration'),
      orig_bytes: count,
      resp_bytes: count,
      conn_state: basic('string'),
      local_orig: basic('bool'),
      missed_bytes: count,
      history: basic('string'),
      orig_pkts: count,
      orig_ip_bytes: count,
      resp_pkts: count,
      resp_ip_bytes: count,
      tunnel_parents: { kind: 'list', element: basic('string') },
    }),
    timestamp: 'ts',
  };
  const CONN_DUCK = `epoch_ns(ts) as ts, uid,
    {'orig_h': ${ipHex('id.orig_h')}, 'orig_p': id.orig_p, 'resp_h': ${ipHex('id.resp_h')}, 'resp_p': id.resp_p} as id,
    proto, service, duration, orig_bytes, resp_bytes, conn_state, local_orig, missed_bytes, history, orig_pkts,
    orig_ip_bytes, resp_pkts, resp_ip_bytes, tunnel_parents`;

  for (const options of ['COMPRESSION zstd, ROW_GROUP_SIZE 4096', 'COMPRESSION zstd, PARQUET_VERSION V2']) {
    it(`decodes every value as DuckDB does (${options})`, async () => {
      const path = await write(CONN_SQL, options);
      // Through a real file handle, as the store passes one.
      const fh = await open(path);
      try {
        const pf = await ParquetFile.open(fh, (await fh.stat()).size, path, CONN_LAYOUT);
        expect(pf.numRows).toBe(8462);
        expect(pf.schema.timestamp).toBe('ts');
        const got = await rowsOf(pf, { plainStrings: true });
        expect(got).toEqual(await duck(path, CONN_DUCK));
      } finally {
        await fh.close();
      }
    });
  }

  it('measures one column against all columns of a 64Ki-row group', async () => {
    const path = await write(
      `select c.* from (${CONN_SQL}) c, range(8)`,
      'COMPRESSION zstd, ROW_GROUP_SIZE 65536',
    );
    const pf = await openPath(path, CONN_LAYOUT);
    expect(pf.rowGroups[0].rows).toBe(65536);
    const time = async (fields?: number[]) => {
      const ms: number[] = [];
      for (let k = 0; k < 9; k++) {
        const t0 = performance.now();
        await pf.readRowGroup(0, fields);
        ms.push(performance.now() - t0);
      }
      ms.sort((x, y) => x - y);
      return `min ${ms[0].toFixed(2)} ms, median ${ms[4].toFixed(2)} ms`;
    };
    const report: Record<string, string> = {};
    for (const [name, fields] of [
      ['uid (string)', [1]],
      ['orig_bytes (uint64)', [6]],
      ['id (record of ips and ports)', [2]],
      ['all 17 fields', undefined],
    ] as const)
      report[name] = await time(fields ? [...fields] : undefined);
    console.log(`decode of one 64Ki-row group of conn (9 runs, ${pf.rowGroups[0].bytes} bytes):`, report);
  });
});

describe('ParquetFile on arrow-rs files (parquet-wasm)', () => {
  // arrow-rs writes what DuckDB does not: DELTA_BYTE_ARRAY, a dictionary that falls back
  // to plain mid-chunk, RLE booleans, many pages per chunk.
  const pq = createRequire(import.meta.url)('parquet-wasm/node') as typeof Parquet;
  const N = 7000;
  const ids = Array.from({ length: N }, (_, i) => i);
  const columns = {
    s: ids.map((i) =>
      i % 7 === 0 ? null : `host-${String(Math.floor(i / 3)).padStart(6, '0')}.example.org`,
    ),
    f: ids.map((i) => (i % 9 === 0 ? null : `${(i * 2654435761) % 1000003}-${'x'.repeat(i % 13)}`)),
    b: ids.map((i) => (i % 5 === 0 ? null : i % 3 === 0)),
    n: ids.map((i) => (i % 4 === 0 ? null : BigInt(i) * 1_000_000_000_007n - (BigInt(i % 3) << 62n))),
    l: ids.map((i) =>
      i % 6 === 0 ? null : Array.from({ length: i % 4 }, (_, k) => (k === 1 ? null : BigInt(i * k))),
    ),
  };
  const LAYOUT = layoutOf('test.arrow_rs', {
    s: basic('string'),
    f: basic('string'),
    b: basic('bool'),
    n: basic('int64'),
    l: { kind: 'list', element: basic('int64') },
  });

  function writeArrowRs(version: Parquet.WriterVersion): string {
    const table = new A.Table({
      s: A.vectorFromArray(columns.s, new A.Utf8()),
      f: A.vectorFromArray(columns.f, new A.Utf8()),
      b: A.vectorFromArray(columns.b, new A.Bool()),
      n: A.vectorFromArray(columns.n, new A.Int64()),
      l: A.vectorFromArray(columns.l, new A.List(new A.Field('item', new A.Int64(), true))),
    });
    const props = new pq.WriterPropertiesBuilder()
      .setCompression(pq.Compression.ZSTD)
      .setWriterVersion(version)
      .setMaxRowGroupSize(3000)
      .setDataPageSizeLimit(1024)
      .setDictionaryPageSizeLimit(2048)
      .setColumnDictionaryEnabled('s', false)
      .setColumnEncoding('s', pq.Encoding.DELTA_BYTE_ARRAY)
      .build();
    const bytes = pq.writeParquet(pq.Table.fromIPCStream(A.tableToIPC(table, 'stream')), props);
    const path = join(dir, `f${files++}.parquet`);
    writeFileSync(path, bytes);
    return path;
  }

  for (const [label, version] of [
    ['v1', pq.WriterVersion.V1],
    ['v2', pq.WriterVersion.V2],
  ] as const) {
    it(`decodes DELTA_BYTE_ARRAY, dictionary fallback and many pages per chunk (${label})`, async () => {
      const path = writeArrowRs(version);
      const used = await encodings(path);
      expect(used).toContain('DELTA_BYTE_ARRAY');
      const f = (
        await c.runAndReadAll(`select encodings from parquet_metadata('${path}') where path_in_schema = 'f'`)
      ).getRowsJS();
      // The dictionary filled up: each chunk of f has dictionary-encoded and plain pages.
      expect(String(f[0][0])).toMatch(/PLAIN/);
      expect(String(f[0][0])).toMatch(/DICTIONARY/);
      const pf = await openPath(path, LAYOUT);
      expect(pf.rowGroups.length).toBe(3);
      const want = ids.map((i) => [columns.s[i], columns.f[i], columns.b[i], columns.n[i], columns.l[i]]);
      expect(await rowsOf(pf)).toEqual(want);
      // A chunk that fell back to plain is plain Utf8.
      expect(A.DataType.isUtf8((await pf.readRowGroup(0)).schema.fields[1].type)).toBe(true);
    });
  }
});

describe('ParquetFile column selection', () => {
  it('reads exactly the column chunks of the fields asked for', async () => {
    const path = await write(FLAT_SQL, 'COMPRESSION zstd, ROW_GROUP_SIZE 2048');
    const bytes = new Uint8Array(readFileSync(path));
    const src = new MemorySource(bytes);
    const pf = await ParquetFile.open(src, bytes.length, path, FLAT_LAYOUT);
    src.reads = [];
    const b = await pf.readRowGroup(1, [2, 6]);
    const meta = (
      await c.runAndReadAll(
        `select coalesce(dictionary_page_offset, data_page_offset), total_compressed_size
         from parquet_metadata('${path}') where row_group_id = 1 and path_in_schema in ('u', 's_low') order by column_id`,
      )
    ).getRowsJS();
    expect(src.reads).toEqual(meta.map(([o, n]) => [Number(o), Number(n)]));
    // The other columns are all null, of their type.
    expect(b.data.children[0].nullCount).toBe(b.numRows);
    expect(b.data.children[0].values).toBeInstanceOf(BigInt64Array);
    const all = await rowsOf(pf);
    const rows = all.slice(pf.rowGroups[0].rows, pf.rowGroups[0].rows + b.numRows);
    for (let i = 0; i < b.numRows; i++) {
      expect(valueAt(b.data.children[2], i)).toEqual(rows[i][2]);
      expect(valueAt(b.data.children[6], i)).toEqual(rows[i][6]);
      expect(valueAt(b.data.children[1], i)).toBeNull();
    }
  });
});

describe('ParquetFile on broken files', () => {
  const SMALL_LAYOUT = layoutOf('test.small', {
    a: basic('int64'),
    s: basic('string'),
    l: { kind: 'list', element: basic('int64') },
  });
  const smallSql = `select case when i % 3 = 0 then null else i * 1000 end as a, 'v' || (i % 4) as s,
    case when i % 5 = 0 then null else [i, null][1:(i % 3)] end as l from range(40) t(i)`;

  /** Opens and reads everything; resolves to the error, if any. */
  async function attempt(bytes: Uint8Array, size = bytes.length): Promise<unknown> {
    try {
      const pf = await ParquetFile.open(new MemorySource(bytes), size, 'broken.parquet', SMALL_LAYOUT);
      for (let g = 0; g < pf.rowGroups.length; g++) await pf.readRowGroup(g);
      return undefined;
    } catch (e) {
      return e;
    }
  }

  for (const options of ['COMPRESSION zstd', 'COMPRESSION uncompressed, PARQUET_VERSION V2']) {
    it(`turns every truncation and every flipped byte into a CorruptionError (${options})`, async () => {
      const bytes = new Uint8Array(readFileSync(await write(smallSql, options)));
      expect(await attempt(bytes)).toBeUndefined();
      for (let cut = 0; cut < bytes.length; cut++) {
        const e = await attempt(bytes.subarray(0, cut));
        expect(e, `cut at ${cut}`).toBeInstanceOf(CorruptionError);
      }
      // A file that claims to be longer than it is.
      expect(await attempt(bytes.subarray(0, bytes.length - 1), bytes.length)).toBeInstanceOf(
        CorruptionError,
      );
      for (let at = 0; at < bytes.length; at++) {
        for (const flip of [0xff, 0x01, 0x80]) {
          const copy = bytes.slice();
          copy[at] ^= flip;
          const e = await attempt(copy);
          // A flip inside a value may well decode (to another value); anything else must be corruption.
          if (e !== undefined) expect(e, `byte ${at} ^ ${flip}: ${e}`).toBeInstanceOf(CorruptionError);
        }
      }
    });
  }

  it('names the file, column and row group', async () => {
    const bytes = new Uint8Array(readFileSync(await write(smallSql)));
    const pf = await ParquetFile.open(new MemorySource(bytes), bytes.length, 'x.parquet', SMALL_LAYOUT);
    // Zero the first column chunk (its page header).
    const copy = bytes.slice();
    copy.fill(0, 4, 12);
    const broken = await ParquetFile.open(new MemorySource(copy), copy.length, 'x.parquet', SMALL_LAYOUT);
    await expect(broken.readRowGroup(0)).rejects.toThrow(/x\.parquet: column a of row group 0: /);
    expect(pf.rowGroups.length).toBe(1);
  });

  it('refuses a footer length beyond the file and a bad magic', async () => {
    const bytes = new Uint8Array(readFileSync(await write(smallSql)));
    const long = bytes.slice();
    new DataView(long.buffer).setUint32(long.length - 8, long.length, true);
    expect(await attempt(long)).toMatchObject({ reason: expect.stringMatching(/footer length/) });
    const magic = bytes.slice();
    magic[0] = 0x51;
    expect(await attempt(magic)).toMatchObject({ reason: expect.stringMatching(/PAR1/) });
  });

  it('refuses a footer nested deeper than the stack', async () => {
    const depth = 1_000_000;
    const bytes = new Uint8Array(depth + 12);
    bytes.set([0x50, 0x41, 0x52, 0x31]);
    // Field 1 of type struct, over and over: each byte opens one more level.
    bytes.fill(0x1c, 4, 4 + depth);
    new DataView(bytes.buffer).setUint32(4 + depth, depth, true);
    bytes.set([0x50, 0x41, 0x52, 0x31], 8 + depth);
    expect(await attempt(bytes)).toBeInstanceOf(CorruptionError);
  });

  it('refuses a bit-packed run whose size overflows 32 bits', () => {
    // Header 2^33 + 1: 2^32 groups of 8 values, far beyond the 8 bytes there are.
    const buf = new Uint8Array([0x81, 0x80, 0x80, 0x80, 0x20, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(() => decodeHybrid(buf, 0, buf.length, 3, 16, new Int32Array(16))).toThrow(/past the end/);
  });

  it('refuses a layout the file does not match', async () => {
    const path = await write(smallSql);
    await expect(
      openPath(path, layoutOf('test.other', { a: basic('double'), s: basic('string'), l: basic('string') })),
    ).rejects.toThrow(CorruptionError);
  });

  it('names an unsupported compression', async () => {
    const path = await write(smallSql, 'COMPRESSION snappy');
    const pf = await openPath(path, SMALL_LAYOUT);
    await expect(pf.readRowGroup(0)).rejects.toThrow(
      /unsupported Parquet compression SNAPPY in column a of row group 0/,
    );
  });
});
