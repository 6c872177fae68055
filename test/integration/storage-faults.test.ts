/**
 * Storage faults (issue 9): damaged files are detected by checksums and
 * quarantined while the rest stays queryable; a full disk stops a node's
 * acknowledgements with 507 and loses nothing; database files are owner-only.
 * Expected counts come from awk over the fixture, never from vast itself.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATA } from '../helpers/datasets.js';
import { tempDb, vast, vastAsync } from './cli.js';
import { type RunningNode, startNode } from './node-helpers.js';

const CONN = join(TEST_DATA, 'zeek', 'conn.log');
const DNS = join(TEST_DATA, 'zeek', 'dns.log');
const PARTITION = 2000;

/** Runs awk over a fixture: the independent oracle for counts. */
function awk(program: string, file: string): number {
  const r = spawnSync('awk', ['-F', '\t', program, file], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return Number(r.stdout.trim() || '0');
}

/** Data lines of conn.log in the given 0-based partitions of PARTITION lines each. */
function connEvents(partitions: number[], extra = '1'): number {
  const cond = partitions.map((k) => `(n > ${k * PARTITION} && n <= ${(k + 1) * PARTITION})`).join(' || ');
  return awk(`!/^#/ { n++; if ((${cond}) && (${extra})) c++ } END { print c + 0 }`, CONN);
}

/** Ids of the catalog's data partitions (the node's own `vast.audit` events are left out). */
const catalogIds = (db: string): string[] =>
  (
    JSON.parse(readFileSync(join(db, 'catalog.json'), 'utf8')) as {
      partitions: { id: string; schema: string }[];
    }
  ).partitions
    .filter((p) => !p.schema.startsWith('vast.'))
    .map((p) => p.id);

/**
 * Exports every event as JSON: a query that reads every byte of every
 * partition, so it meets any damage (a plain `vast count` reads no data: the
 * catalog knows how many events there are).
 */
function exportAll(db: string): { status: number | null; events: number; stderr: string } {
  const r = vast(['export', '-d', db, 'json']);
  return {
    status: r.status,
    events: r.stdout.trim() ? r.stdout.trim().split('\n').length : 0,
    stderr: r.stderr,
  };
}

const flipBit = (path: string, offset: number) => {
  const b = readFileSync(path);
  b[offset] ^= 0x10;
  writeFileSync(path, b);
};

/** conn.log imported in partitions of exactly PARTITION events, in file order. */
function importConn(db: string): string[] {
  const r = vast([
    'import',
    '-d',
    db,
    '--max-partition-size',
    String(PARTITION),
    '--batch-size',
    '1000',
    'zeek',
    '-r',
    CONN,
  ]);
  expect(r.status, r.stderr).toBe(0);
  const ids = catalogIds(db);
  expect(ids).toHaveLength(5);
  return ids;
}

describe('checksums and quarantine', () => {
  let t: ReturnType<typeof tempDb>;
  afterEach(() => t.cleanup());

  it('detects a flipped bit, a truncated partition and a damaged sidecar; quarantines each; the rest stays exact', () => {
    t = tempDb();
    const ids = importConn(t.db);
    const part = (i: number, ext = 'parquet') => join(t.db, 'partitions', `${ids[i]}.${ext}`);
    flipBit(part(1), Math.floor(statSync(part(1)).size / 2));
    truncateSync(part(3), Math.floor(statSync(part(3)).size / 2));
    flipBit(part(4, 'sketch'), 100);

    const count = exportAll(t.db);
    expect(count.status, count.stderr).toBe(0);
    expect(count.events).toBe(connEvents([0, 2]));
    expect(count.events).toBe(4000);
    expect(count.stderr).toContain(
      `warning: quarantined partition ${ids[1]} (zeek.conn, 2000 events): partitions/${ids[1]}.parquet: checksum mismatch in bytes`,
    );
    expect(count.stderr).toContain(
      `warning: quarantined partition ${ids[3]} (zeek.conn, 2000 events): partitions/${ids[3]}.parquet: size is`,
    );
    expect(count.stderr).toMatch(/\(truncated or extended\)/);
    expect(count.stderr).toContain(
      `warning: quarantined partition ${ids[4]} (zeek.conn, 462 events): partitions/${ids[4]}.sketch: sidecar checksum mismatch`,
    );

    // Quarantined: moved with a reason, out of the catalog; later queries are exact and quiet.
    for (const i of [1, 3, 4]) {
      expect(existsSync(part(i))).toBe(false);
      expect(existsSync(join(t.db, 'quarantine', `${ids[i]}.parquet`))).toBe(true);
      expect(existsSync(join(t.db, 'quarantine', `${ids[i]}.reason`))).toBe(true);
    }
    expect(catalogIds(t.db)).toEqual([ids[0], ids[2]]);
    const dns = vast(['count', '-d', t.db, 'id.resp_p == 53']);
    expect(dns.stderr).toBe('');
    expect(Number(dns.stdout)).toBe(connEvents([0, 2], '$6 == 53'));
    expect(Number(vast(['count', '-d', t.db]).stdout)).toBe(4000);

    const status = vast(['status', '-d', t.db]);
    expect(status.stdout).toMatch(/total\s+2\s+4000/);
    expect(status.stdout).toContain(
      `quarantined: ${ids[1]} (zeek.conn, 2000 events): partitions/${ids[1]}.parquet: checksum mismatch`,
    );
    expect(status.stdout).toContain(
      `quarantined: ${ids[3]} (zeek.conn, 2000 events): partitions/${ids[3]}.parquet: size is`,
    );
    expect(status.stdout).toContain(
      `quarantined: ${ids[4]} (zeek.conn, 462 events): partitions/${ids[4]}.sketch: sidecar checksum mismatch`,
    );
  });

  it('detects damage that only a query reading the damaged batch touches (per-chunk verification)', () => {
    t = tempDb();
    const ids = importConn(t.db);
    const path = join(t.db, 'partitions', `${ids[2]}.parquet`);
    const chunk = Math.min(65536, statSync(path).size);
    flipBit(path, 100); // the first checksum chunk: the first column chunks of the first row group
    const needle = vast(['count', '-d', t.db, 'id.resp_p == 53']);
    expect(Number(needle.stdout)).toBe(connEvents([0, 1, 3, 4], '$6 == 53'));
    expect(needle.stderr).toContain(
      `quarantined partition ${ids[2]} (zeek.conn, 2000 events): partitions/${ids[2]}.parquet: checksum mismatch in bytes 0..${chunk}`,
    );
  });

  it('on a node: the query goes on over the rest, the node logs the quarantine, status shows it', async () => {
    t = tempDb();
    const ids = importConn(t.db);
    const path = join(t.db, 'partitions', `${ids[0]}.parquet`);
    const chunk = Math.min(65536, statSync(path).size);
    flipBit(path, 3000);
    const node = await startNode(t.db);
    try {
      const count = await vastAsync(['export', 'json'], { env: node.env() });
      expect(count.status, count.stderr).toBe(0);
      expect(count.stdout.trim().split('\n')).toHaveLength(connEvents([1, 2, 3, 4]));
      expect(node.stderr()).toContain(
        `quarantined partition ${ids[0]} (zeek.conn, 2000 events): partitions/${ids[0]}.parquet: checksum mismatch in bytes 0..${chunk}`,
      );
      const status = await vastAsync(['status'], { env: node.env() });
      expect(status.stdout).toContain(
        `quarantined: ${ids[0]} (zeek.conn, 2000 events): partitions/${ids[0]}.parquet: checksum mismatch in bytes 0..${chunk}`,
      );
    } finally {
      await node.stop();
    }
  });

  it('sets a damaged catalog aside and rebuilds it from the partitions', () => {
    t = tempDb();
    importConn(t.db);
    const cat = join(t.db, 'catalog.json');
    flipBit(cat, Math.floor(statSync(cat).size / 2));
    const count = vast(['count', '-d', t.db]);
    expect(count.status, count.stderr).toBe(0);
    expect(Number(count.stdout)).toBe(awk('!/^#/ { c++ } END { print c }', CONN));
    expect(count.stderr).toMatch(
      /warning: catalog.json failed verification \(catalog (checksum mismatch|is unreadable|is not in its written form)[^)]*\)?\)?; set aside in quarantine\/ and rebuilt/,
    );
    expect(readdirSync(join(t.db, 'quarantine')).some((f) => /^catalog-\d+\.json$/.test(f))).toBe(true);
    const status = vast(['status', '-d', t.db]);
    expect(status.stdout).toMatch(/quarantined: catalog-\d+: catalog.json: /);
  });

  it('opens a database written before checksums (unverified); `vast rebuild` adds them', () => {
    t = tempDb();
    const ids = importConn(t.db);
    // Rewrite the database into the old formats: catalog version 1, VSK1 sidecars without checksums.
    const cat = JSON.parse(readFileSync(join(t.db, 'catalog.json'), 'utf8')) as {
      partitions: Record<string, unknown>[];
    };
    for (const p of cat.partitions) delete p.sketchCrc;
    for (const id of ids) {
      const path = join(t.db, 'partitions', `${id}.sketch`);
      const b = readFileSync(path);
      const len = b.readUInt32LE(8);
      const header = JSON.parse(b.toString('utf8', 12, 12 + len)) as { batches: unknown };
      const json = Buffer.from(JSON.stringify({ batches: header.batches }));
      const fixed = Buffer.alloc(8);
      fixed.write('VSK1', 0, 'latin1');
      fixed.writeUInt32LE(json.length, 4);
      const legacy = Buffer.concat([fixed, json, b.subarray(12 + len)]);
      writeFileSync(path, legacy);
      const entry = cat.partitions.find((p) => p.id === id)!;
      entry.sketchBytes = legacy.length;
    }
    writeFileSync(join(t.db, 'catalog.json'), JSON.stringify({ version: 1, partitions: cat.partitions }));

    const all = awk('!/^#/ { c++ } END { print c }', CONN);
    const legacy = vast(['count', '-d', t.db]);
    expect(legacy.stderr).toBe('');
    expect(Number(legacy.stdout)).toBe(all);
    // A legacy partition cut short is still caught (its size no longer matches the catalog).
    truncateSync(join(t.db, 'partitions', `${ids[0]}.parquet`), 1000);
    const cut = exportAll(t.db);
    expect(cut.events).toBe(connEvents([1, 2, 3, 4]));
    expect(cut.stderr).toContain(
      `quarantined partition ${ids[0]} (zeek.conn, 2000 events): partitions/${ids[0]}.parquet: size is 1000 bytes, the catalog says`,
    );

    const rebuilt = vast(['rebuild', '-d', t.db]);
    expect(rebuilt.stdout).toBe(`rebuilt catalog: 4 partitions, ${connEvents([1, 2, 3, 4])} events\n`);
    expect(readFileSync(join(t.db, 'catalog.json'), 'utf8')).toMatch(/^\{"version":2,"crc32":"[0-9a-f]{8}"/);
    flipBit(join(t.db, 'partitions', `${ids[1]}.parquet`), 5000);
    const after = exportAll(t.db);
    expect(after.events).toBe(connEvents([2, 3, 4]));
    expect(after.stderr).toContain(`quarantined partition ${ids[1]}`);
  });
});

