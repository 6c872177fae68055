/**
 * The benchmark data: real logs replayed until they hold N events, each
 * replay shifted in time by the span of the original plus one second and
 * given its own addresses, uids and flow ids (see rewrite.ts). Files are
 * written once into the cache directory, keyed by kind, N and GENERATOR_VERSION,
 * with a `.meta.json` beside each that describes it (and picks the needle).
 *
 * Lines are pre-split into templates (constant text with slots for the fields
 * that change), and output is written in ~1 MB chunks, so memory stays
 * bounded by the size of the original log whatever N is.
 */
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import {
  formatEpochMicros,
  formatIsoTime,
  type IsoTime,
  isRewritten,
  parseEpochMicros,
  parseIsoTime,
  rewriteCommunityId,
  rewriteFlowId,
  rewriteIp,
  uidSuffix,
} from './rewrite.js';

/** Bump when the output of the generator changes, so that stale caches are not reused. */
const GENERATOR_VERSION = 1;

type DatasetKind = 'zeek-conn' | 'suricata-eve';

/** What a generated file holds; written beside it as `<file>.meta.json`. */
export interface DatasetMeta {
  version: number;
  kind: DatasetKind;
  file: string;
  source: string;
  sourceBytes: number;
  /** Events in the original log. */
  originalEvents: number;
  events: number;
  replays: number;
  bytes: number;
  /** Time span of the original, in microseconds; replay k is shifted by k × (span + 1 s). */
  spanUs: number;
  /** Smallest and largest event timestamp (`ts` / `timestamp`) written, microseconds since the epoch. */
  tsMinUs: number;
  tsMaxUs: number;
  generateMs: number;
  /** Size of the file compressed with gzip level 6, once computed. */
  gzipBytes?: number;
  /** Zeek only: the `#fields` and `#types` header. */
  fields?: string[];
  types?: string[];
  /** Zeek only: an `id.orig_h` value with few hits, and how many events have it there. */
  needle?: { address: string; hits: number; original: string; replay: number };
}

type ZeekSlot =
  | { kind: 'time'; us: number }
  | { kind: 'addr'; value: string }
  | { kind: 'uid'; value: string }
  | { kind: 'uids'; values: string[] };

type EveSlot =
  | { kind: 'time'; time: IsoTime }
  | { kind: 'addr'; value: string }
  | { kind: 'flow'; value: string }
  | { kind: 'cid'; value: string };

/** A line as constant pieces around slots: `consts[0] slot[0] consts[1] ... consts[n]`. */
interface Template<S> {
  consts: string[];
  slots: S[];
  /** The event timestamp in microseconds, for the time range of the output. */
  tsUs: number;
}

/** Buffered synchronous writes: bounded memory, no back-pressure bookkeeping. */
class ChunkWriter {
  private parts: string[] = [];
  private size = 0;
  bytes = 0;
  constructor(private readonly fd: number) {}
  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= 1 << 20) this.flush();
  }
  flush(): void {
    if (this.parts.length === 0) return;
    this.bytes += writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}

/** Writes `file` through a temporary name, so that a crash or a concurrent run never leaves half a file. */
function writeAtomically(file: string, body: (w: ChunkWriter) => void): number {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  const w = new ChunkWriter(fd);
  try {
    body(w);
    w.flush();
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file);
  return w.bytes;
}

function readMeta(file: string, source: string): DatasetMeta | undefined {
  const metaPath = `${file}.meta.json`;
  if (!existsSync(file) || !existsSync(metaPath)) return undefined;
  try {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as DatasetMeta;
    const ok =
      meta.version === GENERATOR_VERSION &&
      meta.source === source &&
      meta.sourceBytes === statSync(source).size &&
      meta.bytes === statSync(file).size;
    return ok ? meta : undefined;
  } catch {
    return undefined;
  }
}

export function writeMeta(meta: DatasetMeta): void {
  const path = `${meta.file}.meta.json`;
  writeFileSync(`${path}.${process.pid}.tmp`, `${JSON.stringify(meta, null, 2)}\n`);
  renameSync(`${path}.${process.pid}.tmp`, path);
}

/** A generated (or cached) file. */
export interface Generated {
  meta: DatasetMeta;
  /** True when the file was already in the cache. */
  cached: boolean;
}

/** Options shared by both generators. */
export interface GenerateOptions {
  source: string;
  events: number;
  cacheDir: string;
}

