import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { type Diagnostic, InputError } from '../../../src/diagnostics.js';
import type { FormatDef } from '../../../src/formats/format.js';
import { FRAME_OTHER, JsonObjectFramer } from '../../../src/formats/framing/json-objects.js';
import {
  readJson,
  readJsonEvents,
  selectorRoute,
  selectorRouting,
} from '../../../src/formats/json/reader.js';
import { jsonSyntaxError } from '../../../src/formats/json/syntax.js';
import { isoToWords, nsWords, words } from '../../../src/formats/json/values.js';
import { bytesInput, readBatches } from '../../../src/formats/read.js';
import { schemaName } from '../../../src/types/arrow.js';
import { parseIsoTime } from '../../../src/types/time.js';
import { dataset, describeDatasets, ROOT } from '../../helpers/datasets.js';
import { readAll, registry } from '../../helpers/read.js';
import { at, canonical, countBySchema, fieldType, rowsOf, sh } from './json-family.helpers.js';

const json: FormatDef = { name: 'json', description: 'json', extensions: [], read: readJson };
const broken = (name: string) => join(ROOT, 'test', 'fixtures', 'broken', name);

/** Frames of an input fed in chunks, decoding like the reader does (retrying one-line frames that fail). */
function frames(input: string | Buffer, chunk = 1 << 16, max = 1 << 20) {
  const tooLong: [number, number, number][] = [];
  const f = new JsonObjectFramer({ maxObjectBytes: max, onTooLong: (l, c, n) => tooLong.push([l, c, n]) });
  const out: { text: string; line: number; column: number; other: boolean }[] = [];
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  const drain = () => {
    while (f.next()) {
      const text = f.buf.toString('utf8', f.start, f.end);
      if (!f.exact && f.kind !== FRAME_OTHER) {
        try {
          JSON.parse(text);
        } catch {
          f.retryExact();
          continue;
        }
      }
      out.push({ text, line: f.line, column: f.column, other: f.kind === FRAME_OTHER });
    }
  };
  for (let i = 0; i < bytes.length; i += chunk) {
    f.push(bytes.subarray(i, i + chunk));
    drain();
  }
  f.finish();
  drain();
  return { out, tooLong };
}

