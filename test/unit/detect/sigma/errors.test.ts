import { describe, expect, it } from 'vitest';
import {
  isSigma,
  loadSigmaMappings,
  parseSigma,
  sigmaQueryText,
} from '../../../../src/detect/sigma/index.js';
import { VastError } from '../../../../src/diagnostics.js';
import { loadRegistry } from '../../../../src/schemas/registry.js';

const mappings = loadSigmaMappings(loadRegistry());

/** The first diagnostic's message and FILE:LINE:COLUMN. */
function failure(text: string): [string, string] {
  try {
    parseSigma(text, { file: 'r.yml', mappings });
  } catch (e) {
    expect(e).toBeInstanceOf(VastError);
    const d = (e as VastError).diagnostics[0];
    return [d.message, `${d.location?.source}:${d.location?.line}:${d.location?.column}`];
  }
  throw new Error('no error');
}

const head = 'title: t\nlogsource: {product: zeek, service: dns}\ndetection:\n';

describe('Sigma errors name the construct and point at it', () => {
  it('unknown and unsupported modifiers', () => {
    expect(failure(`${head}  s: {query|containz: x}\n  condition: s`)).toEqual([
      "unknown Sigma modifier 'containz'",
      'r.yml:4:13',
    ]);
    expect(failure(`${head}  s:\n    query|re|m: x\n  condition: s`)[1]).toBe('r.yml:5:14');
    expect(failure(`${head}  s:\n    query|fieldref: rcode\n  condition: s`)).toEqual([
      "'fieldref': field 'query' (string) cannot be compared with field 'rcode' (uint64)",
      'r.yml:5:21',
    ]);
    expect(failure(`${head}  s:\n    query|fieldref: nosuch\n  condition: s`)).toEqual([
      "unknown field 'nosuch': it is in none of the schemas of the logsource (zeek.dns)",
      'r.yml:5:21',
    ]);
  });

  it('fields that no schema of the logsource has', () => {
    expect(failure(`${head}  s:\n    querry: x\n  condition: s`)).toEqual([
      "unknown field 'querry': it is in none of the schemas of the logsource (zeek.dns)",
      'r.yml:5:5',
    ]);
  });

  it('values a field cannot hold', () => {
    expect(failure(`${head}  s:\n    rcode|contains: x\n  condition: s`)[0]).toBe(
      "field 'rcode' is of type uint64 and cannot match the string '*x*'",
    );
    expect(failure(`${head}  s:\n    id.orig_h: '10.*'\n  condition: s`)).toEqual([
      "field 'id.orig_h' is of type ip and cannot match '10.*' (use the 'cidr' modifier for address ranges)",
      'r.yml:5:16',
    ]);
    expect(failure(`${head}  s:\n    query|cidr: 10.0.0.0/8\n  condition: s`)[0]).toBe(
      "field 'query' is of type string and cannot match the subnet 10.0.0.0/8",
    );
  });

  it('unmappable logsources', () => {
    const [msg, at] = failure(
      'title: t\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  s: {a: b}\n  condition: s',
    );
    expect(msg).toBe('no mapping for the logsource {product: windows, category: process_creation}');
    expect(at).toBe('r.yml:3:3');
  });

  it('conditions: unknown identifiers, aggregations, patterns matching nothing', () => {
    expect(failure(`${head}  s: {query: x}\n  condition: s and t`)).toEqual([
      "unknown search identifier 't' in condition",
      'r.yml:5:20',
    ]);
    expect(failure(`${head}  s: {query: x}\n  condition: 's | count() by query > 5'`)).toEqual([
      "the aggregation '| count()' of Sigma 1 is not supported: write a correlation rule (Sigma 2) instead",
      'r.yml:5:17',
    ]);
    expect(failure(`${head}  s: {query: x}\n  condition: 1 of x*`)[0]).toBe(
      "no search identifier matches 'x*'",
    );
    expect(failure(`${head}  s: {query: x}`)[0]).toBe("a detection needs a 'condition'");
  });

  it('regular expressions the linear-time engine cannot run', () => {
    expect(failure(`${head}  s:\n    query|re: '(a)\\1'\n  condition: s`)).toEqual([
      "invalid 're' value: pattern uses a backreference/lookaround, which is not supported (patterns must run in linear time)",
      'r.yml:5:15',
    ]);
    expect(failure(`${head}  s:\n    query|re: 'a(?=b)'\n  condition: s`)[0]).toMatch(
      /^invalid 're' value: /,
    );
    expect(failure(`${head}  s:\n    query|re: 'a('\n  condition: s`)[0]).toMatch(
      /^invalid 're' value: invalid regular expression/,
    );
  });

  it('YAML syntax, missing title, bad level', () => {
    expect(failure('title: [\n')[1]).toMatch(/^r\.yml:\d+:\d+$/);
    expect(
      failure(`logsource: {product: zeek, service: dns}\ndetection:\n  s: {query: x}\n  condition: s`)[0],
    ).toBe("a Sigma rule needs a 'title'");
    expect(failure(`level: severe\n${head}  s: {query: x}\n  condition: s`)).toEqual([
      "unknown level 'severe' (known: informational, low, medium, high, critical)",
      'r.yml:1:8',
    ]);
  });
});