/** Mounts a small tmpfs, or explains why not (the test then skips visibly). */
function mountTmpfs(dir: string, size: string): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `mount failed: ${r.stderr.trim()}`;
}

const mountProbe = (() => {
  const t = tempDb();
  const why = mountTmpfs(join(t.dir, 'probe'), '1m');
  if (!why) spawnSync('umount', [join(t.dir, 'probe')]);
  t.cleanup();
  return why;
})();

const describeTmpfs = mountProbe
  ? (name: string, fn: () => void) => describe.skip(`${name} (skipped: ${mountProbe})`, fn)
  : describe;

describeTmpfs('a full disk during import (real 8 MB tmpfs)', () => {
  let t: ReturnType<typeof tempDb>;
  let mnt: string;
  let node: RunningNode | undefined;
  beforeAll(() => {
    t = tempDb();
    mnt = join(t.dir, 'mnt');
    expect(mountTmpfs(mnt, '8m')).toBeUndefined();
  });
  afterAll(async () => {
    await node?.stop();
    spawnSync('umount', [mnt]);
    t.cleanup();
  });

  it('answers 507, the CLI exits non-zero, nothing acknowledged is lost, and imports work once space is freed', async () => {
    const db = join(mnt, 'db');
    node = await startNode(db);
    const token = node.token!;
    const dnsEvents = awk('!/^#/ { c++ } END { print c }', DNS);
    const connAll = awk('!/^#/ { c++ } END { print c }', CONN);
    const first = await vastAsync(['import', 'zeek', '-r', DNS], { env: node.env() });
    expect(first.status, first.stderr).toBe(0);
    expect((await vastAsync(['flush'], { env: node.env() })).status).toBe(0);

    // Fill the file system to 200 KiB of free space.
    const df = spawnSync('df', ['-k', '--output=avail', mnt], { encoding: 'utf8' });
    const avail = Number(df.stdout.trim().split('\n')[1]);
    const filler = join(mnt, 'filler');
    const dd = spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1k', `count=${avail - 200}`]);
    expect(dd.status).toBe(0);

    const res = await fetch(node.url('/api/v0/import?format=zeek'), {
      method: 'POST',
      headers: { authorization: `Bearer ${node.token}`, 'content-type': 'application/octet-stream' },
      body: readFileSync(CONN),
    });
    expect(res.status).toBe(507);
    const body = (await res.json()) as { error: string; events: number };
    expect(body.error).toBe(
      'storage full: no space left while writing the write-ahead log; nothing further is acknowledged until space is freed',
    );
    expect(body.events).toBe(0);

    const cli = await vastAsync(['import', 'zeek', '-r', CONN], { env: node.env() });
    expect(cli.status).toBe(1);
    expect(cli.stderr).toContain('error: storage full: no space left while writing the write-ahead log');

    // What was acknowledged is there, exactly; no partial partition entered the catalog.
    const count = await vastAsync(['count'], { env: node.env() });
    expect(Number(count.stdout)).toBe(dnsEvents);
    expect((await vastAsync(['flush'], { env: node.env() })).status).toBe(0);
    expect(catalogIds(db)).toHaveLength(1);
    expect(readdirSync(join(db, 'staging'))).toEqual([]);

    // Space freed: imports work again, and nothing is lost or doubled across a restart.
    rmSync(filler);
    const again = await vastAsync(['import', 'zeek', '-r', CONN], { env: node.env() });
    expect(again.status, again.stderr).toBe(0);
    expect(Number((await vastAsync(['count'], { env: node.env() })).stdout)).toBe(dnsEvents + connAll);
    await node.kill();
    node = await startNode(db);
    const after = await vastAsync(['count'], { env: node.env(token) });
    expect(Number(after.stdout)).toBe(dnsEvents + connAll);
  });
});

