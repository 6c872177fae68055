/**
 * The parser: every construct to its AST, precedence, relative times against
 * a fixed clock, and every error message at its exact line:column.
 */
import { describe, expect, test } from 'vitest';
import { renderDiagnostics } from '../../../src/diagnostics.js';
import { type Expr, exprEquals, type Literal } from '../../../src/expr/ast.js';
import { ExpressionError } from '../../../src/expr/errors.js';
import { mustParseExpression, normalize, parseExpression } from '../../../src/expr/parser.js';
import { parseIP } from '../../../src/types/ip.js';

/** 2020-09-13T12:26:40Z */
const NOW = 1_600_000_000_000_000_000n;
const H = 3_600_000_000_000n;
const D = 24n * H;

/** Deep copy without `span`s, for structural comparison. */
function strip(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(strip);
  if (x instanceof Uint8Array || x === null || typeof x !== 'object') return x;
  return Object.fromEntries(
    Object.entries(x)
      .filter(([k]) => k !== 'span')
      .map(([k, v]) => [k, strip(v)]),
  );
}

function parse(text: string): Expr {
  const r = parseExpression(text, { now: NOW });
  if (!r.ok) throw new Error(renderDiagnostics(r.diagnostics));
  return r.expr;
}

const ast = (text: string) => strip(parse(text));

/** The value of a lone-value expression. */
function value(text: string): Literal {
  const e = parse(text);
  if (e.kind !== 'value_predicate') throw new Error(`not a value predicate: ${text}`);
  return e.value;
}

/** `line:column message` for each diagnostic. */
function errors(text: string): string[] {
  const r = parseExpression(text, { now: NOW });
  if (r.ok) throw new Error(`parsed: ${text}`);
  return r.diagnostics.map((d) => `${d.location!.line}:${d.location!.column} ${d.message}`);
}

const field = (name: string) => ({ kind: 'field', name });
const lit = (value: Literal) => ({ kind: 'literal', value });
const pred = (lhs: object, op: string, rhs: object) => ({ kind: 'predicate', lhs, op, rhs });
const u = (n: number) => lit({ type: 'uint64', value: BigInt(n) });
const x1 = pred(field('x'), '==', u(1));
const y2 = pred(field('y'), '==', u(2));
const z3 = pred(field('z'), '==', u(3));

describe('extractors', () => {
  test('field extractors keep the dotted name as written', () => {
    expect(ast('id.orig_h == 10.0.0.1')).toEqual(
      pred(field('id.orig_h'), '==', lit({ type: 'ip', bytes: parseIP('10.0.0.1')! })),
    );
    expect(ast('orig_h == 1')).toEqual(pred(field('orig_h'), '==', u(1)));
    expect(ast('a.b.c_1 == 1')).toEqual(pred(field('a.b.c_1'), '==', u(1)));
  });

  test('type extractors for every type, with synonyms normalised', () => {
    const types: [string, string][] = [
      ['ip', 'ip'],
      ['time', 'time'],
      ['string', 'string'],
      ['count', 'uint64'],
      ['uint64', 'uint64'],
      ['int64', 'int64'],
      ['int', 'int64'],
      ['double', 'double'],
      ['bool', 'bool'],
      ['duration', 'duration'],
      ['port', 'port'],
      ['subnet', 'subnet'],
      ['enum', 'enum'],
      ['list', 'list'],
      ['record', 'record'],
      ['community_id', 'community_id'],
    ];
    for (const [written, name] of types)
      expect(ast(`:${written} == 1`), written).toEqual(pred({ kind: 'type', name }, '==', u(1)));
  });

  test('meta extractors, #type as an alias of #schema', () => {
    const s = lit({ type: 'string', value: 'zeek.conn' });
    expect(ast('#schema == "zeek.conn"')).toEqual(pred({ kind: 'meta', name: 'schema' }, '==', s));
    expect(ast('#type == "zeek.conn"')).toEqual(pred({ kind: 'meta', name: 'schema' }, '==', s));
    expect(ast('#import_time > 2020-01-01')).toEqual(
      pred({ kind: 'meta', name: 'import_time' }, '>', lit({ type: 'time', ns: 1_577_836_800_000_000_000n })),
    );
    expect(ast('#field == "id.orig_h"')).toEqual(
      pred({ kind: 'meta', name: 'field' }, '==', lit({ type: 'string', value: 'id.orig_h' })),
    );
  });

  test('extractors and literals may stand on either side', () => {
    expect(ast('10.0.0.1 == x')).toEqual(
      pred(lit({ type: 'ip', bytes: parseIP('10.0.0.1')! }), '==', field('x')),
    );
    expect(ast('x == y')).toEqual(pred(field('x'), '==', field('y')));
    expect(ast('"foo" in x')).toEqual(pred(lit({ type: 'string', value: 'foo' }), 'in', field('x')));
  });
});

