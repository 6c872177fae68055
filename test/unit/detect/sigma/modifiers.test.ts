import { describe, expect, it } from 'vitest';
import { applyModifiers, sigmaString } from '../../../../src/detect/sigma/modifiers.js';

const strings = (mods: string[], raw: (string | number | boolean | null)[]) =>
  applyModifiers(mods, raw).values.map((v) =>
    v.kind === 'string' ? v.parts.map((p) => (p === '*any' ? '*' : p === '?one' ? '?' : p)).join('') : v,
  );

describe('Sigma strings', () => {
  it('reads * and ? as wildcards and \\*, \\?, \\\\ as escapes; other backslashes are literal', () => {
    expect(sigmaString('a*b?c')).toEqual(['a', '*any', 'b', '?one', 'c']);
    expect(sigmaString('a\\*b\\?c\\\\d')).toEqual(['a*b?c\\d']);
    expect(sigmaString('C:\\Windows\\*')).toEqual(['C:\\Windows*']);
    expect(sigmaString('C:\\Windows\\\\*')).toEqual(['C:\\Windows\\', '*any']);
  });
});

describe('Sigma modifiers', () => {
  it('contains, startswith and endswith add wildcards once', () => {
    expect(applyModifiers(['contains'], ['x']).values[0]).toMatchObject({ parts: ['*any', 'x', '*any'] });
    expect(applyModifiers(['contains'], ['*x']).values[0]).toMatchObject({ parts: ['*any', 'x', '*any'] });
    expect(applyModifiers(['startswith'], ['x']).values[0]).toMatchObject({ parts: ['x', '*any'] });
    expect(applyModifiers(['endswith'], ['x']).values[0]).toMatchObject({ parts: ['*any', 'x'] });
  });

  it('all makes values conjunctive', () => {
    expect(applyModifiers(['contains', 'all'], ['a', 'b']).all).toBe(true);
    expect(applyModifiers(['contains'], ['a', 'b']).all).toBe(false);
  });

  it('base64 and base64offset encode as pySigma does', () => {
    expect(strings(['base64'], ['http://'])).toEqual(['aHR0cDovLw==']);
    // The example of the Sigma specification.
    expect(strings(['base64offset', 'contains'], ['http://'])).toEqual([
      '*aHR0cDovL*',
      '*h0dHA6Ly*',
      '*odHRwOi8v*',
    ]);
  });

  it('utf16le/wide/utf16be/utf16 encode before base64; alone they are errors', () => {
    expect(strings(['wide', 'base64'], ['ping'])).toEqual([
      Buffer.from('ping', 'utf16le').toString('base64'),
    ]);
    expect(strings(['utf16le', 'base64'], ['ping'])).toEqual([
      Buffer.from('ping', 'utf16le').toString('base64'),
    ]);
    expect(strings(['utf16be', 'base64'], ['a'])).toEqual([Buffer.from([0, 0x61]).toString('base64')]);
    expect(strings(['utf16', 'base64'], ['a'])).toEqual([
      Buffer.from([0xff, 0xfe, 0x61, 0]).toString('base64'),
    ]);
    expect(() => applyModifiers(['utf16le'], ['a'])).toThrow(/must be followed by 'base64'/);
  });

  it('base64 refuses wildcards', () => {
    expect(() => applyModifiers(['base64'], ['a*'])).toThrow(/cannot encode a value with wildcards/);
  });

  it('windash permutes dashes that start a word', () => {
    const v = strings(['windash'], ['-exec x-y']);
    expect(v).toEqual(['-exec x-y', '/exec x-y', '\u2013exec x-y', '\u2014exec x-y', '\u2015exec x-y']);
    expect(strings(['windash', 'contains'], [' -a /b'])).toHaveLength(25);
  });

  it('re takes the sub-modifiers i and s, refuses m', () => {
    expect(applyModifiers(['re', 'i'], ['a.b']).values[0]).toEqual({
      kind: 'regex',
      source: 'a.b',
      flags: 'i',
    });
    expect(() => applyModifiers(['re', 'm'], ['a'])).toThrow(/'m' \(multi-line\) is not supported/);
    expect(() => applyModifiers(['i'], ['a'])).toThrow(/sub-modifier of 're'/);
  });

  it('comparisons need numbers; exists needs a boolean; cidr and fieldref need strings', () => {
    expect(applyModifiers(['gte'], [5]).values[0]).toEqual({ kind: 'number', text: '5', op: '>=' });
    expect(applyModifiers(['lt'], ['7']).values[0]).toEqual({ kind: 'number', text: '7', op: '<' });
    expect(() => applyModifiers(['gt'], ['x'])).toThrow(/'gt' needs a number/);
    expect(applyModifiers(['exists'], [false]).values[0]).toEqual({ kind: 'exists', value: false });
    expect(() => applyModifiers(['exists'], ['yes'])).toThrow(/true or false/);
    expect(applyModifiers(['cidr'], ['10.0.0.0/8']).values[0]).toEqual({ kind: 'cidr', text: '10.0.0.0/8' });
  });

  it('null, numbers and booleans without modifiers are themselves', () => {
    expect(applyModifiers([], [null, 5, true]).values).toEqual([
      { kind: 'null' },
      { kind: 'number', text: '5', op: '==' },
      { kind: 'bool', value: true },
    ]);
  });

  it('names unknown and unsupported modifiers', () => {
    expect(() => applyModifiers(['containz'], ['a'])).toThrow("unknown Sigma modifier 'containz'");
    expect(() => applyModifiers(['expand'], ['%x%'])).toThrow(/'expand' is not supported/);
  });
});
