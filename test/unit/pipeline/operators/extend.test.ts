import { describe, expect, it } from 'vitest';
import { schemaOf } from '../../../../src/pipeline/batch-ops.js';
import { typeToString } from '../../../../src/types/type.js';
import { batch, errorOf, parse, rowsOf, run } from '../helpers.js';

const b = batch('t', 'record{x: int64}', [{ x: 1 }, { x: 2 }]);

describe('extend', () => {
  it('adds constants whose type follows from the literal syntax', async () => {
    const text =
      'extend s="a \\"q\\"", b=true, u=42, i=-42, d=1.5, dur=1.5s, t=2020-01-01T00:00:01Z, a=10.0.0.1, a6=::1, n=10.0.0.0/8, p=443/tcp, l=[1, 2]';
    const [out] = await run(text, [b]);
    expect(schemaOf(out).type.fields.map((f) => `${f.name}: ${typeToString(f.type)}`)).toEqual([
      'x: int64',
      's: string',
      'b: bool',
      'u: uint64',
      'i: int64',
      'd: double',
      'dur: duration',
      't: time',
      'a: ip',
      'a6: ip',
      'n: subnet',
      'p: port',
      'l: list<uint64>',
    ]);
    const rows = rowsOf(out);
    expect(rows[1]).toEqual({
      x: 2n,
      s: 'a "q"',
      b: true,
      u: 42n,
      i: -42n,
      d: 1.5,
      dur: 1_500_000_000n,
      t: 1577836801000000000n,
      a: '10.0.0.1',
      a6: '::1',
      n: '10.0.0.0/8',
      p: 443,
      l: [1n, 2n],
    });
    expect(rows[0]).toEqual({ ...rows[1], x: 1n });
    expect(parse(text)[0].toString()).toBe(text);
  });

  it('leaves existing fields alone', async () => {
    expect(rowsOf((await run('extend x=5, y=5', [b]))[0])).toEqual([
      { x: 1n, y: 5n },
      { x: 2n, y: 5n },
    ]);
  });

  it('reports bad values where they are', () => {
    expect(errorOf(() => parse('extend a=1, b=nope')).message).toMatch(/^invalid value 'nope' at 1:15/);
    expect(errorOf(() => parse('extend a=[1, "x"]')).message).toMatch(/^list elements must have one type/);
    expect(errorOf(() => parse('extend a.b=1')).message).toBe(
      "expected a top-level field name, got 'a.b' at 1:8",
    );
    expect(errorOf(() => parse('extend a=1, a=2')).message).toBe("field 'a' is extended twice at 1:13");
  });
});
