import { describe, expect, it } from 'vitest';
import { operatorRegistry } from '../../../../src/pipeline/operators/index.js';
import { whereWith } from '../../../../src/pipeline/operators/where.js';
import { parsePipeline } from '../../../../src/pipeline/parse.js';
import { batch, collect, conn, dns, errorOf, runRows, stream, tagged } from '../helpers.js';

describe('unique', () => {
  it('drops every repeat of an earlier event of the same schema, nulls and nesting included', async () => {
    const a = conn([
      { ts: '2020-01-01', id: { orig_h: '10.0.0.1' }, proto: 'tcp' },
      { ts: '2020-01-01', id: { orig_h: '10.0.0.1' }, proto: 'tcp' },
      { ts: '2020-01-01', id: null, proto: 'tcp' },
    ]);
    const b = conn([
      { ts: '2020-01-01', id: null, proto: 'tcp' },
      { ts: '2020-01-01', id: { orig_h: '10.0.0.1' }, proto: 'udp' },
      { ts: '2020-01-01', id: { orig_h: '10.0.0.1' }, proto: 'tcp' },
    ]);
    const l = batch('t', 'record{l: list<string>}', [
      { l: ['a', 'b'] },
      { l: ['ab'] },
      { l: ['a', 'b'] },
      { l: [] },
      { l: null },
    ]);
    const rows = await runRows('unique', [a, b, l]);
    expect(rows.map((r) => [r['#schema'], r.proto ?? r.l])).toEqual([
      ['zeek.conn', 'tcp'],
      ['zeek.conn', 'tcp'],
      ['zeek.conn', 'udp'],
      ['t', ['a', 'b']],
      ['t', ['ab']],
      ['t', []],
      ['t', null],
    ]);
  });

  it('keeps equal-looking events of different schemas', async () => {
    const x = batch('x', 'record{n: int64}', [{ n: 1 }]);
    const y = batch('y', 'record{n: int64}', [{ n: 1 }]);
    expect((await runRows('unique', [x, y, x])).length).toBe(2);
  });
});

describe('where', () => {
  it('filters with the compiled predicate and round-trips its text', async () => {
    const c = conn([{ bytes: 1 }, { bytes: 7 }, { bytes: null }]);
    const d = dns([{ query: 'x' }]);
    expect((await runRows('where bytes > 2', [c, d])).map((r) => r.bytes)).toEqual([7n]);
    const op = whereWith((b) => new Uint8Array([b.numRows > 1 ? 0b001 : 0]), 'first');
    expect(tagged(await collect(op.run(stream([c, d])))).map((r) => r.bytes)).toEqual([1n]);
    expect(op.toString()).toBe('where first');
  });

  it('needs an expression compiler', () => {
    expect(errorOf(() => parsePipeline('head 1 | where x == 1')).message).toBe(
      'where needs an expression compiler at 1:16',
    );
    expect(operatorRegistry.get('where')).toBeDefined();
  });
});
