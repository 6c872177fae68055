import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type * as A from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeJson } from '../../../src/formats/json/writer.js';
import { encodeParquet, parquet, writeParquetFiles } from '../../../src/formats/parquet.js';
import { vastSchema } from '../../../src/types/arrow.js';
import { typeToString } from '../../../src/types/type.js';
import { type Value, valueAt } from '../../../src/types/values.js';
import { describeDatasets } from '../../helpers/datasets.js';
import { readAll } from '../../helpers/read.js';
import { allTypes, allTypesBatch, readConnLog, smallBatch, writeText } from './fixtures/all-types.js';

let dir: string;
let db: DuckDBInstance;
let duck: DuckDBConnection;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vast-parquet-'));
  db = await DuckDBInstance.create(':memory:');
  duck = await db.connect();
});

afterAll(() => {
  duck.closeSync();
  db.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

async function query(sql: string): Promise<Record<string, unknown>[]> {
  return (await duck.runAndReadAll(sql)).getRowObjectsJS();
}

async function writeParquetBytes(batches: A.RecordBatch[]): Promise<Buffer> {
  async function* input() {
    yield* batches;
  }
  const chunks: Buffer[] = [];
  for await (const c of parquet.write!(input(), { options: {} })) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

function rows(batch: A.RecordBatch): Value[] {
  const t = vastSchema(batch.schema).type;
  return Array.from({ length: batch.numRows }, (_, i) => valueAt(batch.data, t, i));
}

describe('parquet writer, read by DuckDB', () => {
  test('column types', async () => {
    const path = join(dir, 'all.parquet');
    writeFileSync(path, await writeParquetBytes([allTypesBatch()]));
    const types = Object.fromEntries(
      (await query(`describe select * from read_parquet('${path}')`)).map((r) => [
        r.column_name,
        r.column_type,
      ]),
    );
    expect(types).toEqual({
      ts: 'TIMESTAMP WITH TIME ZONE',
      uid: 'VARCHAR',
      id: 'STRUCT(orig_h VARCHAR, orig_p USMALLINT, resp_h VARCHAR, resp_p USMALLINT)',
      proto: 'VARCHAR',
      duration: 'BIGINT',
      bytes: 'UBIGINT',
      delta: 'BIGINT',
      ratio: 'DOUBLE',
      ok: 'BOOLEAN',
      net: 'VARCHAR',
      tags: 'VARCHAR[]',
      ips: 'VARCHAR[]',
      pairs: 'STRUCT(a BIGINT, b VARCHAR)[]',
      headers: 'MAP(VARCHAR, VARCHAR)',
    });
  });

  test('rows', async () => {
    const path = join(dir, 'rows.parquet');
    writeFileSync(path, await writeParquetBytes([allTypesBatch()]));
    const got = await query(
      `select epoch_us(ts) as ts_us, uid, id.orig_h as orig_h, id.resp_p as resp_p, proto, duration,
              bytes::varchar as bytes, delta::varchar as delta, ratio, ok, net, tags, ips,
              pairs[1].b as first_b, headers['Host'] as host
       from read_parquet('${path}')`,
    );
    expect(got).toEqual([
      {
        ts_us: 1258531221486539n,
        uid: 'Pii6cUUq1v4',
        orig_h: '192.168.1.102',
        resp_p: 67,
        proto: 'udp',
        duration: 163820000n,
        bytes: '18446744073709551615',
        delta: '-9223372036854775808',
        ratio: 0.1,
        ok: true,
        net: '10.0.0.0/8',
        tags: ['a', 'b,c'],
        ips: ['2001:db8::1', '1.2.3.4'],
        first_b: 'x',
        host: 'example.com',
      },
      {
        ts_us: 1577836800000000n,
        uid: 'with "quotes", commas\nand newline',
        orig_h: null,
        resp_p: null,
        proto: 'tcp',
        duration: 3780000000n,
        bytes: '9007199254740993',
        delta: '-5',
        ratio: 1,
        ok: false,
        net: '2001:db8::/32',
        tags: [],
        ips: [null, '10.1.2.3'],
        first_b: null,
        host: null,
      },
      {
        ts_us: 0n,
        uid: '',
        orig_h: null,
        resp_p: 443,
        proto: null,
        duration: null,
        bytes: null,
        delta: null,
        ratio: null,
        ok: null,
        net: null,
        tags: null,
        ips: null,
        first_b: null,
        host: null,
      },
    ]);
    // The nanoseconds are in the file even where DuckDB shows microseconds.
    expect(await query(`select count(*)::int as n from read_parquet('${path}') where id is null`)).toEqual([
      { n: 1 },
    ]);
  });

  test('several batches of one layout make one file', async () => {
    const path = join(dir, 'many.parquet');
    const batches = [
      smallBatch([{ n: 1, s: 'a' }]),
      smallBatch([
        { n: 2, s: null },
        { n: null, s: 'c' },
      ]),
    ];
    writeFileSync(path, await writeParquetBytes(batches));
    expect(await query(`select n::int as n, s from read_parquet('${path}')`)).toEqual([
      { n: 1, s: 'a' },
      { n: 2, s: null },
      { n: null, s: 'c' },
    ]);
  });

  test('more than one layout in one file is refused with a clear message', async () => {
    await expect(writeParquetBytes([allTypesBatch(), smallBatch([{ n: 1, s: 'x' }])])).rejects.toThrow(
      /parquet: a Parquet file holds one schema, but the input has 'test.all' and 'test.small'/,
    );
  });

  test('writeParquetFiles writes one file per layout into a directory', async () => {
    const out = join(dir, 'per-layout');
    async function* input() {
      yield smallBatch([{ n: 1, s: 'x' }]);
      yield allTypesBatch();
      yield smallBatch([{ n: 2, s: 'y' }]);
    }
    const paths = await writeParquetFiles(input(), out);
    expect(paths).toEqual([join(out, 'test.small.parquet'), join(out, 'test.all.parquet')]);
    expect(await query(`select count(*)::int as n from read_parquet('${paths[0]}')`)).toEqual([{ n: 2 }]);
    expect(await query(`select count(*)::int as n from read_parquet('${paths[1]}')`)).toEqual([{ n: 3 }]);
  });
});

describe('parquet reader', () => {
  test('round trip restores the VAST schema and values (ip, subnet, enum included)', async () => {
    const batch = allTypesBatch();
    const read = await readAll(parquet, { text: encodeParquet([batch]) });
    expect(read.diagnostics).toEqual([]);
    const s = vastSchema(read.batches[0].schema);
    expect(s.name).toBe('test.all');
    expect(typeToString(s.type)).toBe(typeToString(allTypes.type));
    expect(read.batches.flatMap(rows)).toEqual(rows(batch));
  });

  test('files from other tools: DuckDB output becomes VAST types', async () => {
    const path = join(dir, 'duck.parquet');
    await duck.run(
      `copy (select timestamp '2020-01-01 10:00:00.123456' as ts, 42::integer as n, 'x'::varchar as s,
                    [1, 2]::smallint[] as l, {'a': 1.5::float} as r)
       to '${path}' (format parquet)`,
    );
    const read = await readAll(parquet, { path });
    const b = read.batches[0];
    const s = vastSchema(b.schema);
    expect(s.name).toBe('parquet');
    expect(s.type.fields.map((f) => `${f.name}: ${typeToString(f.type)}`)).toEqual([
      'ts: time',
      'n: int64',
      's: string',
      'l: list<int64>',
      'r: record{a: double}',
    ]);
    expect(rows(b)).toEqual([{ ts: 1577872800123456000n, n: 42n, s: 'x', l: [1n, 2n], r: { a: 1.5 } }]);
  });

  test('garbage and truncated files are clear errors', async () => {
    const good = encodeParquet([allTypesBatch()]);
    const cases: [string | Uint8Array, RegExp][] = [
      ['not parquet at all', /bad\.parquet: invalid Parquet file: missing the PAR1 magic bytes/],
      [good.subarray(0, good.length - 20), /bad\.parquet: invalid Parquet file: /],
      [
        Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(64, 7), Buffer.from('PAR1')]),
        /bad\.parquet: invalid Parquet file: /,
      ],
    ];
    for (const [text, message] of cases) {
      await expect(readAll(parquet, { text, file: 'bad.parquet' })).rejects.toThrow(message);
    }
  });

  test('detect', () => {
    expect(parquet.detect!(encodeParquet([smallBatch([{ n: 1, s: 'x' }])]).subarray(0, 16))).toBe(true);
    expect(parquet.detect!(Buffer.from('{"a":1}'))).toBe(false);
  });
});

describeDatasets('parquet on zeek/conn.log', () => {
  test('DuckDB sees the same events; vast reads them back unchanged', async () => {
    const batches = await readConnLog();
    const path = join(dir, 'conn.parquet');
    writeFileSync(path, await writeParquetBytes(batches));
    const n = batches.reduce((k, b) => k + b.numRows, 0);
    const [summary] = await query(
      `select count(*)::int as n, count(distinct uid)::int as uids, typeof(any_value(ts)) as ts_type,
              typeof(any_value(id.orig_h)) as ip_type, sum(orig_bytes)::varchar as orig_bytes
       from read_parquet('${path}')`,
    );
    let origBytes = 0n;
    for (const b of batches) {
      const col = b.getChild('orig_bytes')!;
      for (let i = 0; i < b.numRows; i++) if (col.isValid(i)) origBytes += BigInt(col.get(i) as bigint);
    }
    expect(summary).toEqual({
      n,
      uids: n,
      ts_type: 'TIMESTAMP WITH TIME ZONE',
      ip_type: 'VARCHAR',
      orig_bytes: String(origBytes),
    });
    const [first] = await query(
      `select uid, id.orig_h as orig_h, id.resp_p as resp_p, epoch_us(ts) as ts_us from read_parquet('${path}') limit 1`,
    );
    expect(first).toEqual({
      uid: 'Pii6cUUq1v4',
      orig_h: '192.168.1.102',
      resp_p: 67,
      ts_us: 1258531221486539n,
    });
    const read = await readAll(parquet, { path });
    expect(typeToString(vastSchema(read.batches[0].schema).type)).toBe(
      typeToString(vastSchema(batches[0].schema).type),
    );
    // The JSON text holds every value exactly (64-bit integers, nanoseconds) and compares fast.
    expect(await writeText(writeJson, read.batches)).toBe(await writeText(writeJson, batches));
  });
});

describe('parquet of sliced batches', () => {
  test('only the rows of the slice are written', async () => {
    const batch = allTypesBatch();
    for (const sliced of [
      batch.slice(1, 3),
      new (batch.constructor as typeof A.RecordBatch)(batch.schema, batch.data.slice(1, 2)),
    ]) {
      const read = await readAll(parquet, { text: encodeParquet([sliced]) });
      expect(read.batches.flatMap(rows)).toEqual(rows(batch).slice(1, 3));
    }
  });
});
