/**
 * VAST 2 syntax the expression language accepts: count literals with SI and
 * binary suffixes, the `~` / `!~` match operators, `nil`, and record literals
 * with `_` wildcards; and how record literals compile against a record field.
 */
import { describe, expect, test } from 'vitest';
import type { Literal } from '../../../src/expr/ast.js';
import { compileQuery, recordPredicate } from '../../../src/expr/compile.js';
import { parseExpression } from '../../../src/expr/parser.js';
import { printExpression } from '../../../src/expr/print.js';
import { parseIP } from '../../../src/types/ip.js';
import { basic, type Schema } from '../../../src/types/type.js';

function printed(text: string): string {
  const r = parseExpression(text);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return printExpression(r.expr);
}

function errors(text: string): string[] {
  const r = parseExpression(text);
  return r.ok ? [] : r.diagnostics.map((d) => `${d.location?.line}:${d.location?.column} ${d.message}`);
}

describe('count suffixes', () => {
  test('SI and binary suffixes scale a count', () => {
    expect(printed('orig_bytes > 1k && orig_bytes < 1Ki')).toBe('orig_bytes > 1000 && orig_bytes < 1024');
    expect(printed('x == 3M')).toBe('x == 3000000');
    expect(printed('x == 2Gi')).toBe(`x == ${2 ** 31}`);
    expect(printed('x == 1E')).toBe(`x == ${10n ** 18n}`);
    expect(printed('x == 1Ei')).toBe(`x == ${1n << 60n}`);
    expect(printed('x == +2k')).toBe('x == +2000');
  });

  test('durations keep their units: lower-case m is minutes, upper-case M mega', () => {
    expect(printed('x == 5m')).toBe('x == 5min');
    expect(printed('x == 5M')).toBe('x == 5000000');
    expect(printed('x == 1ms')).toBe('x == 1ms');
  });

  test('overflow and unknown suffixes are located errors', () => {
    expect(errors('x == 20E')).toEqual(["1:6 integer '20E' is out of range for uint64"]);
    expect(errors('x > 2Ki && y < 3Q')).toEqual([
      "1:17 unknown duration unit 'Q' (expected ns, us, ms, s, min, h, d, w or y)",
    ]);
  });
});

describe('match operators', () => {
  test('~ and !~ are == and != with a pattern', () => {
    expect(printed('x ~ /a.*/')).toBe('x == /a.*/');
    expect(printed('x !~ /a/i')).toBe('x != /a/i');
  });

  test('anything but a pattern on the right is an error at the operator', () => {
    expect(errors('host ~ "a"')).toEqual(["1:6 '~' needs a pattern on its right (x ~ /re/)"]);
  });
});

describe('nil', () => {
  test('nil is the null literal', () => {
    expect(printed('x == nil')).toBe('x == null');
    expect(printed('x != nil')).toBe('x != null');
  });
});

describe('record literals', () => {
  test('items and wildcards', () => {
    expect(printed('id == <192.168.168.100, _, 72.247.178.18, _, _>')).toBe(
      'id == <192.168.168.100, _, 72.247.178.18, _, _>',
    );
    expect(printed('id != <_, 80/?>')).toBe('id != <_, 80/?>');
  });

  test('malformed records are located errors', () => {
    expect(errors('id == <1, 2')).toEqual(["1:12 expected ',' or '>' in the record"]);
    expect(errors('id == <1, ==>')).toEqual(["1:11 expected a value or '_' in the record, got '=='"]);
  });

  test('nested records are bounded like nested lists', () => {
    const [e] = errors(`x == ${'<'.repeat(5000)}1`);
    expect(e).toMatch(/^1:\d+ expression nested too deeply/);
    expect(printed('x == <<1, _>, 2>')).toBe('x == <<1, _>, 2>');
  });

  const ip = (s: string): Literal => ({ type: 'ip', bytes: parseIP(s)! });

  test('recordPredicate: a conjunction over the non-wildcard positions', () => {
    const e = recordPredicate(['a.x', 'a.y', 'a.z'], [ip('10.0.0.1'), undefined, ip('10.0.0.2')], '==');
    expect(printExpression(e)).toBe('a.x == 10.0.0.1 && a.z == 10.0.0.2');
    expect(printExpression(recordPredicate(['a.x'], [ip('10.0.0.1')], '!='))).toBe('!(a.x == 10.0.0.1)');
    expect(printExpression(recordPredicate(['a.x'], [undefined], '=='))).toBe('true');
  });

  const conn: Schema = {
    name: 'zeek.conn',
    type: {
      kind: 'record',
      fields: [
        { name: 'ts', type: basic('time') },
        {
          name: 'id',
          type: {
            kind: 'record',
            fields: [
              { name: 'orig_h', type: basic('ip') },
              { name: 'orig_p', type: basic('port') },
              { name: 'resp_h', type: basic('ip') },
              { name: 'resp_p', type: basic('port') },
            ],
          },
        },
      ],
    },
  };

  function compiled(text: string) {
    const r = parseExpression(text);
    if (!r.ok) throw new Error('parse failed');
    return compileQuery(r.expr, text, [conn], { aliases: new Map() });
  }

  test('a record field compares positionally over its leaves', () => {
    const q = compiled('id == <192.168.1.1, _, 10.0.0.1, 53/?>');
    expect(q.diagnostics).toEqual([]);
    const p = q.program(conn);
    expect(p.kind).toBe('and');
    if (p.kind !== 'and') return;
    expect(p.children.map((c) => (c.kind === 'column' ? c.text : c.kind))).toEqual([
      'id.orig_h == 192.168.1.1',
      'id.resp_h == 10.0.0.1',
      'id.resp_p == 53/?',
    ]);
  });

  test('wrong arity or a non-record field is a type mismatch', () => {
    expect(compiled('id == <192.168.1.1, _>').diagnostics.map((d) => d.message)).toEqual([
      "type mismatch: 'id' (record of 4 fields) cannot be compared with a record of 2 fields",
    ]);
    expect(compiled('ts == <1, 2>').diagnostics.map((d) => d.message)).toEqual([
      "type mismatch: 'ts' (time) cannot be compared with a record of 2 fields",
    ]);
  });
});
