/**
 * The lexer decides what a run of characters is: the tricky cases VAST had
 * (addresses vs. dotted fields, durations vs. doubles, times vs. minus, ports
 * vs. subnets, IPv6 vs. type extractors, patterns vs. nothing) live here.
 */
import { describe, expect, test } from 'vitest';
import { nonLinearConstruct, type Token, tokenize } from '../../../src/expr/lexer.js';
import { parseIP } from '../../../src/types/ip.js';

/** `kind:text` per token, without the final eof. */
function kinds(text: string): string[] {
  const { tokens, problems } = tokenize(text);
  expect(problems).toEqual([]);
  return tokens.slice(0, -1).map((t) => `${t.kind}:${t.text}`);
}

function only(text: string): Token {
  const { tokens, problems } = tokenize(text);
  expect(problems).toEqual([]);
  expect(tokens).toHaveLength(2);
  return tokens[0];
}

const literal = (text: string) => only(text).literal;

describe('lexer: structure', () => {
  test('punctuation, connectives and operators', () => {
    expect(kinds('( ) [ ] , && || ! == != < <= > >= !in !ni + -')).toEqual([
      'lparen:(',
      'rparen:)',
      'lbracket:[',
      'rbracket:]',
      'comma:,',
      'and:&&',
      'or:||',
      'bang:!',
      'relop:==',
      'relop:!=',
      'relop:<',
      'relop:<=',
      'relop:>',
      'relop:>=',
      'relop:!in',
      'relop:!ni',
      'plus:+',
      'minus:-',
    ]);
  });

  test('relops carry their operator', () => {
    const ops = tokenize('== != < <= > >= !in !ni').tokens.slice(0, -1);
    expect(ops.map((t) => t.op)).toEqual(['==', '!=', '<', '<=', '>', '>=', '!in', '!ni']);
  });

  test('word operators stay words; the parser reads them', () => {
    expect(kinds('in ni not and or')).toEqual(['word:in', 'word:ni', 'word:not', 'word:and', 'word:or']);
  });

  test('`!` before a name that starts with in/ni is a negation', () => {
    expect(kinds('!inbound == 1')).toEqual(['bang:!', 'word:inbound', 'relop:==', 'value:1']);
    expect(kinds('!nice')).toEqual(['bang:!', 'word:nice']);
  });

  test('spans are 0-based [start, end) offsets', () => {
    const t = tokenize('  id.orig_h ==\n10.0.0.1').tokens;
    expect(t.map((x) => [x.start, x.end])).toEqual([
      [2, 11],
      [12, 14],
      [15, 23],
      [23, 23],
    ]);
  });

  test('eof sits right after the last token, not after trailing blanks', () => {
    const t = tokenize('x ==   \n  ').tokens;
    expect(t[t.length - 1]).toMatchObject({ kind: 'eof', start: 4, end: 4 });
    expect(tokenize('').tokens).toEqual([{ kind: 'eof', start: 0, end: 0, text: '' }]);
  });
});

describe('lexer: extractors', () => {
  test('fields are dotted names of [A-Za-z_][A-Za-z0-9_]* segments', () => {
    expect(only('id.orig_h')).toMatchObject({ kind: 'word', name: 'id.orig_h' });
    expect(only('_a.B_2.c3')).toMatchObject({ kind: 'word', name: '_a.B_2.c3' });
  });

  test('type extractors normalise built-in synonyms and keep other names', () => {
    const names = (text: string) => only(text).name;
    expect(names(':ip')).toBe('ip');
    expect(names(':addr')).toBe('ip');
    expect(names(':count')).toBe('uint64');
    expect(names(':uint64')).toBe('uint64');
    expect(names(':int')).toBe('int64');
    expect(names(':int64')).toBe('int64');
    expect(names(':real')).toBe('double');
    expect(names(':interval')).toBe('duration');
    expect(names(':enum')).toBe('enum');
    expect(names(':list')).toBe('list');
    expect(names(':record')).toBe('record');
    expect(names(':community_id')).toBe('community_id');
    expect(only(':ip').kind).toBe('type');
  });

  test('parameterised containers carry their canonical type text', () => {
    expect(only(':list<ip>')).toMatchObject({ kind: 'type', name: 'list<ip>', text: ':list<ip>' });
    expect(only(':list<count>').name).toBe('list<uint64>');
    expect(only(':list<list<string>>').name).toBe('list<list<string>>');
    expect(only(':map<string,ip>').name).toBe('map<string, ip>');
    // With a blank, `<` is the operator again.
    expect(kinds(':list < 5')).toEqual(['type::list', 'relop:<', 'value:5']);
  });

  test('meta extractors; #type is #schema', () => {
    expect(only('#schema')).toMatchObject({ kind: 'meta', name: 'schema' });
    expect(only('#type')).toMatchObject({ kind: 'meta', name: 'schema' });
    expect(only('#import_time')).toMatchObject({ kind: 'meta', name: 'import_time' });
    expect(only('#field')).toMatchObject({ kind: 'meta', name: 'field' });
  });
});

