import { describe, expect, it } from 'vitest';
import { ExpressionError } from '../../../src/expr/errors.js';
import { printExpression } from '../../../src/expr/print.js';
import { aggregates, makeAggregateRegistry } from '../../../src/pipeline/aggregates/index.js';
import { OperatorError } from '../../../src/pipeline/operator.js';
import { head } from '../../../src/pipeline/operators/head.js';
import { makeOperatorRegistry, operators } from '../../../src/pipeline/operators/index.js';
import { parseQuery, printPipeline } from '../../../src/pipeline/parse.js';
import { compileWhere, errorOf, parse } from './helpers.js';

describe('parsePipeline', () => {
  it('splits at pipes only: bars in strings and patterns, and ||, stay inside their tokens', () => {
    const text = 'where s == "a|b" || s == "c" | extend l=["x|y", "z"] | where s == /a|b/ | head 1';
    expect(printPipeline(parse(text))).toBe(
      'where s == "a|b" || s == "c" | extend l=["x|y", "z"] | where s == /a|b/ | head 1',
    );
    expect(parse('  ')).toEqual([]);
  });

  it('keeps subnets apart from patterns', () => {
    expect(printPipeline(parse('extend n=10.0.0.0/8 | extend m=10.1.0.0/16'))).toBe(
      'extend n=10.0.0.0/8 | extend m=10.1.0.0/16',
    );
  });

  it('round-trips every operator through toString', () => {
    const texts = [
      'where x == 1',
      'select id.orig_h, ts',
      'drop id, proto',
      'rename src=id.orig_h, id.dst=id.resp_h, flow=:zeek.conn',
      'extend a=1, b="x", c=10.0.0.0/8, d=[1s, 2s]',
      'head 5',
      'tail 3',
      'sort ts desc, id.orig_h',
      'unique',
      'summarize n=count(), sum(bytes), min(ts), max(ts), avg(duration), distinct(proto) by id.orig_h, h=round(ts, 1h)',
      'top proto 5',
      'rare proto 10',
    ];
    expect(new Set(texts.map((t) => t.split(' ')[0]))).toEqual(new Set(operators.map((o) => o.name)));
    for (const text of texts) {
      const [op] = parse(text);
      expect(op.toString()).toBe(text);
      expect(parse(op.toString())[0].toString()).toBe(text);
    }
    expect(printPipeline(parse('where x == 1|sort  ts  asc |head'))).toBe('where x == 1 | sort ts | head 10');
    expect(parse('head')[0].toString()).toBe('head 10');
    expect(parse('sort  ts  asc')[0].toString()).toBe('sort ts');
  });

  it('reports unknown operators with a suggestion and the position', () => {
    const e = errorOf(() => parse('head 5 | dorp x'));
    expect(e).toBeInstanceOf(OperatorError);
    expect(e.message).toBe("unknown operator 'dorp' at 1:10 (did you mean 'drop'?)");
    expect(e.diagnostic).toMatchObject({
      severity: 'error',
      message: "unknown operator 'dorp'",
      location: { line: 1, column: 10 },
      notes: ["did you mean 'drop'?"],
    });
    expect(e.render()).toBe(
      [
        "error: unknown operator 'dorp'",
        ' --> query:1:10',
        '  |',
        '1 | head 5 | dorp x',
        '  |          ^^^^',
        "  = note: did you mean 'drop'?",
      ].join('\n'),
    );
    expect(errorOf(() => parse('frobnicate')).diagnostic?.notes?.[0]).toMatch(
      /^known operators: where, select/,
    );
  });

  it('reports bad arguments where they are', () => {
    expect(errorOf(() => parse('head x')).message).toBe("expected a non-negative integer, got 'x' at 1:6");
    expect(errorOf(() => parse('tail 1 2')).message).toBe("unexpected argument '2' at 1:8");
    expect(errorOf(() => parse('sort ts sideways')).message).toBe(
      "expected 'asc' or 'desc', got 'sideways' at 1:9",
    );
    expect(errorOf(() => parse('select a,, b')).message).toBe('expected a field name at 1:10');
    expect(errorOf(() => parse('head 1 | | tail')).message).toBe('expected an operator at 1:10');
    expect(errorOf(() => parse('where x == "open')).diagnostic).toMatchObject({
      message: 'unterminated string',
      location: { line: 1, column: 12 },
    });
    expect(errorOf(() => parse('extend a=[1, 2')).message).toBe(
      "expected ']' at 1:15 (the '[' at 1:10 is still open; reached the end of the expression)",
    );
    expect(errorOf(() => parse('extend a="x\\q"')).message).toBe("invalid escape sequence '\\q' at 1:12");
    expect(errorOf(() => parse('unique now')).message).toBe("unexpected argument 'now' at 1:8");
    expect(errorOf(() => parse('select "x"')).message).toBe(`expected a field name, got '"x"' at 1:8`);
    expect(errorOf(() => parse('select a,')).message).toBe('expected a field name at 1:10');
  });

  it('locates errors in pipelines that follow an expression, on any line', () => {
    const query = '#schema == "zeek.conn"\n| head nope';
    const e = errorOf(() => parseQuery(query, { compileWhere }));
    expect(e.diagnostic?.location).toEqual({ source: 'query', line: 2, column: 8, length: 4 });
  });

  it('locates errors of a where expression in the whole query', () => {
    const e = errorOf(() => parseQuery('x == 1 | where foo ==', { compileWhere }));
    expect(e).toBeInstanceOf(ExpressionError);
    expect(e.diagnostic).toMatchObject({
      message: "expected a value after '=='",
      location: { line: 1, column: 22 },
    });
    const bad = errorOf(() => parseQuery('x == 1 | where y == 10.0.0.300', { compileWhere }));
    expect(bad.diagnostic).toMatchObject({
      message: "invalid IP address '10.0.0.300'",
      location: { line: 1, column: 21 },
    });
  });
});

