/**
 * 64-bit integers survive `vast import` → store → `vast export json` exactly
 * (issue 11: flow_ids above 2^53 were rounded). Digits are compared as text,
 * taken from the raw input and output with grep, never through a JSON parser
 * that rounds.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_DATA } from '../helpers/datasets.js';
import { tempDb, vast } from './cli.js';

/** The `"field":digits` values of JSON text, in order. */
const digits = (text: string, field: string) =>
  [...text.matchAll(new RegExp(`"${field}": *(-?\\d+)`, 'g'))].map((m) => m[1]);
const sorted = (xs: string[]) => [...xs].sort();

describe('import suricata → store → export json keeps 64-bit integers exact', () => {
  const t = tempDb();
  afterAll(t.cleanup);

  it('edge values of uint64 flow_id and an inferred int64 field', () => {
    const ids = [
      '9007199254740993',
      '9223372036854775808',
      '18446744073709551615',
      '18446744073709551614',
      '0',
    ];
    const offs = [
      '-9223372036854775808',
      '9223372036854775807',
      '-9007199254740993',
      '9007199254740993',
      '-1',
    ];
    const ts = '"timestamp":"2018-10-30T09:56:07.459844+0100"';
    const lines = ids.map((id, i) => `{${ts},"flow_id":${id},"event_type":"flow","offset":${offs[i]}}`);
    // An out-of-range value is reported and skipped; the others are stored.
    lines.push(`{${ts},"flow_id":18446744073709551616,"event_type":"flow","offset":1}`);
    const file = join(t.dir, 'edge.json');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const imp = vast(['import', 'suricata', '-r', file, '-d', t.db]);
    expect(imp.status, imp.stderr).toBe(0);
    expect(imp.stderr).toContain("value out of range for field 'flow_id' (uint64): 18446744073709551616");
    expect(imp.stderr).toContain('edge.json:6:');
    const out = vast(['export', 'json', '-d', t.db, '#schema == "suricata.flow"']);
    expect(out.status, out.stderr).toBe(0);
    expect(digits(out.stdout, 'flow_id')).toEqual(ids);
    expect(digits(out.stdout, 'offset')).toEqual(offs);
    // A query on the exact value finds exactly its event.
    expect(vast(['count', '-d', t.db, 'flow_id == 18446744073709551615']).stdout.trim()).toBe('1');
    expect(vast(['count', '-d', t.db, 'flow_id == 9007199254740993']).stdout.trim()).toBe('1');
  });

  it("real EVE: the exported flow_ids equal the file's digits (as a multiset)", () => {
    const eve = join(TEST_DATA, 'suricata', 'example-pcap_eve.json');
    const db = join(t.dir, 'eve');
    const imp = vast(['import', 'suricata', '-r', eve, '-d', db]);
    expect(imp.status, imp.stderr).toBe(0);
    const out = vast(['export', 'json', '-d', db]);
    expect(out.status, out.stderr).toBe(0);
    // The file's digits by grep, independently of any JSON parser.
    const raw = execFileSync('grep', ['-o', '"flow_id": *[0-9]*', eve], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => l.replace(/.*: */, ''));
    expect(raw.length).toBeGreaterThan(1000);
    expect(sorted(digits(out.stdout, 'flow_id'))).toEqual(sorted(raw));
  });
});
