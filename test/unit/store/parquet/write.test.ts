/**
 * The Parquet writer of store v2, checked by DuckDB: files written from real
 * Zeek and Suricata data and from a batch of every type read back with the
 * same rows (values compared independently, through SQL that normalises each
 * VAST type), with the encodings, logical types, statistics and Arrow schema
 * the writer means to write.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import * as A from 'apache-arrow';
import type * as Parquet from 'parquet-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { suricata } from '../../../../src/formats/suricata.js';
import { zeek } from '../../../../src/formats/zeek/index.js';
import { ARROW_SCHEMA_KEY, VAST_LAYOUT_KEY } from '../../../../src/store/parquet/format.js';
import { ParquetEncoder, type ParquetEncoderOptions } from '../../../../src/store/parquet/write.js';
import { arrowSchema, dictionaryStringField, schemaName, vastSchema } from '../../../../src/types/arrow.js';
import { BatchBuilder } from '../../../../src/types/batch-builder.js';
import { basic, record, type Schema } from '../../../../src/types/type.js';
import { type Value, valueAt } from '../../../../src/types/values.js';
import { dataset, HAVE_DATASETS, TEST_DATA } from '../../../helpers/datasets.js';
import { duckRowsInNormalForm, quoted as q, rowsInNormalForm } from '../../../helpers/duckdb-rows.js';
import { readAll } from '../../../helpers/read.js';
import { everything, everythingBatch } from './every-type.js';

let dir: string;
let db: DuckDBInstance;
let duck: DuckDBConnection;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vast-parquet-write-'));
  db = await DuckDBInstance.create(':memory:');
  duck = await db.connect();
});

afterAll(() => {
  duck.closeSync();
  db.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

const query = async (sql: string): Promise<Record<string, unknown>[]> =>
  (await duck.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];

let files = 0;
/** Writes `batches` (one row group each) to a new file; returns its path and the encoder. */
function writeFile(
  batches: A.RecordBatch[],
  schema = vastSchema(batches[0].schema),
  opts: ParquetEncoderOptions = {},
) {
  const enc = new ParquetEncoder(schema, batches[0].schema.metadata, opts);
  const parts = [enc.header()];
  for (const b of batches) parts.push(...enc.rowGroup(b));
  parts.push(enc.footer());
  const path = join(dir, `f${files++}.parquet`);
  writeFileSync(path, Buffer.concat(parts));
  return { path, enc };
}

/** Rows as DuckDB reads them from `path`, in file order, in the normal form of `rowsInNormalForm`. */
const duckRows = (path: string, schema: Schema) => duckRowsInNormalForm((sql) => query(sql), path, schema);

async function expectSameRows(
  batches: A.RecordBatch[],
  schema = vastSchema(batches[0].schema),
  opts: ParquetEncoderOptions = {},
) {
  const { path } = writeFile(batches, schema, opts);
  const got = await duckRows(path, schema);
  const want = rowsInNormalForm(batches, schema);
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(got[i], `row ${i}`).toEqual(want[i]);
  return path;
}

/** `parquet_metadata` of the first row group, by dotted path. */
async function chunks(path: string): Promise<Map<string, Record<string, unknown>>> {
  const rows = await query(
    `SELECT path_in_schema, encodings, compression, stats_min_value, stats_max_value, stats_null_count
     FROM parquet_metadata('${path}') WHERE row_group_id = 0`,
  );
  return new Map(rows.map((r) => [String(r.path_in_schema).replaceAll(', ', '.'), r]));
}