describe('JSON object framing', () => {
  test('NDJSON: one frame per line, with line numbers', () => {
    const { out } = frames('{"a":1}\n\n{"b":2}\r\n  {"c":3}\n');
    expect(out.map((f) => [f.text, f.line, f.column])).toEqual([
      ['{"a":1}', 1, 1],
      ['{"b":2}', 3, 1],
      ['{"c":3}', 4, 3],
    ]);
  });

  test('concatenated pretty-printed objects, braces and quotes inside strings', () => {
    const text = '{\n  "a": "}{\\"",\n  "b": {"c": [1, {"d": 2}]}\n}\n{\n  "e": 1\n}';
    for (const chunk of [1, 3, 1 << 16]) {
      const { out } = frames(text, chunk);
      expect(out.map((f) => [JSON.parse(f.text), f.line])).toEqual([
        [{ a: '}{"', b: { c: [1, { d: 2 }] } }, 1],
        [{ e: 1 }, 5],
      ]);
    }
  });

  test('two objects on one line are split (after the one-line guess fails to parse)', () => {
    const { out } = frames('{"a":1} {"b":"}"}\n{"c":3}\n');
    expect(out.map((f) => [f.text, f.line, f.column])).toEqual([
      ['{"a":1}', 1, 1],
      ['{"b":"}"}', 1, 9],
      ['{"c":3}', 2, 1],
    ]);
  });

  test('a one-line guess that is the start of a multi-line object is joined with the rest', () => {
    const { out } = frames('{"a": {"b": 1}\n, "c": 2}\n{"d": 3}\n');
    expect(out.map((f) => [JSON.parse(f.text), f.line])).toEqual([
      [{ a: { b: 1 }, c: 2 }, 1],
      [{ d: 3 }, 3],
    ]);
  });

  test('top-level values that are not objects are frames of their own', () => {
    const { out } = frames('[1, {"a": 2}]\n42 "x"\n{"b": 1}\n');
    expect(out.map((f) => [f.text, f.other, f.line, f.column])).toEqual([
      ['[1, {"a": 2}]', true, 1, 1],
      ['42', true, 2, 1],
      ['"x"', true, 2, 4],
      ['{"b": 1}', false, 3, 1],
    ]);
  });

  test('resynchronises after a broken object: newline in a string, `{` in column 1', () => {
    const text = readFileSync(broken('json-broken-pretty.json'));
    const { out } = frames(text);
    // Object 2 breaks at the raw newline in its string; its remaining indented lines are skipped.
    expect(out.map((f) => f.line)).toEqual([1, 5, 10]);
    expect(JSON.parse(out[0].text)).toEqual({ a: 1, b: 'x' });
    expect(() => JSON.parse(out[1].text)).toThrow();
    expect(JSON.parse(out[2].text)).toEqual({ a: 3, b: 'z' });
    const missingBrace = frames('{"a": 1,\n{"b": 2}\n').out;
    expect(missingBrace.map((f) => [f.text, f.line])).toEqual([
      ['{"a": 1,', 1],
      ['{"b": 2}', 2],
    ]);
  });

  test('over-long lines and objects are dropped and reported with their start', () => {
    const long = `{"a":"${'x'.repeat(100)}"}`;
    const { out, tooLong } = frames(
      `{"ok":1}\n${long}\n{\n  "b": "${'y'.repeat(100)}"\n}\n{"ok":2}\n`,
      7,
      50,
    );
    expect(out.map((f) => f.text)).toEqual(['{"ok":1}', '{"ok":2}']);
    expect(tooLong.map(([l]) => l)).toEqual([2, 3]);
  });

  test('syntax errors name the problem and its position', () => {
    expect(jsonSyntaxError('{"a": 1}')).toBeUndefined();
    expect(jsonSyntaxError('{"a": 1,}')).toEqual({
      index: 8,
      message: "expected a double-quoted property name, got '}'",
    });
    expect(jsonSyntaxError('{"a" 1}')).toEqual({
      index: 5,
      message: "expected ':' after property name, got '1'",
    });
    expect(jsonSyntaxError('{"a": tru}')).toEqual({ index: 6, message: "unexpected character 't'" });
    expect(jsonSyntaxError('{"a": [1, 2}')).toEqual({
      index: 11,
      message: "expected ',' or ']' after array element, got '}'",
    });
    expect(jsonSyntaxError('{"a": "x')?.message).toBe('unexpected end of input');
    expect(jsonSyntaxError('{"a": 1} x')).toEqual({
      index: 9,
      message: "unexpected text after the JSON value: 'x'",
    });
  });
});

describe('exact time conversion', () => {
  test('ISO 8601 with zones gives the same nanoseconds as the general parser', () => {
    const cases = [
      '2009-11-18T08:00:21.123456+0100',
      '2018-10-30T09:56:07.459844+0100',
      '2011-08-15T03:36:16.748830Z',
      '1901-11-09T17:49:10.310305Z',
      '1969-12-31T23:59:59.999999999Z',
      '2016-06-08T20:01:52.875791+0000',
      '2020-02-29T12:00:00-05:30',
      '2009-09-29T03:38:52',
    ];
    for (const c of cases) {
      expect(isoToWords(c), c).toBe(true);
      const ns = (BigInt(words[1]) << 32n) | BigInt(words[0]);
      expect(BigInt.asIntN(64, ns), c).toBe(parseIsoTime(c));
    }
    expect(isoToWords('2009-13-18T08:00:21Z')).toBe(false);
    expect(isoToWords('yesterday at noon, roughly')).toBe(false);
  });

  test('nanosecond words are exact over the whole int64 time range', () => {
    for (const [whole, nanos] of [
      [0, 0],
      [1, 1],
      [-1, 999999999],
      [1521911725, 733635000],
      [-2150431850, 310305000],
      [9_000_000_000, 123456789],
      [-9_000_000_000, 1],
    ]) {
      nsWords(whole, nanos);
      const got = BigInt.asIntN(64, (BigInt(words[1]) << 32n) | BigInt(words[0]));
      expect(got).toBe(BigInt(whole) * 1_000_000_000n + BigInt(nanos));
    }
  });
});

