import { describe, expect, test } from 'vitest';
import { csvCell, writeCsv } from '../../../src/formats/csv/writer.js';
import { writeJson } from '../../../src/formats/json/writer.js';
import { CHUNK_ROWS } from '../../../src/types/print-value.js';
import { describeDatasets } from '../../helpers/datasets.js';
import { allTypesBatch, readConnLog, smallBatch, writeText } from './fixtures/all-types.js';

/**
 * VAST 2's JSON (its export-json integration reference, flattened as with its `--flatten`):
 * dotted keys, durations as VAST literals, times with six fraction digits and no zone, nulls kept.
 */
const JSON_LINES = [
  '{"ts":"2009-11-18T08:00:21.486539","uid":"Pii6cUUq1v4","id.orig_h":"192.168.1.102","id.orig_p":68,"id.resp_h":"192.168.1.1","id.resp_p":67,"proto":"udp","duration":"163.82ms","bytes":18446744073709551615,"delta":-9223372036854775808,"ratio":0.1,"ok":true,"net":"10.0.0.0/8","tags":["a","b,c"],"ips":["2001:db8::1","1.2.3.4"],"pairs":[{"a":1,"b":"x"},{"a":null,"b":"y"}],"headers":{"Host":"example.com","X-Quote":"say \\"hi\\""}}',
  '{"ts":"2020-01-01T00:00:00.000000","uid":"with \\"quotes\\", commas\\nand newline","id.orig_h":null,"id.orig_p":null,"id.resp_h":null,"id.resp_p":null,"proto":"tcp","duration":"3.78s","bytes":9007199254740993,"delta":-5,"ratio":1.0,"ok":false,"net":"2001:db8::/32","tags":[],"ips":[null,"10.1.2.3"],"pairs":null,"headers":{}}',
  '{"ts":"1970-01-01T00:00:00.000000001","uid":"","id.orig_h":null,"id.orig_p":null,"id.resp_h":"fe80::1","id.resp_p":443,"proto":null,"duration":null,"bytes":null,"delta":null,"ratio":null,"ok":null,"net":null,"tags":null,"ips":null,"pairs":[],"headers":null}',
];

/** With `nested` (and `numeric-durations`): vast's earlier default, records as objects. */
const NESTED_LINES = [
  '{"ts":"2009-11-18T08:00:21.486539","uid":"Pii6cUUq1v4","id":{"orig_h":"192.168.1.102","orig_p":68,"resp_h":"192.168.1.1","resp_p":67},"proto":"udp","duration":0.16382,"bytes":18446744073709551615,"delta":-9223372036854775808,"ratio":0.1,"ok":true,"net":"10.0.0.0/8","tags":["a","b,c"],"ips":["2001:db8::1","1.2.3.4"],"pairs":[{"a":1,"b":"x"},{"a":null,"b":"y"}],"headers":{"Host":"example.com","X-Quote":"say \\"hi\\""}}',
  '{"ts":"2020-01-01T00:00:00.000000","uid":"with \\"quotes\\", commas\\nand newline","id":null,"proto":"tcp","duration":3.78,"bytes":9007199254740993,"delta":-5,"ratio":1.0,"ok":false,"net":"2001:db8::/32","tags":[],"ips":[null,"10.1.2.3"],"pairs":null,"headers":{}}',
  '{"ts":"1970-01-01T00:00:00.000000001","uid":"","id":{"orig_h":null,"orig_p":null,"resp_h":"fe80::1","resp_p":443},"proto":null,"duration":null,"bytes":null,"delta":null,"ratio":null,"ok":null,"net":null,"tags":null,"ips":null,"pairs":[],"headers":null}',
];