describe('values', () => {
  test('bool and null as operands', () => {
    expect(ast('x == true')).toEqual(pred(field('x'), '==', lit({ type: 'bool', value: true })));
    expect(ast('x != false')).toEqual(pred(field('x'), '!=', lit({ type: 'bool', value: false })));
    expect(ast('x == null')).toEqual(pred(field('x'), '==', lit({ type: 'null' })));
  });

  test('numbers: uint64, int64, double', () => {
    expect(value('5')).toEqual({ type: 'uint64', value: 5n });
    expect(value('+5')).toEqual({ type: 'int64', value: 5n });
    expect(value('-5')).toEqual({ type: 'int64', value: -5n });
    expect(value('1.5')).toEqual({ type: 'double', value: 1.5 });
    expect(value('-0.5')).toEqual({ type: 'double', value: -0.5 });
    expect(value('1e3')).toEqual({ type: 'double', value: 1000 });
  });

  test('durations', () => {
    expect(value('10s')).toEqual({ type: 'duration', ns: 10_000_000_000n });
    expect(value('5min')).toEqual({ type: 'duration', ns: 300_000_000_000n });
    expect(value('1.5h')).toEqual({ type: 'duration', ns: 5_400_000_000_000n });
    expect(value('2d')).toEqual({ type: 'duration', ns: 2n * D });
    expect(value('250ms')).toEqual({ type: 'duration', ns: 250_000_000n });
    expect(value('3us')).toEqual({ type: 'duration', ns: 3_000n });
    expect(value('1ns')).toEqual({ type: 'duration', ns: 1n });
    expect(value('-1h')).toEqual({ type: 'duration', ns: -H });
  });

  test('absolute times', () => {
    expect(value('2020-01-01')).toEqual({ type: 'time', ns: 1_577_836_800_000_000_000n });
    expect(value('2020-01-01T10:00:00.5Z')).toEqual({ type: 'time', ns: 1_577_872_800_500_000_000n });
    expect(value('2020-01-01T10:00:00+01:00')).toEqual({ type: 'time', ns: 1_577_869_200_000_000_000n });
  });

  test('relative times are evaluated against the injected clock and keep their text', () => {
    expect(value('now')).toEqual({ type: 'time', ns: NOW, text: 'now' });
    expect(value('now - 1h')).toEqual({ type: 'time', ns: NOW - H, text: 'now - 1h' });
    expect(value('now-1h')).toEqual({ type: 'time', ns: NOW - H, text: 'now-1h' });
    expect(value('now -1h')).toEqual({ type: 'time', ns: NOW - H, text: 'now -1h' });
    expect(value('now + 1d')).toEqual({ type: 'time', ns: NOW + D, text: 'now + 1d' });
    expect(value('now - 1h + 30min')).toEqual({ type: 'time', ns: NOW - H / 2n, text: 'now - 1h + 30min' });
    expect(value('now - -1h')).toEqual({ type: 'time', ns: NOW + H, text: 'now - -1h' });
    expect(value('1 day ago')).toEqual({ type: 'time', ns: NOW - D, text: '1 day ago' });
    expect(value('3h ago')).toEqual({ type: 'time', ns: NOW - 3n * H, text: '3h ago' });
    expect(value('in 2 days')).toEqual({ type: 'time', ns: NOW + 2n * D, text: 'in 2 days' });
    // Whitespace, newlines included, collapses to one space in the text.
    expect(value('now  -\n 1h')).toEqual({ type: 'time', ns: NOW - H, text: 'now - 1h' });
  });

  test('relative times as operands and list items', () => {
    expect(ast('#import_time > now - 1h')).toEqual(
      pred({ kind: 'meta', name: 'import_time' }, '>', lit({ type: 'time', ns: NOW - H, text: 'now - 1h' })),
    );
    expect(ast('ts > 1 day ago && ts < in 2 days')).toEqual({
      kind: 'and',
      left: pred(field('ts'), '>', lit({ type: 'time', ns: NOW - D, text: '1 day ago' })),
      right: pred(field('ts'), '<', lit({ type: 'time', ns: NOW + 2n * D, text: 'in 2 days' })),
    });
    expect(value('[now, 1h ago]')).toEqual({
      type: 'list',
      items: [
        { type: 'time', ns: NOW, text: 'now' },
        { type: 'time', ns: NOW - H, text: '1h ago' },
      ],
    });
  });

  test('without a clock, now is the current time', () => {
    const before = BigInt(Date.now()) * 1_000_000n;
    const r = parseExpression('now');
    const after = BigInt(Date.now()) * 1_000_000n;
    expect(r.ok).toBe(true);
    const ns = ((r as { expr: { value: { ns: bigint } } }).expr.value as { ns: bigint }).ns;
    expect(ns >= before && ns <= after).toBe(true);
  });

  test('addresses, subnets, ports', () => {
    expect(value('10.0.0.1')).toEqual({ type: 'ip', bytes: parseIP('10.0.0.1') });
    expect(value('::1')).toEqual({ type: 'ip', bytes: parseIP('::1') });
    expect(value('2001:db8::1')).toEqual({ type: 'ip', bytes: parseIP('2001:db8::1') });
    expect(value('::ffff:1.2.3.4')).toEqual({ type: 'ip', bytes: parseIP('1.2.3.4') });
    expect(value('10.0.0.0/8')).toEqual({ type: 'subnet', bytes: parseIP('10.0.0.0'), length: 104 });
    expect(value('2001:db8::/32')).toEqual({ type: 'subnet', bytes: parseIP('2001:db8::'), length: 32 });
    expect(value('443/tcp')).toEqual({ type: 'port', port: 443, proto: 'tcp' });
    expect(value('53/udp')).toEqual({ type: 'port', port: 53, proto: 'udp' });
    expect(value('80/?')).toEqual({ type: 'port', port: 80 });
  });

  test('strings and patterns', () => {
    expect(value('"evil.com"')).toEqual({ type: 'string', value: 'evil.com' });
    expect(value("'single'")).toEqual({ type: 'string', value: 'single' });
    expect(value('"say \\"hi\\"\\n"')).toEqual({ type: 'string', value: 'say "hi"\n' });
    expect(ast('x == /evil/')).toEqual(
      pred(field('x'), '==', lit({ type: 'pattern', source: 'evil', caseInsensitive: false })),
    );
    expect(ast('x != /evil/i')).toEqual(
      pred(field('x'), '!=', lit({ type: 'pattern', source: 'evil', caseInsensitive: true })),
    );
    expect(ast('x in /ev.l/')).toEqual(
      pred(field('x'), 'in', lit({ type: 'pattern', source: 'ev.l', caseInsensitive: false })),
    );
    expect(ast('/evil/ == x')).toEqual(
      pred(lit({ type: 'pattern', source: 'evil', caseInsensitive: false }), '==', field('x')),
    );
  });

  test('lists, empty, nested and of mixed types', () => {
    expect(value('[]')).toEqual({ type: 'list', items: [] });
    expect(value('[1, "a", 10.0.0.1, [true, null]]')).toEqual({
      type: 'list',
      items: [
        { type: 'uint64', value: 1n },
        { type: 'string', value: 'a' },
        { type: 'ip', bytes: parseIP('10.0.0.1') },
        {
          type: 'list',
          items: [{ type: 'bool', value: true }, { type: 'null' }],
        },
      ],
    });
    expect(ast('x in [80/tcp,443/tcp]')).toEqual(
      pred(
        field('x'),
        'in',
        lit({
          type: 'list',
          items: [
            { type: 'port', port: 80, proto: 'tcp' },
            { type: 'port', port: 443, proto: 'tcp' },
          ],
        }),
      ),
    );
  });
});

