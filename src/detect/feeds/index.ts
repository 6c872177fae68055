/**
 * Threat-intelligence feeds → indicators. One file per format (`list.ts`,
 * `csv.ts`, `stix.ts`, `misp.ts`), listed once in `FEEDS`; format names,
 * detection and parsing all read that list.
 *
 * @example
 * ```ts
 * const text = decodeFeed(readFileSync(path), path);
 * const { indicators, problems } = parseFeed(text, detectFeedFormat(text), { source: path });
 * ```
 */
import { classifyIndicator } from '../indicator.js';
import { csv } from './csv.js';
import { type FeedDef, FeedError, type FeedFormat, type FeedOptions, type ParsedFeed } from './feed.js';
import { list } from './list.js';
import { misp } from './misp.js';
import { stix } from './stix.js';

export { FeedError, type FeedFormat, type FeedOptions, type FeedProblem, type ParsedFeed } from './feed.js';

const FEEDS: readonly FeedDef[] = [list, csv, stix, misp];

/** Every feed format name, in registry order. */
export const FEED_FORMATS: readonly FeedFormat[] = FEEDS.map((f) => f.name);

/**
 * Guesses the format: JSON with `type: "bundle"` or STIX objects → stix; JSON
 * with `Event`, `Attribute` or `response` → misp; other JSON → stix (whose
 * parser then says what it expected); text whose first non-comment line has a
 * comma and looks like a header (no field of it is an indicator) → csv; else list.
 */
export function detectFeedFormat(text: string): FeedFormat {
  const body = text.replace(/^\uFEFF/, '').trimStart();
  if (body.startsWith('{') || body.startsWith('[')) {
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch {
      // Broken JSON: guess from the keys, so the right parser reports where it breaks.
      return /"(Event|Attribute)"\s*:/.test(body.slice(0, 65536)) ? 'misp' : 'stix';
    }
    const first = Array.isArray(doc) ? doc[0] : doc;
    if (typeof first === 'object' && first !== null) {
      if ('Event' in first || 'Attribute' in first || 'response' in first) return 'misp';
      if ('info' in first && !('type' in first)) return 'misp';
    }
    return 'stix';
  }
  for (const raw of body.split('\n', 100)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.indexOf(',') < 0) return 'list';
    const cells = line.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
    return cells.some((c) => c !== '' && classifyIndicator(c) !== undefined) ? 'list' : 'csv';
  }
  return 'list';
}

/**
 * Parses a feed. Bad indicators (an invalid value, an unsupported STIX pattern,
 * a MISP attribute type we cannot use) are skipped and listed in `problems`
 * with their line; a document we cannot read at all throws FeedError.
 */
export function parseFeed(text: string, format: FeedFormat, opts: FeedOptions): ParsedFeed {
  const def = FEEDS.find((f) => f.name === format);
  if (!def)
    throw new FeedError(
      opts.source,
      1,
      undefined,
      `unknown feed format '${format}' (known: ${FEED_FORMATS.join(', ')})`,
    );
  if (opts.type === 'string' && (opts.field === undefined || opts.field === ''))
    throw new FeedError(opts.source, 1, undefined, "indicator type 'string' needs a field to compare with");
  return def.parse(text.replace(/^\uFEFF/, ''), opts);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a feed's bytes as UTF-8 (a BOM is dropped). Throws FeedError at the
 * line and byte column of the first invalid byte instead of replacing it:
 * a mangled indicator would silently never match.
 */
export function decodeFeed(bytes: Uint8Array, source: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < bad; i++)
      if (bytes[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    throw new FeedError(source, line, bad - lineStart + 1, `invalid UTF-8 byte 0x${hex(bytes[bad])}`);
  }
}

const hex = (b: number | undefined) => (b ?? 0).toString(16).padStart(2, '0');

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence (bytes.length if none). */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) [need, min] = [1, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [need, min] = [2, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are invalid too.
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return i;
    i += need + 1;
  }
  return b.length;
}
