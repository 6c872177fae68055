/**
 * The operator's source policy on its own: containment by real path, the
 * database off limits, bind addresses by canonical spelling, the settings
 * from YAML and the environment, the bounds of number options, and a file
 * source that re-checks its path when the file is replaced.
 */
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as A from 'apache-arrow';
import { afterAll, describe, expect, test } from 'vitest';
import type { Diagnostic } from '../../../src/diagnostics.js';
import { parseSourceArgs } from '../../../src/node/components.js';
import { loadConfig } from '../../../src/node/config.js';
import { fileSource } from '../../../src/sources/file.js';
import { findSource } from '../../../src/sources/index.js';
import { canonicalAddress, isInside, SourcePolicy } from '../../../src/sources/policy.js';
import type { SourceContext } from '../../../src/sources/source.js';
import { TEST_DATA } from '../../helpers/datasets.js';
import { testPolicy } from '../../helpers/policy.js';
import { registry } from '../../helpers/read.js';

const tmp = mkdtempSync(join(tmpdir(), 'vast-policy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const refused = (source: string, path: string) =>
  `${source}: may not read '${path}': not an existing file in a directory allowed by the node's source-paths setting`;

describe('containment', () => {
  test('strictly inside, by path components', () => {
    expect(isInside('/a/b', '/a/b/c')).toBe(true);
    expect(isInside('/a/b', '/a/b/c/d')).toBe(true);
    expect(isInside('/a/b', '/a/b/..c')).toBe(true); // a name starting with two dots
    expect(isInside('/a/b', '/a/b')).toBe(false);
    expect(isInside('/a/b', '/a/bc')).toBe(false);
    expect(isInside('/a/b', '/a')).toBe(false);
    expect(isInside('/a/b', '/x/a/b/c')).toBe(false);
    expect(isInside('/', '/etc/passwd')).toBe(true);
  });

  test('symlinks and .. are resolved first; the database is never readable', async () => {
    const allowed = join(tmp, 'allowed');
    const db = join(allowed, 'db');
    const outside = join(tmp, 'outside');
    for (const d of [allowed, db, outside]) mkdirSync(d, { recursive: true });
    writeFileSync(join(allowed, 'ok.log'), 'x');
    writeFileSync(join(db, 'tokens.json'), '[]');
    writeFileSync(join(outside, 'secret'), 's');
    symlinkSync(join(outside, 'secret'), join(allowed, 'to-secret'));
    symlinkSync(join(allowed, 'ok.log'), join(outside, 'to-ok'));
    // The allowed directory given through a symlink still means its real path.
    symlinkSync(allowed, join(tmp, 'allowed-link'));
    const policy = testPolicy({ 'source-paths': [join(tmp, 'allowed-link')], db });
    expect(await policy.readable('file', join(allowed, 'ok.log'))).toBe(join(allowed, 'ok.log'));
    // A symlink from outside into the allowed directory reads the allowed file: what counts is where it leads.
    expect(await policy.readable('file', join(outside, 'to-ok'))).toBe(join(allowed, 'ok.log'));
    for (const path of [
      join(allowed, 'to-secret'),
      join(allowed, '..', 'outside', 'secret'),
      join(db, 'tokens.json'),
      db,
      allowed,
      join(allowed, 'missing'),
    ])
      await expect(policy.readable('file', path), path).rejects.toThrow(refused('file', path));
  });

  test('without source-paths nothing is readable, with a message naming the setting', async () => {
    await expect(testPolicy().readable('pcap', '/etc/hostname')).rejects.toMatchObject({
      status: 403,
      message:
        "pcap: may not read '/etc/hostname': reading files through spawned sources is disabled (the operator allows directories with the node's source-paths setting)",
    });
  });
});

describe('bind addresses', () => {
  test('compared in one spelling', () => {
    expect(canonicalAddress('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonicalAddress('[::1]')).toBe('::1');
    expect(canonicalAddress('FE80::A')).toBe('fe80::a');
    expect(canonicalAddress('127.0.0.1')).toBe('127.0.0.1');
    const policy = new SourcePolicy({
      captureProgram: 'tcpdump',
      readDirs: [],
      denyDirs: [],
      bindAddresses: ['127.0.0.1', '0::1', '10.0.0.5'],
    });
    for (const ok of ['127.0.0.1', '::1', '0:0:0:0:0:0:0:1', '10.0.0.5']) policy.checkBind('syslog', ok);
    for (const bad of ['0.0.0.0', '::', 'localhost', '127.0.0.2', '127.1'])
      expect(() => policy.checkBind('syslog', bad), bad).toThrow(
        `syslog: may not listen on '${bad}': the node's source-bind-addresses setting allows only 127.0.0.1, 0::1, 10.0.0.5`,
      );
  });
});

describe('settings', () => {
  test('defaults, YAML and the environment', () => {
    const none = join(tmp, 'empty.yaml');
    writeFileSync(none, '');
    const d = loadConfig({}, { file: none, env: {} });
    expect(d['capture-program']).toBe('tcpdump');
    expect(d['tenant-sources']).toBe(false);
    expect(d['source-paths']).toEqual([]);
    expect(d['source-bind-addresses']).toEqual(['127.0.0.1', '::1']);
    expect(d['max-sources-per-tenant']).toBe(16);
    const yaml = join(tmp, 'vast.yaml');
    writeFileSync(
      yaml,
      'capture-program: /usr/sbin/tcpdump\ntenant-sources: true\nsource-paths: [/var/log/zeek]\nmax-sources-per-tenant: 3\n',
    );
    const y = loadConfig({}, { file: yaml, env: {} });
    expect([
      y['capture-program'],
      y['tenant-sources'],
      y['source-paths'],
      y['max-sources-per-tenant'],
    ]).toEqual(['/usr/sbin/tcpdump', true, ['/var/log/zeek'], 3]);
    const e = loadConfig(
      {},
      {
        file: yaml,
        env: {
          VAST_CAPTURE_PROGRAM: '/opt/tcpdump',
          VAST_TENANT_SOURCES: 'false',
          VAST_SOURCE_PATHS: '/a, /b',
          VAST_SOURCE_BIND_ADDRESSES: '127.0.0.1',
          VAST_MAX_SOURCES_PER_TENANT: '5',
        },
      },
    );
    expect([
      e['capture-program'],
      e['tenant-sources'],
      e['source-paths'],
      e['source-bind-addresses'],
      e['max-sources-per-tenant'],
    ]).toEqual(['/opt/tcpdump', false, ['/a', '/b'], ['127.0.0.1'], 5]);
    expect(() => loadConfig({}, { file: none, env: { VAST_TENANT_SOURCES: 'yes' } })).toThrow(
      /invalid configuration: 'tenant-sources' \(from environment\)/,
    );
    writeFileSync(yaml, 'source-paths: /var/log\n');
    expect(() => loadConfig({}, { file: yaml, env: {} })).toThrow(/invalid configuration: 'source-paths'/);
  });
});

describe('number options', () => {
  const file = findSource('file')!;
  test('integers within their bounds', () => {
    expect(parseSourceArgs(file, ['-r', 'x', '--poll', '50']).options.poll).toBe(50);
    for (const v of ['0', '49', '60001', '1e3x', '', '100.5', 'Infinity'])
      expect(() => parseSourceArgs(file, ['-r', 'x', '--poll', v]), v).toThrow(
        `option '--poll' of source 'file' expects an integer from 50 to 60000 (milliseconds between checks for new data), got '${v}'`,
      );
  });
  test('pcap has no --tcpdump option', () => {
    expect(() => parseSourceArgs(findSource('pcap')!, ['--tcpdump', 'sh', '-i', 'lo'])).toThrow(
      /^unknown option '--tcpdump' for source 'pcap'/,
    );
  });
});

describe('the file source re-checks its path on every open', () => {
  test('a rotation that puts a symlink to a file outside in place is not followed', async () => {
    const allowed = join(tmp, 'logs');
    const outside = join(tmp, 'elsewhere');
    mkdirSync(allowed);
    mkdirSync(outside);
    const conn = readFileSync(join(TEST_DATA, 'zeek', 'conn.log'), 'utf8').split('\n');
    const header = conn.filter((l) => l.startsWith('#') && !l.startsWith('#close'));
    const data = conn.filter((l) => l !== '' && !l.startsWith('#'));
    const log = (n: number, from = 0) => `${[...header, ...data.slice(from, from + n)].join('\n')}\n`;
    const current = join(allowed, 'current.log');
    writeFileSync(current, log(5));
    writeFileSync(join(outside, 'secret.log'), log(50, 100));
    const batches: A.RecordBatch[] = [];
    const diagnostics: Diagnostic[] = [];
    const abort = new AbortController();
    const ctx: SourceContext = {
      id: 'file-test',
      schemas: registry,
      emit: async (b) => {
        batches.push(b);
      },
      report: (d) => diagnostics.push(d),
      signal: abort.signal,
      policy: testPolicy({ 'source-paths': [allowed] }),
    };
    const events = () => batches.reduce((n, b) => n + b.numRows, 0);
    const until = async (cond: () => boolean) => {
      for (let i = 0; i < 200 && !cond(); i++) await sleep(25);
    };
    const source = await fileSource.start({ read: current, format: 'zeek', poll: 50 }, ctx);
    await until(() => events() === 5);
    expect(events()).toBe(5);
    // Rotated away, and a symlink to a file outside the allowed directory put in its place.
    renameSync(current, join(allowed, 'old.log'));
    symlinkSync(join(outside, 'secret.log'), current);
    await sleep(600);
    expect(events()).toBe(5);
    // A real file in its place again is read.
    rmSync(current);
    writeFileSync(current, log(3, 200));
    await until(() => events() === 8);
    expect(events()).toBe(8);
    await source.stop();
    expect(diagnostics).toEqual([]);
  });
});
