/**
 * The subnet sketch (store/subnet-sketch.ts) never rules out a subnet that
 * holds an address of the field (checked against brute force over random
 * address sets with outliers, IPv4 and IPv6), and it does rule out the
 * benchmark's sites despite outliers that make the IPv4 range useless.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Bloom, bloomHash, hashBytes } from '../../../src/store/bloom.js';
import { subnetMayMeet } from '../../../src/store/subnet-sketch.js';
import { decodeSketch, SynopsisBuilder, sketchMayContain } from '../../../src/store/synopsis.js';
import { BatchBuilder } from '../../../src/types/batch-builder.js';
import { formatIP, parseIP } from '../../../src/types/ip.js';
import { parseType } from '../../../src/types/parse-type.js';
import { maskInPlace, parseSubnet, subnetContains } from '../../../src/types/subnet.js';
import type { RecordType } from '../../../src/types/type.js';

const type = parseType('record{h: ip}') as RecordType;
const schema = { name: 'test.ips', type };

/** The synopsis of field `h` over `ips` (16-byte addresses), in batches of `batch` rows, and its sidecar blob. */
function sketchOf(ips: Uint8Array[], batch = 1000) {
  const builder = new SynopsisBuilder(type);
  for (let i = 0; i < ips.length; i += batch) {
    const b = new BatchBuilder(schema);
    for (const ip of ips.slice(i, i + batch)) b.appendJson({ h: formatIP(ip) });
    builder.add(b.finish());
  }
  const syn = builder.finish();
  const sketch = decodeSketch(syn.sketch);
  return { field: syn.fields.h, batches: sketch.batches.map((b) => b.fields.h), blob: sketch.blob };
}

const v4 = (a: number, b: number, c: number, d: number) => parseIP(`${a}.${b}.${c}.${d}`)!;
const OUTLIERS = ['8.8.8.8', '224.0.0.251', '255.255.255.255', '0.0.0.0', 'fe80::1', 'ff02::fb'].map(
  (t) => parseIP(t)!,
);

const octet = fc.integer({ min: 0, max: 255 });
/** Addresses as a site's traffic has them: a few /24s, outliers, some IPv6. */
const address = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 3 }), octet).map(([c, d]) => v4(10, 2, c, d)),
  fc.tuple(octet, octet, octet, octet).map(([a, b, c, d]) => v4(a, b, c, d)),
  fc.constantFrom(...OUTLIERS),
  fc
    .tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }))
    .map(([g, h]) => parseIP(`2001:db8:${g.toString(16)}::${h.toString(16)}`)!),
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
);

/** A subnet on the 128-bit scale: around one of the addresses (so that some match) or anywhere. */
function subnetArb(ips: Uint8Array[]) {
  const base = ips.length > 0 ? fc.constantFrom(...ips) : fc.uint8Array({ minLength: 16, maxLength: 16 });
  return fc
    .tuple(
      fc.oneof(base, fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.constant(v4(10, 3, 0, 0))),
      fc.nat(128),
    )
    .map(([ip, n]) => {
      const address = Uint8Array.from(ip);
      // v4-mapped addresses mostly get IPv4 prefix lengths (96 + 0..32).
      const length = address[10] === 0xff && address[11] === 0xff && n % 4 !== 0 ? 96 + (n % 33) : n;
      maskInPlace(address, length);
      return { address, length };
    });
}

describe('subnet sketch', () => {
  it('never rules out a subnet that holds an address (partition and batches, /24 set and /16 bitmap)', () => {
    fc.assert(
      fc.property(
        fc.array(address, { minLength: 1, maxLength: 300 }),
        // Sometimes more /24s than the set keeps, so that the /16 bitmap answers.
        fc.boolean(),
        (some, many) => {
          const ips = many
            ? [...some, ...Array.from({ length: 2500 }, (_, i) => v4(172, 16 + (i >> 8), i & 255, 1))]
            : some;
          const { field, batches, blob } = sketchOf(ips, 97);
          return fc.assert(
            fc.property(subnetArb(some), (net) => {
              const hit = ips.some((ip) => subnetContains(net, ip));
              if (hit) expect(subnetMayMeet(blob, field, net.address, net.length)).toBe(true);
              batches.forEach((f, i) => {
                if (ips.slice(i * 97, i * 97 + 97).some((ip) => subnetContains(net, ip)))
                  expect(subnetMayMeet(blob, f, net.address, net.length)).toBe(true);
              });
            }),
            { numRuns: 40 },
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it("rules out other sites' /16s and /24s although outliers span the IPv4 range", () => {
    const ips = [...OUTLIERS];
    for (let d = 0; d < 256; d++) ips.push(v4(10, 2, 7, d), v4(10, 2, 9, d));
    const { field, blob } = sketchOf(ips);
    // The min/max range alone cannot rule anything out here.
    expect(field.ip4).toEqual(['00000000000000000000ffff00000000', '00000000000000000000ffffffffffff']);
    expect(field.net4?.bits).toBe(24);
    const meets = (text: string) => {
      const net = parseSubnet(text)!;
      return subnetMayMeet(blob, field, net.address, net.length);
    };
    expect(meets('10.3.0.0/16')).toBe(false);
    expect(meets('10.2.8.0/24')).toBe(false);
    expect(meets('10.2.0.0/16')).toBe(true);
    expect(meets('10.2.9.128/25')).toBe(true);
    expect(meets('10.0.0.0/8')).toBe(true);
    expect(meets('8.8.8.8/32')).toBe(true);
    expect(meets('2001:db8::/32')).toBe(false);
    expect(meets('fe80::/10')).toBe(true);
    expect(meets('fe80::/64')).toBe(true);
    expect(meets('::/0')).toBe(true);
  });

  it('falls back to a /16 bitmap beyond 2048 distinct /24s, still ruling out other /16s', () => {
    const ips = Array.from({ length: 3000 }, (_, i) => v4(10, 2 + (i >> 8), i & 255, 1));
    const { field, blob } = sketchOf(ips, 4096);
    expect(field.net4?.bits).toBe(16);
    const net = parseSubnet('10.200.0.0/16')!;
    expect(subnetMayMeet(blob, field, net.address, net.length)).toBe(false);
    const hit = parseSubnet('10.3.0.0/16')!;
    expect(subnetMayMeet(blob, field, hit.address, hit.length)).toBe(true);
  });

  it('answers for fields without prefix sketches (sidecars written before them): maybe', () => {
    const net = parseSubnet('10.3.0.0/16')!;
    expect(subnetMayMeet(new Uint8Array(0), {}, net.address, net.length)).toBe(true);
  });

  it('still reads Bloom filters of the legacy hash (FNV-1a), and the current one', () => {
    const value = new TextEncoder().encode('evil.example');
    const legacy = new Bloom(new Uint8Array(64));
    legacy.add(hashBytes(value, 0, value.length));
    const f = { nulls: 0, bloom: { offset: 0, length: 64, probes: legacy.probes } };
    expect(sketchMayContain(legacy.bits, f, value)).toBe(true);
    const current = new Bloom(new Uint8Array(64));
    current.add(bloomHash('w', value));
    expect(sketchMayContain(current.bits, { nulls: 0, bloom: { ...f.bloom, hash: 'w' } }, value)).toBe(true);
    expect(bloomHash('w', value)).not.toBe(bloomHash(undefined, value));
  });
});
