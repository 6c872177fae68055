import { describe, expect, test } from 'vitest';
import { ascii } from '../../../src/formats/ascii.js';
import { BatchBuilder } from '../../../src/types/batch-builder.js';
import { basic, record } from '../../../src/types/type.js';
import { describeDatasets } from '../../helpers/datasets.js';
import { allTypesBatch, readConnLog, smallBatch, writeText } from './fixtures/all-types.js';

/** VAST 2's ascii lines: values only, records flattened into the line, VAST's data syntax. */
const LINES = [
  '<2009-11-18T08:00:21.486539, "Pii6cUUq1v4", 192.168.1.102, 68, 192.168.1.1, 67, "udp", 163.82ms, 18446744073709551615, -9223372036854775808, 0.1, T, 10.0.0.0/8, ["a", "b,c"], [2001:db8::1, 1.2.3.4], [<"a": +1, "b": "x">, <"a": nil, "b": "y">], {"Host" -> "example.com", "X-Quote" -> "say \\"hi\\""}>',
  '<2020-01-01T00:00:00.000000, "with \\"quotes\\", commas\\x0aand newline", nil, nil, nil, nil, "tcp", 3.78s, 9007199254740993, -5, 1.0, F, 2001:db8::/32, [], [nil, 10.1.2.3], nil, {}>',
  '<1970-01-01T00:00:00.000000001, "", nil, nil, fe80::1, 443, nil, nil, nil, nil, nil, nil, nil, nil, nil, [], nil>',
];

describe('ascii writer', () => {
  test('one line per event in VAST data syntax', async () => {
    expect(await writeText(ascii.write!, [allTypesBatch()])).toBe(`${LINES.join('\n')}\n`);
  });

  // VAST 2 printed the first event of its conn.log (integration reference export-json / node-zeek-conn-log)
  // as `<2009-11-18T21:01:53.173350, "tS3vjKMCHqj", 192.168.1.1, 67, 192.168.1.104, 68, "udp", nil, nil, ...>`.
  test('a Zeek conn-like event reads like VAST printed it', async () => {
    const schema = {
      name: 'zeek.conn',
      type: record([
        { name: 'ts', type: basic('time') },
        { name: 'uid', type: basic('string') },
        {
          name: 'id',
          type: record([
            { name: 'orig_h', type: basic('ip') },
            { name: 'orig_p', type: basic('port') },
            { name: 'resp_h', type: basic('ip') },
            { name: 'resp_p', type: basic('port') },
          ]),
        },
        { name: 'duration', type: basic('duration') },
        { name: 'local_orig', type: basic('bool') },
        { name: 'missed_bytes', type: basic('uint64') },
        { name: 'tunnel_parents', type: { kind: 'list', element: basic('string') } as const },
      ]),
    };
    const b = new BatchBuilder(schema);
    b.appendJson({
      ts: '1258578113.173350',
      uid: 'tS3vjKMCHqj',
      id: { orig_h: '192.168.1.1', orig_p: 67, resp_h: '192.168.1.104', resp_p: 68 },
      duration: null,
      local_orig: null,
      missed_bytes: 0,
      tunnel_parents: [],
    });
    b.appendJson({
      ts: '1258589760.886949',
      uid: '7NswgvxBKYh',
      id: { orig_h: '192.168.1.1', orig_p: 67, resp_h: '192.168.1.104', resp_p: 68 },
      duration: 0.00163,
      local_orig: null,
      missed_bytes: 0,
      tunnel_parents: [],
    });
    expect(await writeText(ascii.write!, [b.finish()])).toBe(
      '<2009-11-18T21:01:53.173350, "tS3vjKMCHqj", 192.168.1.1, 67, 192.168.1.104, 68, nil, nil, 0, []>\n' +
        '<2009-11-19T00:16:00.886949, "7NswgvxBKYh", 192.168.1.1, 67, 192.168.1.104, 68, 1.63ms, nil, 0, []>\n',
    );
  });

  test('interleaved schemas', async () => {
    const out = await writeText(ascii.write!, [
      smallBatch([{ n: 1, s: 'x' }]),
      allTypesBatch(),
      smallBatch([{ n: null, s: '' }]),
    ]);
    expect(out).toBe(`<+1, "x">\n${LINES.join('\n')}\n<nil, "">\n`);
  });

  test('is a write-only format', () => {
    expect(ascii.name).toBe('ascii');
    expect(ascii.read).toBeUndefined();
  });
});

describeDatasets('ascii on zeek/conn.log', () => {
  test('the first event as VAST printed it', async () => {
    const batches = await readConnLog();
    const out = await writeText(ascii.write!, batches);
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(batches.reduce((n, b) => n + b.numRows, 0));
    expect(lines[0]).toBe(
      '<2009-11-18T08:00:21.486539, "Pii6cUUq1v4", 192.168.1.102, 68, 192.168.1.1, 67, "udp", nil, 163.82ms, 301, 300, "SF", nil, 0, "Dd", 1, 329, 1, 328, []>',
    );
    expect(lines[1]).toContain(', 3.78s, ');
  });
});
