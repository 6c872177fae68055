import { join } from 'node:path';
import type * as A from 'apache-arrow';
import { describe, expect, test } from 'vitest';
import { type Diagnostic, InputError } from '../../../src/diagnostics.js';
import { readCsv } from '../../../src/formats/csv/reader.js';
import type { FormatDef } from '../../../src/formats/format.js';
import { bytesInput, readBatches } from '../../../src/formats/read.js';
import { schemaName } from '../../../src/types/arrow.js';
import { dataset, describeDatasets, ROOT } from '../../helpers/datasets.js';
import { readAll, registry } from '../../helpers/read.js';
import { fieldType, rowsOf, sh } from './json-family.helpers.js';

const csv: FormatDef = { name: 'csv', description: 'csv', extensions: [], read: readCsv };
const broken = (name: string) => join(ROOT, 'test', 'fixtures', 'broken', name);

/** Reads text fed in chunks of `chunk` bytes (to cross quotes and line ends at chunk borders). */
async function readChunked(text: string, chunk: number, opts: { batchSize?: number; schema?: string } = {}) {
  const diagnostics: Diagnostic[] = [];
  const batches: A.RecordBatch[] = [];
  for await (const b of readBatches(csv, bytesInput(text, chunk), {
    file: '<test>',
    schemas: registry,
    onDiagnostic: (d) => diagnostics.push(d),
    ...opts,
  }))
    batches.push(b);
  return { batches, diagnostics };
}

const types = (b: A.RecordBatch) =>
  Object.fromEntries(b.schema.fields.map((f) => [f.name, fieldType(b, f.name)]));

describe('csv reader: RFC 4180', () => {
  const text = [
    'name,note,n',
    'plain,"with, comma",1',
    '"quoted ""word""","multi',
    'line",2',
    '  padded  ,  " spaced "  ,3',
    'crlf,x,4\r',
    '',
    'last,,5',
  ].join('\n');

  test.each([1, 2, 5, 1 << 16])(
    'quotes, doubled quotes, newlines in quotes, CRLF, padding (chunks of %i)',
    async (chunk) => {
      const { batches, diagnostics } = await readChunked(text, chunk);
      expect(diagnostics).toEqual([]);
      expect(rowsOf(batches).map(({ '#schema': _, ...r }) => r)).toEqual([
        { name: 'plain', note: 'with, comma', n: 1 },
        { name: 'quoted "word"', note: 'multi\nline', n: 2 },
        { name: 'padded', note: ' spaced ', n: 3 },
        { name: 'crlf', note: 'x', n: 4 },
        { name: 'last', note: null, n: 5 },
      ]);
      expect(schemaName(batches[0])).toBe('csv');
    },
  );
});

describe('csv reader: type inference', () => {
  test('int64, double, bool, time, ip, string; empty cells are null', async () => {
    const text = [
      'i,d,b,t,ip,s,e',
      '1,1.5,true,2009-11-18T08:00:21.5Z,10.0.0.1,x,',
      '-2,3,false,2009-11-18+09:00:03.914398,2001:db8::1,7,',
      ',,,,,,',
    ].join('\n');
    const { batches, diagnostics } = await readAll(csv, { text });
    expect(diagnostics).toEqual([]);
    expect(types(batches[0])).toEqual({
      i: 'int64',
      d: 'double',
      b: 'bool',
      t: 'time',
      ip: 'ip',
      s: 'string',
      e: 'string',
    });
    expect(batches[0].schema.metadata.get('vast.timestamp')).toBe('t');
    expect(rowsOf(batches).map(({ '#schema': _, ...r }) => r)).toEqual([
      { i: 1, d: 1.5, b: true, t: '2009-11-18T08:00:21.5Z', ip: '10.0.0.1', s: 'x', e: null },
      { i: -2, d: 3, b: false, t: '2009-11-18T09:00:03.914398Z', ip: '2001:db8::1', s: '7', e: null },
      { i: null, d: null, b: null, t: null, ip: null, s: null, e: null },
    ]);
  });

  test('a column of addresses with a MAC address in it stays string', async () => {
    const text = 'addr\n192.168.1.1\n10.0.0.2\n00:22:2d:81:db:10\n';
    const { batches } = await readAll(csv, { text });
    expect(types(batches[0])).toEqual({ addr: 'string' });
    expect(rowsOf(batches).map((r) => r.addr)).toEqual(['192.168.1.1', '10.0.0.2', '00:22:2d:81:db:10']);
  });

  test('types only widen from batch to batch', async () => {
    const text = 'n\n1\n2\n3.5\n4\n';
    const { batches } = await readChunked(text, 1 << 16, { batchSize: 2 });
    expect(batches.map((b) => [b.numRows, fieldType(b, 'n')])).toEqual([
      [2, 'int64'],
      [2, 'double'],
    ]);
  });

  test('--schema types the columns it knows, nested by their dotted names', async () => {
    const text = 'ts,id.orig_h,id.orig_p,proto,extra\n1258531221.486539,10.0.0.1,80,tcp,x\n';
    const { batches, diagnostics } = await readAll(csv, { text }, { schema: 'zeek.conn' });
    expect(diagnostics).toEqual([]);
    const b = batches[0];
    expect(schemaName(b)).toBe('zeek.conn');
    expect(
      ['ts', 'id.orig_h', 'id.orig_p', 'proto', 'extra', 'duration'].map((p) => fieldType(b, p)),
    ).toEqual(['time', 'ip', 'port', 'enum', 'string', 'duration']);
    const [row] = rowsOf(batches);
    expect(row.ts).toBe('2009-11-18T08:00:21.486539Z');
    expect(row.id).toEqual({ orig_h: '10.0.0.1', orig_p: 80, resp_h: null, resp_p: null });
    const named = await readAll(csv, { text: 'a\n1\n' }, { schema: 'my.csv' });
    expect(schemaName(named.batches[0])).toBe('my.csv');
  });
});

