/**
 * 64-bit integers through the JSON readers: exact over the whole int64 and
 * uint64 ranges on both paths (the direct byte decoder and the parse path),
 * out-of-range values reported with their position, doubles left doubles.
 * Expected digits come from the raw text (grep/awk), never from a JSON
 * parser that rounds (jq, JSON.parse).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type * as A from 'apache-arrow';
import { describe, expect, test } from 'vitest';
import { json } from '../../../src/formats/json/index.js';
import { hasLongDigitRun, parseJsonExact } from '../../../src/formats/json/syntax.js';
import { suricata } from '../../../src/formats/suricata.js';
import { schemaName } from '../../../src/types/arrow.js';
import { bigintAt, isValid } from '../../../src/types/values.js';
import { dataset, describeDatasets, TEST_DATA } from '../../helpers/datasets.js';
import { readAll } from '../../helpers/read.js';
import { sh } from './json-family.helpers.js';

/** The values of a top-level 64-bit column over all batches (of a schema), as digits; null as null. */
function digitsOf(batches: A.RecordBatch[], field: string, schema?: string): (string | null)[] {
  const out: (string | null)[] = [];
  for (const b of batches) {
    if (schema !== undefined && schemaName(b) !== schema) continue;
    const data = b.getChild(field)?.data[0];
    for (let i = 0; i < b.numRows; i++)
      out.push(data && isValid(data, i) ? bigintAt(data, i).toString() : null);
  }
  return out;
}

const TS = '"timestamp":"2018-10-30T09:56:07.459844+0100"';
const flow = (id: string, extra = '') => `{${TS},"flow_id":${id},"event_type":"flow"${extra}}`;

const EDGE = [
  '9007199254740993', // 2^53 + 1: JSON.parse reads 9007199254740992
  '9223372036854775807', // int64 max
  '9223372036854775808', // int64 max + 1: still a uint64
  '18446744073709551615', // uint64 max
  '1303033428771908',
  '0',
];

describe('suricata: flow_id (uint64) exact on both paths', () => {
  test('edge values, each event first on the parse path and then on the direct path', async () => {
    // The first event of a schema takes the parse path; the same shape again goes direct.
    const text = EDGE.map((id) => `${flow(id)}\n${flow(id)}`).join('\n');
    const { batches, diagnostics } = await readAll(suricata, { text });
    expect(diagnostics).toEqual([]);
    expect(digitsOf(batches, 'flow_id')).toEqual(EDGE.flatMap((id) => [id, id]));
  });

  test('signed fields inferred from values keep int64 min and max', async () => {
    const ints = ['-9223372036854775808', '9223372036854775807', '-9007199254740993', '-0', '-1'];
    const text = ints.map((x) => flow('1', `,"offset":${x}`)).join('\n');
    const { batches, diagnostics } = await readAll(suricata, { text });
    expect(diagnostics).toEqual([]);
    expect(digitsOf(batches, 'offset')).toEqual([
      '-9223372036854775808',
      '9223372036854775807',
      '-9007199254740993',
      '0',
      '-1',
    ]);
  });

  test('out of range: a clear error at line:column, the event skipped, the rest read', async () => {
    const text = [
      flow('1'),
      flow('18446744073709551616'), // 2^64, 20 digits
      flow('-1'),
      flow('123456789012345678901234567890'),
      flow('2'),
    ].join('\n');
    const { batches, diagnostics } = await readAll(suricata, { text, file: 'eve.json' });
    expect(digitsOf(batches, 'flow_id')).toEqual(['1', '2']);
    const col = text.split('\n')[1].indexOf('"flow_id":') + '"flow_id":'.length + 1;
    expect(diagnostics.map((d) => [d.message, d.location?.line, d.location?.column])).toEqual([
      ["value out of range for field 'flow_id' (uint64): 18446744073709551616", 2, col],
      ["value out of range for field 'flow_id' (uint64): -1", 3, col],
      ["value out of range for field 'flow_id' (uint64): 123456789012345678901234567890", 4, col],
    ]);
  });

  test('-0 is 0; exponents whose value is whole are accepted; fractions are invalid', async () => {
    const text = [flow('-0'), flow('1e3'), flow('1.5e1'), flow('1E19'), flow('1.5'), flow('1e20')].join('\n');
    const { batches, diagnostics } = await readAll(suricata, { text });
    expect(digitsOf(batches, 'flow_id')).toEqual(['0', '1000', '15', '10000000000000000000']);
    expect(diagnostics.map((d) => d.message)).toEqual([
      "invalid value for field 'flow_id' (uint64): 1.5",
      "value out of range for field 'flow_id' (uint64): 100000000000000000000",
    ]);
  });

  test('doubles stay doubles', async () => {
    const text = [
      flow('1', ',"ratio":0.5'),
      flow('1', ',"ratio":9007199254740993.5'),
      flow('1', ',"ratio":2.5e-3'),
    ].join('\n');
    const { batches, diagnostics } = await readAll(suricata, { text });
    expect(diagnostics).toEqual([]);
    const ratio = batches.flatMap((b) => [...b.getChild('ratio')!]);
    expect(ratio).toEqual([0.5, 9007199254740994, 0.0025]);
  });
});