/** The Zeek TSV log `source` scaled to `events` events (cached). */
export function zeekConn(opts: GenerateOptions): Generated {
  mkdirSync(opts.cacheDir, { recursive: true });
  const file = join(opts.cacheDir, `zeek-conn-v${GENERATOR_VERSION}-${opts.events}.log`);
  const cached = readMeta(file, opts.source);
  if (cached) return { meta: cached, cached: true };
  const start = performance.now();
  const lines = readFileSync(opts.source, 'utf8').split('\n');
  const header: string[] = [];
  let close = '';
  let fields: string[] = [];
  let types: string[] = [];
  const data: string[] = [];
  for (const line of lines) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      if (line.startsWith('#close')) close = line;
      else if (data.length === 0) header.push(line);
      if (line.startsWith('#fields\t')) fields = line.split('\t').slice(1);
      if (line.startsWith('#types\t')) types = line.split('\t').slice(1);
      continue;
    }
    data.push(line);
  }
  if (fields.length === 0 || data.length === 0)
    throw new Error(`${opts.source}: not a Zeek TSV log with data`);
  const roles = fields.map((name, i): ZeekSlot['kind'] | undefined => {
    if (types[i] === 'time') return 'time';
    if (types[i] === 'addr') return 'addr';
    if (name === 'uid') return 'uid';
    if (name === 'tunnel_parents' || name === 'conn_uids') return 'uids';
    return undefined;
  });
  const tsCol = fields.indexOf('ts');
  const origCol = fields.indexOf('id.orig_h');
  const templates: Template<ZeekSlot>[] = [];
  const origs: string[] = [];
  let minUs = Number.POSITIVE_INFINITY;
  let maxUs = Number.NEGATIVE_INFINITY;
  for (const line of data) {
    const cols = line.split('\t');
    const consts: string[] = [];
    const slots: ZeekSlot[] = [];
    let pending = '';
    for (let i = 0; i < cols.length; i++) {
      const v = cols[i];
      const role = roles[i];
      const sep = i === 0 ? '' : '\t';
      const unset = v === '-' || v === '(empty)';
      if (!role || unset) {
        pending += sep + v;
        continue;
      }
      consts.push(pending + sep);
      pending = '';
      if (role === 'time') slots.push({ kind: 'time', us: parseEpochMicros(v) });
      else if (role === 'uids') slots.push({ kind: 'uids', values: v.split(',') });
      else slots.push({ kind: role, value: v });
    }
    consts.push(`${pending}\n`);
    const tsUs = tsCol >= 0 && cols[tsCol] !== '-' ? parseEpochMicros(cols[tsCol]) : 0;
    minUs = Math.min(minUs, tsUs);
    maxUs = Math.max(maxUs, tsUs);
    templates.push({ consts, slots, tsUs });
    origs.push(origCol >= 0 ? cols[origCol] : '');
  }
  const spanUs = maxUs - minUs;
  const shift = spanUs + 1e6;
  const replays = Math.ceil(opts.events / templates.length);
  const needle = pickNeedle(origs, replays, opts.events);
  let outMin = Number.POSITIVE_INFINITY;
  let outMax = Number.NEGATIVE_INFINITY;
  const bytes = writeAtomically(file, (w) => {
    for (const h of header) w.write(`${h}\n`);
    let left = opts.events;
    for (let k = 0; left > 0; k++) {
      const shiftUs = k * shift;
      const suffix = uidSuffix(k);
      const addrs = new Map<string, string>();
      const addr = (a: string) => {
        let r = addrs.get(a);
        if (r === undefined) {
          r = rewriteIp(a, k);
          addrs.set(a, r);
        }
        return r;
      };
      const n = Math.min(left, templates.length);
      for (let i = 0; i < n; i++) {
        const t = templates[i];
        let out = t.consts[0];
        for (let j = 0; j < t.slots.length; j++) {
          const s = t.slots[j];
          if (s.kind === 'time') out += formatEpochMicros(s.us + shiftUs);
          else if (s.kind === 'addr') out += addr(s.value);
          else if (s.kind === 'uid') out += s.value + suffix;
          else out += s.values.map((u) => u + suffix).join(',');
          out += t.consts[j + 1];
        }
        w.write(out);
        const ts = t.tsUs + shiftUs;
        if (ts < outMin) outMin = ts;
        if (ts > outMax) outMax = ts;
      }
      left -= n;
    }
    w.write(`${close || '#close\t2014-05-23-18-02-35'}\n`);
  });
  const meta: DatasetMeta = {
    version: GENERATOR_VERSION,
    kind: 'zeek-conn',
    file,
    source: opts.source,
    sourceBytes: statSync(opts.source).size,
    originalEvents: templates.length,
    events: opts.events,
    replays,
    bytes,
    spanUs,
    tsMinUs: outMin,
    tsMaxUs: outMax,
    generateMs: performance.now() - start,
    fields,
    types,
    needle,
  };
  writeMeta(meta);
  return { meta, cached: false };
}

/**
 * The needle: the rarest originator address that the rewrite makes unique per
 * replay (IPv4 preferred), as it appears in the middle replay.
 */
function pickNeedle(origs: string[], replays: number, events: number): DatasetMeta['needle'] {
  const counts = new Map<string, number>();
  for (const o of origs) if (o && o !== '-') counts.set(o, (counts.get(o) ?? 0) + 1);
  const candidates = [...counts.entries()]
    .filter(([a]) => isRewritten(a))
    .sort(
      (x, y) =>
        x[1] - y[1] || Number(x[0].includes(':')) - Number(y[0].includes(':')) || x[0].localeCompare(y[0]),
    );
  if (candidates.length === 0) return undefined;
  const replay = Math.floor((replays - 1) / 2);
  const inReplay = Math.min(origs.length, events - replay * origs.length);
  // In a partial (last) replay the rarest address may not occur at all: take the first one that does.
  for (const [original] of candidates) {
    let hits = 0;
    for (let i = 0; i < inReplay; i++) if (origs[i] === original) hits++;
    if (hits > 0) return { address: rewriteIp(original, replay), hits, original, replay };
  }
  return undefined;
}