describe('correlations', () => {
  const rule = `title: Failed DNS
name: nx
${head.slice('title: t\n'.length)}  s: {rcode_name: NXDOMAIN}
  condition: s
`;
  it('are parsed into SigmaCorrelation with mapped group-by fields', () => {
    const docs = parseSigma(
      `${rule}---\ntitle: many nx\ncorrelation:\n  type: event_count\n  rules: nx\n  group-by: [src_ip]\n  timespan: 15m\n  condition: {gte: 10}\n`,
      { mappings },
    );
    expect(docs[1]).toMatchObject({
      kind: 'correlation',
      type: 'event_count',
      rules: ['nx'],
      groupBy: ['id.orig_h'],
      timespanNs: 900_000_000_000n,
      condition: { op: 'gte', count: 10 },
      generate: false,
    });
  });

  it('value_count needs a field; temporal defaults to all rules', () => {
    const c = (body: string) =>
      parseSigma(`title: c\ncorrelation:\n${body}`, { mappings })[0] as unknown as Record<string, unknown>;
    expect(
      c('  type: value_count\n  rules: [a]\n  timespan: 1d\n  condition: {gt: 3, field: query}\n'),
    ).toMatchObject({
      timespanNs: 86_400_000_000_000n,
      condition: { op: 'gt', count: 3, field: 'query' },
    });
    expect(c('  type: temporal\n  rules: [a, b]\n  timespan: 30s\n  generate: true\n')).toMatchObject({
      condition: { op: 'gte', count: 2 },
      generate: true,
    });
    expect(() => c('  type: value_count\n  rules: [a]\n  timespan: 1h\n  condition: {gt: 3}\n')).toThrow(
      /needs 'field'/,
    );
    expect(() => c('  type: event_count\n  rules: [a]\n  timespan: 1y\n  condition: {gt: 3}\n')).toThrow(
      /invalid timespan '1y'/,
    );
  });

  it('are no query', () => {
    expect(() =>
      sigmaQueryText('title: c\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  timespan: 30s\n', {
        mappings,
      }),
    ).toThrow(/correlation rules run as content: vast rule add/);
  });
});

describe('isSigma', () => {
  it('recognises rules and correlations, not expressions', () => {
    expect(isSigma('title: x\ndetection:\n  a: b')).toBe(true);
    expect(isSigma('correlation:\n  type: temporal')).toBe(true);
    expect(isSigma('query == "detection:"')).toBe(false);
    expect(isSigma('id.orig_h in 10.0.0.0/8')).toBe(false);
  });
});
