import * as A from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileQuery, evaluate } from '../../../src/expr/compile.js';
import { setIndices } from '../../../src/expr/kernels/bitmap.js';
import { IpSet, ipSetKernel, StringSet, stringSetKernel } from '../../../src/expr/kernels/sets.js';
import { mustParseExpression } from '../../../src/expr/parser.js';
import { vastSchema } from '../../../src/types/arrow.js';
import { formatIP, parseIP } from '../../../src/types/ip.js';
import { dictionaryEncode } from '../../helpers/dictionary.js';
import { registry } from '../../helpers/read.js';
import { batch } from '../pipeline/helpers.js';

const ip = (s: string): Uint8Array => {
  const b = parseIP(s);
  if (!b) throw new Error(s);
  return b;
};

/** An ip column (FixedSizeBinary(16)); null entries are null rows. */
function ipColumn(values: (string | Uint8Array | null)[]): A.Data {
  const data = new Uint8Array(values.length * 16);
  const valid = new Uint8Array((values.length + 7) >> 3);
  let nulls = 0;
  values.forEach((v, r) => {
    if (v === null) nulls++;
    else {
      data.set(typeof v === 'string' ? ip(v) : v, r * 16);
      valid[r >> 3] |= 1 << (r & 7);
    }
  });
  return A.makeData({
    type: new A.FixedSizeBinary(16),
    length: values.length,
    nullCount: nulls,
    nullBitmap: nulls ? valid : undefined,
    data,
  });
}

/** A list column over consecutive elements of `child`: rows of these lengths (null rows are null). */
function listColumn(rows: (number | null)[], child: A.Data): A.Data {
  const offsets = new Int32Array(rows.length + 1);
  const valid = new Uint8Array((rows.length + 7) >> 3);
  let nulls = 0;
  let at = 0;
  rows.forEach((n, r) => {
    if (n === null) nulls++;
    else {
      valid[r >> 3] |= 1 << (r & 7);
      at += n;
    }
    offsets[r + 1] = at;
  });
  return A.makeData({
    type: new A.List(new A.Field('item', child.type, true)),
    length: rows.length,
    nullCount: nulls,
    nullBitmap: nulls ? valid : undefined,
    valueOffsets: offsets,
    child,
  });
}

const utf8 = (values: (string | null)[]): A.Data => A.vectorFromArray(values, new A.Utf8()).data[0];

/** A Dictionary<Int32, Utf8> column; null rows get a garbage code. */
function dictColumn(values: (string | null)[]): A.Data {
  const entries: string[] = [];
  const index = new Map<string, number>();
  const codes = new Int32Array(values.length);
  const valid = new Uint8Array((values.length + 7) >> 3);
  let nulls = 0;
  values.forEach((v, r) => {
    if (v === null) {
      nulls++;
      codes[r] = 1_000_000 + r;
      return;
    }
    valid[r >> 3] |= 1 << (r & 7);
    let c = index.get(v);
    if (c === undefined) {
      c = entries.length;
      entries.push(v);
      index.set(v, c);
    }
    codes[r] = c;
  });
  return A.makeData({
    type: new A.Dictionary(new A.Utf8(), new A.Int32()),
    length: values.length,
    nullCount: nulls,
    nullBitmap: nulls ? valid : undefined,
    data: codes,
    dictionary: A.vectorFromArray(entries, new A.Utf8()),
  });
}

type Matcher = { match(col: A.Data, rows: number, emit: (row: number, id: number) => void): void };

function hits(set: Matcher, col: A.Data, rows = col.length): string[] {
  const out: string[] = [];
  set.match(col, rows, (r, id) => out.push(`${r}:${id}`));
  return out.sort();
}

const kernelRows = (k: (col: A.Data, rows: number, out: Uint8Array) => void, col: A.Data): number[] => {
  const out = new Uint8Array((col.length + 7) >> 3);
  k(col, col.length, out);
  return [...setIndices(out, col.length)];
};