describe('json reader: inference', () => {
  test('numbers, strings, canonical ips, bools, lists, records, nulls', async () => {
    const text = `${JSON.stringify({
      i: 1,
      d: 1.5,
      s: 'x',
      ip4: '10.0.0.1',
      ip6: '2001:db8::1',
      notip: '2001:DB8::1',
      when: '2011-08-15T03:36:16.74883Z',
      b: true,
      l: [1, 2],
      e: [],
      m: [1, 'a'],
      r: { x: 1, y: { z: 'q' } },
      n: null,
    })}\n`;
    const { batches, diagnostics } = await readAll(json, { text });
    expect(diagnostics).toEqual([]);
    const b = batches[0];
    expect(schemaName(b)).toBe('json');
    const types = Object.fromEntries(
      ['i', 'd', 's', 'ip4', 'ip6', 'notip', 'when', 'b', 'l', 'e', 'm', 'r.x', 'r.y.z', 'n'].map((p) => [
        p,
        fieldType(b, p),
      ]),
    );
    expect(types).toEqual({
      i: 'int64',
      d: 'double',
      s: 'string',
      ip4: 'ip',
      ip6: 'ip',
      notip: 'string',
      when: 'string',
      b: 'bool',
      l: 'list<int64>',
      e: 'list<string>',
      m: 'list<string>',
      'r.x': 'int64',
      'r.y.z': 'string',
      n: 'string',
    });
    const [row] = rowsOf(batches);
    expect(row).toMatchObject({ i: 1, d: 1.5, ip4: '10.0.0.1', ip6: '2001:db8::1', notip: '2001:DB8::1' });
    expect(row).toMatchObject({
      when: '2011-08-15T03:36:16.74883Z',
      l: [1, 2],
      e: [],
      m: ['1', 'a'],
      n: null,
    });
    expect(row.r).toEqual({ x: 1, y: { z: 'q' } });
  });

  test('a missing key and a null are different layouts; values widen losslessly', async () => {
    const text = [
      '{"a":1,"b":null}',
      '{"a":2}',
      '{"a":2.5,"b":"x"}',
      '{"b":"y","a":3}',
      '{"a":"s"}',
      '',
    ].join('\n');
    const { batches, diagnostics } = await readAll(json, { text });
    expect(diagnostics).toEqual([]);
    const rows = rowsOf(batches).map((r) =>
      canonical(Object.fromEntries(Object.entries(r).filter(([k]) => k !== '#schema'))),
    );
    expect(rows.sort()).toEqual(
      ['{"a":1,"b":null}', '{"a":2}', '{"a":2.5,"b":"x"}', '{"a":3,"b":"y"}', '{"a":"s"}'].sort(),
    );
    // Event 3 widens the `{a, b}` layout (int64 → double, null → string) for itself and event 4; event 1
    // keeps its own batch. `{a}` with a number and with a string cannot share a column: two layouts.
    const layouts = batches.map((b) =>
      b.schema.fields.map((f) => `${f.name}:${fieldType(b, f.name)}`).join(','),
    );
    expect(layouts.sort()).toEqual(['a:double,b:string', 'a:int64', 'a:int64,b:string', 'a:string']);
    expect(batches.map((b) => b.numRows).sort()).toEqual([1, 1, 1, 2]);
  });

  test('rows of one layout keep input order; batches end at batchSize', async () => {
    const text = Array.from({ length: 25 }, (_, i) =>
      JSON.stringify(i % 5 === 0 ? { n: i, odd: true } : { n: i }),
    ).join('\n');
    const { batches } = await readAll(json, { text }, { batchSize: 4 });
    expect(Math.max(...batches.map((b) => b.numRows))).toBe(4);
    const ns = rowsOf(batches)
      .filter((r) => !('odd' in r))
      .map((r) => r.n);
    expect(ns).toEqual(Array.from({ length: 25 }, (_, i) => i).filter((i) => i % 5 !== 0));
  });

  test('--schema types known fields with the registry schema and infers the rest', async () => {
    const text =
      '{"timestamp":"2018-10-30T09:56:07.459844+0100","src_ip":"10.1.1.1","src_port":80,"extra":[1]}\n';
    const { batches, diagnostics } = await readAll(json, { text }, { schema: 'suricata.flow' });
    expect(diagnostics).toEqual([]);
    const b = batches[0];
    expect(schemaName(b)).toBe('suricata.flow');
    expect([
      fieldType(b, 'timestamp'),
      fieldType(b, 'src_port'),
      fieldType(b, 'extra'),
      fieldType(b, 'flow.age'),
    ]).toEqual(['time', 'port', 'list<int64>', 'uint64']);
    expect(b.schema.metadata.get('vast.timestamp')).toBe('timestamp');
    const [row] = rowsOf(batches);
    expect(row.timestamp).toBe('2018-10-30T08:56:07.459844Z');
    const custom = await readAll(json, { text: '{"a": 1}\n' }, { schema: 'my.events' });
    expect(schemaName(custom.batches[0])).toBe('my.events');
  });

  test('an IPv4 address repeated after an IPv6 one in the same column reads as itself', async () => {
    // The reader memoises the last IPv4 address of a column; an IPv6 value used to clobber it.
    const text = ['224.0.0.251', 'ff02::fb', '224.0.0.251', '10.0.0.1'].map((a) => `{"a":"${a}"}\n`).join('');
    const { batches, diagnostics } = await readAll(json, { text });
    expect(diagnostics).toEqual([]);
    expect(rowsOf(batches).map((r) => r.a)).toEqual(['224.0.0.251', 'ff02::fb', '224.0.0.251', '10.0.0.1']);
  });

  test('--schema takes flat dotted keys for nested fields (VAST 2 JSON as export json writes it)', async () => {
    const text =
      '{"ts":"2009-11-18T21:01:53.173350","uid":"tS3vjKMCHqj","id.orig_h":"192.168.1.1","id.orig_p":67}\n';
    const { batches, diagnostics } = await readAll(json, { text }, { schema: 'zeek.conn' });
    expect(diagnostics).toEqual([]);
    expect(batches[0].schema.fields.map((f) => f.name)).not.toContain('id.orig_h');
    const [row] = rowsOf(batches);
    expect(at(row, 'id.orig_h')).toBe('192.168.1.1');
    expect(at(row, 'id.orig_p')).toBe(67);
    expect(row.ts).toBe('2009-11-18T21:01:53.17335Z');
  });

  test('--selector names schemas by a field value', async () => {
    const text = '{"type":"a","x":1}\n{"type":"b","y":"z"}\n{"type":"a","x":2}\n{"x":3}\n';
    const { batches, diagnostics } = await readAll(json, { text }, { selector: 'type:my' });
    expect(countBySchema(batches)).toEqual({ 'my.a': 2, 'my.b': 1 });
    expect(diagnostics.map((d) => [d.message, d.location?.line])).toEqual([
      ["selector field 'type' is missing or not a string", 4],
    ]);
  });
});