describe('csv reader: bad input', () => {
  test('ragged rows: recoverable errors with line:column, the rest read', async () => {
    const { rows, diagnostics } = await readAll(csv, { path: broken('csv-ragged.csv') });
    expect(rows).toBe(2);
    expect(diagnostics.map((d) => [d.message, d.location?.line, d.location?.column, d.recoverable])).toEqual([
      ['expected 3 fields, got 2', 3, 4, true],
      ['expected 3 fields, got 4', 4, 7, true],
    ]);
  });

  test('an unterminated quote at the end of input is an error at the quote', async () => {
    const { rows, diagnostics } = await readAll(csv, { path: broken('csv-unterminated-quote.csv') });
    expect(rows).toBe(1);
    expect(diagnostics.map((d) => [d.message, d.location?.line, d.location?.column])).toEqual([
      ['unterminated quoted field at end of input', 3, 3],
    ]);
  });

  test('invalid UTF-8 is an error at the byte', async () => {
    const { rows, diagnostics } = await readAll(csv, { path: broken('csv-invalid-utf8.csv') });
    expect(rows).toBe(2);
    expect(diagnostics.map((d) => [d.message, d.location?.line, d.location?.column])).toEqual([
      ['invalid UTF-8', 3, 4],
    ]);
  });

  test('a cell that does not fit a --schema type; text after a closing quote; over-long records', async () => {
    const typed = await readAll(csv, { text: 'id.orig_h\n10.0.0.1\nnope\n' }, { schema: 'zeek.conn' });
    expect(typed.rows).toBe(1);
    expect(typed.diagnostics.map((d) => [d.message, d.location?.line, d.location?.column])).toEqual([
      ["invalid value for field 'id.orig_h' (ip): 'nope'", 3, 1],
    ]);
    const stray = await readAll(csv, { text: 'a,b\n"x"y,1\n2,3\n' });
    expect(stray.rows).toBe(1);
    expect(stray.diagnostics.map((d) => [d.message, d.location?.line, d.location?.column])).toEqual([
      ['unexpected text after a closing quote', 2, 4],
    ]);
    const long = await readAll(csv, { text: `a\n${'x'.repeat(200)}\n1\n` }, { maxLineBytes: 100 });
    expect(long.rows).toBe(1);
    expect(long.diagnostics.map((d) => [d.message, d.location?.line])).toEqual([
      ['record too long: 201 bytes (limit 100)', 2],
    ]);
  });

  test("onError 'fail' throws InputError at the first bad row", async () => {
    const err = await readAll(csv, { path: broken('csv-ragged.csv') }, { onError: 'fail' }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).diagnostic?.location).toMatchObject({ line: 3, column: 4 });
  });
});

describeDatasets('csv reader on Argus flow records', () => {
  const argus = dataset('other', 'argus-M57-10k-pkts.csv');

  test('rows, column types (padded cells trimmed, addresses with MACs as strings)', async () => {
    const { batches, diagnostics, rows } = await readAll(csv, { path: argus });
    expect(diagnostics).toEqual([]);
    expect(rows).toBe(Number(sh(`tail -n +2 ${argus} | wc -l`)));
    expect(types(batches[0])).toEqual({
      StartTime: 'time',
      Flgs: 'string',
      Proto: 'string',
      SrcAddr: 'string',
      Sport: 'int64',
      Dir: 'string',
      DstAddr: 'string',
      Dport: 'int64',
      TotPkts: 'int64',
      TotBytes: 'int64',
      State: 'string',
      Dur: 'double',
      Cause: 'string',
    });
    expect(batches[0].schema.metadata.get('vast.timestamp')).toBe('StartTime');
  });

  test('values agree with awk', async () => {
    const rows = rowsOf((await readAll(csv, { path: argus })).batches);
    const total = rows.reduce((n, r) => n + (r.TotBytes as number), 0);
    expect(total).toBe(Number(sh(`tail -n +2 ${argus} | awk -F, '{s += $10} END {print s}'`)));
    expect(rows.filter((r) => r.Sport === null).length).toBe(
      Number(sh(`tail -n +2 ${argus} | awk -F, '$5 == ""' | wc -l`)),
    );
    expect(rows.filter((r) => r.Proto === 'arp').length).toBe(Number(sh(`grep -c ',arp,' ${argus}`)));
    const dirs = [...new Set(rows.map((r) => r.Dir))].sort();
    expect(dirs).toEqual(sh(`tail -n +2 ${argus} | cut -d, -f6 | tr -d ' ' | sort -u`).split('\n'));
    expect(rows[0]).toMatchObject({
      StartTime: '2009-11-18T09:00:03.914398Z',
      Flgs: 'e',
      SrcAddr: '192.168.1.1',
      Dur: 0,
    });
    const durSum = rows.reduce((n, r) => n + (r.Dur as number), 0);
    expect(durSum).toBeCloseTo(
      Number(sh(`tail -n +2 ${argus} | awk -F, '{s += $12} END {printf "%.6f", s}'`)),
      4,
    );
  });
});