describe('ParquetEncoder, read back by DuckDB', () => {
  it('writes every type, with nulls at every level, over several row groups', async () => {
    const batches = [everythingBatch(0, 1000), everythingBatch(1000, 7), everythingBatch(1007, 2000)];
    const path = await expectSameRows(batches, everything);
    const n = await query(`SELECT count(*) AS n FROM parquet_metadata('${path}') WHERE column_id = 0`);
    expect(n[0].n).toBe(3n);
  });

  it('cuts chunks into pages at row starts (lists and maps too)', async () => {
    const batch = everythingBatch(0, 2000);
    const enc = new ParquetEncoder(everything, batch.schema.metadata, { pageSize: 2048 });
    // A header and a body per page, and more pages than one per column.
    expect(enc.rowGroup(batch).length).toBeGreaterThan(4 * 25);
    await expectSameRows([batch, everythingBatch(5, 999)], everything, { pageSize: 2048 });
  });

  it('writes DELTA_BINARY_PACKED for slowly changing int64, uint64 and times, bounds included', async () => {
    const schema: Schema = {
      name: 'test.delta',
      type: record([
        { name: 'i', type: basic('int64') },
        { name: 'u', type: basic('uint64') },
        { name: 't', type: basic('time') },
      ]),
    };
    const builder = new BatchBuilder(schema);
    const i64 = (v: bigint) => String(BigInt.asIntN(64, v));
    for (let k = 0; k < 3001; k++) {
      // Steady steps with rare jumps to the bounds (64-bit-wide miniblocks), and nulls.
      const i = k % 500 === 0 ? (k % 1000 === 0 ? -(2n ** 63n) : 2n ** 63n - 1n) : 2n ** 62n + BigInt(k * 7);
      const u = k === 1500 ? 0n : 2n ** 64n - 1n - BigInt(k * 5);
      builder.appendJson({
        i: k % 97 === 0 ? null : i64(i),
        u: String(u),
        t: new Date(Date.UTC(2024, 0, 1) + k)
          .toISOString()
          .replace('Z', `${String(k % 1000).padStart(6, '0')}Z`),
      });
    }
    const batch = builder.finish();
    const path = await expectSameRows([batch], schema);
    const c = await chunks(path);
    for (const col of ['i', 'u', 't']) expect(c.get(col)?.encodings, col).toContain('DELTA_BINARY_PACKED');
    const rows = (bs: A.RecordBatch[]) =>
      bs.flatMap((x) =>
        Array.from({ length: x.numRows }, (_, r) =>
          schema.type.fields.map((f, k) => valueAt(x.data.children[k], f.type, r)),
        ),
      );
    expect(rows(readWithArrowRs(path).batches)).toEqual(rows([batch]));
  });

  it('writes enums whose Arrow dictionary comes in chunks, of which a batch uses some entries', async () => {
    const schema: Schema = { name: 'test.enum', type: record([{ name: 'e', type: { kind: 'enum' } }]) };
    const dictionary = A.vectorFromArray(['unused', 'tcp'], new A.Utf8()).concat(
      A.vectorFromArray(['udp', 'also unused', 'icmp'], new A.Utf8()),
    );
    expect(dictionary.data.length).toBe(2);
    const keys = Int16Array.from({ length: 600 }, (_, k) => [1, 2, 4, 1][k % 4]);
    const nullBitmap = new Uint8Array(75).fill(0xff);
    nullBitmap[3] = 0b11110111; // row 27 is null
    const type = new A.Dictionary(new A.Utf8(), new A.Int16());
    const column = A.makeData({ type, length: 600, nullCount: 1, nullBitmap, data: keys, dictionary });
    const fields = arrowSchema(schema).fields;
    const data = A.makeData({ type: new A.Struct(fields), length: 600, nullCount: 0, children: [column] });
    const batch = new A.RecordBatch(new A.Schema(fields), data);
    const path = await expectSameRows([batch], schema);
    const c = await chunks(path);
    expect(c.get('e')?.encodings).toContain('RLE_DICTIONARY');
    expect([c.get('e')?.stats_min_value, c.get('e')?.stats_max_value]).toEqual(['icmp', 'udp']);
    const got = await query(`SELECT e, count(*) AS n FROM read_parquet('${path}') GROUP BY e ORDER BY e`);
    expect(got).toEqual([
      { e: 'icmp', n: 150n },
      { e: 'tcp', n: 299n },
      { e: 'udp', n: 150n },
      { e: null, n: 1n },
    ]);
  });

  it('writes row groups whose columns are all null', async () => {
    const builder = new BatchBuilder(everything);
    for (let k = 0; k < 300; k++) builder.appendJson({});
    const nulls = builder.finish();
    const path = await expectSameRows([nulls, everythingBatch(0, 10), nulls], everything);
    const c = await chunks(path);
    expect(c.get('i')?.stats_null_count).toBe(300n);
    expect(c.get('i')?.encodings).not.toContain('RLE_DICTIONARY');
    expect(readWithArrowRs(path).numRows).toBe(610);
  });

  it('writes empty records (JSON {}) as groups with a marker, which DuckDB reads as present or null', async () => {
    const schema: Schema = {
      name: 'json.x',
      type: record([
        { name: 'a', type: basic('int64') },
        { name: 'r', type: record([{ name: 'inner', type: record([]) }]) },
        { name: 'e', type: record([]) },
      ]),
    };
    const builder = new BatchBuilder(schema);
    for (const row of [
      { a: 1, r: { inner: {} }, e: {} },
      { a: 2, r: null, e: null },
      { a: 3, r: { inner: null }, e: {} },
    ])
      expect(builder.appendJson(row)).toBe(true);
    await expectSameRows([builder.finish()], schema);
  });

  it('writes mostly distinct addresses PLAIN, with min and max in unsigned byte order', async () => {
    const schema: Schema = { name: 'test.ip', type: record([{ name: 'a', type: basic('ip') }]) };
    const builder = new BatchBuilder(schema);
    for (let k = 0; k < 600; k++)
      builder.appendJson({
        a: k % 3 === 0 ? `2001:db8::${k.toString(16)}` : `${(k * 37) % 256}.${k % 256}.1.2`,
      });
    const path = await expectSameRows([builder.finish()], schema);
    const c = (await chunks(path)).get('a');
    expect(c?.encodings).toBe('PLAIN, RLE');
    const [m] = await query(
      `SELECT min(a)::varchar AS lo, max(a)::varchar AS hi FROM read_parquet('${path}')`,
    );
    expect([c?.stats_min_value, c?.stats_max_value]).toEqual([m.lo, m.hi]);
  });

  it('writes sliced batches (non-zero offsets) and skips empty ones', async () => {
    const whole = everythingBatch(0, 300);
    await expectSameRows([whole.slice(17, 150), whole.slice(0, 0), whole.slice(150, 299)], everything);
  });

  it('writes unsigned statistics above 2^63 and signed ones at the int64 bounds', async () => {
    const { path } = writeFile([everythingBatch(0, 60)], everything);
    const c = await chunks(path);
    expect(c.get('u')?.stats_max_value).toBe('18446744073709551615');
    expect(c.get('u')?.stats_min_value).toBe('0');
    expect(c.get('i')?.stats_min_value).toBe('-9223372036854775808');
    expect(c.get('i')?.stats_max_value).toBe('9223372036854775807');
    expect(c.get('port')?.stats_max_value).toBe('65535');
    expect(c.get('e')?.stats_min_value).toBe('icmp');
    expect(c.get('e')?.stats_max_value).toBe('udp');
    // The largest string is 80 bytes: no min/max rather than a wrong one.
    expect(c.get('s')?.stats_max_value).toBeNull();
    expect(c.get('rec.inner.x')?.stats_min_value).toBe('in');
    // Each agrees with DuckDB's own min and max over the values (addresses in unsigned byte order).
    for (const col of ['addr', 'i', 'u', 'port', 'e', 'dur']) {
      const [m] = await query(
        `SELECT min(${q(col)})::varchar AS lo, max(${q(col)})::varchar AS hi FROM read_parquet('${path}')`,
      );
      expect([c.get(col)?.stats_min_value, c.get(col)?.stats_max_value], col).toEqual([m.lo, m.hi]);
    }
    expect(c.get('ok')?.stats_null_count).toBe(20n);
    // DuckDB prunes with them and still answers right.
    const big = await query(
      `SELECT count(*) AS n FROM read_parquet('${path}') WHERE u > 9223372036854775807`,
    );
    expect(big[0].n).toBe(24n);
  });

  it('writes dictionary-encoded strings (the store reader hands them out so) like plain ones', async () => {
    const { batches } = await readAll(zeek, { path: join(TEST_DATA, 'zeek', 'conn.log') });
    const plain = batches[0];
    const t = vastSchema(plain.schema);
    const dictionaryColumn = (k: number) => {
      const d = plain.data.children[k];
      const values: (string | null)[] = [];
      for (let i = 0; i < d.length; i++) values.push(valueAt(d, basic('string'), i) as string | null);
      const vec = A.vectorFromArray(values, new A.Dictionary(new A.Utf8(), new A.Int32()));
      return vec.data[0];
    };
    const names = ['uid', 'service', 'history'];
    const fields = plain.schema.fields.map((f) => (names.includes(f.name) ? dictionaryStringField(f) : f));
    const schema = new A.Schema(fields, plain.schema.metadata);
    const children = plain.data.children.map((c, k) =>
      names.includes(plain.schema.fields[k].name) ? dictionaryColumn(k) : c,
    );
    const data = A.makeData({ type: new A.Struct(fields), length: plain.numRows, nullCount: 0, children });
    const dict = new A.RecordBatch(schema, data);
    const path = writeFile([dict.slice(100, 5000)], t).path;
    expect(await duckRows(path, t)).toEqual(rowsInNormalForm([plain.slice(100, 5000)], t));
    const c = await chunks(path);
    expect(c.get('service')?.encodings).toContain('RLE_DICTIONARY');
    expect(c.get('uid')?.encodings).not.toContain('RLE_DICTIONARY');
  });
});