describe('json reader: bad input', () => {
  test('invalid JSON mid-file: an error with line:column, the other rows still read', async () => {
    const { rows, diagnostics } = await readAll(json, { path: broken('json-invalid-line.json') });
    expect(rows).toBe(2);
    expect(diagnostics).toHaveLength(1);
    const d = diagnostics[0];
    expect(d.location).toEqual({ source: broken('json-invalid-line.json'), line: 2, column: 14 });
    expect(d.message).toBe("invalid JSON: expected ':' after property name, got '\"'");
    expect(d.recoverable).toBe(true);
  });

  test('invalid UTF-8: an error at the byte', async () => {
    const { rows, diagnostics } = await readAll(json, { path: broken('json-invalid-utf8.json') });
    expect(rows).toBe(2);
    expect(diagnostics.map((d) => [d.message, d.location?.line, d.location?.column])).toEqual([
      ['invalid UTF-8', 2, 17],
    ]);
  });

  test('top-level arrays and numbers are errors', async () => {
    const { rows, diagnostics } = await readAll(json, { path: broken('json-top-level.json') });
    expect(rows).toBe(2);
    expect(diagnostics.map((d) => [d.message, d.location?.line, d.location?.column])).toEqual([
      ["expected a JSON object, got '[1, 2]'", 2, 1],
      ["expected a JSON object, got '42'", 3, 1],
    ]);
  });

  test('a broken pretty-printed object is one error; the objects around it are read', async () => {
    const { rows, diagnostics } = await readAll(json, { path: broken('json-broken-pretty.json') });
    expect(rows).toBe(2);
    expect(diagnostics.map((d) => [d.message, d.location?.line, d.location?.column])).toEqual([
      ['invalid JSON: unexpected end of input', 7, 21],
    ]);
  });

  test('over-long lines are errors (small limit, and a real 100 MB line)', async () => {
    const small = await readAll(
      json,
      { text: `{"a":1}\n{"b":"${'x'.repeat(5000)}"}\n{"a":2}\n` },
      { maxLineBytes: 1000 },
    );
    expect(small.rows).toBe(2);
    expect(small.diagnostics.map((d) => [d.message, d.location?.line])).toEqual([
      ['JSON object too long: 5008 bytes (limit 1000)', 2],
    ]);
    const big = Buffer.alloc(100 * 1024 * 1024 + 20, 'x'.charCodeAt(0));
    big.write('{"a":1}\n{"b":"', 0);
    big.write('"}\n{"a":2}\n', big.length - 10);
    const started = performance.now();
    const { rows, diagnostics } = await readAll(json, { text: big });
    const ms = performance.now() - started;
    expect(rows).toBe(2);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0].message).toMatch(/^JSON object too long: \d+ bytes \(limit 67108864\)$/);
    expect(diagnostics[0].location?.line).toBe(2);
    expect(ms).toBeLessThan(20_000);
  }, 60_000);

  test('truncated gzip input: the rows before the cut are read, then a non-recoverable error', async () => {
    const path = broken('json-truncated.json.gz');
    const diagnostics: Diagnostic[] = [];
    let rows = 0;
    const read = async () => {
      for await (const b of readBatches(json, bytesInput(readFileSync(path)), {
        file: path,
        schemas: registry,
        onDiagnostic: (d) => diagnostics.push(d),
      }))
        rows += b.numRows;
    };
    await expect(read()).rejects.toThrow(/corrupt or truncated gzip input/);
    // Every complete line gzip could still decompress was read; the cut-off last line is invalid JSON.
    const complete = Number(sh(`(zcat ${path} 2>/dev/null || true) | wc -l`));
    expect(complete).toBeGreaterThan(0);
    expect(rows).toBe(complete);
    expect(diagnostics.map((d) => d.message)).toEqual(['invalid JSON: unexpected end of input']);
  });

  test("onError 'fail' throws InputError at the first bad row", async () => {
    const err = await readAll(json, { path: broken('json-invalid-line.json') }, { onError: 'fail' }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).diagnostic?.location?.line).toBe(2);
    expect((err as InputError).message).toMatch(
      /^error: invalid JSON.*\n --> .*json-invalid-line\.json:2:14$/,
    );
  });

  test('gzip input is read transparently', async () => {
    const text = '{"a":1}\n{"a":2}\n';
    const { rows } = await readAll(json, { text: gzipSync(text) });
    expect(rows).toBe(2);
  });
});