describe('value predicates and true', () => {
  test('a lone value is a value predicate', () => {
    for (const text of [
      '10.0.0.1',
      '"evil.com"',
      '10.0.0.0/8',
      '443/tcp',
      '5',
      '1h',
      '2020-01-01',
      '/evil/',
      'null',
    ])
      expect(parse(text).kind, text).toBe('value_predicate');
  });

  test('a lone true matches everything, a lone false nothing', () => {
    expect(ast('true')).toEqual({ kind: 'true' });
    expect(ast('false')).toEqual({ kind: 'not', expr: { kind: 'true' } });
    expect(ast('true && x == 1')).toEqual({ kind: 'and', left: { kind: 'true' }, right: x1 });
    expect(ast('true == x')).toEqual(pred(lit({ type: 'bool', value: true }), '==', field('x')));
  });
});

describe('operators', () => {
  test('every relational operator', () => {
    for (const op of ['==', '!=', '<', '<=', '>', '>=', 'in', '!in', 'ni', '!ni'])
      expect(ast(`x ${op} 1`), op).toEqual(pred(field('x'), op, u(1)));
  });

  test('`not in` and `not ni` are `!in` and `!ni`', () => {
    expect(ast('x not in 10.0.0.0/8')).toEqual(ast('x !in 10.0.0.0/8'));
    expect(ast('x not ni "a"')).toEqual(ast('x !ni "a"'));
  });

  test('in for subnets, lists and substrings', () => {
    expect(ast('id.orig_h in 10.0.0.0/8')).toEqual(
      pred(field('id.orig_h'), 'in', lit({ type: 'subnet', bytes: parseIP('10.0.0.0')!, length: 104 })),
    );
    expect(ast('"evil" in host')).toEqual(pred(lit({ type: 'string', value: 'evil' }), 'in', field('host')));
    expect(ast('id.resp_p in [53, 443]')).toEqual(
      pred(
        field('id.resp_p'),
        'in',
        lit({
          type: 'list',
          items: [
            { type: 'uint64', value: 53n },
            { type: 'uint64', value: 443n },
          ],
        }),
      ),
    );
  });
});