describe('parseQuery', () => {
  const split = (text: string) => {
    const q = parseQuery(text, { compileWhere });
    return { expression: q.expr && printExpression(q.expr), pipeline: printPipeline(q.pipeline) };
  };

  it('separates a leading expression from the pipeline', () => {
    expect(split('#schema == "zeek.conn" | head 5')).toEqual({
      expression: '#schema == "zeek.conn"',
      pipeline: 'head 5',
    });
    expect(split('   ')).toEqual({ expression: undefined, pipeline: '' });
  });

  it('sees an operator first word as the start of the pipeline', () => {
    expect(split('head 5')).toEqual({ expression: undefined, pipeline: 'head 5' });
    expect(split('  sort ts | head').pipeline).toBe('sort ts | head 10');
    // A field that happens to be named like an operator is still an expression.
    expect(split('top == 1 | head').expression).toBe('top == 1');
    expect(split('head.x > 2').expression).toBe('head.x > 2');
    expect(split('sort in [1, 2]').expression).toBe('sort in [1, 2]');
  });

  it('ignores bars inside strings and patterns', () => {
    expect(split('query == "a|b" | head 1')).toEqual({ expression: 'query == "a|b"', pipeline: 'head 1' });
    expect(split('query == /a|b/i | top query')).toEqual({
      expression: 'query == /a|b/i',
      pipeline: 'top query 10',
    });
    expect(split('/evil|bad/')).toEqual({ expression: '/evil|bad/', pipeline: '' });
    expect(split('10.0.0.0/8 || 192.168.0.0/16')).toEqual({
      expression: '10.0.0.0/8 || 192.168.0.0/16',
      pipeline: '',
    });
    expect(split('x == 1 || y == /a|b/ | head')).toEqual({
      expression: 'x == 1 || y == /a|b/',
      pipeline: 'head 10',
    });
  });

  it('reports a mistyped = in the leading expression as the expression language does', () => {
    expect(errorOf(() => parseQuery('x = 1 | head')).diagnostic).toMatchObject({
      message: "unknown operator '='",
      location: { line: 1, column: 3 },
      notes: ["to compare, write '=='"],
    });
  });
});

describe('registries', () => {
  it('refuse duplicate names at load time', () => {
    expect(() => makeOperatorRegistry([head, head])).toThrow(
      "operator 'head' is defined twice (src/pipeline/operators/index.ts); give one of them another name",
    );
    expect(() => makeAggregateRegistry([...aggregates, aggregates[0]])).toThrow(
      /aggregate function 'count' is defined twice/,
    );
  });
});