describe('lexer: values', () => {
  test('integers: plain digits are uint64, signed are int64', () => {
    expect(literal('5')).toEqual({ type: 'uint64', value: 5n });
    expect(literal('+5')).toEqual({ type: 'int64', value: 5n });
    expect(literal('-5')).toEqual({ type: 'int64', value: -5n });
    expect(literal('18446744073709551615')).toEqual({ type: 'uint64', value: 18446744073709551615n });
    expect(literal('-9223372036854775808')).toEqual({ type: 'int64', value: -9223372036854775808n });
    expect(literal('+9223372036854775807')).toEqual({ type: 'int64', value: 9223372036854775807n });
  });

  test('doubles', () => {
    expect(literal('1.5')).toEqual({ type: 'double', value: 1.5 });
    expect(literal('-0.5')).toEqual({ type: 'double', value: -0.5 });
    expect(literal('1e3')).toEqual({ type: 'double', value: 1000 });
    expect(literal('2.5E-3')).toEqual({ type: 'double', value: 0.0025 });
    expect(literal('1e+21')).toEqual({ type: 'double', value: 1e21 });
  });

  test('durations in every unit, glued or (multi-letter units) spaced', () => {
    const ns = (text: string) => (literal(text) as { ns: bigint }).ns;
    expect(ns('10s')).toBe(10_000_000_000n);
    expect(ns('5min')).toBe(300_000_000_000n);
    expect(ns('5m')).toBe(300_000_000_000n);
    expect(ns('1.5h')).toBe(5_400_000_000_000n);
    expect(ns('2d')).toBe(172_800_000_000_000n);
    expect(ns('250ms')).toBe(250_000_000n);
    expect(ns('3us')).toBe(3_000n);
    expect(ns('1ns')).toBe(1n);
    expect(ns('1w')).toBe(604_800_000_000_000n);
    expect(ns('-3us')).toBe(-3_000n);
    expect(ns('2 days')).toBe(172_800_000_000_000n);
    expect(ns('1 hour')).toBe(3_600_000_000_000n);
    expect(literal('10s')?.type).toBe('duration');
  });

  test('a single-letter unit must be glued: `1 y` is a number and a field', () => {
    expect(kinds('1 y')).toEqual(['value:1', 'word:y']);
  });

  test('times: dates, date-times with fractions and offsets', () => {
    expect(literal('2020-01-01')).toEqual({ type: 'time', ns: 1_577_836_800_000_000_000n });
    expect(literal('2020-01-01T10:00:00.5Z')).toEqual({ type: 'time', ns: 1_577_872_800_500_000_000n });
    expect(literal('2020-01-01T10:00:00+01:00')).toEqual({ type: 'time', ns: 1_577_869_200_000_000_000n });
    expect(literal('2020-01-01T10:00')).toEqual({ type: 'time', ns: 1_577_872_800_000_000_000n });
    expect(literal('2020-01-01T10:00:00.123456789Z')).toEqual({
      type: 'time',
      ns: 1_577_872_800_123_456_789n,
    });
  });

  test('IPv4 and IPv6 addresses', () => {
    expect(literal('10.0.0.1')).toEqual({ type: 'ip', bytes: parseIP('10.0.0.1') });
    expect(literal('::1')).toEqual({ type: 'ip', bytes: parseIP('::1') });
    expect(literal('::')).toEqual({ type: 'ip', bytes: parseIP('::') });
    expect(literal('2001:db8::1')).toEqual({ type: 'ip', bytes: parseIP('2001:db8::1') });
    expect(literal('fe80::1')).toEqual({ type: 'ip', bytes: parseIP('fe80::1') });
    expect(literal('::ffff:1.2.3.4')).toEqual({ type: 'ip', bytes: parseIP('1.2.3.4') });
    expect(literal('1:2:3:4:5:6:7:8')).toEqual({ type: 'ip', bytes: parseIP('1:2:3:4:5:6:7:8') });
  });

  test('subnets are masked and measured on the 128-bit scale', () => {
    expect(literal('10.0.0.0/8')).toEqual({ type: 'subnet', bytes: parseIP('10.0.0.0'), length: 104 });
    expect(literal('10.1.2.3/8')).toEqual({ type: 'subnet', bytes: parseIP('10.0.0.0'), length: 104 });
    expect(literal('2001:db8::/32')).toEqual({ type: 'subnet', bytes: parseIP('2001:db8::'), length: 32 });
    expect(literal('::/0')).toEqual({ type: 'subnet', bytes: parseIP('::'), length: 0 });
  });

  test('ports with and without a known protocol', () => {
    expect(literal('443/tcp')).toEqual({ type: 'port', port: 443, proto: 'tcp' });
    expect(literal('53/udp')).toEqual({ type: 'port', port: 53, proto: 'udp' });
    expect(literal('8/icmp')).toEqual({ type: 'port', port: 8, proto: 'icmp' });
    expect(literal('128/icmp6')).toEqual({ type: 'port', port: 128, proto: 'icmp6' });
    expect(literal('9/sctp')).toEqual({ type: 'port', port: 9, proto: 'sctp' });
    expect(literal('80/?')).toEqual({ type: 'port', port: 80 });
  });

  test('strings, double or single quoted, with escapes', () => {
    expect(literal('"evil.com"')).toEqual({ type: 'string', value: 'evil.com' });
    expect(literal("'it\\'s'")).toEqual({ type: 'string', value: "it's" });
    expect(literal('"a\\"b\\\\c\\nd\\te\\rf\\/g\\0"')).toEqual({
      type: 'string',
      value: 'a"b\\c\nd\te\rf/g\0',
    });
    expect(literal('"\\x41\\u0042\\u{1F600}"')).toEqual({ type: 'string', value: 'AB\u{1F600}' });
    expect(literal('""')).toEqual({ type: 'string', value: '' });
    expect(literal('"a\nb"')).toEqual({ type: 'string', value: 'a\nb' });
  });

  test('patterns keep their source verbatim', () => {
    expect(literal('/evil\\.com$/')).toEqual({
      type: 'pattern',
      source: 'evil\\.com$',
      caseInsensitive: false,
    });
    expect(literal('/EVIL/i')).toEqual({ type: 'pattern', source: 'EVIL', caseInsensitive: true });
    expect(literal('/a\\/b/')).toEqual({ type: 'pattern', source: 'a\\/b', caseInsensitive: false });
    expect(literal('/[/]x/')).toEqual({ type: 'pattern', source: '[/]x', caseInsensitive: false });
    expect(literal('/(?<name>a)/')).toEqual({
      type: 'pattern',
      source: '(?<name>a)',
      caseInsensitive: false,
    });
  });
});