describe('connectives', () => {
  test('symbols and words', () => {
    const and = { kind: 'and', left: x1, right: y2 };
    const or = { kind: 'or', left: x1, right: y2 };
    expect(ast('x == 1 && y == 2')).toEqual(and);
    expect(ast('x == 1 and y == 2')).toEqual(and);
    expect(ast('x == 1 || y == 2')).toEqual(or);
    expect(ast('x == 1 or y == 2')).toEqual(or);
    expect(ast('!x == 1')).toEqual({ kind: 'not', expr: x1 });
    expect(ast('not x == 1')).toEqual({ kind: 'not', expr: x1 });
    expect(ast('!!x == 1')).toEqual({ kind: 'not', expr: { kind: 'not', expr: x1 } });
  });

  test('precedence: ! binds tighter than &&, && tighter than ||', () => {
    expect(ast('x == 1 || y == 2 && z == 3')).toEqual({
      kind: 'or',
      left: x1,
      right: { kind: 'and', left: y2, right: z3 },
    });
    expect(ast('x == 1 && y == 2 || z == 3')).toEqual({
      kind: 'or',
      left: { kind: 'and', left: x1, right: y2 },
      right: z3,
    });
    expect(ast('!x == 1 && y == 2')).toEqual({ kind: 'and', left: { kind: 'not', expr: x1 }, right: y2 });
    expect(ast('not x == 1 or y == 2')).toEqual({ kind: 'or', left: { kind: 'not', expr: x1 }, right: y2 });
  });

  test('left associativity', () => {
    expect(ast('x == 1 && y == 2 && z == 3')).toEqual({
      kind: 'and',
      left: { kind: 'and', left: x1, right: y2 },
      right: z3,
    });
    expect(ast('x == 1 || y == 2 || z == 3')).toEqual({
      kind: 'or',
      left: { kind: 'or', left: x1, right: y2 },
      right: z3,
    });
  });

  test('parentheses override precedence', () => {
    expect(ast('(x == 1 || y == 2) && z == 3')).toEqual({
      kind: 'and',
      left: { kind: 'or', left: x1, right: y2 },
      right: z3,
    });
    expect(ast('x == 1 && (y == 2 && z == 3)')).toEqual({
      kind: 'and',
      left: x1,
      right: { kind: 'and', left: y2, right: z3 },
    });
    expect(ast('!(x == 1 || y == 2)')).toEqual({ kind: 'not', expr: { kind: 'or', left: x1, right: y2 } });
    expect(ast('((x == 1))')).toEqual(x1);
  });

  test('whitespace is free: none, tabs, newlines', () => {
    const expected = ast('x == 1 && y == 2');
    expect(ast('x==1&&y==2')).toEqual(expected);
    expect(ast('\tx\t==\t1\t&&\ty == 2 ')).toEqual(expected);
    expect(ast('x == 1\n&&\ny == 2\n')).toEqual(expected);
    expect(ast('(x==1)&&(y==2)')).toEqual(expected);
  });
});

