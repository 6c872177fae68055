import { describe, expect, test } from 'vitest';
import { integerWords, intWords } from '../../../src/types/integer-words.js';

/** The value `integerWords` parsed, as a bigint (or undefined when it refused). */
function parse(text: string, unsigned: boolean): bigint | undefined {
  const b = Buffer.from(text);
  const end = integerWords(b, 0, b.length, unsigned);
  if (end < 0) return undefined;
  expect(end).toBe(b.length);
  const u = (BigInt(intWords[1]) << 32n) | BigInt(intWords[0]);
  return unsigned ? u : BigInt.asIntN(64, u);
}

describe('integerWords: decimal text to exact 64-bit words', () => {
  test.each([
    '0',
    '1',
    '4294967295',
    '4294967296',
    '9007199254740991',
    '9007199254740993',
    '123456789012345',
    '1234567890123456',
    '9223372036854775807',
    '18446744073709551615',
    '00000000000000000000000042',
  ])('uint64 %s', (text) => {
    expect(parse(text, true)).toBe(BigInt(text));
  });

  test.each([
    '-1',
    '-4294967296',
    '-9007199254740993',
    '-9223372036854775808',
    '9223372036854775807',
    '-123456789012345678',
  ])('int64 %s', (text) => {
    expect(parse(text, false)).toBe(BigInt(text));
  });

  test('-0 is 0 for both types', () => {
    expect(parse('-0', true)).toBe(0n);
    expect(parse('-0', false)).toBe(0n);
  });

  test('out of range or no digits: refused', () => {
    expect(parse('18446744073709551616', true)).toBeUndefined();
    expect(parse('99999999999999999999', true)).toBeUndefined();
    expect(parse('123456789012345678901234567890', true)).toBeUndefined();
    expect(parse('9223372036854775808', false)).toBeUndefined();
    expect(parse('-9223372036854775809', false)).toBeUndefined();
    expect(parse('-1', true)).toBeUndefined();
    expect(parse('-', false)).toBeUndefined();
    expect(parse('', true)).toBeUndefined();
  });

  test('stops at the first non-digit and leaves the rest to the caller', () => {
    const b = Buffer.from('x18446744073709551615,');
    expect(integerWords(b, 1, b.length, true)).toBe(b.length - 1);
    expect(intWords[0]).toBe(2 ** 32 - 1);
    expect(intWords[1]).toBe(2 ** 32 - 1);
  });
});
