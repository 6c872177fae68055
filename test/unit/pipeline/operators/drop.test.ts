import { describe, expect, it } from 'vitest';
import { conn, dns, run, runRows } from '../helpers.js';

const c = conn([
  {
    ts: '2020-01-01',
    id: { orig_h: '10.0.0.1', orig_p: 1, resp_h: '10.0.0.2', resp_p: 80 },
    proto: 'tcp',
    bytes: 5,
  },
]);
const d = dns([
  {
    ts: '2020-01-01',
    id: { orig_h: '10.0.0.3', resp_h: '8.8.8.8' },
    proto: 'udp',
    query: 'a.com',
    answers: [],
  },
]);

describe('drop', () => {
  it('removes nested fields and whole records, leaving other schemas alone', async () => {
    expect(await runRows('drop orig_p, resp_p, ts, query', [c, d])).toEqual([
      {
        '#schema': 'zeek.conn',
        id: { orig_h: '10.0.0.1', resp_h: '10.0.0.2' },
        proto: 'tcp',
        bytes: 5n,
        duration: null,
      },
      { '#schema': 'zeek.dns', id: { orig_h: '10.0.0.3', resp_h: '8.8.8.8' }, proto: 'udp', answers: [] },
    ]);
    expect(await runRows('drop id, duration, bytes', [c])).toEqual([
      { '#schema': 'zeek.conn', ts: 1577836800000000000n, proto: 'tcp' },
    ]);
  });

  it('takes names qualified by the schema name, which touch only their schema', async () => {
    expect(await runRows('drop zeek.conn.id, dns.proto, dns.ts, dns.query', [c, d])).toEqual([
      { '#schema': 'zeek.conn', ts: 1577836800000000000n, proto: 'tcp', bytes: 5n, duration: null },
      { '#schema': 'zeek.dns', id: { orig_h: '10.0.0.3', resp_h: '8.8.8.8' }, answers: [] },
    ]);
  });

  it('passes batches without the fields through unchanged and removes emptied records', async () => {
    const [out] = await run('drop bytes', [d]);
    expect(out).toBe(d);
    expect(Object.keys((await runRows('drop id.orig_h, id.resp_h', [d]))[0])).toEqual([
      '#schema',
      'ts',
      'proto',
      'query',
      'answers',
    ]);
  });

  it('drops events left without any field', async () => {
    expect(await run('drop ts, id, proto, query, answers', [d])).toEqual([]);
  });
});