describeDatasets('json reader on real data', () => {
  const sysmon = dataset('other', 'sysmon.json');

  test('sysmon.json: every object read, values as in the input (jq -S -c)', async () => {
    const { batches, diagnostics, rows } = await readAll(json, { path: sysmon });
    expect(diagnostics).toEqual([]);
    expect(rows).toBe(Number(sh(`wc -l < ${sysmon}`)));
    expect(rows).toBe(2500);
    // One layout per key set (jq: keys is order-insensitive).
    expect(batches.length).toBe(Number(sh(`jq -c 'keys' ${sysmon} | sort -u | wc -l`)));
    // All values are strings in the input; addresses are typed ip, the rest stays string.
    for (const b of batches)
      for (const f of b.schema.fields) expect(['string', 'ip'], f.name).toContain(fieldType(b, f.name));
    const ours = rowsOf(batches)
      .map(({ '#schema': _, ...r }) => canonical(r))
      .sort();
    const theirs = sh(`jq -S -c . ${sysmon}`).split('\n').sort();
    expect(ours).toEqual(theirs);
  });

  test('sysmon.json: counts by field value agree with jq', async () => {
    const { batches } = await readAll(json, { path: sysmon });
    const rows = rowsOf(batches);
    const rdp = rows.filter((r) => at(r, 'RuleName') === 'RDP').length;
    expect(rdp).toBe(Number(sh(`jq -c 'select(.RuleName == "RDP")' ${sysmon} | wc -l`)));
    const ips = new Set(rows.map((r) => at(r, 'SourceIp')).filter((x) => x !== undefined));
    expect([...ips].sort()).toEqual(
      sh(`jq -r 'select(.SourceIp) | .SourceIp' ${sysmon} | sort -u`).split('\n'),
    );
  });

  test('--selector event_type:suricata types EVE with the suricata schemas', async () => {
    const eve = dataset('suricata', 'example-pcap_eve.json');
    const { batches, diagnostics } = await readAll(json, { path: eve }, { selector: 'event_type:suricata' });
    expect(diagnostics).toEqual([]);
    const expected = JSON.parse(
      sh(`jq -s -c 'group_by(.event_type) | map({("suricata." + .[0].event_type): length}) | add' ${eve}`),
    );
    expect(countBySchema(batches)).toEqual(expected);
    expect(fieldType(batches[0], 'src_ip')).toBe('ip');
  });
});