describe('ParquetEncoder on real data', () => {
  it('writes Zeek conn.log with the rows, encodings and logical types intended', async () => {
    const { batches } = await readAll(zeek, { path: join(TEST_DATA, 'zeek', 'conn.log') });
    const path = await expectSameRows(batches);
    const c = await chunks(path);
    for (const col of ['proto', 'service', 'conn_state', 'id.resp_p', 'id.orig_h'])
      expect(c.get(col)?.encodings, col).toContain('RLE_DICTIONARY');
    for (const r of c.values()) expect(r.compression).toBe('ZSTD');
    // Distinct strings: their lengths apart from their bytes compress better than PLAIN's interleaving.
    expect(c.get('uid')?.encodings).toBe('RLE, DELTA_LENGTH_BYTE_ARRAY');
    // Statistics agree with DuckDB's own min and max, dictionary-less chunks (uid, ts) and dictionaries alike.
    for (const col of [
      'ts',
      'uid',
      'id.orig_h',
      'id.resp_h',
      'id.orig_p',
      'duration',
      'orig_bytes',
      'history',
    ]) {
      const [m] = await query(
        `SELECT min(${col})::varchar AS lo, max(${col})::varchar AS hi FROM read_parquet('${path}')`,
      );
      expect([c.get(col)?.stats_min_value, c.get(col)?.stats_max_value], col).toEqual([m.lo, m.hi]);
    }
    const schema = new Map(
      (await query(`SELECT name, converted_type, logical_type FROM parquet_schema('${path}')`)).map((r) => [
        r.name,
        r,
      ]),
    );
    expect(schema.get('ts')?.logical_type).toMatch(/isAdjustedToUTC=1.*NANOS=NanoSeconds/);
    expect(schema.get('orig_bytes')?.converted_type).toBe('UINT_64');
    expect(schema.get('uid')?.converted_type).toBe('UTF8');
    expect(schema.get('orig_p')?.converted_type).toBe('UINT_16');
    const types = await query(`DESCRIBE SELECT ts, orig_bytes, id FROM read_parquet('${path}')`);
    expect(types.map((r) => r.column_type)).toEqual([
      'TIMESTAMP WITH TIME ZONE',
      'UBIGINT',
      'STRUCT(orig_h BLOB, orig_p USMALLINT, resp_h BLOB, resp_p USMALLINT)',
    ]);
  });

  it('writes every schema of the Suricata EVE sample', async () => {
    const { batches } = await readAll(suricata, {
      path: join(TEST_DATA, 'suricata', 'example-pcap_eve.json'),
    });
    const bySchema = new Map<string, A.RecordBatch[]>();
    for (const batch of batches) {
      const key = `${schemaName(batch)}`;
      bySchema.set(key, [...(bySchema.get(key) ?? []), batch]);
    }
    expect(bySchema.size).toBeGreaterThan(1);
    for (const group of bySchema.values()) {
      // Batches of one name may differ in layout; write each layout on its own.
      for (const batch of group) await expectSameRows([batch]);
    }
  });

  it('stores the VAST layout and an ARROW:schema that arrow-js decodes to the same types', async () => {
    const batch = everythingBatch(0, 10);
    const meta = new Map([
      ['vast.schema', 'test.everything'],
      ['vast.import_time', '2026-12-05T00:00:00Z'],
    ]);
    const enc = new ParquetEncoder(everything, meta);
    const path = join(dir, 'kv.parquet');
    writeFileSync(path, Buffer.concat([enc.header(), ...enc.rowGroup(batch), enc.footer()]));
    expect(enc.rows).toBe(10);
    const kv = new Map(
      (await query(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('${path}')`)).map(
        (r) => [r.k as string, r.v as string],
      ),
    );
    expect(kv.get('vast.import_time')).toBe('2026-12-05T00:00:00Z');
    expect(JSON.parse(kv.get(VAST_LAYOUT_KEY)!)).toEqual(JSON.parse(JSON.stringify(everything)));
    const message = Buffer.from(kv.get(ARROW_SCHEMA_KEY)!, 'base64');
    // The encapsulated message: continuation marker, then a length that keeps the body 8-aligned.
    expect(message.readUInt32LE(0)).toBe(0xffffffff);
    expect(message.length % 8).toBe(0);
    expect(message.readInt32LE(4)).toBe(message.length - 8);
    const stream = Buffer.concat([message, Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])]);
    const decoded = A.tableFromIPC(stream).schema;
    const want = arrowSchema(everything);
    expect(decoded.fields.map((f) => String(f.type))).toEqual(want.fields.map((f) => String(f.type)));
    expect(decoded.fields.map((f) => Object.fromEntries(f.metadata))).toEqual(
      want.fields.map((f) => Object.fromEntries(f.metadata)),
    );
    // The given metadata, and the schema's timestamp field that it did not name.
    expect(Object.fromEntries(decoded.metadata)).toEqual({
      ...Object.fromEntries(meta),
      'vast.timestamp': 'ts',
    });
    expect(kv.get('vast.timestamp')).toBe('ts');
    expect(vastSchema(decoded).type).toEqual(everything.type);
  });
});

/** arrow-rs (through parquet-wasm) reads a file into Arrow, restoring types from ARROW:schema. */
function readWithArrowRs(path: string): A.Table {
  const pq = createRequire(import.meta.url)('parquet-wasm/node') as typeof Parquet;
  return A.tableFromIPC(pq.readParquet(readFileSync(path)).intoIPCStream());
}

describe('ParquetEncoder, read back by arrow-rs (parquet-wasm)', () => {
  it('gives back the Arrow types and exactly the values, nanoseconds included', async () => {
    const batches = [everythingBatch(0, 500), everythingBatch(500, 300)];
    const { path } = writeFile(batches, everything, { pageSize: 4096 });
    const table = readWithArrowRs(path);
    expect(table.schema.fields.map((f) => String(f.type))).toEqual(
      arrowSchema(everything).fields.map((f) => String(f.type)),
    );
    expect(vastSchema(table.schema).type).toEqual(everything.type);
    const exact = (bs: A.RecordBatch[]) => {
      const out: Value[] = [];
      for (const b of bs)
        for (let i = 0; i < b.numRows; i++)
          out.push(everything.type.fields.map((f, k) => valueAt(b.data.children[k], f.type, i)));
      return out;
    };
    expect(exact(table.batches)).toEqual(exact(batches));
  });

  it('gives back Zeek conn.log exactly', async () => {
    const { batches } = await readAll(zeek, { path: join(TEST_DATA, 'zeek', 'conn.log') });
    const schema = vastSchema(batches[0].schema);
    const table = readWithArrowRs(writeFile(batches).path);
    const rows = (bs: A.RecordBatch[]) =>
      bs.flatMap((b) =>
        Array.from({ length: b.numRows }, (_, i) =>
          schema.type.fields.map((f, k) => valueAt(b.data.children[k], f.type, i)),
        ),
      );
    expect(rows(table.batches)).toEqual(rows(batches));
  });
});

describe('bytes per event (printed, not asserted)', () => {
  it('compares with DuckDB re-writing the same rows with zstd', async () => {
    const report: string[] = [];
    /** Column chunk bytes (no footer) of a file. */
    const dataBytes = async (path: string) =>
      Number((await query(`SELECT sum(total_compressed_size) AS n FROM parquet_metadata('${path}')`))[0].n);
    const measure = async (label: string, batches: A.RecordBatch[]) => {
      const sum = { ours: 0, theirs: 0, oursData: 0, theirsData: 0, theirsNs: 0, rows: 0 };
      for (const batch of batches) {
        const { path } = writeFile([batch]);
        const copy = `${path}.duck.parquet`;
        await duck.run(
          `COPY (SELECT * FROM read_parquet('${path}')) TO '${copy}' (FORMAT parquet, COMPRESSION zstd)`,
        );
        // DuckDB reads TIMESTAMP(NANOS, UTC) as microseconds; to compare like with like, also
        // let it write top-level times back as nanoseconds (the values are whole microseconds).
        const times = vastSchema(batch.schema)
          .type.fields.filter((f) => f.type.kind === 'time')
          .map((f) => `${q(f.name)}::TIMESTAMP_NS AS ${q(f.name)}`);
        const replace = times.length > 0 ? ` REPLACE (${times.join(', ')})` : '';
        const copyNs = `${path}.duck-ns.parquet`;
        await duck.run(
          `COPY (SELECT *${replace} FROM read_parquet('${path}')) TO '${copyNs}' (FORMAT parquet, COMPRESSION zstd)`,
        );
        sum.ours += statSync(path).size;
        sum.theirs += statSync(copy).size;
        sum.theirsNs += statSync(copyNs).size;
        sum.oursData += await dataBytes(path);
        sum.theirsData += await dataBytes(copy);
        sum.rows += batch.numRows;
      }
      const per = (n: number) => (n / sum.rows).toFixed(2);
      report.push(
        `${label}: ${sum.rows} events in ${batches.length} file(s): vast ${per(sum.ours)} B/event (${per(sum.oursData)} in column chunks), ` +
          `DuckDB ${per(sum.theirs)} B/event (${per(sum.theirsData)} in column chunks; ${per(sum.theirsNs)} B/event with times in ns)`,
      );
    };
    const conn = await readAll(zeek, { path: join(TEST_DATA, 'zeek', 'conn.log') }, { batchSize: 65536 });
    await measure('zeek conn.log', conn.batches);
    const eve = await readAll(suricata, { path: join(TEST_DATA, 'suricata', 'example-pcap_eve.json') });
    await measure('suricata EVE', eve.batches);
    if (HAVE_DATASETS)
      for (const log of ['vast-int_dns.log', 'vast-int_http.log']) {
        const r = await readAll(zeek, { path: dataset('zeek', log) }, { batchSize: 65536 });
        await measure(`zeek ${log}`, r.batches);
      }
    // Encoding speed without file writes: the best of eight passes of four times conn.log (JIT warm, GC noise left out).
    const schema = vastSchema(conn.batches[0].schema);
    let rate = 0;
    for (let pass = 0; pass < 8; pass++) {
      const enc = new ParquetEncoder(schema, conn.batches[0].schema.metadata);
      const t0 = performance.now();
      for (let k = 0; k < 4; k++) for (const batch of conn.batches) enc.rowGroup(batch);
      enc.footer();
      rate = Math.max(rate, enc.rows / ((performance.now() - t0) / 1000));
    }
    report.push(`zeek conn.log encoding: ${Math.round(rate)} events/s (one core, warm)`);
    console.log(report.join('\n'));
  });
});
