import { describe, expect, it } from 'vitest';
import { schemaOf } from '../../../../src/pipeline/batch-ops.js';
import { conn, dns, errorOf, parse, run, runRows } from '../helpers.js';

const c = conn([
  {
    ts: '2020-01-01',
    id: { orig_h: '10.0.0.1', orig_p: 1, resp_h: '10.0.0.2', resp_p: 80 },
    proto: 'tcp',
    bytes: 5,
  },
]);
const d = dns([
  { ts: '2020-01-01', id: { orig_h: '10.0.0.3', resp_h: '8.8.8.8' }, proto: 'udp', query: 'a.com' },
]);

describe('rename', () => {
  it('renames nested leaves in place, in every schema that has them', async () => {
    const rows = await runRows('rename src=id.orig_h, kind=proto', [c, d]);
    expect(rows[0]).toEqual({
      '#schema': 'zeek.conn',
      ts: 1577836800000000000n,
      id: { src: '10.0.0.1', orig_p: 1, resp_h: '10.0.0.2', resp_p: 80 },
      kind: 'tcp',
      bytes: 5n,
      duration: null,
    });
    expect(Object.keys(rows[1])).toEqual(['#schema', 'ts', 'id', 'kind', 'query', 'answers']);
    expect((rows[1].id as Record<string, unknown>).src).toBe('10.0.0.3');
  });

  it('renames records, schemas and the timestamp attribute along', async () => {
    const [out] = await run('rename conn=id, when=ts, flow=:zeek.conn', [c]);
    const s = schemaOf(out);
    expect(s.name).toBe('flow');
    expect(s.timestamp).toBe('when');
    expect(s.type.fields.map((f) => f.name)).toEqual(['when', 'conn', 'proto', 'bytes', 'duration']);
    const [same] = await run('rename x=nothing', [d]);
    expect(same).toBe(d);
    expect(schemaOf((await run('rename id.src=id.orig_h', [d]))[0]).type.fields[1].type).toMatchObject({
      fields: [{ name: 'src' }, { name: 'resp_h' }],
    });
  });

  it('refuses to create duplicate names and to move fields', async () => {
    await expect(run('rename proto=bytes', [c])).rejects.toThrow("rename: two fields would be named 'proto'");
    const e = errorOf(() => parse('rename a.src=id.orig_h'));
    expect(e.message).toMatch(/cannot move it to another record at 1:8/);
    expect(errorOf(() => parse('rename src')).message).toBe("expected NEW=OLD, got 'src' at 1:8");
  });
});