describe('IpSet', () => {
  const set = new IpSet();
  set.add(ip('10.1.2.3'), 128, 1);
  set.add(ip('10.1.0.0'), 96 + 16, 2);
  set.add(ip('10.255.255.255'), 96 + 8, 3); // host bits ignored
  set.add(ip('10.1.2.3'), 128, 4); // same key, second id
  set.add(ip('2001:db8::1'), 128, 5);
  set.add(ip('2001:db8::'), 32, 6);

  it('reports every containing entry', () => {
    const col = ipColumn([
      '10.1.2.3',
      '10.1.9.9',
      '10.9.9.9',
      '11.0.0.1',
      null,
      '2001:db8::1',
      '2001:db8:1::',
    ]);
    expect(hits(set, col)).toEqual(
      ['0:1', '0:2', '0:3', '0:4', '1:2', '1:3', '2:3', '5:5', '5:6', '6:6'].sort(),
    );
    expect(set.size).toBe(6);
    expect(set.memoryBytes()).toBeGreaterThan(0);
  });

  it('answers has', () => {
    expect(set.has(ip('10.200.0.1'), 0)).toBe(true);
    expect(set.has(ip('11.200.0.1'), 0)).toBe(false);
    const b = new Uint8Array(20);
    b.set(ip('2001:db8:ffff::'), 3);
    expect(set.has(b, 3)).toBe(true);
    expect(set.has(ip('::ffff:0:0'), 0)).toBe(false);
  });

  it('honours slices, nulls and unaligned buffers', () => {
    const values = [
      '1.1.1.1',
      '10.0.0.1',
      null,
      '10.1.2.3',
      '9.9.9.9',
      null,
      '10.1.0.0',
      '8.8.8.8',
      '10.1.2.4',
    ];
    const col = ipColumn(values);
    const s = col.slice(3, 5);
    expect(hits(set, s)).toEqual(['0:1', '0:2', '0:3', '0:4', '3:2', '3:3'].sort());
    expect(hits(set, col.slice(1, 2))).toEqual(['0:3']);
    // The same values at an odd byte offset.
    const buf = new Uint8Array(values.length * 16 + 1);
    buf.set(col.values as Uint8Array, 1);
    const odd = A.makeData({
      type: new A.FixedSizeBinary(16),
      length: values.length,
      nullCount: col.nullCount,
      nullBitmap: col.nullBitmap,
      data: buf.subarray(1),
    });
    expect(hits(set, odd)).toEqual(hits(set, col));
    expect(hits(set, odd.slice(3, 5))).toEqual(hits(set, s));
  });

  it('matches list<ip> rows once per entry', () => {
    const child = ipColumn(['10.1.2.3', '10.1.2.3', '9.9.9.9', null, '10.7.0.1', '2001:db8::9']);
    const col = listColumn([3, 0, null, 2, 1], child);
    expect(hits(set, col)).toEqual(['0:1', '0:2', '0:3', '0:4', '3:3', '4:6'].sort());
    expect(hits(set, col.slice(3, 2))).toEqual(['0:3', '1:6']);
  });

  it('builds kernels that never select nulls', () => {
    const col = ipColumn(['10.1.2.3', null, '11.0.0.1', '10.0.0.1']);
    expect(kernelRows(ipSetKernel(set, false), col)).toEqual([0, 3]);
    expect(kernelRows(ipSetKernel(set, true), col)).toEqual([2]);
  });

  it('matches everything with a /0 and nothing when empty', () => {
    const all = new IpSet();
    expect(hits(all, ipColumn(['1.2.3.4']))).toEqual([]);
    all.add(ip('::'), 0, 7);
    expect(hits(all, ipColumn(['1.2.3.4', null, 'fe80::1']))).toEqual(['0:7', '2:7']);
  });

  it('handles more than 32 prefix lengths, short prefixes over IPv4, and adds after a match', () => {
    const s = new IpSet();
    const a = ip('10.20.30.40');
    for (let len = 60; len <= 128; len++) s.add(a, len, len);
    const col = ipColumn(['10.20.30.40', '10.20.30.41', '11.0.0.0', '::ffff:0:1', '::1']);
    const ids = (row: number) =>
      hits(s, col)
        .filter((h) => h.startsWith(`${row}:`))
        .map((h) => Number(h.split(':')[1]))
        .sort((x, y) => x - y);
    const upTo = (hi: number) => Array.from({ length: hi - 59 }, (_, i) => 60 + i);
    expect(ids(0)).toEqual(upTo(128));
    expect(ids(1)).toEqual(upTo(127)); // ...41 differs from ...40 in the last bit
    expect(ids(2)).toEqual(upTo(103)); // 11 vs 10: bit 103 (96 + 7)
    expect(ids(3)).toEqual(upTo(100)); // 0 vs 10: bit 100
    expect(ids(4)).toEqual(upTo(80));
    s.add(ip('::ffff:0:0'), 40, 1000);
    s.add(ip('11.0.0.0'), 104, 1001);
    expect(ids(2)).toEqual([...upTo(103), 1000, 1001]);
    expect(s.has(ip('11.9.9.9'), 0)).toBe(true);
  });

  it('agrees with a brute-force oracle', () => {
    const pool = ['10.0.0.1', '10.0.1.1', '10.1.0.1', '192.168.1.1', '2001:db8::1', 'fe80::1', '::1'].map(ip);
    const address = fc.oneof(
      fc.constantFrom(...pool),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.uint8Array({ minLength: 4, maxLength: 4 }).map((v4) => {
        const b = new Uint8Array(16);
        b[10] = b[11] = 0xff;
        b.set(v4, 12);
        return b;
      }),
    );
    const entry = fc.record({
      bytes: address,
      prefix: fc.oneof(fc.constant(128), fc.integer({ min: 96, max: 128 }), fc.integer({ min: 0, max: 128 })),
      id: fc.integer({ min: 0, max: 20 }),
    });
    const inNet = (a: Uint8Array, n: Uint8Array, len: number) => {
      for (let bit = 0; bit < len; bit++) {
        const m = 0x80 >> (bit & 7);
        if ((a[bit >> 3] & m) !== (n[bit >> 3] & m)) return false;
      }
      return true;
    };
    fc.assert(
      fc.property(
        fc.array(entry, { maxLength: 30 }),
        fc.array(fc.option(address, { freq: 5 }), { minLength: 1, maxLength: 40 }),
        fc.nat(),
        (entries, values, cut) => {
          const s = new IpSet();
          for (const e of entries) s.add(e.bytes, e.prefix, e.id);
          const col = ipColumn(values);
          const from = cut % values.length;
          const sliced = col.slice(from, values.length - from);
          const expected: string[] = [];
          values.slice(from).forEach((v, r) => {
            if (v) for (const e of entries) if (inNet(v, e.bytes, e.prefix)) expected.push(`${r}:${e.id}`);
          });
          expect(hits(s, sliced)).toEqual(expected.sort());
          values.forEach((v) => {
            if (v) expect(s.has(v, 0)).toBe(entries.some((e) => inNet(v, e.bytes, e.prefix)));
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('StringSet', () => {
  it('matches exact entries, several ids each, empty strings and UTF-8', () => {
    const s = new StringSet();
    s.add('evil.example', 1);
    s.add('evil.example', 2);
    s.add('', 3);
    s.add('grüße.日本', 4);
    s.add('Case', 5);
    const col = utf8([
      'evil.example',
      '',
      null,
      'grüße.日本',
      'case',
      'Case',
      'a.evil.example',
      'evil.exampl',
    ]);
    expect(hits(s, col)).toEqual(['0:1', '0:2', '1:3', '3:4', '5:5'].sort());
    expect(s.has('grüße.日本')).toBe(true);
    expect(s.has('GRÜSSE')).toBe(false);
    expect(s.size).toBe(5);
    expect(s.memoryBytes()).toBeGreaterThan(0);
  });

  it('folds ASCII case only when asked', () => {
    const s = new StringSet({ caseInsensitive: true });
    s.add('Evil.Example', 1);
    s.add('ÄBC', 2);
    const col = utf8(['evil.example', 'EVIL.EXAMPLE', 'äbc', 'ÄBC', 'ÄbC', 'Äbc']);
    expect(hits(s, col)).toEqual(['0:1', '1:1', '3:2', '4:2', '5:2'].sort());
    expect(s.has('eViL.eXaMpLe')).toBe(true);
  });

  it('matches subdomains at label boundaries', () => {
    const s = new StringSet();
    s.add('example', 1, { subdomains: true });
    s.add('evil.example', 2, { subdomains: true });
    s.add('exact.test', 3);
    s.add('fqdn.test.', 4, { subdomains: true });
    const values = [
      'example',
      'badexample',
      'a.example',
      'a.b.evil.example',
      'notevil.example',
      'evil.example',
      'a.evil.example.',
      'evil.example.',
      '.example',
      'example.',
      'a.exact.test',
      'exact.test',
      'fqdn.test',
      'x.fqdn.test',
      'x.fqdn.test.',
      'fqdn.test.x',
      '',
      '.',
    ];
    expect(hits(s, utf8(values))).toEqual(
      [
        '0:1',
        '2:1',
        '3:1',
        '3:2',
        '4:1',
        '5:1',
        '5:2',
        '6:1',
        '6:2',
        '7:1',
        '7:2',
        '8:1',
        '9:1',
        '11:3',
        '12:4',
        '13:4',
        '14:4',
      ].sort(),
    );
  });

  it('reports an entry once when a trailing dot makes two suffixes match', () => {
    const s = new StringSet();
    s.add('.', 1, { subdomains: true });
    expect(hits(s, utf8(['..', 'a..', '.', 'a.']))).toEqual(['0:1', '1:1', '2:1']);
  });

  it('reads dictionary columns (cached, refreshed after add), slices and lists', () => {
    const s = new StringSet();
    s.add('dns', 1);
    s.add('http', 2, { subdomains: true });
    const values = ['dns', null, 'ssl', 'a.http', 'dns', null, 'http', 'x'];
    const plain = utf8(values);
    const dict = dictColumn(values);
    expect(hits(s, dict)).toEqual(hits(s, plain));
    expect(hits(s, dict.slice(2, 5))).toEqual(hits(s, plain.slice(2, 5)));
    expect(hits(s, dict.slice(2, 5))).toEqual(['1:2', '2:1', '4:2']);
    s.add('ssl', 3);
    expect(hits(s, dict)).toEqual(hits(s, plain));
    expect(hits(s, dict)).toContain('2:3');
    // Rows: [dns, null, ssl], null, [a.http, dns], [], [null].
    const list = listColumn([3, null, 2, 0, 1], plain);
    expect(hits(s, list)).toEqual(['0:1', '0:3', '2:1', '2:2']);
    expect(hits(s, listColumn([3, null, 2, 0, 1], dict))).toEqual(hits(s, list));
    expect(hits(s, list.slice(2, 3))).toEqual(['0:1', '0:2']);
    // One entry hit by two elements of a row is reported once.
    expect(hits(s, listColumn([5], plain))).toEqual(['0:1', '0:2', '0:3']);
    expect(hits(s, listColumn([5], dict))).toEqual(['0:1', '0:2', '0:3']);
    expect(kernelRows(stringSetKernel(s, false), plain)).toEqual([0, 2, 3, 4, 6]);
    expect(kernelRows(stringSetKernel(s, true), dict)).toEqual([7]);
    expect(kernelRows(stringSetKernel(s, true), list)).toEqual([3, 4]);
  });

  it('agrees with a brute-force oracle', () => {
    const text = fc
      .array(fc.constantFrom('a', 'B', 'b', '.', 'é', '日', 'X'), { maxLength: 7 })
      .map((cs) => cs.join(''));
    const entry = fc.record({ value: text, id: fc.integer({ min: 0, max: 9 }), sub: fc.boolean() });
    const lower = (x: string) => x.replace(/[A-Z]/g, (c) => c.toLowerCase());
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(entry, { maxLength: 20 }),
        fc.array(fc.option(text, { freq: 5 }), { minLength: 1, maxLength: 30 }),
        fc.nat(),
        (ci, entries, values, cut) => {
          const s = new StringSet({ caseInsensitive: ci });
          for (const e of entries) s.add(e.value, e.id, { subdomains: e.sub });
          const norm = ci ? lower : (x: string) => x;
          const matches = (v: string, e: { value: string; sub: boolean }) => {
            const k = norm(
              e.sub && e.value.length > 1 && e.value.endsWith('.') ? e.value.slice(0, -1) : e.value,
            );
            const x = norm(v);
            if (x === k) return true;
            if (!e.sub) return false;
            const cands = x.length > 1 && x.endsWith('.') ? [x, x.slice(0, -1)] : [x];
            return cands.some((c) => c === k || (k !== '' && c.endsWith(`.${k}`)));
          };
          const from = cut % values.length;
          const expected: string[] = [];
          values.slice(from).forEach((v, r) => {
            if (v !== null) for (const e of entries) if (matches(v, e)) expected.push(`${r}:${e.id}`);
          });
          expected.sort();
          expect(hits(s, utf8(values).slice(from, values.length - from))).toEqual(expected);
          expect(hits(s, dictColumn(values).slice(from, values.length - from))).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('`in` lists of 8 and more compile to sets', () => {
  const addrs = ['10.0.0.1', '10.0.0.2', '192.168.1.5', '2001:db8::7', '172.16.0.1', '8.8.8.8', '1.1.1.1'];
  const nets = ['10.0.0.0/30', '192.168.0.0/16', '2001:db8::/120', '172.16.0.0/12'];
  const names = ['dns', 'http', 'ssl', 'DNS', '', 'grüße', 'smtp', 'ftp', 'x.y'];
  const rows = Array.from({ length: 300 }, (_, i) => ({
    a:
      i % 17 === 0
        ? null
        : formatIP(Uint8Array.from([...ip(addrs[i % addrs.length]).slice(0, 15), (i * 37) & 7])),
    s: i % 13 === 0 ? null : names[(i * 7) % names.length] + (i % 5 === 0 ? 'z' : ''),
    l: i % 11 === 0 ? null : [addrs[i % 7], `10.9.${i & 255}.1`],
  }));
  const b = batch('t', 'record{a: ip, s: string, l: list<ip>}', rows);

  const selected = (query: string, x: A.RecordBatch = b): number[] => {
    const expr = mustParseExpression(query);
    const schema = vastSchema(x.schema);
    const compiled = compileQuery(expr, query, [schema], registry);
    expect(compiled.diagnostics).toEqual([]);
    return [...setIndices(evaluate(compiled.program(schema), x), x.numRows)];
  };
  /** The same list as ORs (ANDs for `!in`) of lists shorter than 8, which take the `anyOf` path. */
  const chunked = (field: string, op: 'in' | '!in', items: string[]) => {
    const parts: string[] = [];
    for (let i = 0; i < items.length; i += 3)
      parts.push(`${field} ${op} [${items.slice(i, i + 3).join(', ')}]`);
    return parts.join(op === 'in' ? ' || ' : ' && ');
  };

  it('ip lists with addresses and subnets', () => {
    const items = [...addrs, ...nets, '::1'];
    for (const op of ['in', '!in'] as const) {
      const long = selected(`a ${op} [${items.join(', ')}]`);
      expect(long).toEqual(selected(chunked('a', op, items)));
      expect(long.length).toBeGreaterThan(0);
    }
    // Short lists take subnets too.
    expect(selected('a in [10.0.0.0/30, 8.8.8.8]').length).toBeGreaterThan(0);
  });

  it('string lists, plain and dictionary-encoded', () => {
    const items = names.map((n) => JSON.stringify(n));
    const d = dictionaryEncode(b);
    for (const op of ['in', '!in'] as const) {
      const long = selected(`s ${op} [${items.join(', ')}]`);
      expect(long).toEqual(selected(chunked('s', op, items)));
      expect(selected(`s ${op} [${items.join(', ')}]`, d)).toEqual(long);
      expect(long.length).toBeGreaterThan(0);
    }
    // Case-sensitive: "DNS" is not "dns".
    const some = selected(`s in ["DNS", "a", "b", "c", "d", "e", "f", "g"]`);
    expect(some).toEqual(selected('s == "DNS"'));
  });
});
