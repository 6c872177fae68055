import { describe, expect, it } from 'vitest';
import type { Expr, Literal } from '../../../src/expr/ast.js';
import { mustParseExpression } from '../../../src/expr/parser.js';
import { printExpression } from '../../../src/expr/print.js';
import { loadRegistry, SchemaRegistry } from '../../../src/schemas/registry.js';
import { modelPredicate, Taxonomy } from '../../../src/schemas/taxonomy.js';
import { parseIP } from '../../../src/types/ip.js';
import { leaves } from '../../../src/types/type.js';

const ip = (text: string): Literal => ({ type: 'ip', bytes: parseIP(text)! });
const count = (n: number): Literal => ({ type: 'uint64', value: BigInt(n) });
const str = (value: string): Literal => ({ type: 'string', value });

/** The shipped taxonomy (schemas/taxonomy.yaml). */
const shipped = loadRegistry().taxonomy;

describe('the shipped taxonomy', () => {
  it('maps net.src.ip to Zeek and Suricata fields, as VAST 2 did', () => {
    const fields = shipped.conceptFields('net.src.ip')!;
    expect(fields).toContain('zeek.conn.id.orig_h');
    expect(fields).toContain('suricata.flow.src_ip');
    expect(fields).not.toContain('zeek.conn.id.resp_h');
  });
  it('includes sub-concepts: net.hostname covers net.src.hostname and net.dst.hostname', () => {
    expect(shipped.concepts.get('net.hostname')?.concepts).toEqual(['net.dst.hostname', 'net.src.hostname']);
    expect(shipped.conceptFields('net.hostname')).toContain('zeek.http.host');
  });
  it('defines net.connection as the 5-tuple', () => {
    expect(shipped.modelConcepts('net.connection')).toEqual([
      'net.src.ip',
      'net.src.port',
      'net.dst.ip',
      'net.dst.port',
      'net.proto',
    ]);
  });
  it('maps every shipped schema with a connection id (Suricata stats aside)', () => {
    const registry = loadRegistry();
    const unmapped: string[] = [];
    const concepts: [string, string, string][] = [
      ['net.src.ip', 'id.orig_h', 'src_ip'],
      ['net.src.port', 'id.orig_p', 'src_port'],
      ['net.dst.ip', 'id.resp_h', 'dest_ip'],
      ['net.dst.port', 'id.resp_p', 'dest_port'],
    ];
    for (const [concept, zeekPath, evePath] of concepts) {
      const fields = new Set(shipped.conceptFields(concept));
      for (const s of registry.all()) {
        if (s.name === 'suricata.stats') continue;
        const paths = leaves(s.type).map((l) => l.path);
        for (const p of [zeekPath, evePath])
          if (paths.includes(p) && !fields.has(`${s.name}.${p}`)) unmapped.push(`${concept}: ${s.name}.${p}`);
      }
    }
    expect(unmapped).toEqual([]);
  });
  it('answers undefined for names that are not concepts', () => {
    expect(shipped.conceptFields('id.orig_h')).toBeUndefined();
  });
});

