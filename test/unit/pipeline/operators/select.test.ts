import { describe, expect, it } from 'vitest';
import { schemaOf } from '../../../../src/pipeline/batch-ops.js';
import { conn, dns, run, runRows } from '../helpers.js';

const c = conn([
  {
    ts: '2020-01-01T00:00:00Z',
    id: { orig_h: '10.0.0.1', orig_p: 1, resp_h: '10.0.0.2', resp_p: 80 },
    proto: 'tcp',
    bytes: 5,
  },
  { ts: '2020-01-01T00:00:01Z', id: null, proto: null, bytes: null },
]);
const d = dns([
  {
    ts: '2020-01-01T00:00:02Z',
    id: { orig_h: '10.0.0.3', resp_h: '8.8.8.8' },
    proto: 'udp',
    query: 'a.com',
    answers: ['1.2.3.4'],
  },
]);

describe('select', () => {
  it('keeps the named fields in the given order, across schemas, with the suffix rule', async () => {
    expect(await runRows('select proto, orig_h', [c, d])).toEqual([
      { '#schema': 'zeek.conn', proto: 'tcp', id: { orig_h: '10.0.0.1' } },
      { '#schema': 'zeek.conn', proto: null, id: null },
      { '#schema': 'zeek.dns', proto: 'udp', id: { orig_h: '10.0.0.3' } },
    ]);
  });

  it('takes names qualified by the schema name, which pick their schema', async () => {
    expect(await runRows('select conn.proto, zeek.dns.id.orig_h', [c, d])).toEqual([
      { '#schema': 'zeek.conn', proto: 'tcp' },
      { '#schema': 'zeek.conn', proto: null },
      { '#schema': 'zeek.dns', id: { orig_h: '10.0.0.3' } },
    ]);
  });

  it('keeps whole records and gathers nested fields of one record at its first mention', async () => {
    const [out] = await run('select id.resp_h, ts, id.orig_h', [c]);
    expect(Object.keys((await runRows('select id.resp_h, ts, id.orig_h', [c]))[0])).toEqual([
      '#schema',
      'id',
      'ts',
    ]);
    expect(schemaOf(out).type.fields[0].type).toEqual({
      kind: 'record',
      fields: [
        { name: 'resp_h', type: { kind: 'ip' } },
        { name: 'orig_h', type: { kind: 'ip' } },
      ],
    });
    const rows = await runRows('select id, id.orig_h', [c]);
    expect(rows[0].id).toEqual({ orig_h: '10.0.0.1', orig_p: 1, resp_h: '10.0.0.2', resp_p: 80 });
  });

  it('drops events of schemas without any selected field', async () => {
    expect(await runRows('select query, answers', [c, d])).toEqual([
      { '#schema': 'zeek.dns', query: 'a.com', answers: ['1.2.3.4'] },
    ]);
  });

  it('keeps the timestamp attribute only while its field is selected', async () => {
    expect(schemaOf((await run('select ts, bytes', [c]))[0]).timestamp).toBe('ts');
    expect(schemaOf((await run('select bytes', [c]))[0]).timestamp).toBeUndefined();
  });
});