describeTmpfs('a full disk during an embedded import (real 2 MB tmpfs)', () => {
  let t: ReturnType<typeof tempDb>;
  let mnt: string;
  beforeAll(() => {
    t = tempDb();
    mnt = join(t.dir, 'mnt');
    expect(mountTmpfs(mnt, '2m')).toBeUndefined();
  });
  afterAll(() => {
    spawnSync('umount', [mnt]);
    t.cleanup();
  });

  it('fails the partition write with a clear error, keeps committed data, leaves no staged files', () => {
    const db = join(mnt, 'db');
    const first = vast(['import', '-d', db, 'zeek', '-r', DNS]);
    expect(first.status, first.stderr).toBe(0);
    const before = readFileSync(join(db, 'catalog.json'));
    const df = spawnSync('df', ['-k', '--output=avail', mnt], { encoding: 'utf8' });
    const avail = Number(df.stdout.trim().split('\n')[1]);
    const filler = join(mnt, 'filler');
    expect(spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1k', `count=${avail - 40}`]).status).toBe(0);

    const full = vast(['import', '-d', db, 'zeek', '-r', CONN]);
    expect(full.status).toBe(1);
    expect(full.stderr).toMatch(
      /error: storage full: no space left while writing partition [0-9a-f-]+\.parquet; nothing further is acknowledged until space is freed/,
    );
    expect(readFileSync(join(db, 'catalog.json')).equals(before)).toBe(true);
    expect(readdirSync(join(db, 'staging'))).toEqual([]);
    const count = vast(['count', '-d', db]);
    expect(Number(count.stdout)).toBe(awk('!/^#/ { c++ } END { print c }', DNS));

    rmSync(filler);
    const again = vast(['import', '-d', db, 'zeek', '-r', CONN]);
    expect(again.status, again.stderr).toBe(0);
    expect(Number(vast(['count', '-d', db]).stdout)).toBe(
      awk('!/^#/ { c++ } END { print c }', DNS) + awk('!/^#/ { c++ } END { print c }', CONN),
    );
  });
});

describe('file modes (finding 8)', () => {
  let t: ReturnType<typeof tempDb>;
  let node: RunningNode | undefined;
  afterEach(async () => {
    await node?.stop();
    node = undefined;
    t.cleanup();
  });

  /** Every path under `root` whose mode is not 0600 (files) or 0700 (directories). */
  function looseModes(root: string): string[] {
    const out: string[] = [];
    const visit = (p: string) => {
      const st = lstatSync(p);
      const mode = st.mode & 0o777;
      if (st.isDirectory()) {
        if (mode !== 0o700) out.push(`${p} ${mode.toString(8)}`);
        for (const f of readdirSync(p)) visit(join(p, f));
      } else if (mode !== 0o600) out.push(`${p} ${mode.toString(8)}`);
    };
    visit(root);
    return out;
  }

  it('creates every file 0600 and every directory 0700, and tightens an older database on start', async () => {
    t = tempDb();
    node = await startNode(t.db);
    const token = node.token!;
    const created = vast(['token', 'create', '--tenant', 'acme'], { env: node.env() });
    expect(created.status, created.stderr).toBe(0);
    for (const tok of [token, created.stdout.trim()]) {
      const r = await vastAsync(['import', 'zeek', '-r', DNS], { env: node.env(tok) });
      expect(r.status, r.stderr).toBe(0);
      expect((await vastAsync(['flush'], { env: node.env(tok) })).status).toBe(0);
    }
    // Unflushed data too: the WAL segment and the staged partition exist now.
    expect((await vastAsync(['import', 'zeek', '-r', DNS], { env: node.env() })).status).toBe(0);
    expect(existsSync(join(t.db, 'tenants', 'acme', 'partitions'))).toBe(true);
    expect(readdirSync(join(t.db, 'wal')).length).toBeGreaterThan(0);
    expect(looseModes(t.db)).toEqual([]);
    await node.stop();

    // A database from before: loose modes are tightened when a node opens it.
    chmodSync(join(t.db, 'catalog.json'), 0o644);
    chmodSync(join(t.db, 'partitions'), 0o755);
    chmodSync(join(t.db, 'tenants', 'acme'), 0o755);
    node = await startNode(t.db);
    expect(looseModes(t.db)).toEqual([]);
  });
});