describe('modelPredicate', () => {
  const text = (e: Expr) => printExpression(e);
  it('expands a record of the model into a conjunction over its concepts, skipping wildcards', () => {
    const e = modelPredicate(shipped, 'net.connection', [
      ip('192.168.168.100'),
      undefined,
      ip('72.247.178.18'),
      undefined,
      undefined,
    ]);
    expect(text(e)).toBe(
      text(mustParseExpression('net.src.ip == 192.168.168.100 && net.dst.ip == 72.247.178.18')),
    );
  });
  it('keeps every item when there is no wildcard, in the model order', () => {
    const e = modelPredicate(shipped, 'net.connection', [
      ip('10.0.0.1'),
      count(1234),
      ip('10.0.0.2'),
      count(80),
      str('tcp'),
    ]);
    expect(text(e)).toBe(
      text(
        mustParseExpression(
          'net.src.ip == 10.0.0.1 && net.src.port == 1234 && net.dst.ip == 10.0.0.2 && net.dst.port == 80 && net.proto == "tcp"',
        ),
      ),
    );
  });
  it('negates the whole tuple for !=', () => {
    const e = modelPredicate(
      shipped,
      'net.connection',
      [ip('10.0.0.1'), undefined, undefined, count(80), undefined],
      '!=',
    );
    expect(e.kind).toBe('not');
    expect(text(e)).toBe(text(mustParseExpression('!(net.src.ip == 10.0.0.1 && net.dst.port == 80)')));
  });
  it('is true for all wildcards', () => {
    expect(
      modelPredicate(shipped, 'net.connection', [undefined, undefined, undefined, undefined, undefined]).kind,
    ).toBe('true');
  });
  it('rejects a record of the wrong arity, naming the concepts', () => {
    expect(() => modelPredicate(shipped, 'net.connection', [ip('10.0.0.1')])).toThrow(
      /model 'net.connection' has 5 concepts \(net.src.ip, .*\) but the value has 1/,
    );
    expect(() => modelPredicate(shipped, 'net.nothing', [])).toThrow(/unknown model 'net.nothing'/);
  });
  it('flattens nested models', () => {
    const t = new Taxonomy();
    t.load({ models: { pair: { definition: ['a', 'b'] }, outer: { definition: ['pair', 'c'] } } }, 'test');
    expect(t.modelConcepts('outer')).toEqual(['a', 'b', 'c']);
    const e = modelPredicate(t, 'outer', [undefined, count(2), count(3)]);
    expect(text(e)).toBe(text(mustParseExpression('b == 2 && c == 3')));
  });
});

describe('taxonomy files', () => {
  it('merges the fields of a concept defined in several files', () => {
    const r = new SchemaRegistry();
    r.loadYaml('concepts:\n  net.src.ip:\n    fields: [zeek.conn.id.orig_h]\n', 'a.yaml');
    r.loadYaml('concepts:\n  net.src.ip:\n    description: source\n    fields: [my.flow.src]\n', 'b.yaml');
    expect(r.taxonomy.conceptFields('net.src.ip')).toEqual(['zeek.conn.id.orig_h', 'my.flow.src']);
    expect(r.taxonomy.concepts.get('net.src.ip')?.description).toBe('source');
  });
  it("reads VAST 2's list format as it is", () => {
    const r = new SchemaRegistry();
    r.loadYaml(
      [
        '- concept:',
        '    name: net.src.ip',
        '    description: >-',
        '      The IP address of the connection originator',
        '    fields:',
        '      - zeek.conn.id.orig_h',
        '- model:',
        '    name: net.pair',
        '    definition:',
        '      - net.src.ip',
        '      - net.dst.ip',
      ].join('\n'),
      'vast.yaml',
    );
    expect(r.taxonomy.concepts.get('net.src.ip')).toEqual({
      name: 'net.src.ip',
      description: 'The IP address of the connection originator',
      fields: ['zeek.conn.id.orig_h'],
      concepts: [],
    });
    expect(r.taxonomy.modelConcepts('net.pair')).toEqual(['net.src.ip', 'net.dst.ip']);
  });
  it('reports malformed definitions with the file and key', () => {
    const r = new SchemaRegistry();
    expect(() =>
      r.loadYaml('concepts:\n  net.src.ip:\n    fields: zeek.conn.id.orig_h\n', 'bad.yaml'),
    ).toThrow('bad.yaml: concepts.net.src.ip.fields: expected a list of names');
    expect(() => r.loadYaml('models:\n  m:\n    definition: []\n', 'bad.yaml')).toThrow(
      'bad.yaml: models.m.definition: a model needs at least one concept',
    );
    expect(() => r.loadYaml('concepts: [a, b]\n', 'bad.yaml')).toThrow(
      'bad.yaml: concepts: expected a map of names',
    );
    expect(() => r.loadYaml('- concept: {fields: [x]}\n', 'bad.yaml')).toThrow(
      "bad.yaml: item 1: expected 'concept' or 'model' with a name",
    );
  });
  it('cuts cycles between concepts', () => {
    const t = new Taxonomy();
    t.load(
      { concepts: { a: { fields: ['x.a'], concepts: ['b'] }, b: { fields: ['x.b'], concepts: ['a'] } } },
      'test',
    );
    expect(t.conceptFields('a')).toEqual(['x.a', 'x.b']);
  });
});
