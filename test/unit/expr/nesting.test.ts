/**
 * Bounds on expression size found by fuzzing (test/fuzz): deep nesting and
 * long connective chains overflowed the stack in the parser or the compiler
 * (a RangeError instead of a diagnostic). Now they are diagnostics with a
 * location, and everything up to the limits still parses and compiles.
 */
import { describe, expect, test } from 'vitest';
import { VastError } from '../../../src/diagnostics.js';
import { MAX_CONNECTIVES, MAX_NESTING, parseExpression } from '../../../src/expr/parser.js';
import { prepareQuery } from '../../../src/query/run.js';
import { loadRegistry } from '../../../src/schemas/registry.js';

const registry = loadRegistry();

function rejection(text: string) {
  const r = parseExpression(text);
  if (r.ok) throw new Error(`'${text.slice(0, 40)}...' parsed`);
  return r.diagnostics[0];
}

describe('expression size limits', () => {
  test.each(['(', '!', 'not '])('10 000 x %s is a diagnostic at the level past the limit', (open) => {
    const text = `${open.repeat(10_000)}x == 1`;
    const d = rejection(text);
    expect(d.message).toBe("expression nested too deeply (more than 256 levels of '(', '!' and '[')");
    expect(d.location).toEqual({ source: 'query', line: 1, column: MAX_NESTING * open.length + 1 });
  });

  test('nested lists are bounded too', () => {
    const d = rejection(`x in ${'['.repeat(10_000)}1`);
    expect(d.message).toBe("expression nested too deeply (more than 256 levels of '(', '!' and '[')");
    expect(d.location?.line).toBe(1);
  });

  test('a chain of 20 000 predicates is a diagnostic, not a stack overflow in the compiler', () => {
    const chain = (n: number) => Array.from({ length: n }, (_, k) => `id.orig_p == ${k}`).join(' || ');
    const text = chain(20_000);
    const d = rejection(text);
    expect(d.message).toBe(
      "expression too long (more than 1000 '&&' and '||'; for many values, use 'in [a, b, ...]')",
    );
    expect(d.location?.column).toBe(chain(MAX_CONNECTIVES + 1).length + 2);
    let err: unknown;
    try {
      prepareQuery(text, registry.all(), registry);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VastError);
    // Up to the limits, queries parse and compile against every schema.
    expect(() => prepareQuery(chain(MAX_CONNECTIVES + 1), registry.all(), registry)).not.toThrow();
    const deep = `${'('.repeat(MAX_NESTING - 1)}id.orig_p == 1${')'.repeat(MAX_NESTING - 1)}`;
    expect(() => prepareQuery(deep, registry.all(), registry)).not.toThrow();
  });
});