describe('json: inferred integers beyond 2^53', () => {
  test('int64 within its range, uint64 above it, exact', async () => {
    const text =
      '{"a": 9007199254740993, "b": 18446744073709551615}\n{"a": -9223372036854775808, "b": 9223372036854775808}\n';
    const { batches, diagnostics } = await readAll(json, { text });
    expect(diagnostics).toEqual([]);
    expect(batches[0].schema.fields.map((f) => String(f.type))).toEqual(['Int64', 'Uint64']);
    expect(digitsOf(batches, 'a')).toEqual(['9007199254740993', '-9223372036854775808']);
    expect(digitsOf(batches, 'b')).toEqual(['18446744073709551615', '9223372036854775808']);
  });
});

describe('parseJsonExact', () => {
  test('JSON.parse, but integers beyond 2^53 as bigint', () => {
    expect(
      parseJsonExact('{"a":[9007199254740993,-9223372036854775808,1,1.5,1e300],"b":"x\\n","__proto__":1}'),
    ).toEqual(
      JSON.parse('{"a":[0,0,1,1.5,1e300],"b":"x\\n","__proto__":1}', (k, v) =>
        k === '0' ? 9007199254740993n : k === '1' ? -9223372036854775808n : v,
      ),
    );
    expect(parseJsonExact('9007199254740991')).toBe(9007199254740991);
    expect(parseJsonExact('-0')).toBe(-0);
    expect(() => parseJsonExact('{"a": 01}')).toThrow(SyntaxError);
    // Deeper than the recursion goes: still parsed (by JSON.parse), never a crash.
    const deep = `${'['.repeat(100_000)}1234567890123456${']'.repeat(100_000)}`;
    expect(Array.isArray(parseJsonExact(deep))).toBe(true);
  });

  test('hasLongDigitRun finds 16-digit runs only', () => {
    expect(hasLongDigitRun(Buffer.from('{"a":123456789012345}'), 0, 21)).toBe(false);
    expect(hasLongDigitRun(Buffer.from('{"a":1234567890123456}'), 0, 22)).toBe(true);
  });
});

/**
 * `event_type flow_id` per event of a file, as written (awk on the text): an event starts with a
 * `{` at the start of a line (NDJSON and Suricata's pretty-printed EVE alike); `null` where it
 * has no flow_id.
 */
const rawFlowIds = (path: string) =>
  sh(
    `awk 'function out() { if (n) print t, id } /^\\{/ { out(); n = 1; t = ""; id = "null" }
      { line = $0
        if (t == "" && match(line, /"event_type": *"[^"]*"/)) { t = substr(line, RSTART, RLENGTH); sub(/.*: *"/, "", t); sub(/"$/, "", t) }
        if (id == "null" && match(line, /"flow_id": *-?[0-9]+/)) { id = substr(line, RSTART, RLENGTH); sub(/.*: */, "", id) } }
      END { out() }' '${path}'`,
  )
    .split('\n')
    .map((l) => l.split(' '));

/** Flow ids of every event, in input order within each schema (the readers keep that order). */
async function checkFile(path: string): Promise<void> {
  const { batches, diagnostics, rows } = await readAll(suricata, { path });
  expect(diagnostics).toEqual([]);
  const raw = rawFlowIds(path);
  expect(raw.length).toBe(rows);
  const expected = new Map<string, (string | null)[]>();
  for (const [type, id] of raw) {
    const name = `suricata.${type}`;
    if (!expected.has(name)) expected.set(name, []);
    expected.get(name)!.push(id === 'null' ? null : id);
  }
  for (const [name, ids] of expected) expect(digitsOf(batches, 'flow_id', name), name).toEqual(ids);
}

describe('real EVE (test/data): every flow_id equals the digits in the file', () => {
  test('example-pcap_eve.json', async () => {
    await checkFile(join(TEST_DATA, 'suricata', 'example-pcap_eve.json'));
  });
});

describeDatasets('real EVE (shared corpus): every flow_id equals the digits in the file', () => {
  const dir = dataset('suricata', 'tenzir-library');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')))
    test(`tenzir-library/${f} (pretty-printed)`, async () => {
      await checkFile(join(dir, f));
    });
});