describe('json writer', () => {
  test('one flattened object per line, every type, nulls written as null', async () => {
    const out = await writeText(writeJson, [allTypesBatch()]);
    expect(out).toBe(`${JSON_LINES.join('\n')}\n`);
  });

  test('nested: records as objects; numeric-durations: seconds', async () => {
    const out = await writeText(writeJson, [allTypesBatch()], { nested: true, 'numeric-durations': true });
    expect(out).toBe(`${NESTED_LINES.join('\n')}\n`);
  });

  test('output parses back to the expected values', async () => {
    const out = await writeText(writeJson, [allTypesBatch()]);
    const rows = out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows[0].ts).toBe('2009-11-18T08:00:21.486539');
    expect(rows[0]['id.orig_h']).toBe('192.168.1.102');
    expect(rows[0]['id.resp_p']).toBe(67);
    expect(rows[0].id).toBeUndefined();
    expect(rows[0].ips).toEqual(['2001:db8::1', '1.2.3.4']);
    expect(rows[0].net).toBe('10.0.0.0/8');
    expect(rows[0].duration).toBe('163.82ms');
    expect(rows[1].uid).toBe('with "quotes", commas\nand newline');
    expect(rows[1]['id.orig_h']).toBeNull();
    expect(rows[2].ts).toBe('1970-01-01T00:00:00.000000001');
    expect(rows[2].uid).toBe('');
    // Integers above 2^53 keep their digits in the text (JSON.parse itself would round them).
    expect(out).toContain('"bytes":18446744073709551615,');
    expect(out).toContain('"bytes":9007199254740993,');
    expect(out).toContain('"delta":-9223372036854775808,');
  });

  test('omit-nulls leaves null fields out, flattened or nested', async () => {
    const lines = (await writeText(writeJson, [allTypesBatch()], { 'omit-nulls': true }))
      .trimEnd()
      .split('\n');
    expect(lines[2]).toBe(
      '{"ts":"1970-01-01T00:00:00.000000001","uid":"","id.resp_h":"fe80::1","id.resp_p":443,"pairs":[]}',
    );
    expect(lines[1]).not.toContain('"id.');
    // Nulls inside lists stay: they are positions, not fields.
    expect(lines[1]).toContain('"ips":[null,"10.1.2.3"]');
    const nested = (await writeText(writeJson, [allTypesBatch()], { 'omit-nulls': true, nested: true }))
      .trimEnd()
      .split('\n');
    expect(nested[2]).toBe(
      '{"ts":"1970-01-01T00:00:00.000000001","uid":"","id":{"resp_h":"fe80::1","resp_p":443},"pairs":[]}',
    );
    expect(nested[1]).not.toContain('"id"');
  });

  test('interleaved schemas, each line in its own layout', async () => {
    const a = smallBatch([
      { n: 1, s: 'x' },
      { n: null, s: 'y' },
    ]);
    const out = await writeText(writeJson, [a, allTypesBatch(), smallBatch([{ n: -2, s: null }])]);
    const lines = out.trimEnd().split('\n');
    expect(lines).toEqual(['{"n":1,"s":"x"}', '{"n":null,"s":"y"}', ...JSON_LINES, '{"n":-2,"s":null}']);
  });

  test('empty batches and no batches write nothing', async () => {
    expect(await writeText(writeJson, [])).toBe('');
    expect(await writeText(writeJson, [smallBatch([])])).toBe('');
  });
});

const CSV_HEADER =
  'ts,uid,id.orig_h,id.orig_p,id.resp_h,id.resp_p,proto,duration,bytes,delta,ratio,ok,net,tags,ips,pairs,headers';
const CSV_ROWS = [
  '2009-11-18T08:00:21.486539Z,Pii6cUUq1v4,192.168.1.102,68,192.168.1.1,67,udp,163.82ms,18446744073709551615,-9223372036854775808,0.1,true,10.0.0.0/8,"[a, b,c]","[2001:db8::1, 1.2.3.4]","[<a=1, b=x>, <a=, b=y>]","{Host -> example.com, X-Quote -> say ""hi""}"',
  '2020-01-01T00:00:00Z,"with ""quotes"", commas\nand newline",,,,,tcp,3.78s,9007199254740993,-5,1,false,2001:db8::/32,[],"[, 10.1.2.3]",,{}',
  '1970-01-01T00:00:00.000000001Z,"",,,fe80::1,443,,,,,,,,,,[],',
];

describe('csv writer', () => {
  test('header of dotted leaf names, RFC 4180 quoting, nulls empty', async () => {
    const out = await writeText(writeCsv, [allTypesBatch()]);
    expect(out).toBe(`${CSV_HEADER}\n${CSV_ROWS.join('\n')}\n`);
  });

  test('a null record empties all of its leaves', async () => {
    const out = await writeText(writeCsv, [allTypesBatch()]);
    const row = out.split('\n').find((l) => l.startsWith('and newline'));
    // id is null in the second row: id.orig_h .. id.resp_p are empty.
    expect(row).toBe(
      'and newline",,,,,tcp,3.78s,9007199254740993,-5,1,false,2001:db8::/32,[],"[, 10.1.2.3]",,{}',
    );
  });

  test('quoting cases', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    expect(csvCell('cr\rhere')).toBe('"cr\rhere"');
    expect(csvCell('')).toBe('""');
    expect(csvCell(' spaces ')).toBe(' spaces ');
  });

  test('a new layout starts after an empty line with its own header', async () => {
    const s1 = smallBatch([{ n: 1, s: 'x' }]);
    const s2 = smallBatch([{ n: 2, s: 'a,b' }]);
    const out = await writeText(writeCsv, [s1, s2, allTypesBatch(), smallBatch([{ n: 3, s: null }])]);
    expect(out).toBe(['n,s', '1,x', '2,"a,b"', '', CSV_HEADER, ...CSV_ROWS, '', 'n,s', '3,', ''].join('\n'));
  });
});

