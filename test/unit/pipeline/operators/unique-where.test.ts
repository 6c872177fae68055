import { describe, expect, it } from 'vitest';
import { whereWith } from '../../../../src/pipeline/operators/where.js';
import { parsePipeline } from '../../../../src/pipeline/parse.js';
import { batch, collect, conn, dns, errorOf, parse, runRows, stream, tagged } from '../helpers.js';

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
    // Whole rows: a `unique` that compared only some fields (proto, or id) keeps other ones.
    const orig = (r: (typeof rows)[number]) => (r.id as { orig_h: string } | null)?.orig_h ?? null;
    expect(rows.map((r) => (r['#schema'] === 't' ? ['t', r.l] : [r['#schema'], orig(r), r.proto]))).toEqual([
      ['zeek.conn', '10.0.0.1', 'tcp'],
      ['zeek.conn', null, 'tcp'],
      ['zeek.conn', '10.0.0.1', 'udp'],
      ['t', ['a', 'b']],
      ['t', ['ab']],
      ['t', []],
      ['t', null],
    ]);
  });

  it('keeps equal-looking events of different schemas', async () => {
    const x = batch('x', 'record{n: int64}', [{ n: 1 }]);
    const y = batch('y', 'record{n: int64}', [{ n: 1 }]);
    const rows = await runRows('unique', [x, y, x, y]);
    expect(rows).toEqual([
      { '#schema': 'x', n: 1n },
      { '#schema': 'y', n: 1n },
    ]);
  });
});

describe('where', () => {
  it('filters with the compiled predicate and round-trips its text', async () => {
    const c = conn([{ bytes: 1 }, { bytes: 7 }, { bytes: null }, { bytes: 9 }]);
    const d = dns([{ query: 'x' }]);
    const rows = await runRows('where bytes > 2', [c, d]);
    expect(rows.map((r) => [r['#schema'], r.bytes])).toEqual([
      ['zeek.conn', 7n],
      ['zeek.conn', 9n],
    ]);
    // Round trip: the printed operator parses back to one that keeps the same rows.
    const [op] = parse('where bytes > 2');
    expect(op.toString()).toBe('where bytes > 2');
    expect(tagged(await collect(parse(op.toString())[0].run(stream([c, d]))))).toEqual(rows);
  });

  it('keeps exactly the rows whose predicate bit is set, batch by batch', async () => {
    const c = conn([{ bytes: 1 }, { bytes: 2 }, { bytes: 3 }, { bytes: 4 }]);
    const d = dns([{ query: 'x' }, { query: 'y' }]);
    // Rows 0 and 2 of 4-row batches; nothing of the others (an all-zero mask yields no batch).
    const op = whereWith((b) => new Uint8Array([b.numRows === 4 ? 0b0101 : 0]), 'rows 0 and 2');
    const out = await collect(op.run(stream([c, d, c])));
    expect(out.map((b) => b.numRows)).toEqual([2, 2]);
    expect(tagged(out).map((r) => r.bytes)).toEqual([1n, 3n, 1n, 3n]);
    expect(op.toString()).toBe('where rows 0 and 2');
    expect(whereWith(() => new Uint8Array(1)).toString()).toBe('where <compiled predicate>');
  });

  it('needs an expression compiler', () => {
    expect(errorOf(() => parsePipeline('head 1 | where x == 1')).message).toBe(
      'where needs an expression compiler at 1:16',
    );
  });
});