const EVE_SLOT_RE =
  /"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d))"|"([a-z_]*ip)":"([0-9A-Fa-f.:]+)"|"(flow_id|parent_id)":(\d+)|"community_id":"([^"]+)"/g;

/** Suricata EVE (NDJSON) scaled to `events` events (cached). */
export function suricataEve(opts: GenerateOptions): Generated {
  mkdirSync(opts.cacheDir, { recursive: true });
  const file = join(opts.cacheDir, `suricata-eve-v${GENERATOR_VERSION}-${opts.events}.json`);
  const cached = readMeta(file, opts.source);
  if (cached) return { meta: cached, cached: true };
  const start = performance.now();
  const templates: Template<EveSlot>[] = [];
  let minUs = Number.POSITIVE_INFINITY;
  let maxUs = Number.NEGATIVE_INFINITY;
  for (const line of readFileSync(opts.source, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const consts: string[] = [];
    const slots: EveSlot[] = [];
    let last = 0;
    let tsUs: number | undefined;
    for (const m of line.matchAll(EVE_SLOT_RE)) {
      const at = m.index;
      if (m[1] !== undefined) {
        const time = parseIsoTime(m[1]);
        if (!time) continue;
        consts.push(line.slice(last, at + 1));
        slots.push({ kind: 'time', time });
        last = at + 1 + m[1].length;
        // The event time is the `timestamp` field; the others (flow.start, ...) only widen the span.
        if (line.slice(Math.max(0, at - 12), at) === '"timestamp":') tsUs = time.us;
        minUs = Math.min(minUs, time.us);
        maxUs = Math.max(maxUs, time.us);
      } else if (m[2] !== undefined) {
        const valueAt = at + m[0].length - 1 - m[3].length;
        consts.push(line.slice(last, valueAt));
        slots.push({ kind: 'addr', value: m[3] });
        last = valueAt + m[3].length;
      } else if (m[4] !== undefined) {
        const valueAt = at + m[0].length - m[5].length;
        consts.push(line.slice(last, valueAt));
        slots.push({ kind: 'flow', value: m[5] });
        last = valueAt + m[5].length;
      } else {
        const valueAt = at + m[0].length - 1 - m[6].length;
        consts.push(line.slice(last, valueAt));
        slots.push({ kind: 'cid', value: m[6] });
        last = valueAt + m[6].length;
      }
    }
    consts.push(`${line.slice(last)}\n`);
    templates.push({ consts, slots, tsUs: tsUs ?? 0 });
  }
  if (templates.length === 0) throw new Error(`${opts.source}: no events`);
  const spanUs = maxUs - minUs;
  const shift = spanUs + 1e6;
  const replays = Math.ceil(opts.events / templates.length);
  let outMin = Number.POSITIVE_INFINITY;
  let outMax = Number.NEGATIVE_INFINITY;
  const bytes = writeAtomically(file, (w) => {
    let left = opts.events;
    for (let k = 0; left > 0; k++) {
      const shiftUs = k * shift;
      const cache = new Map<string, string>();
      const memo = (key: string, f: () => string) => {
        let r = cache.get(key);
        if (r === undefined) {
          r = f();
          cache.set(key, r);
        }
        return r;
      };
      const n = Math.min(left, templates.length);
      for (let i = 0; i < n; i++) {
        const t = templates[i];
        let out = t.consts[0];
        for (let j = 0; j < t.slots.length; j++) {
          const s = t.slots[j];
          if (s.kind === 'time') out += formatIsoTime(s.time, shiftUs);
          else if (s.kind === 'addr') out += memo(`a${s.value}`, () => rewriteIp(s.value, k));
          else if (s.kind === 'flow') out += memo(`f${s.value}`, () => rewriteFlowId(s.value, k));
          else out += memo(`c${s.value}`, () => rewriteCommunityId(s.value, k));
          out += t.consts[j + 1];
        }
        w.write(out);
        const ts = t.tsUs + shiftUs;
        if (ts < outMin) outMin = ts;
        if (ts > outMax) outMax = ts;
      }
      left -= n;
    }
  });
  const meta: DatasetMeta = {
    version: GENERATOR_VERSION,
    kind: 'suricata-eve',
    file,
    source: opts.source,
    sourceBytes: statSync(opts.source).size,
    originalEvents: templates.length,
    events: opts.events,
    replays,
    bytes,
    spanUs,
    tsMinUs: outMin,
    tsMaxUs: outMax,
    generateMs: performance.now() - start,
  };
  writeMeta(meta);
  return { meta, cached: false };
}

/** Size of `file` compressed with gzip level 6 (streamed; nothing is written). */
export async function gzipSize(file: string): Promise<number> {
  let n = 0;
  await pipeline(
    createReadStream(file, { highWaterMark: 1 << 20 }),
    createGzip({ level: 6 }),
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        n += chunk.length;
        cb();
      },
    }),
  );
  return n;
}
