/**
 * Bounds on patterns (issue 9, finding 5): sizes after expanding counted
 * repetitions, the parse-time errors, the per-value work bound; and the
 * query scan's evaluation in row chunks, which must select exactly what a
 * whole-batch evaluation selects.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { compilePattern, expandedSize, patternLimitViolation } from '../../../src/expr/kernels/pattern.js';
import { parseExpression } from '../../../src/expr/parser.js';
import {
  countQuery,
  prepareQuery,
  QueryBudget,
  QueryCancelledError,
  QueryTimeoutError,
  runQuery,
} from '../../../src/query/run.js';
import { SchemaRegistry } from '../../../src/schemas/registry.js';
import { Store } from '../../../src/store/store.js';
import { BatchBuilder } from '../../../src/types/batch-builder.js';
import { parseType } from '../../../src/types/parse-type.js';
import type { RecordType } from '../../../src/types/type.js';

describe('pattern limits', () => {
  it('expands counted repetitions, multiplying nested ones', () => {
    expect(expandedSize('abc')).toEqual({ total: 3 });
    expect(expandedSize('(?:a+){1,256}$')).toEqual({ total: 256 });
    expect(expandedSize('[a-f0-9]{64}')).toEqual({ total: 64 });
    expect(expandedSize('(?:\\d{1,3}\\.){3}\\d{1,3}')).toEqual({ total: 15 });
    expect(expandedSize('(?<h>ab){3}x{2,}')).toEqual({ total: 8 });
  });

  it('names the offending count and where it is', () => {
    expect(patternLimitViolation('(?:a+){1,1000}$')).toEqual({
      at: 6,
      message: 'pattern repetition count 1000 exceeds the limit of 256',
    });
    expect(patternLimitViolation('(?:(?:x{100}){20})')).toEqual({
      at: 13,
      message: 'pattern nests repetition counts to 2000, exceeding the limit of 1000',
    });
    expect(patternLimitViolation('[a-z]{250}'.repeat(17))?.message).toBe(
      'pattern expands to 4250 atoms after counted repetitions, exceeding the limit of 4096',
    );
    expect(patternLimitViolation('a'.repeat(8193))?.message).toBe(
      'pattern is 8193 characters long, exceeding the limit of 8192',
    );
    expect(patternLimitViolation('[0-9a-f]{128}|(?:[a-z0-9-]{1,63}\\.){1,10}[a-z]{2,24}')).toBe(undefined);
  });

  it('reports the limit at the pattern position in the expression', () => {
    const r = parseExpression('x == 1 || s == /(?:a+){1,1000}$/');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics.map((d) => [d.message, d.location?.column])).toEqual([
      ['pattern repetition count 1000 exceeds the limit of 256', 23],
    ]);
  });

  it('never throws on arbitrary text, and what it accepts compiles', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom('a', '(', ')', '{', '}', '1', '0', ',', '?', ':', '[', ']', '\\', '*'),
        }),
        (src) => {
          const v = patternLimitViolation(src);
          if (v) expect(v.at).toBeGreaterThanOrEqual(0);
          // What a query accepts (the parser refuses invalid patterns, backreferences and lookarounds) compiles.
          const accepted = parseExpression(`x in /${src}/`).ok;
          if (accepted) expect(v).toBeUndefined();
          if (accepted) expect(() => compilePattern(src, false)).not.toThrow();
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses a value too long for one bounded test, with a clear error', () => {
    const m = compilePattern('(?:a+){1,256}$', false);
    expect(m('aaab')).toBe(false);
    expect(() => m('a'.repeat(40_000))).toThrow(
      'a value of 40000 characters is too long to match against pattern /(?:a+){1,256}$/ ' +
        '(at most 35714 characters for a pattern of this size)',
    );
  });
});

describe('the scan evaluates in row chunks and honours its budget', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vast-chunks-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const type = parseType('record{n: uint64, s: string}') as RecordType;
  const schema = { name: 't.rows', type, timestamp: undefined };
  const batch = (from: number, rows: number) => {
    const b = new BatchBuilder(schema);
    for (let i = from; i < from + rows; i++) b.appendJson({ n: i, s: i % 3 === 0 ? `x${i}y` : `z${i}` });
    return b.finish();
  };

  it('selects exactly what one evaluation would, whatever the chunk boundaries', async () => {
    const store = await Store.open(join(dir, 'db'), { create: true });
    // A pattern makes evaluation slow enough to be chunked; sizes cross byte boundaries.
    const tail = [batch(0, 1), batch(1, 13), batch(14, 5000), batch(5014, 37)];
    const q = prepareQuery('s == /x\\d+y/ || n == 7', [schema], new SchemaRegistry());
    const n = await countQuery(store, q, undefined, tail);
    let expected = 0;
    for (let i = 0; i < 5051; i++) if (i % 3 === 0 || i === 7) expected++;
    expect(n).toBe(expected);
    const seen: number[] = [];
    for await (const b of runQuery(store, q, { tail }))
      for (const v of b.getChild('n')!) seen.push(Number(v));
    expect(seen).toHaveLength(expected);
    expect(seen.slice(0, 5)).toEqual([0, 3, 6, 7, 9]);
  });

  it('stops with a clear error when cancelled or over budget', async () => {
    const store = await Store.open(join(dir, 'db2'), { create: true });
    const tail = [batch(0, 100)];
    const q = prepareQuery('s == /x\\d+y/', [schema], new SchemaRegistry());
    const abort = new AbortController();
    abort.abort();
    await expect(
      countQuery(store, q, undefined, tail, new QueryBudget(undefined, abort.signal)),
    ).rejects.toThrow(QueryCancelledError);
    const spent = new QueryBudget(0.001);
    await new Promise((r) => setTimeout(r, 5));
    await expect(countQuery(store, q, undefined, tail, spent)).rejects.toThrow(
      new QueryTimeoutError(0.001).message,
    );
  });
});