describe('lexer: tricky cases', () => {
  test('an address is not a dotted field, and a field is not an address', () => {
    expect(kinds('a.b == 10.0.0.1')).toEqual(['word:a.b', 'relop:==', 'value:10.0.0.1']);
    expect(kinds('dead.beef')).toEqual(['word:dead.beef']);
  });

  test('1.5h is a duration, 1.5 a double', () => {
    expect(literal('1.5h')?.type).toBe('duration');
    expect(literal('1.5')?.type).toBe('double');
  });

  test('2020-01-01 is a time, not a subtraction', () => {
    expect(kinds('2020-01-01')).toEqual(['value:2020-01-01']);
    expect(kinds('2020 - 01')).toEqual(['value:2020', 'minus:-', 'value:01']);
  });

  test('443/tcp is a port, 10.0.0.0/8 a subnet', () => {
    expect(literal('443/tcp')?.type).toBe('port');
    expect(literal('10.0.0.0/8')?.type).toBe('subnet');
  });

  test('::1 is an address, :ip a type extractor', () => {
    expect(kinds(':ip == ::1')).toEqual(['type::ip', 'relop:==', 'value:::1']);
    expect(kinds(':ip==::1')).toEqual(['type::ip', 'relop:==', 'value:::1']);
    // Hex letters after a single colon are still a type name.
    expect(kinds(':dead')).toEqual(['type::dead']);
  });

  test('no spaces needed around operators', () => {
    expect(kinds('id.orig_h==10.0.0.1')).toEqual(['word:id.orig_h', 'relop:==', 'value:10.0.0.1']);
    expect(kinds('#schema=="zeek.conn"')).toEqual(['meta:#schema', 'relop:==', 'value:"zeek.conn"']);
    expect(kinds('x<5&&y>=2d||!z')).toEqual([
      'word:x',
      'relop:<',
      'value:5',
      'and:&&',
      'word:y',
      'relop:>=',
      'value:2d',
      'or:||',
      'bang:!',
      'word:z',
    ]);
    expect(kinds('x!=-5')).toEqual(['word:x', 'relop:!=', 'value:-5']);
    expect(kinds('(x==1)')).toEqual(['lparen:(', 'word:x', 'relop:==', 'value:1', 'rparen:)']);
  });

  test('a slash at the start of a token opens a pattern (there is no division)', () => {
    expect(kinds('x == /a/')).toEqual(['word:x', 'relop:==', 'value:/a/']);
    expect(kinds('x==/a/i&&y')).toEqual(['word:x', 'relop:==', 'value:/a/i', 'and:&&', 'word:y']);
  });

  test('now with a glued sign: the sign goes to the duration', () => {
    expect(kinds('now-1h')).toEqual(['word:now', 'value:-1h']);
    expect(kinds('now - 1h')).toEqual(['word:now', 'minus:-', 'value:1h']);
  });

  test('blank-separated units, as in `1 day ago` and `in 2 days`', () => {
    expect(kinds('1 day ago')).toEqual(['value:1 day', 'word:ago']);
    expect(kinds('in 2 days')).toEqual(['word:in', 'value:2 days']);
    // Words that are no unit are left alone.
    expect(kinds('5 in x')).toEqual(['value:5', 'word:in', 'word:x']);
    expect(kinds('5 and x')).toEqual(['value:5', 'word:and', 'word:x']);
  });

  test('blanks of every kind separate tokens', () => {
    expect(kinds('x\t==\r\n1')).toEqual(['word:x', 'relop:==', 'value:1']);
  });
});