describe('spans', () => {
  test('nodes carry 0-based offsets into the text', () => {
    const e = parse('!(a == 1) || b in [1, 2]');
    expect(e.span).toEqual({ start: 0, end: 24 });
    if (e.kind !== 'or' || e.left.kind !== 'not' || e.right.kind !== 'predicate') throw new Error('shape');
    expect(e.left.span).toEqual({ start: 0, end: 8 });
    expect(e.left.expr.span).toEqual({ start: 2, end: 8 });
    expect(e.right.lhs.span).toEqual({ start: 13, end: 14 });
    expect(e.right.rhs.span).toEqual({ start: 18, end: 24 });
  });

  test('relative times span their whole text', () => {
    const e = parse('t > now - 1h');
    if (e.kind !== 'predicate') throw new Error('shape');
    expect(e.rhs.span).toEqual({ start: 4, end: 12 });
  });
});

describe('errors', () => {
  test('lexical errors, each at its column', () => {
    expect(errors('x == @')).toEqual(["1:6 unknown token '@'"]);
    expect(errors('x == "abc')).toEqual(['1:6 unterminated string']);
    expect(errors('x == "a\\qb"')).toEqual(["1:8 invalid escape sequence '\\q'"]);
    expect(errors('x == "\\x4"')).toEqual(["1:7 invalid escape sequence '\\x'"]);
    expect(errors('x == /abc')).toEqual(['1:6 unterminated pattern']);
    expect(errors('x == /a/gi')).toEqual(["1:9 invalid pattern flags 'gi' (only 'i' is supported)"]);
    expect(errors('x == /(/')).toEqual(['1:6 invalid regular expression: unterminated group']);
    expect(errors('x == /a{2,1}/')).toEqual([
      '1:6 invalid regular expression: numbers out of order in {} quantifier',
    ]);
    expect(errors('x == 10.0.0.300')).toEqual(["1:6 invalid IP address '10.0.0.300'"]);
    expect(errors('x == 1.2.3')).toEqual(["1:6 invalid IP address '1.2.3'"]);
    expect(errors('x == 2001:db8::1::2')).toEqual(["1:6 invalid IP address '2001:db8::1::2'"]);
    expect(errors('x in 10.0.0.0/33')).toEqual(["1:15 invalid subnet length '33' (expected 0 to 32)"]);
    expect(errors('x in ::/129')).toEqual(["1:9 invalid subnet length '129' (expected 0 to 128)"]);
    expect(errors('x in 10/8')).toEqual([
      "1:6 invalid subnet '10/8' (the address must be a full IPv4 or IPv6 address)",
    ]);
    expect(errors('x > 2020-13-01')).toEqual(["1:5 invalid time '2020-13-01'"]);
    expect(errors('x > 2020-01-01T25:00')).toEqual(["1:5 invalid time '2020-01-01T25:00'"]);
    expect(errors('x < 5parsecs')).toEqual([
      "1:6 unknown duration unit 'parsecs' (expected ns, us, ms, s, min, h, d, w or y)",
    ]);
    expect(errors('x == 18446744073709551616')).toEqual([
      "1:6 integer '18446744073709551616' is out of range for uint64",
    ]);
    expect(errors('x == +9223372036854775808')).toEqual([
      "1:6 integer '+9223372036854775808' is out of range for int64",
    ]);
    expect(errors('x == 70000/tcp')).toEqual(["1:6 invalid port '70000/tcp' (expected 0 to 65535)"]);
    expect(errors('x == 80/foo')).toEqual([
      "1:9 unknown port protocol 'foo' (expected tcp, udp, icmp, icmp6, sctp or ?)",
    ]);
    expect(errors('x == 10.0.0.1x')).toEqual(["1:6 invalid value '10.0.0.1x'"]);
    expect(errors('x == 1e3h')).toEqual(["1:6 invalid value '1e3h'"]);
    expect(errors('foo-bar == 1')).toEqual([
      "1:1 invalid field name 'foo-bar' (names are letters, digits and '_', joined by '.')",
    ]);
    expect(errors('a.1 == 1')).toEqual([
      "1:1 invalid field name 'a.1' (names are letters, digits and '_', joined by '.')",
    ]);
    expect(errors('x == :')).toEqual(["1:6 expected a type name after ':'"]);
    expect(errors(':list<foo> == 1')).toEqual(["1:1 invalid type 'list<foo>'"]);
    expect(errors(':list<ip == 1')).toEqual(["1:1 invalid type 'list<ip == 1'"]);
    expect(errors('#foo == 1')).toEqual([
      "1:1 unknown meta extractor '#foo' (expected #schema, #type, #import_time, #field)",
    ]);
    expect(errors('# == 1')).toEqual([
      "1:1 unknown meta extractor '#' (expected #schema, #type, #import_time, #field)",
    ]);
  });

  test('unknown operators, with a hint', () => {
    const r = parseExpression('x =~ /a/');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics).toEqual([
      {
        severity: 'error',
        message: "unknown operator '=~'",
        location: { source: 'query', line: 1, column: 3 },
        excerpt: 'x =~ /a/',
        notes: ['to match a pattern, write x == /re/'],
        recoverable: false,
      },
    ]);
    expect(errors('x = 1')).toEqual(["1:3 unknown operator '='"]);
    expect(errors('x ~ "a"')).toEqual(["1:3 '~' needs a pattern on its right (x ~ /re/)"]);
    expect(errors('x !~ 1')).toEqual(["1:3 '!~' needs a pattern on its right (x !~ /re/)"]);
    expect(errors('x === 1')).toEqual(["1:3 unknown operator '==='"]);
    expect(errors('x !== 1')).toEqual(["1:3 unknown operator '!=='"]);
    expect(errors('x == 1 & y == 2')).toEqual(["1:8 unknown operator '&'"]);
    expect(errors('x == 1 | y == 2')).toEqual(["1:8 unknown operator '|'"]);
  });

  test('patterns: backreferences and lookaround are refused where they are', () => {
    const msg =
      'pattern uses a backreference/lookaround, which is not supported (patterns must run in linear time)';
    expect(errors('x == /(a)\\1/')).toEqual([`1:10 ${msg}`]);
    expect(errors('x == /(?<n>a)\\k<n>/')).toEqual([`1:14 ${msg}`]);
    expect(errors('x == /foo(?=bar)/')).toEqual([`1:10 ${msg}`]);
    expect(errors('x == /foo(?!bar)/')).toEqual([`1:10 ${msg}`]);
    expect(errors('x == /(?<=a)b/')).toEqual([`1:7 ${msg}`]);
    expect(errors('x == /(?<!a)b/')).toEqual([`1:7 ${msg}`]);
  });

  test('patterns only go with ==, !=, in and !in', () => {
    expect(errors('x < /a/')).toEqual(["1:3 a pattern cannot be used with '<' (use ==, !=, in or !in)"]);
    expect(errors('x ni /a/')).toEqual(["1:3 a pattern cannot be used with 'ni' (use ==, !=, in or !in)"]);
    expect(errors('/a/ in x')).toEqual(["1:5 a pattern cannot be used with 'in' (use ==, !=, in or !in)"]);
    expect(errors('x not ni /a/')).toEqual([
      "1:3 a pattern cannot be used with 'not ni' (use ==, !=, in or !in)",
    ]);
  });

  test('syntax errors', () => {
    expect(errors('')).toEqual(['1:1 expected an expression']);
    expect(errors('   ')).toEqual(['1:1 expected an expression']);
    expect(errors('x ==')).toEqual(["1:5 expected a value after '=='"]);
    expect(errors('x in )')).toEqual(["1:6 expected a value after 'in'"]);
    expect(errors('x not in')).toEqual(["1:9 expected a value after 'not in'"]);
    expect(errors('x == 1 &&')).toEqual(["1:10 expected an expression after '&&'"]);
    expect(errors('x == 1 or')).toEqual(["1:10 expected an expression after 'or'"]);
    expect(errors('!')).toEqual(["1:2 expected an expression after '!'"]);
    expect(errors('()')).toEqual(["1:2 expected an expression after '('"]);
    expect(errors('x')).toEqual(["1:2 expected an operator after 'x'"]);
    expect(errors(':ip && x == 1')).toEqual(["1:5 expected an operator after ':ip'"]);
    expect(errors('#schema')).toEqual(["1:8 expected an operator after '#schema'"]);
    expect(errors('x == 1)')).toEqual(["1:7 unexpected ')'"]);
    expect(errors(')')).toEqual(["1:1 unexpected ')'"]);
    expect(errors('== 1')).toEqual(["1:1 unexpected '=='"]);
    expect(errors('x == 1 y == 2')).toEqual(["1:8 unexpected 'y'"]);
    expect(errors('(x == 1')).toEqual(["1:8 expected ')'"]);
    expect(errors('(x == 1 y == 2)')).toEqual(["1:9 expected ')'"]);
    expect(errors('x == now - 5')).toEqual(["1:12 expected a duration after '-'"]);
    expect(errors('x == now + "a"')).toEqual(["1:12 expected a duration after '+'"]);
    expect(errors('x in [a]')).toEqual(["1:7 expected a value in the list, found 'a'"]);
    expect(errors('x in [1,]')).toEqual(["1:9 expected a value after ','"]);
    expect(errors('x in [1 2]')).toEqual(["1:9 expected ',' or ']'"]);
    expect(errors('x in [1, 2')).toEqual(["1:11 expected ']'"]);
    expect(errors('x in [')).toEqual(["1:7 expected ']'"]);
  });

  test('notes say what is missing', () => {
    const notes = (text: string) => {
      const r = parseExpression(text);
      return r.ok ? [] : r.diagnostics.map((d) => d.notes ?? []);
    };
    expect(notes('x == 1 y == 2')).toEqual([["combine predicates with '&&' or '||'"]]);
    expect(notes('(x == 1')).toEqual([["the '(' at 1:1 is still open", 'reached the end of the expression']]);
    expect(notes('x in [1 2]')).toEqual([["the '[' at 1:6 is still open"]]);
    expect(notes('x in [a]')).toEqual([['strings must be quoted']]);
    expect(notes('x ==')).toEqual([['reached the end of the expression']]);
    expect(notes('x == 1 & y == 2')).toEqual([["did you mean '&&'?"]]);
    expect(notes('x === 1')).toEqual([["to compare, write '=='"]]);
    expect(notes('x !== 1')).toEqual([["to compare, write '!='"]]);
    expect(notes('x == 1 | y == 2')).toEqual([["did you mean '||'?"]]);
  });

  test('multi-line input: line > 1 and columns within the line', () => {
    const text = 'id.orig_h in 10.0.0.0/8\n  && id.resp_p == 70000/tcp\n  && host == "evil';
    expect(errors(text)).toEqual([
      "2:19 invalid port '70000/tcp' (expected 0 to 65535)",
      '3:14 unterminated string',
    ]);
    expect(errors('x == 1 &&\n\n   y ==')).toEqual(["3:8 expected a value after '=='"]);
    expect(errors('x == 1\r\n&& y == @')).toEqual(["2:9 unknown token '@'"]);
  });

  test('columns count UTF-8 bytes, as Location specifies', () => {
    expect(errors('x == "é" && @')).toEqual(["1:14 unknown token '@'"]);
  });

  test('several errors are collected in one pass, in source order', () => {
    expect(errors('a == && b == 10.0.0.300 && c =~ /x/ && (d == 1')).toEqual([
      "1:6 expected a value after '=='",
      "1:14 invalid IP address '10.0.0.300'",
      "1:30 unknown operator '=~'",
      "1:47 expected ')'",
    ]);
    expect(errors('x == @ || y == #bad || z ==')).toEqual([
      "1:6 unknown token '@'",
      "1:16 unknown meta extractor '#bad' (expected #schema, #type, #import_time, #field)",
      "1:28 expected a value after '=='",
    ]);
  });

  test('a reported bad token does not cascade into more errors', () => {
    expect(errors('x @ 1')).toEqual(["1:3 unknown token '@'"]);
    expect(errors('x == 10.0.0.300 10.0.0.1')).toEqual([
      "1:6 invalid IP address '10.0.0.300'",
      "1:17 unexpected '10.0.0.1'",
    ]);
    expect(errors('x == now - 5 && y == 1')).toEqual(["1:12 expected a duration after '-'"]);
  });

  test('at most 20 problems are reported', () => {
    const text = Array.from({ length: 40 }, () => 'x == @').join(' && ');
    expect(errors(text)).toHaveLength(20);
  });
});

