import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeFeed,
  detectFeedFormat,
  FEED_FORMATS,
  FeedError,
  type FeedFormat,
  type FeedOptions,
  type FeedProblem,
  parseFeed,
} from '../../../src/detect/feeds/index.js';
import { parseStixPattern } from '../../../src/detect/feeds/stix-pattern.js';
import {
  canonicalIndicator,
  classifyIndicator,
  type Indicator,
  indicatorKey,
} from '../../../src/detect/indicator.js';
import { TEST_DATA } from '../../helpers/datasets.js';

const fixture = (name: string) => readFileSync(join(TEST_DATA, 'intel', name), 'utf8');
const parse = (text: string, format: FeedFormat, opts: Partial<FeedOptions> = {}) =>
  parseFeed(text, format, { source: '<test>', ...opts });

/** An indicator as `type value [field] {context keys}`, for compact exact lists. */
const brief = (i: Indicator) =>
  `${i.type} ${i.value}${i.field !== undefined ? ` field=${i.field}` : ''} {${Object.keys(i.context).join(',')}}`;

/** The FeedError `fn` throws. */
function feedError(fn: () => unknown): FeedError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FeedError);
    return e as FeedError;
  }
  throw new Error('expected a FeedError');
}

describe('indicator values', () => {
  it('canonicalizes each type', () => {
    expect(canonicalIndicator('subnet', '10.1.2.3/16')).toEqual({ value: '10.1.0.0/16' });
    expect(canonicalIndicator('domain', 'EVIL.Example.')).toEqual({ value: 'evil.example' });
    expect(canonicalIndicator('domain', 'Bücher.Example')).toEqual({ value: 'bücher.example' });
    expect(canonicalIndicator('md5', 'D41D8CD98F00B204E9800998ECF8427E')).toEqual({
      value: 'd41d8cd98f00b204e9800998ecf8427e',
    });
    expect(canonicalIndicator('ip', '2001:DB8:0:0::1')).toEqual({ value: '2001:db8::1' });
    // vast prints v4-mapped addresses as IPv4 (src/types/ip.ts formatIP).
    expect(canonicalIndicator('ip', '::ffff:1.2.3.4')).toEqual({ value: '1.2.3.4' });
    expect(canonicalIndicator('subnet', '2001:db8::1/32')).toEqual({ value: '2001:db8::/32' });
    expect(canonicalIndicator('url', '  http://x.example/a b  ')).toEqual({
      error: "'http://x.example/a b' is not a valid url",
    });
    expect(canonicalIndicator('url', ' https://x.example/a?b#c ')).toEqual({
      value: 'https://x.example/a?b#c',
    });
    expect(canonicalIndicator('string', ' as given ')).toEqual({ value: ' as given ' });
  });

  it('rejects invalid values with a message naming them', () => {
    expect(canonicalIndicator('ip', '1.2.3.256')).toEqual({ error: "'1.2.3.256' is not a valid ip" });
    expect(canonicalIndicator('subnet', '10.0.0.0/33')).toEqual({
      error: "'10.0.0.0/33' is not a valid subnet",
    });
    expect(canonicalIndicator('sha1', 'abc')).toEqual({ error: "'abc' is not a valid sha1" });
    expect(canonicalIndicator('domain', '-bad.example')).toEqual({
      error: "'-bad.example' is not a valid domain",
    });
    expect(canonicalIndicator('domain', '')).toEqual({ error: 'empty domain value' });
  });

  it('classifies bare values', () => {
    const cases: Array<[string, ReturnType<typeof classifyIndicator>]> = [
      ['192.0.2.1', { type: 'ip', value: '192.0.2.1' }],
      ['2001:DB8::1', { type: 'ip', value: '2001:db8::1' }],
      ['10.1.2.3/16', { type: 'subnet', value: '10.1.0.0/16' }],
      ['0CC175B9C0F1B6A831C399E269772661', { type: 'md5', value: '0cc175b9c0f1b6a831c399e269772661' }],
      [
        'da39a3ee5e6b4b0d3255bfef95601890afd80709',
        { type: 'sha1', value: 'da39a3ee5e6b4b0d3255bfef95601890afd80709' },
      ],
      [
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        { type: 'sha256', value: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
      ],
      ['hxxp://defanged.example', { type: 'url', value: 'hxxp://defanged.example' }],
      ['EVIL.Example.', { type: 'domain', value: 'evil.example' }],
      ['localhost', undefined],
      ['1.2.3', undefined],
      ['under_score.example', undefined],
      ['deadbeef', undefined],
      ['not an indicator', undefined],
      ['', undefined],
    ];
    for (const [raw, want] of cases) expect(classifyIndicator(raw), raw).toEqual(want);
  });

  it('keys indicators by type, field and value', () => {
    expect(indicatorKey({ type: 'ip', value: '1.2.3.4', context: {} })).toBe('ip::1.2.3.4');
    expect(indicatorKey({ type: 'string', field: 'email', value: 'a@b.example', context: {} })).toBe(
      'string:email:a@b.example',
    );
  });
});

describe('format detection', () => {
  it('tells the fixtures apart', () => {
    expect(FEED_FORMATS).toEqual(['list', 'csv', 'stix', 'misp']);
    expect(detectFeedFormat(fixture('stix-bundle.json'))).toBe('stix');
    expect(detectFeedFormat(fixture('misp-event.json'))).toBe('misp');
    expect(detectFeedFormat(fixture('indicators.csv'))).toBe('csv');
    expect(detectFeedFormat(fixture('blocklist.txt'))).toBe('list');
  });

  it('guesses from content', () => {
    expect(detectFeedFormat('{"type":"indicator","pattern":"[url:value = \'x\']"}')).toBe('stix');
    expect(detectFeedFormat('[{"type":"indicator"}]')).toBe('stix');
    expect(detectFeedFormat('{"response":[{"Event":{}}]}')).toBe('misp');
    expect(detectFeedFormat('{"Attribute":[]}')).toBe('misp');
    expect(detectFeedFormat('{"Event": {"info": "trunc')).toBe('misp');
    expect(detectFeedFormat('# comment\nip,comment\n1.2.3.4,x\n')).toBe('csv');
    // A comma in a data line without a header: not CSV we can read by name.
    expect(detectFeedFormat('1.2.3.4,scanner\n')).toBe('list');
    expect(detectFeedFormat('\n\n1.2.3.4\n')).toBe('list');
    expect(detectFeedFormat('')).toBe('list');
  });
});

describe('list feeds', () => {
  it('reads the blocklist fixture', () => {
    const { indicators, problems } = parse(fixture('blocklist.txt'), 'list');
    expect(indicators).toEqual([
      { type: 'ip', value: '198.51.100.17', context: {} },
      { type: 'subnet', value: '203.0.113.128/25', context: { comment: 'SBL-EXAMPLE-42' } },
      { type: 'ip', value: '2001:db8::beef', context: {} },
      { type: 'domain', value: 'malware-drop.example', context: {} },
      { type: 'url', value: 'http://malware-drop.example/x86/bot.bin', context: {} },
      { type: 'sha1', value: 'da39a3ee5e6b4b0d3255bfef95601890afd80709', context: {} },
      { type: 'subnet', value: '10.1.0.0/16', context: {} },
    ]);
    expect(problems).toEqual([
      {
        line: 10,
        column: 1,
        message: "'this is not an indicator' is not an ip, subnet, domain, url or hash",
      },
    ]);
  });

  it('forces a type, and needs a field for strings', () => {
    const text = 'Alice@Example.com\r\n  bob@example.com\n';
    expect(parse(text, 'list', { type: 'string', field: 'email' }).indicators).toEqual([
      { type: 'string', field: 'email', value: 'Alice@Example.com', context: {} },
      { type: 'string', field: 'email', value: 'bob@example.com', context: {} },
    ]);
    expect(feedError(() => parse(text, 'list', { type: 'string' })).message).toBe(
      "<test>:1: indicator type 'string' needs a field to compare with",
    );
    const forced = parse('10.0.0.0/8\nexample.com\n', 'list', { type: 'ip' });
    expect(forced.indicators.map(brief)).toEqual(['subnet 10.0.0.0/8 {}']);
    expect(forced.problems).toEqual([{ line: 2, column: 1, message: "'example.com' is not a valid ip" }]);
  });

  it('reports a 1 MB line as a problem and goes on', () => {
    const huge = `http://x.example/${'a'.repeat(1 << 20)}`;
    const { indicators, problems } = parse(`${huge}\n192.0.2.1\n`, 'list');
    expect(indicators.map(brief)).toEqual(['ip 192.0.2.1 {}']);
    expect(problems).toEqual([
      { line: 1, column: 1, message: `value of ${huge.length} characters is longer than the limit of 8192` },
    ]);
  });
});

describe('csv feeds', () => {
  it('reads the CSV fixture (CRLF, quoted commas, context, bad rows)', () => {
    const { indicators, problems } = parse(fixture('indicators.csv'), 'csv');
    expect(indicators).toEqual([
      {
        type: 'ip',
        value: '198.51.100.44',
        context: { threat: 'botnet_cc', confidence: '90', comment: 'Emotet tier-1, seen 2024-05-02' },
      },
      {
        type: 'domain',
        value: 'cdn-check.example',
        context: { threat: 'payload_delivery', confidence: '75' },
      },
      {
        type: 'url',
        value: 'https://mail-verify.example/a?b=1,2',
        context: { threat: 'phishing', confidence: '80', comment: 'quoted "lure" page' },
      },
      { type: 'subnet', value: '203.0.113.0/25', context: { threat: 'scanning', confidence: '60' } },
      {
        type: 'md5',
        value: 'e99a18c428cb38d5f260853678922e03',
        context: { threat: 'payload', confidence: '70', comment: 'second stage' },
      },
      {
        type: 'string',
        field: 'email',
        value: 'alerts@billing.example',
        context: { threat: 'phishing', confidence: '65', comment: 'sender' },
      },
    ]);
    const want: FeedProblem[] = [
      { line: 7, column: 1, message: 'row has 4 fields, the header has 5' },
      { line: 8, column: 1, message: "'not-an-ip' is not a valid ip" },
    ];
    expect(problems).toEqual(want);
  });

  it('picks the indicator column by header, else the first, and classifies without a type', () => {
    const text = [
      'first_seen,IOC,malware',
      '2024-05-01,198.51.100.1,emotet',
      '2024-05-01,"multi',
      'line",qakbot',
      '2024-05-02,EVIL.example,',
    ].join('\n');
    const { indicators, problems } = parse(text, 'csv');
    expect(indicators.map(brief)).toEqual([
      'ip 198.51.100.1 {first_seen,malware}',
      'domain evil.example {first_seen}',
    ]);
    expect(problems).toEqual([
      { line: 3, column: 12, message: "'multi\nline' is not an ip, subnet, domain, url or hash" },
    ]);
    expect(parse('name,note\nexample.org,x\n', 'csv').indicators.map(brief)).toEqual([
      'domain example.org {note}',
    ]);
    expect(parse('domain,ip\nlocalhost,192.0.2.1\n', 'csv').indicators.map(brief)).toEqual([
      'domain localhost {ip}',
    ]);
  });

  it('reports unknown types and text after a closing quote', () => {
    const text = 'value,type\nHKCU\\Run,regkey\n"192.0.2.1"x,ip\n192.0.2.2,ipv4\n';
    const { indicators, problems } = parse(text, 'csv');
    expect(indicators.map(brief)).toEqual(['ip 192.0.2.2 {}']);
    expect(problems).toEqual([
      { line: 2, column: 1, message: "unknown indicator type 'regkey' in column 'type'" },
      { line: 3, column: 1, message: 'text after the closing quote of field 1' },
    ]);
  });

  it('throws FeedError at an unterminated quote', () => {
    const e = feedError(() => parse('indicator,comment\n192.0.2.1,ok\n192.0.2.2,"never closed\n', 'csv'));
    expect([e.line, e.column, e.message]).toEqual([3, 11, '<test>:3:11: unterminated quoted field']);
  });
});

describe('stix feeds', () => {
  const stixContext = ['id', 'name', 'created'].join(',');

  it('reads the bundle fixture', () => {
    const { indicators, problems } = parse(fixture('stix-bundle.json'), 'stix');
    expect(indicators[0]).toEqual({
      type: 'ip',
      value: '198.51.100.7',
      context: {
        id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
        name: 'Cobalt Strike team server',
        description: 'Beacon C2 observed in incident IR-2024-017',
        labels: 'c2,cobalt-strike',
        indicator_types: 'malicious-activity,attribution',
        confidence: '85',
        created: '2024-03-01T09:15:00.000Z',
      },
      validFrom: '2024-03-01T09:15:00.000Z',
      validUntil: '2024-06-01T00:00:00.000Z',
    });
    expect(indicators.map(brief)).toEqual([
      'ip 198.51.100.7 {id,name,description,labels,indicator_types,confidence,created}',
      `ip 2001:db8::1 {${stixContext}}`,
      `subnet 203.0.113.0/24 {${stixContext}}`,
      `domain login-update.example {${stixContext}}`,
      `url https://login-update.example/owa/auth.php?id=7 {${stixContext}}`,
      `sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 {${stixContext}}`,
      `md5 0cc175b9c0f1b6a831c399e269772661 {${stixContext}}`,
      `url http://files.example/it's\\here.zip {${stixContext}}`,
      `string billing@invoices.example field=email {${stixContext}}`,
    ]);
    expect(indicators.map((i) => i.validFrom)).toEqual([
      '2024-03-01T09:15:00.000Z',
      '2024-03-01T09:16:00.000Z',
      '2024-03-01T09:17:00.000Z',
      '2024-03-02T11:00:00.000Z',
      '2024-03-02T11:00:00.000Z',
      '2024-03-02T12:00:00.000Z',
      '2024-03-02T12:00:00.000Z',
      '2024-03-02T12:33:00.000Z',
      '2024-03-02T12:33:00.000Z',
    ]);
    expect(problems).toEqual([
      {
        line: 75,
        column: 5,
        message:
          "STIX indicator indicator--5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9: pattern \"[ipv4-addr:value = '192.0.2.10' AND network-traffic:dst_port = 443]\": comparison operator AND cannot be evaluated (only '=' comparisons joined by OR are supported)",
      },
      {
        line: 86,
        column: 5,
        message:
          "STIX indicator indicator--6f7a8b9c-0d1e-4f2a-b3c4-d5e6f7a8b9c0: pattern \"[url:value MATCHES '^https?://[a-z0-9-]+\\\\.example/gate\\\\.php']\": operator MATCHES cannot be evaluated (only '=' comparisons joined by OR are supported)",
      },
      {
        line: 97,
        column: 5,
        message:
          'STIX indicator indicator--7a8b9c0d-1e2f-4a3b-c4d5-e6f7a8b9c0d1: pattern_type "yara" cannot be evaluated (only \'stix\' patterns are supported)',
      },
    ]);
  });

  it('reads a single indicator and an array of objects', () => {
    const one = '{"type":"indicator","id":"indicator--1","pattern":"[domain-name:value = \'A.example\']"}';
    expect(parse(one, 'stix').indicators).toEqual([
      { type: 'domain', value: 'a.example', context: { id: 'indicator--1' } },
    ]);
    const arr = `[\n${one},\n{"type":"malware","name":"x"}\n]`;
    expect(parse(arr, 'stix').indicators.map(brief)).toEqual(['domain a.example {id}']);
  });

  it('rejects what the patterning language allows but we cannot evaluate, by name', () => {
    const rejected: Array<[string, string]> = [
      ["[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'a.example']", 'observation operator AND'],
      [
        "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [domain-name:value = 'a.example']",
        'observation operator FOLLOWEDBY',
      ],
      ["[ipv4-addr:value = '1.2.3.4'] WITHIN 300 SECONDS", 'qualifier WITHIN'],
      [
        "[ipv4-addr:value = '1.2.3.4'] START t'2024-01-01T00:00:00Z' STOP t'2024-02-01T00:00:00Z'",
        'qualifier START',
      ],
      ["[ipv4-addr:value = '1.2.3.4'] REPEATS 5 TIMES", 'qualifier REPEATS'],
      ["[ipv4-addr:value != '1.2.3.4']", "operator '!='"],
      ['[network-traffic:dst_port > 1024]', "operator '>'"],
      ["[ipv4-addr:value ISSUBSET '10.0.0.0/8']", 'operator ISSUBSET'],
      ["[file:name LIKE 'inv%.exe']", 'operator LIKE'],
      ["[domain-name:value IN ('a.example', 'b.example')]", 'operator IN'],
      ["[ipv4-addr:value NOT = '1.2.3.4']", 'operator NOT'],
    ];
    for (const [pattern, what] of rejected)
      expect(() => parseStixPattern(pattern), pattern).toThrow(
        `${what} cannot be evaluated (only '=' comparisons joined by OR are supported)`,
      );
    expect(() => parseStixPattern("[ipv4-addr:value = '1.2.3.4'")).toThrow(
      "expected ']', found end of pattern",
    );
    expect(() => parseStixPattern("[url:value = 'a\\nb']")).toThrow("invalid escape '\\n' at offset 15");
    expect(() => parseStixPattern("[url:value = 'open]")).toThrow('unterminated string at offset 13');
  });

  it('parses OR, parentheses, hash name spellings and escapes', () => {
    expect(
      parseStixPattern(
        "([file:hashes.'SHA-1' = 'a' OR (file:hashes.SHA256 = 'b')] OR [file:hashes.'MD5' = 'c\\'d\\\\e'])",
      ),
    ).toEqual([
      { objectType: 'file', path: ['hashes', 'SHA-1'], value: 'a' },
      { objectType: 'file', path: ['hashes', 'SHA256'], value: 'b' },
      { objectType: 'file', path: ['hashes', 'MD5'], value: "c'd\\e" },
    ]);
  });

  it('reports paths we cannot match and invalid values, skipping the whole object', () => {
    const doc = JSON.stringify({
      type: 'bundle',
      objects: [
        {
          type: 'indicator',
          id: 'indicator--a',
          pattern: "[ipv4-addr:value = '1.2.3.4' OR file:name = 'x.exe']",
        },
        { type: 'indicator', id: 'indicator--b', pattern: "[file:hashes.'SHA-512' = 'ab']" },
        { type: 'indicator', id: 'indicator--c', pattern: "[ipv4-addr:value = '1.2.3.999']" },
        {
          type: 'indicator',
          id: 'indicator--d',
          pattern: "[url:value = 'http://ok.example/']",
          valid_from: 'soon',
        },
        { type: 'indicator', id: 'indicator--e' },
      ],
    });
    const { indicators, problems } = parse(doc, 'stix');
    expect(indicators).toEqual([]);
    expect(problems.map((p) => p.message)).toEqual([
      "STIX indicator indicator--a: pattern \"[ipv4-addr:value = '1.2.3.4' OR file:name = 'x.exe']\": object path file:name cannot be evaluated",
      "STIX indicator indicator--b: pattern \"[file:hashes.'SHA-512' = 'ab']\": object path file:hashes.SHA-512 cannot be evaluated",
      "STIX indicator indicator--c: pattern \"[ipv4-addr:value = '1.2.3.999']\": ipv4-addr:value: '1.2.3.999' is not a valid ip",
      'STIX indicator indicator--d: valid_from "soon" is not an ISO 8601 time',
      "STIX indicator indicator--e: has no 'pattern' string",
    ]);
    // Each problem points at the '{' of its object.
    const starts = ['a', 'b', 'c', 'd', 'e'].map(
      (id) => doc.indexOf(`{"type":"indicator","id":"indicator--${id}"`) + 1,
    );
    expect(problems.map((p) => [p.line, p.column])).toEqual(starts.map((c) => [1, c]));
  });

  it('reports a 1 MB pattern value as a problem', () => {
    const url = `http://x.example/${'a'.repeat(1 << 20)}`;
    const doc = JSON.stringify([
      { type: 'indicator', id: 'indicator--big', pattern: `[url:value = '${url}']` },
      { type: 'indicator', id: 'indicator--ok', pattern: "[url:value = 'http://ok.example/']" },
    ]);
    const { indicators, problems } = parse(doc, 'stix');
    expect(indicators.map(brief)).toEqual(['url http://ok.example/ {id}']);
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toMatch(
      new RegExp(
        `^STIX indicator indicator--big: pattern "\\[url:value = 'http://x\\.example/a+…" \\(${url.length + 16} characters\\): url:value: url value of ${url.length} characters is longer than the limit of 8192$`,
      ),
    );
  });

  it('throws FeedError with line:column for broken documents', () => {
    const truncated = fixture('stix-bundle.json').slice(0, 1200);
    const e = feedError(() => parse(truncated, 'stix', { source: 'bundle.json' }));
    // The cut falls inside `"id": "i` on line 35; the string opens at column 13.
    expect(e.message).toBe('bundle.json:35:13: invalid JSON: unterminated string');
    expect(e.render()).toBe('error: invalid JSON: unterminated string\n --> bundle.json:35:13');
    expect(feedError(() => parse('{"type":"bundle","objects":[{}, 42]}', 'stix')).message).toBe(
      '<test>:1:33: STIX object 2 is a number, not an object',
    );
    expect(feedError(() => parse('{"type": "bundle",\n "objects": [\n', 'stix')).message).toBe(
      '<test>:3:1: invalid JSON: unexpected end of input',
    );
    expect(feedError(() => parse('{"a": 1,}', 'stix')).message).toBe(
      "<test>:1:9: invalid JSON: expected a string key, found '}'",
    );
    expect(feedError(() => parse('"just a string"', 'stix')).message).toBe(
      '<test>:1:1: expected a STIX bundle, a STIX object or an array of STIX objects',
    );
  });
});

describe('misp feeds', () => {
  const ctx = 'category,event_info,event_uuid,attribute_uuid,tags,timestamp';

  it('reads the event fixture', () => {
    const { indicators, problems } = parse(fixture('misp-event.json'), 'misp');
    expect(indicators[0]).toEqual({
      type: 'ip',
      value: '198.51.100.23',
      context: {
        category: 'Network activity',
        comment: 'C2, port 443',
        event_info: 'Qakbot distribution wave 2024-04-12',
        event_uuid: '6619a0c4-5b1c-4f0e-9d3a-0a2b3c4d5e6f',
        attribute_uuid: '6619a0c4-0001-4a1b-8c2d-3e4f5a6b7c8d',
        tags: 'tlp:amber,malware:qakbot',
        timestamp: '2024-04-12T16:00:00.000Z',
      },
      validFrom: '2024-04-10T00:00:00.000Z',
      validUntil: '2024-04-12T18:00:00.000Z',
    });
    expect(indicators.map(brief)).toEqual([
      'ip 198.51.100.23 {category,comment,event_info,event_uuid,attribute_uuid,tags,timestamp}',
      `domain cdn-update.example {${ctx}}`,
      `ip 203.0.113.5 {${ctx}}`,
      'url https://cdn-update.example/dl/invoice_0412.zip {category,comment,event_info,event_uuid,attribute_uuid,tags,timestamp}',
      `ip 2001:db8::bad:1 {${ctx}}`,
      'sha256 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 {category,event_info,event_uuid,attribute_uuid,object,tags,timestamp}',
      'md5 5d41402abc4b2a76b9719d911017c592 {category,event_info,event_uuid,attribute_uuid,object,tags,timestamp}',
    ]);
    expect(indicators[3].context.tags).toBe('tlp:amber,malware:qakbot,kill-chain:delivery');
    expect(indicators[5].context.object).toBe('file');
    expect(problems).toEqual([
      { line: 72, column: 7, message: "MISP attribute type 'regkey' is not supported" },
      { line: 96, column: 7, message: "MISP attribute 'ip-dst': '198.51.100.300' is not a valid ip" },
    ]);
  });

  it('includes to_ids: false attributes when asked', () => {
    const { indicators, problems } = parse(fixture('misp-event.json'), 'misp', { includeNonIds: true });
    expect(indicators.map((i) => `${i.type} ${i.value}`)).toContain('ip 192.0.2.53');
    expect(problems.map((p) => p.message)).toContain("MISP attribute type 'filename' is not supported");
  });

  it('reads REST responses, event lists and bare attribute lists', () => {
    const attr = (type: string, value: string, extra: object = {}) => ({
      type,
      value,
      to_ids: true,
      ...extra,
    });
    const search = JSON.stringify({
      response: [
        {
          Event: {
            info: 'one',
            Attribute: [attr('hostname|port', 'Mail.Example|25'), attr('link', 'https://x.example/')],
          },
        },
        {
          Event: {
            info: 'two',
            Attribute: [attr('filename|sha1', 'a.exe|DA39A3EE5E6B4B0D3255BFEF95601890AFD80709')],
          },
        },
      ],
    });
    expect(parse(search, 'misp').indicators.map(brief)).toEqual([
      'domain mail.example {event_info}',
      'url https://x.example/ {event_info}',
      'sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709 {event_info}',
    ]);
    const list = JSON.stringify([
      { Event: { Attribute: [attr('ip-src', '10.2.3.4/8'), attr('email-src', 'Boss@Corp.example')] } },
    ]);
    expect(parse(list, 'misp').indicators.map(brief)).toEqual([
      'subnet 10.0.0.0/8 {}',
      'string Boss@Corp.example field=email {}',
    ]);
    const bare = JSON.stringify({
      Attribute: [
        attr('malware-sample', 'x.bin|0CC175B9C0F1B6A831C399E269772661', { to_ids: '1' }),
        attr('md5', 'x', { deleted: true }),
      ],
    });
    expect(parse(bare, 'misp').indicators.map(brief)).toEqual(['md5 0cc175b9c0f1b6a831c399e269772661 {}']);
    const attributeSearch = JSON.stringify({ response: { Attribute: [attr('sha256', 'ab'.repeat(32))] } });
    expect(parse(attributeSearch, 'misp').indicators.map(brief)).toEqual([`sha256 ${'ab'.repeat(32)} {}`]);
  });

  it('throws FeedError for documents that are not MISP events', () => {
    expect(feedError(() => parse('{"foo": 1}', 'misp')).message).toBe(
      "<test>:1:1: expected a MISP event: an object with 'Event', 'response' or 'Attribute', or a list of events",
    );
    expect(feedError(() => parse('[{"Event": "x"}]', 'misp')).message).toBe(
      // A scalar member has no position of its own: the error points at its object.
      "<test>:1:2: 'Event' must be an object",
    );
    expect(feedError(() => parse('{"Event": {"Attribute": [1]}}', 'misp')).message).toBe(
      '<test>:1:26: a MISP attribute must be an object',
    );
    expect(feedError(() => parse('{"Event": {"info": "x", "Attribute": [', 'misp')).message).toBe(
      '<test>:1:39: invalid JSON: unexpected end of input',
    );
  });
});

describe('decoding', () => {
  it('decodes UTF-8 and drops a BOM', () => {
    const bytes = new TextEncoder().encode('\uFEFFbücher.example\n');
    expect(decodeFeed(bytes, 'f.txt')).toBe('bücher.example\n');
    expect(parse(decodeFeed(bytes, 'f.txt'), 'list').indicators.map(brief)).toEqual([
      'domain bücher.example {}',
    ]);
  });

  it('throws FeedError at the first invalid byte', () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('1.2.3.4\nbü'), 0xff, 0x41, 0x0a]);
    const e = feedError(() => decodeFeed(bytes, 'feed.txt'));
    expect(e.message).toBe('feed.txt:2:4: invalid UTF-8 byte 0xff');
    // A truncated sequence and an overlong encoding are invalid too.
    expect(feedError(() => decodeFeed(new Uint8Array([0x61, 0xe2, 0x82]), 'f')).message).toBe(
      'f:1:2: invalid UTF-8 byte 0xe2',
    );
    expect(feedError(() => decodeFeed(new Uint8Array([0xc0, 0xaf]), 'f')).message).toBe(
      'f:1:1: invalid UTF-8 byte 0xc0',
    );
  });
});
