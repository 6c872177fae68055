import { fileURLToPath } from 'node:url';
import * as A from 'apache-arrow';
import { describe, expect, test } from 'vitest';
import { arrow, canonicalBatch } from '../../../src/formats/arrow.js';
import { writeJson } from '../../../src/formats/json/writer.js';
import { EXTENSION_KEY, vastSchema } from '../../../src/types/arrow.js';
import { BatchBuilder } from '../../../src/types/batch-builder.js';
import { basic, record, typeToString } from '../../../src/types/type.js';
import { type Value, valueAt } from '../../../src/types/values.js';
import { describeDatasets } from '../../helpers/datasets.js';
import { readAll } from '../../helpers/read.js';
import { allTypes, allTypesBatch, readConnLog, small, smallBatch, writeText } from './fixtures/all-types.js';

async function writeBytes(
  batches: A.RecordBatch[],
  options: Record<string, string | boolean> = {},
): Promise<Buffer> {
  async function* input() {
    yield* batches;
  }
  const chunks: Buffer[] = [];
  for await (const c of arrow.write!(input(), { options })) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

function rows(batch: A.RecordBatch): Value[] {
  const t = vastSchema(batch.schema).type;
  return Array.from({ length: batch.numRows }, (_, i) => valueAt(batch.data, t, i));
}

async function roundTrip(batches: A.RecordBatch[], options: Record<string, string | boolean> = {}) {
  const bytes = await writeBytes(batches, options);
  const read = await readAll(arrow, { text: bytes });
  expect(read.diagnostics).toEqual([]);
  return { bytes, batches: read.batches };
}

describe('arrow round trip', () => {
  test('every type, with nulls at every level: schema and values come back', async () => {
    const batch = allTypesBatch();
    const { batches } = await roundTrip([batch]);
    expect(batches).toHaveLength(1);
    const s = vastSchema(batches[0].schema);
    expect(s.name).toBe('test.all');
    expect(s.timestamp).toBe('ts');
    expect(typeToString(s.type)).toBe(typeToString(allTypes.type));
    expect(rows(batches[0])).toEqual(rows(batch));
    // Extension metadata survives, and the batch is used as read (already canonical).
    const id = batches[0].schema.fields.find((f) => f.name === 'id')!;
    expect((id.type as A.Struct).children[0].metadata.get(EXTENSION_KEY)).toBe('vast.ip');
    expect(canonicalBatch(batches[0])).toBe(batches[0]);
  });

  test("written with VAST 2's names and types: VAST:name:0, vast.address/subnet/enumeration, duration[ns], ports as counts", async () => {
    const bytes = await writeBytes([allTypesBatch()]);
    // Read raw with arrow-js (no canonicalBatch): what any Arrow tool sees.
    const [batch] = await A.RecordBatchReader.from(bytes).readAll();
    expect(batch.schema.metadata.get('VAST:name:0')).toBe('test.all');
    const field = (path: string) => {
      let f: A.Field | undefined;
      let fields = batch.schema.fields;
      for (const seg of path.split('.')) {
        f = fields.find((x) => x.name === seg);
        fields = (f?.type.children ?? []) as A.Field[];
      }
      return f!;
    };
    const ext = (path: string) => field(path).metadata.get(EXTENSION_KEY);
    expect(ext('id.orig_h')).toBe('vast.address');
    expect(ext('net')).toBe('vast.subnet');
    expect(ext('net.address')).toBe('vast.address');
    expect(ext('proto')).toBe('vast.enumeration');
    expect(ext('ips.item')).toBe('vast.address');
    expect(String(field('duration').type)).toBe('Duration<NANOSECOND>');
    expect(ext('duration')).toBeUndefined();
    expect(String(field('id.orig_p').type)).toBe('Uint64');
    expect(field('id.orig_p').metadata.get('VAST:name:0')).toBe('port');
    // The values are the same: durations in nanoseconds, ports widened.
    const d = batch.getChild('duration')!;
    expect(d.get(0)).toBe(163_820_000n);
    expect(d.get(2)).toBeNull();
    const id = batch.getChild('id')!;
    expect(id.get(0)!.toJSON().orig_p).toBe(68n);
    expect(id.get(2)!.toJSON().orig_p).toBeNull();
    expect(id.get(2)!.toJSON().resp_p).toBe(443n);
  });

  test('aliases survive', async () => {
    const schema = {
      name: 'alias.test',
      type: record([{ name: 'h', type: { kind: 'string' as const, alias: 'hostname' } }]),
    };
    const b = new BatchBuilder(schema);
    b.appendJson({ h: 'example.com' });
    const { batches } = await roundTrip([b.finish()]);
    expect(vastSchema(batches[0].schema).type.fields[0].type).toEqual({ kind: 'string', alias: 'hostname' });
  });

  test('interleaved layouts become concatenated streams and come back in order', async () => {
    const input = [
      allTypesBatch(),
      smallBatch([{ n: 1, s: 'x' }]),
      smallBatch([{ n: 2, s: null }]),
      allTypesBatch(),
    ];
    const { bytes, batches } = await roundTrip(input);
    expect(batches.map((b) => vastSchema(b.schema).name)).toEqual([
      'test.all',
      'test.small',
      'test.small',
      'test.all',
    ]);
    expect(batches.map(rows)).toEqual(input.map(rows));
    // Three streams: three end-of-stream markers (0xFFFFFFFF 0x00000000).
    const eos = Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    let count = 0;
    for (let i = bytes.indexOf(eos); i >= 0; i = bytes.indexOf(eos, i + 1)) count++;
    expect(count).toBeGreaterThanOrEqual(3);
    expect(bytes.subarray(bytes.length - 8)).toEqual(eos);
  });

  test('growing enum dictionaries across batches of one builder', async () => {
    const b = new BatchBuilder(allTypes);
    b.appendJson({ proto: 'udp' });
    const first = b.finish();
    b.appendJson({ proto: 'tcp' });
    b.appendJson({ proto: 'icmp' });
    b.appendJson({ proto: 'udp' });
    const second = b.finish();
    const { batches } = await roundTrip([first, second]);
    expect(batches.map((x) => rows(x).map((r) => (r as Record<string, Value>).proto))).toEqual([
      ['udp'],
      ['tcp', 'icmp', 'udp'],
    ]);
  });

  test('zstd compression (option compress) round trips and shrinks repetitive data', async () => {
    const many = Array.from({ length: 2000 }, (_, i) => ({ n: i % 7, s: 'the same text again and again' }));
    const batch = smallBatch(many);
    const plain = await roundTrip([batch]);
    const packed = await roundTrip([batch], { compress: true });
    expect(packed.bytes.length).toBeLessThan(plain.bytes.length / 4);
    expect(rows(packed.batches[0])).toEqual(rows(batch));
    const all = await roundTrip([allTypesBatch()], { compress: 'zstd' });
    expect(rows(all.batches[0])).toEqual(rows(allTypesBatch()));
  });

  test('sliced batches are written as their rows', async () => {
    const batch = allTypesBatch();
    const { batches } = await roundTrip([batch.slice(1, 3)]);
    expect(rows(batches[0])).toEqual(rows(batch).slice(1, 3));
  });

  test('no batches: empty output, which reads as no batches', async () => {
    const bytes = await writeBytes([]);
    expect(bytes.length).toBe(0);
    const read = await readAll(arrow, { text: bytes });
    expect(read.batches).toEqual([]);
    expect(read.diagnostics).toEqual([]);
  });

  test('--schema renames what is read', async () => {
    const bytes = await writeBytes([smallBatch([{ n: 1, s: 'x' }])]);
    const read = await readAll(arrow, { text: bytes }, { schema: 'my.events' });
    expect(vastSchema(read.batches[0].schema).name).toBe('my.events');
    expect(rows(read.batches[0])).toEqual([{ n: 1n, s: 'x' }]);
  });
});

describe('arrow reader', () => {
  test('a batch whose header claims more rows than its buffers hold is an error, not billions of rows', async () => {
    // Found by the fuzzer: arrow-js yielded a batch of 8,589,934,642 rows over a few kilobytes.
    const path = fileURLToPath(new URL('../../fixtures/broken/arrow-batch-length.arrows', import.meta.url));
    await expect(readAll(arrow, { path })).rejects.toThrow(
      "invalid Arrow IPC data: column 'ts' claims 8589934642 values but its validity bitmap holds 64 (needs 8589934642)",
    );
  });

  test('a message header whose vector length does not fit its buffer is an error, not a hang', async () => {
    // Found by the fuzzer: arrow-js trusted the length and looped over ~2^31 metadata entries.
    const path = fileURLToPath(
      new URL('../../fixtures/broken/arrow-header-vector-length.arrows', import.meta.url),
    );
    await expect(readAll(arrow, { path })).rejects.toThrow(
      /invalid Arrow IPC data: corrupt message header: a vector of \d+ entries does not fit in \d+ bytes/,
    );
  });

  test('reads the Arrow IPC file format (Feather v2) too', async () => {
    const batch = allTypesBatch();
    const file = A.RecordBatchFileWriter.writeAll([batch]).toUint8Array(true);
    const read = await readAll(arrow, { text: file });
    expect(read.batches).toHaveLength(1);
    expect(rows(read.batches[0])).toEqual(rows(batch));
    expect(arrow.detect!(file.subarray(0, 8))).toBe(true);
  });

  test('data from other Arrow producers is brought into the VAST layout', async () => {
    const ms = 1258531221486;
    const table = new A.Table({
      ts: A.vectorFromArray([ms, null], new A.TimestampMillisecond()),
      day: A.vectorFromArray([new Date(86_400_000), new Date(2 * 86_400_000)], new A.DateDay()),
      n32: A.vectorFromArray([-5, 7], new A.Int32()),
      u8: A.vectorFromArray([200, null], new A.Uint8()),
      f32: A.vectorFromArray([0.5, 1.5], new A.Float32()),
      big: A.vectorFromArray(['large', 'utf8'], new A.LargeUtf8()),
      tag: A.vectorFromArray(['a', 'b'], new A.Dictionary(new A.Utf8(), new A.Int8())),
    });
    // A string column with a vast.type hint (as the Parquet writer stores ips).
    const ipField = new A.Field('addr', new A.Utf8(), true, new Map([['vast.type', 'ip']]));
    const addr = A.vectorFromArray(['10.0.0.1', '2001:db8::1'], new A.Utf8());
    const fields = [...table.schema.fields, ipField];
    const data = A.makeData({
      type: new A.Struct(fields),
      length: 2,
      nullCount: 0,
      children: [...table.batches[0].data.children, addr.data[0]],
    });
    const foreign = new A.RecordBatch(new A.Schema(fields), data);
    const bytes = A.RecordBatchStreamWriter.writeAll([foreign]).toUint8Array(true);
    const read = await readAll(arrow, { text: bytes });
    const b = read.batches[0];
    const s = vastSchema(b.schema);
    expect(s.type.fields.map((f) => `${f.name}: ${typeToString(f.type)}`)).toEqual([
      'ts: time',
      'day: time',
      'n32: int64',
      'u8: uint64',
      'f32: double',
      'big: string',
      'tag: enum',
      'addr: ip',
    ]);
    expect(rows(b)).toEqual([
      {
        ts: BigInt(ms) * 1_000_000n,
        day: 86_400_000_000_000n,
        n32: -5n,
        u8: 200n,
        f32: 0.5,
        big: 'large',
        tag: 'a',
        addr: { ip: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1]) },
      },
      {
        ts: null,
        day: 2n * 86_400_000_000_000n,
        n32: 7n,
        u8: null,
        f32: 1.5,
        big: 'utf8',
        tag: 'b',
        addr: { ip: new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]) },
      },
    ]);
    expect(s.name).toBe('unknown');
  });

  test('garbage is a clear error, not a crash', async () => {
    for (const text of [
      'hello, this is not Arrow at all',
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0x10, 0, 0, 0, 1, 2, 3]),
    ]) {
      const diagnostics: string[] = [];
      await expect(
        readAll(arrow, { text, file: 'bad.arrow' }, { onDiagnostic: (d) => diagnostics.push(d.message) }),
      ).rejects.toThrow(/bad\.arrow: invalid Arrow IPC data/);
      expect(diagnostics).toHaveLength(1);
    }
  });

  test('a truncated stream is a clear error', async () => {
    const bytes = await writeBytes([allTypesBatch(), smallBatch([{ n: 1, s: 'x' }])]);
    for (const cut of [20, 200, bytes.length - 40]) {
      await expect(readAll(arrow, { text: bytes.subarray(0, bytes.length - cut) })).rejects.toThrow(
        /invalid Arrow IPC data: Expected to read \d+/,
      );
    }
  });

  test('detect', () => {
    expect(arrow.detect!(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x10, 0, 0, 0]))).toBe(true);
    expect(arrow.detect!(Buffer.from('#separator \\x09'))).toBe(false);
    expect(arrow.detect!(Buffer.from('{"a": 1}'))).toBe(false);
  });

  test('small schema round trip keeps the int64 type', async () => {
    const bytes = await writeBytes([smallBatch([{ n: '9223372036854775807', s: 'max' }])]);
    const read = await readAll(arrow, { text: bytes });
    expect(typeToString(vastSchema(read.batches[0].schema).type)).toBe(typeToString(small.type));
    expect(rows(read.batches[0])).toEqual([{ n: 9223372036854775807n, s: 'max' }]);
    expect(basic('int64').kind).toBe('int64');
  });
});

describeDatasets('arrow on zeek/conn.log', () => {
  test('round trip keeps the schema and every value', async () => {
    const batches = await readConnLog();
    for (const compress of [false, true]) {
      const { batches: back } = await roundTrip(batches, { compress });
      expect(back.map((b) => vastSchema(b.schema).name)).toEqual(
        batches.map((b) => vastSchema(b.schema).name),
      );
      expect(typeToString(vastSchema(back[0].schema).type)).toBe(
        typeToString(vastSchema(batches[0].schema).type),
      );
      // The JSON text holds every value exactly (64-bit integers, nanoseconds) and compares fast.
      expect(await writeText(writeJson, back)).toBe(await writeText(writeJson, batches));
    }
  });
});
