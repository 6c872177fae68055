/**
 * Case-insensitive literal patterns (`/^s0$/i`, what Sigma values compile to)
 * run as byte kernels with ASCII case folded: they must select exactly the
 * rows the linear-time matcher selects, for any data, including non-ASCII
 * text (where Unicode folding maps the Kelvin sign to `k`), line terminators
 * and nulls.
 */
import * as A from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { setIndices } from '../../../src/expr/kernels/bitmap.js';
import { compilePattern } from '../../../src/expr/kernels/pattern.js';
import { caseInsensitiveLiteral, literalForm } from '../../../src/expr/kernels/pattern-literal.js';
import { stringTest } from '../../../src/expr/kernels/string.js';

const column = (values: (string | null)[]) => A.vectorFromArray(values, new A.Utf8()).data[0];

function rows(kernel: ReturnType<typeof stringTest>, values: (string | null)[]): number[] {
  const out = new Uint8Array((values.length + 7) >> 3);
  kernel(column(values), values.length, out);
  return [...setIndices(out, values.length)];
}

/** The rows the byte kernel selects and the rows the matcher selects, for a pattern as `==` or `in` uses it. */
function both(source: string, anchored: boolean, values: (string | null)[], negate = false) {
  const full = anchored ? `^(?:${source})$` : source;
  const test = compilePattern(full, true);
  const slow = rows(stringTest(test, negate), values);
  const form = literalForm(source, anchored);
  // Shapes such as `^.*x` are no literal form: the matcher runs them.
  const fast = form && caseInsensitiveLiteral(form, test, negate);
  return { fast: fast ? rows(fast, values) : slow, slow, form };
}

const SAMPLES = [
  'S0',
  's0',
  'REJ',
  'rej',
  'sS0',
  'S0x',
  '',
  'ShADad',
  'shadaD',
  'evil.COM',
  'x.Evil.com\n',
  'Kelvin \u212A',
  'ſsl',
  'ssl',
  null,
];

describe('case-insensitive literal kernels agree with the matcher', () => {
  it.each([
    ['S0', true],
    ['.*\\.evil\\.com', true],
    ['sha.*', true],
    ['.*ad.*', true],
    ['k', false],
    ['ssl', false],
    ['REJ', false],
    ['^sha', false],
    ['ssl$', false],
    ['^s0$', false],
    ['^k', true],
  ])('/%s/i (anchored %s) on sample values', (source, anchored) => {
    const { fast, slow } = both(source, anchored, SAMPLES);
    expect(fast).toEqual(slow);
    expect(both(source, anchored, SAMPLES, true).fast).toEqual(both(source, anchored, SAMPLES, true).slow);
  });

  it('anchored literals are literal forms (what Sigma startswith and endswith compile to)', () => {
    expect(literalForm('^sha', false)).toEqual({ kind: 'prefix', literal: 'sha', dotted: false });
    expect(literalForm('\\.com$', false)).toEqual({ kind: 'suffix', literal: '.com', dotted: false });
    expect(literalForm('^s0$', false)).toEqual({ kind: 'equals', literal: 's0', dotted: false });
    expect(literalForm('^.*x', false)).toBeUndefined();
    expect(literalForm('x\\$', false)).toEqual({ kind: 'contains', literal: 'x$', dotted: false });
  });

  it('the Kelvin sign and the long s match k and s as Unicode folding says', () => {
    expect(both('k', false, ['\u212A', 'K', 'x']).fast).toEqual([0, 1]);
    expect(both('ssl', true, ['ſsl', 'SSL', 'ssl ']).fast).toEqual([0, 1]);
  });

  it('property: any literal and any values', () => {
    const letters = fc.constantFrom(...'aAkKsSzZ09._-/\u212Aſé\n'.split(''));
    const text = fc.array(letters, { maxLength: 8 }).map((cs) => cs.join(''));
    const literal = fc
      .array(fc.constantFrom(...'aAkKsSzZ09_-'.split('')), { minLength: 1, maxLength: 4 })
      .map((cs) => cs.join(''));
    const lead = fc.constantFrom('', '.*', '^', '^.*');
    const trail = fc.constantFrom('', '.*', '$', '.*$');
    // (Shapes the byte kernel does not take, such as `^.*x`, compare the matcher with itself.)
    fc.assert(
      fc.property(
        literal,
        lead,
        trail,
        fc.boolean(),
        fc.array(fc.option(text), { maxLength: 20 }),
        (lit, lead, trail, anchored, values) => {
          const { fast, slow } = both(`${lead}${lit}${trail}`, anchored, values);
          expect(fast).toEqual(slow);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a literal that is not ASCII is left to the matcher', () => {
    const form = literalForm('é', true)!;
    expect(caseInsensitiveLiteral(form, compilePattern('^(?:é)$', true), false)).toBeUndefined();
  });
});