describe('direct byte decoder', () => {
  // The same dialects with and without `routing`: without it every event goes through JSON.parse.
  const dialects = (slow: boolean) => ({
    suricata: {
      name: 'suricata',
      description: '',
      extensions: [],
      read: (input, ctx) =>
        readJsonEvents(input, ctx, {
          layout: {},
          route: selectorRoute(ctx.options, 'event_type:suricata'),
          routing: slow ? undefined : selectorRouting(ctx.options, 'event_type:suricata'),
          timestamp: 'timestamp',
        }),
    } as FormatDef,
    zeek: {
      name: 'zeek-json',
      description: '',
      extensions: [],
      read: (input, ctx) =>
        readJsonEvents(input, ctx, {
          layout: { zeek: true, dottedKeys: true, ignoreKeys: ['_path'], validRecords: true },
          route: (obj) => (typeof obj._path === 'string' ? `zeek.${obj._path}` : 'zeek.unknown'),
          routing: slow ? undefined : { key: '_path' },
          timestamp: 'ts',
        }),
    } as FormatDef,
  });
  const same = async (format: 'suricata' | 'zeek', input: { path: string } | { text: string }) => {
    const fast = await readAll(dialects(false)[format], input);
    const slow = await readAll(dialects(true)[format], input);
    expect(rowsOf(fast.batches)).toEqual(rowsOf(slow.batches));
    expect(fast.diagnostics).toEqual(slow.diagnostics);
    return fast;
  };

  test('edge cases give what the JSON.parse path gives', async () => {
    const lines = [
      '{"event_type":"alert","src_ip":"10.0.0.1","alert":{"signature":"a\\/b \\"q\\" \\n\\t"}}',
      '{"event_type":"alert","alert":{"signature":"\\u00e9t\\u00e9"},"proto":"TCP"}',
      '{"event_type":"alert","proto":"UDP","proto":"TCP"}',
      '{"event_type":"alert","flow_id":12345678901234567890}',
      '{"event_type":"alert","flow_id":0123}',
      '{"event_type":"alert","flow_id":-1}',
      '{"event_type":"alert","pcap_cnt":1.0}',
      '{"event_type":"alert","pcap_cnt":1e3}',
      '{"event_type":"flow","src_port":80}',
      '{"event_type":"alert","src_port":80.5}',
      '{"event_type":"alert","src_port":"80"} {"event_type":"alert","src_port":81}',
      '{"event_type":"alert","new_key":[1,2],"flow":{"alerted":true}}',
      '{"event_type":"alert","alert":{"action":"allowed"},"alert":{"gid":1}}',
      '{"event_type":"alert","timestamp":"2020-01-01T00:00:00+0100","src_ip":"::1"}',
      '{"event_type":"alert","timestamp":"2020-13-01T00:00:00Z"}',
      '{"event_type":"alert","tx_id":null,"vlan":[1,null,3]}',
      '{"event_type":"alert","vlan":[1,"x"]}',
      '{"event_type":"alert", "src_ip" : "10.0.0.2" , "dest_port":443 }',
      '{"event_type":"alert","src_ip":"10.0.0.3"',
      '{"event_type":"dns","dns":{"answers":[{"rrname":"a","ttl":5},{"rrname":"b","rdata":"1.2.3.4"}]}}',
      '{"event_type":"dns","dns":{"answers":[{"rrname":"a","ttl":"x"}]}}',
      '{"event_type":"alert","alert":{"signature_id":7},"flow":{"start":"2020-01-01T00:00:00.5Z","alerted":false}}',
      '',
    ];
    const { rows, diagnostics } = await same('suricata', { text: lines.join('\n') });
    expect(rows).toBeGreaterThan(10);
    expect(diagnostics.length).toBeGreaterThan(3);
  });

  test('Zeek dotted keys, _path routing, escapes', async () => {
    const lines = [
      '{"_path":"conn","ts":"2020-01-01T00:00:00.123456Z","id.orig_h":"10.0.0.1","id.orig_p":1,"proto":"tcp"}',
      '{"_path":"conn","ts":"2020-01-01T00:00:01Z","id.orig_h":"10.0.0.2","id":{"resp_h":"10.0.0.3"}}',
      '{"_path":"ntp","ref_id":"\\\\x00\\\\x00","ts":1521911725.396014}',
      '{"_path":"ntp","ref_id":"plain","ts":"2020-01-01T00:00:02Z","poll":1.0}',
      '{"_path":"conn","_write_ts":"2020-01-01T00:00:03Z","uid":"C1","tunnel_parents":[]}',
      '{"_path":"conn","id.orig_h":"not an ip"}',
      '{"ts":"2020-01-01T00:00:04Z"}',
      '',
    ];
    await same('zeek', { text: lines.join('\n') });
  });

  describeDatasets('on the corpus', () => {
    test('every EVE file and every Zeek JSON file: the same rows as with JSON.parse', async () => {
      const eve = [
        dataset('suricata', 'example-pcap_eve.json'),
        dataset('suricata', 'suricata-verify_output-eve-fileinfo_eve.json'),
        ...readdirSync(dataset('suricata', 'tenzir-library')).map((f) =>
          dataset('suricata', 'tenzir-library', f),
        ),
      ];
      for (const path of eve) await same('suricata', { path });
      for (const f of readdirSync(dataset('zeek', 'json')))
        await same('zeek', { path: dataset('zeek', 'json', f) });
    });
  });
});