describeDatasets('writers on zeek/conn.log', () => {
  test('json: one parseable object per event, values as Zeek wrote them', async () => {
    const batches = await readConnLog();
    const rows = batches.reduce((n, b) => n + b.numRows, 0);
    const out = await writeText(writeJson, batches);
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(rows);
    expect(lines[0]).toBe(
      '{"ts":"2009-11-18T08:00:21.486539","uid":"Pii6cUUq1v4","id.orig_h":"192.168.1.102","id.orig_p":68,"id.resp_h":"192.168.1.1","id.resp_p":67,"proto":"udp","service":null,"duration":"163.82ms","orig_bytes":301,"resp_bytes":300,"conn_state":"SF","local_orig":null,"missed_bytes":0,"history":"Dd","orig_pkts":1,"orig_ip_bytes":329,"resp_pkts":1,"resp_ip_bytes":328,"tunnel_parents":[]}',
    );
    for (const line of lines) {
      const e = JSON.parse(line);
      expect(e.ts).toMatch(/^2009-11-1\dT\d\d:\d\d:\d\d\.\d{6}$/);
      expect(typeof e['id.orig_h']).toBe('string');
    }
  });

  test('json: the flattened output reads back under its schema, every value as written', async () => {
    const { json } = await import('../../../src/formats/json/index.js');
    const { readAll } = await import('../../helpers/read.js');
    const batches = await readConnLog();
    const out = await writeText(writeJson, batches);
    const back = await readAll(json, { text: out }, { schema: 'zeek.conn' });
    expect(back.diagnostics).toEqual([]);
    expect(back.rows).toBe(batches.reduce((n, b) => n + b.numRows, 0));
    // Dotted keys went into the nested `id` record, not into new top-level fields.
    expect(back.batches[0].schema.fields.map((f) => f.name)).not.toContain('id.orig_h');
    // The registry schema has more fields (local_resp, community_id): they read as null.
    const again = (await writeText(writeJson, back.batches))
      .replaceAll(',"local_resp":null', '')
      .replaceAll(',"community_id":null', '');
    expect(again).toBe(out);
  });

  test('csv: one header, one line per event', async () => {
    const batches = await readConnLog();
    const out = await writeText(writeCsv, batches);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'ts,uid,id.orig_h,id.orig_p,id.resp_h,id.resp_p,proto,service,duration,orig_bytes,resp_bytes,conn_state,local_orig,missed_bytes,history,orig_pkts,orig_ip_bytes,resp_pkts,resp_ip_bytes,tunnel_parents',
    );
    expect(lines[1]).toBe(
      '2009-11-18T08:00:21.486539Z,Pii6cUUq1v4,192.168.1.102,68,192.168.1.1,67,udp,,163.82ms,301,300,SF,,0,Dd,1,329,1,328,[]',
    );
    expect(lines).toHaveLength(batches.reduce((n, b) => n + b.numRows, 0) + 1);
  });
});

describe('large batches', () => {
  test('are written in chunks of CHUNK_ROWS rows, headers once', async () => {
    const n = 2 * CHUNK_ROWS + 5;
    const batch = smallBatch(Array.from({ length: n }, (_, i) => ({ n: i, s: i % 3 ? `s${i}` : null })));
    async function* input() {
      yield batch;
    }
    const chunks: string[] = [];
    for await (const c of writeJson(input(), { options: {} })) chunks.push(c as string);
    expect(chunks).toHaveLength(3);
    const lines = chunks.join('').trimEnd().split('\n');
    expect(lines).toHaveLength(n);
    expect(lines[CHUNK_ROWS]).toBe(`{"n":${CHUNK_ROWS},"s":"s${CHUNK_ROWS}"}`);
    const csv = (await writeText(writeCsv, [batch])).trimEnd().split('\n');
    expect(csv).toHaveLength(n + 1);
    expect(csv.filter((l) => l === 'n,s')).toHaveLength(1);
    expect(csv[n]).toBe(`${n - 1},s${n - 1}`);
  });
});