describe('lexer: problems', () => {
  const problems = (text: string) => tokenize(text).problems.map((p) => `${p.offset} ${p.message}`);

  test('bad tokens become error tokens and lexing goes on', () => {
    const { tokens, problems: ps } = tokenize('x == @ && y == 10.0.0.300 && z == "ok"');
    expect(ps.map((p) => p.offset)).toEqual([5, 15]);
    expect(tokens.map((t) => t.kind)).toEqual([
      'word',
      'relop',
      'error',
      'and',
      'word',
      'relop',
      'error',
      'and',
      'word',
      'relop',
      'value',
      'eof',
    ]);
  });

  test('unknown operators become their likely meaning', () => {
    const t = tokenize('a = 1 & b =~ /x/ | c ~ /y/ && d !~ /z/ && e === 1 && f !== 2');
    expect(t.tokens.filter((x) => x.kind === 'relop').map((x) => x.op)).toEqual([
      '==',
      '==',
      '==',
      '!=',
      '==',
      '!=',
    ]);
    expect(t.tokens.filter((x) => x.kind === 'and' || x.kind === 'or').map((x) => x.kind)).toEqual([
      'and',
      'or',
      'and',
      'and',
      'and',
    ]);
    expect(t.problems.map((p) => p.message)).toEqual([
      "unknown operator '='",
      "unknown operator '&'",
      "unknown operator '=~'",
      "unknown operator '|'",
      "unknown operator '==='",
      "unknown operator '!=='",
    ]);
  });

  test('an unknown run is one token', () => {
    expect(problems('x == @$ && y')).toEqual(["5 unknown token '@$'"]);
  });

  test('values glued to more characters are one bad value', () => {
    expect(problems('10.0.0.1x')).toEqual(["0 invalid value '10.0.0.1x'"]);
    expect(problems('5:30')).toEqual(["0 invalid value '5:30'"]);
    expect(problems('5min30s')).toEqual(["0 invalid value '5min30s'"]);
    expect(problems('-10.0.0.1')).toEqual(["0 invalid value '-10.0.0.1'"]);
    expect(problems('1.')).toEqual(["0 invalid value '1.'"]);
  });

  test('several problems in one pass, in source order', () => {
    expect(problems('"\\q" == /(/ && 300.1.1.1 == 5parsecs')).toEqual([
      "1 invalid escape sequence '\\q'",
      '8 invalid regular expression: unterminated group',
      "15 invalid IP address '300.1.1.1'",
      "29 unknown duration unit 'parsecs' (expected ns, us, ms, s, min, h, d, w or y)",
    ]);
  });
});

describe('nonLinearConstruct', () => {
  test('finds backreferences and lookaround outside character classes', () => {
    expect(nonLinearConstruct('(a)\\1')).toBe(3);
    expect(nonLinearConstruct('(?<n>a)\\k<n>')).toBe(7);
    expect(nonLinearConstruct('a(?=b)')).toBe(1);
    expect(nonLinearConstruct('a(?!b)')).toBe(1);
    expect(nonLinearConstruct('(?<=a)b')).toBe(0);
    expect(nonLinearConstruct('(?<!a)b')).toBe(0);
  });

  test('accepts what an automaton can run', () => {
    expect(nonLinearConstruct('(?<name>a)(?:b)[(?=]\\d\\\\1')).toBe(-1);
    expect(nonLinearConstruct('^evil\\.(com|net)$')).toBe(-1);
  });
});
