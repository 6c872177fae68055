import { describe, expect, test } from 'vitest';
import { ascii } from '../../../src/formats/ascii.js';
import { BatchBuilder } from '../../../src/types/batch-builder.js';
import { basic, record } from '../../../src/types/type.js';
import { describeDatasets } from '../../helpers/datasets.js';
import { allTypesBatch, readConnLog, smallBatch, writeText } from './fixtures/all-types.js';

const LINES = [
  '<ts=2009-11-18T08:00:21.486539Z, uid="Pii6cUUq1v4", id=<orig_h=192.168.1.102, orig_p=68, resp_h=192.168.1.1, resp_p=67>, proto=udp, duration=163.82ms, bytes=18446744073709551615, delta=-9223372036854775808, ratio=0.1, ok=T, net=10.0.0.0/8, tags=["a", "b,c"], ips=[2001:db8::1, 1.2.3.4], pairs=[<a=1, b="x">, <a=nil, b="y">], headers={"Host" -> "example.com", "X-Quote" -> "say \\"hi\\""}>',
  '<ts=2020-01-01T00:00:00Z, uid="with \\"quotes\\", commas\\nand newline", id=nil, proto=tcp, duration=3.78s, bytes=9007199254740993, delta=-5, ratio=1.0, ok=F, net=2001:db8::/32, tags=[], ips=[nil, 10.1.2.3], pairs=nil, headers={}>',
  '<ts=1970-01-01T00:00:00.000000001Z, uid="", id=<orig_h=nil, orig_p=nil, resp_h=fe80::1, resp_p=443>, proto=nil, duration=nil, bytes=nil, delta=nil, ratio=nil, ok=nil, net=nil, tags=nil, ips=nil, pairs=[], headers=nil>',
];

describe('ascii writer', () => {
  test('one line per event in VAST data syntax', async () => {
    expect(await writeText(ascii.write!, [allTypesBatch()])).toBe(`${LINES.join('\n')}\n`);
  });

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
      ts: '1258531221.486539',
      uid: 'Pii6cUUq1v4',
      id: { orig_h: '192.168.1.102', orig_p: 68, resp_h: '192.168.1.1', resp_p: 67 },
      duration: 0.00163,
      local_orig: null,
      missed_bytes: 0,
      tunnel_parents: [],
    });
    expect(await writeText(ascii.write!, [b.finish()])).toBe(
      '<ts=2009-11-18T08:00:21.486539Z, uid="Pii6cUUq1v4", id=<orig_h=192.168.1.102, orig_p=68, resp_h=192.168.1.1, resp_p=67>, duration=1.63ms, local_orig=nil, missed_bytes=0, tunnel_parents=[]>\n',
    );
  });

  test('interleaved schemas', async () => {
    const out = await writeText(ascii.write!, [
      smallBatch([{ n: 1, s: 'x' }]),
      allTypesBatch(),
      smallBatch([{ n: null, s: '' }]),
    ]);
    expect(out).toBe(`<n=1, s="x">\n${LINES.join('\n')}\n<n=nil, s="">\n`);
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
      '<ts=2009-11-18T08:00:21.486539Z, uid="Pii6cUUq1v4", id=<orig_h=192.168.1.102, orig_p=68, resp_h=192.168.1.1, resp_p=67>, proto=udp, service=nil, duration=163.82ms, orig_bytes=301, resp_bytes=300, conn_state="SF", local_orig=nil, missed_bytes=0, history="Dd", orig_pkts=1, orig_ip_bytes=329, resp_pkts=1, resp_ip_bytes=328, tunnel_parents=[]>',
    );
    expect(lines[1]).toContain('duration=3.78s');
  });
});