describe('mustParseExpression', () => {
  test('returns the expression or throws an ExpressionError with the rendered text', () => {
    expect(strip(mustParseExpression('x == 1'))).toEqual(x1);
    let err: unknown;
    try {
      mustParseExpression('x == @');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExpressionError);
    expect((err as ExpressionError).message).toBe(
      "error: unknown token '@'\n --> query:1:6\n  |\n1 | x == @\n  |      ^",
    );
    expect((err as ExpressionError).diagnostics).toHaveLength(1);
  });
});

describe('normalize', () => {
  const norm = (text: string) => strip(normalize(parse(text)));

  test('literals go to the right, with the operator flipped', () => {
    expect(norm('10.0.0.1 == x')).toEqual(ast('x == 10.0.0.1'));
    expect(norm('5 < x')).toEqual(ast('x > 5'));
    expect(norm('5 >= x')).toEqual(ast('x <= 5'));
    expect(norm('"foo" in x')).toEqual(ast('x ni "foo"'));
    expect(norm('"foo" !in x')).toEqual(ast('x !ni "foo"'));
    expect(norm('/re/ == x')).toEqual(ast('x == /re/'));
  });

  test('ni between operands of the same class becomes in', () => {
    expect(norm('a ni b')).toEqual(ast('b in a'));
    expect(norm('a !ni b')).toEqual(ast('b !in a'));
    expect(norm('[1, 2] ni 1')).toEqual(ast('1 in [1, 2]'));
  });

  test('canonical predicates stay; double negation goes; recursion into connectives', () => {
    expect(norm('x ni "foo"')).toEqual(ast('x ni "foo"'));
    expect(norm('x == 1')).toEqual(ast('x == 1'));
    expect(norm('!!x == 1')).toEqual(ast('x == 1'));
    expect(norm('!(1 == x) && (2 == y || 3 == z)')).toEqual(ast('!(x == 1) && (y == 2 || z == 3)'));
  });
});

describe('exprEquals', () => {
  test('ignores spans and compares values', () => {
    expect(exprEquals(parse('x==1&&y==2'), parse('x == 1 && y == 2'))).toBe(true);
    expect(exprEquals(parse('x == 1'), parse('x == +1'))).toBe(false);
    expect(exprEquals(parse('x in 10.0.0.0/8'), parse('x in 10.1.0.0/8'))).toBe(true);
    expect(exprEquals(parse('x in 10.0.0.0/8'), parse('x in 10.0.0.0/16'))).toBe(false);
    expect(exprEquals(parse(':ip == ::1'), parse(':addr == ::1'))).toBe(true);
    expect(exprEquals(parse('x == [1, "a"]'), parse('x == [1, "b"]'))).toBe(false);
    expect(exprEquals(parse('#type == "a"'), parse('#schema == "a"'))).toBe(true);
    expect(exprEquals(parse('x == 1 && y == 2'), parse('x == 1 || y == 2'))).toBe(false);
  });
});
