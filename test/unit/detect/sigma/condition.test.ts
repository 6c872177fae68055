import { describe, expect, it } from 'vitest';
import { type ConditionError, parseCondition } from '../../../../src/detect/sigma/condition.js';

describe('Sigma conditions', () => {
  it('binds not over and over or, and keeps parentheses', () => {
    expect(parseCondition('a or b and not c')).toEqual({
      kind: 'or',
      left: { kind: 'ref', name: 'a', at: 0 },
      right: {
        kind: 'and',
        left: { kind: 'ref', name: 'b', at: 5 },
        right: { kind: 'not', expr: { kind: 'ref', name: 'c', at: 15 } },
      },
    });
    expect(parseCondition('(a or b) and c').kind).toBe('and');
    expect(parseCondition('A AND NOT B').kind).toBe('and');
  });

  it('reads 1 of / all of with patterns and them', () => {
    expect(parseCondition('1 of sel*')).toEqual({ kind: 'of', all: false, pattern: 'sel*', at: 0 });
    expect(parseCondition('all of them')).toEqual({ kind: 'of', all: true, at: 0 });
    expect(parseCondition('1 of them and not 1 of filter_*').kind).toBe('and');
  });

  it('names the deprecated aggregations', () => {
    expect(() => parseCondition('sel | count() by host > 5')).toThrow(/aggregation '\| count\(\)'/);
    expect(() => parseCondition('sel | near other')).toThrow(/'\| near'/);
  });

  it('locates syntax errors', () => {
    const at = (text: string) => {
      try {
        parseCondition(text);
      } catch (e) {
        return [(e as ConditionError).message, (e as ConditionError).at];
      }
      return undefined;
    };
    expect(at('a and')).toEqual(['unexpected end of condition', 5]);
    expect(at('(a or b')).toEqual(["expected ')' in condition", 7]);
    expect(at('a b')).toEqual(["unexpected 'b' in condition", 2]);
    expect(at('2 of sel*')).toEqual(["'2 of' is not supported: Sigma knows '1 of' and 'all of'", 0]);
    expect(at('a = b')).toEqual(["unexpected '=' in condition", 2]);
  });
});
