import { describe, expect, it } from 'vitest';
import type { Indicator } from '../../../src/detect/indicator.js';
import { IndicatorTable } from '../../../src/detect/indicator-table.js';

const INDICATORS: Indicator[] = [
  { type: 'ip', value: '192.0.2.1', context: {} },
  { type: 'domain', value: 'evil.example', context: { threat: 'c2', note: 'naïve ☃' } },
  { type: 'string', value: 'alice@example.org', field: 'email', context: {} },
  { type: 'sha256', value: 'ab'.repeat(32), context: {}, validFrom: '2020-01-01T00:00:00.000Z' },
  { type: 'subnet', value: '10.0.0.0/8', context: {}, validUntil: '2030-01-01T00:00:00.000Z' },
  { type: 'url', value: '', context: {} },
];

describe('IndicatorTable', () => {
  it('gives back every indicator as it was, also through its JSON', () => {
    const t = IndicatorTable.from(INDICATORS);
    expect(t.length).toBe(6);
    expect([...t]).toEqual(INDICATORS);
    const again = IndicatorTable.fromJson(JSON.parse(JSON.stringify(t)));
    expect([...again]).toEqual(INDICATORS);
    expect(again.value(1)).toBe('evil.example');
    expect(again.field(2)).toBe('email');
    expect(again.type(4)).toBe('subnet');
  });

  it('answers counts, context keys and validity without making objects of the rest', () => {
    const t = IndicatorTable.from(INDICATORS);
    expect(t.typeCounts()).toEqual({ ip: 1, domain: 1, string: 1, sha256: 1, subnet: 1, url: 1 });
    expect(t.contextKeys()).toEqual(['threat', 'note']);
    expect([0, 1, 2, 3, 4].map((k) => t.hasValidity(k))).toEqual([false, false, false, true, true]);
    expect(t.head(2)).toEqual(INDICATORS.slice(0, 2));
    expect(IndicatorTable.EMPTY.length).toBe(0);
  });

  it('says what is wrong with a damaged file', () => {
    expect(() => IndicatorTable.fromJson({ types: '0', values: ['a', 'b'], extras: [] })).toThrow(
      '1 types for 2 values',
    );
    expect(() => IndicatorTable.fromJson({ types: 'z', values: ['a'], extras: [] })).toThrow(
      'unknown indicator type',
    );
  });
});
