/**
 * The contract every feed format implements, and the pieces they share: the
 * located error for broken documents, and text positions.
 */
import { errorDiagnostic } from '../../diagnostics/diagnostic.js';
import { VastError } from '../../diagnostics/errors.js';
import {
  canonicalIndicator,
  classifyIndicator,
  type Indicator,
  type IndicatorType,
  MAX_INDICATOR_LENGTH,
  quoteValue,
} from '../indicator.js';

export type FeedFormat = 'list' | 'csv' | 'stix' | 'misp';

/** One indicator we skipped, and why. */
export interface FeedProblem {
  /** 1-based line where the indicator (row, STIX object, MISP attribute) starts. */
  line: number;
  /** 1-based column, in bytes of the line, when known. */
  column?: number;
  message: string;
}

/** What a feed yields: the indicators that load, and the ones that did not. */
export interface ParsedFeed {
  indicators: Indicator[];
  problems: FeedProblem[];
}

export interface FeedOptions {
  /** Names the input in errors (a file path or '<stdin>'). */
  source: string;
  /** Forces every indicator's type (list, csv without a `type` column); 'string' requires `field`. */
  type?: IndicatorType;
  /** The field a 'string' indicator must equal. */
  field?: string;
  /** MISP: also load attributes with `to_ids: false` (skipped by default). */
  includeNonIds?: boolean;
}

/** One feed format: `parse` returns problems for bad indicators and throws FeedError for a broken document. */
export interface FeedDef {
  name: FeedFormat;
  parse(text: string, opts: FeedOptions): ParsedFeed;
}

/**
 * A feed document we cannot read at all (invalid JSON or UTF-8, an
 * unterminated CSV quote, a STIX object that is not an object). Its message
 * reads `source:line:column: message`; the CLI renders its diagnostic.
 */
export class FeedError extends VastError {
  readonly source: string;
  readonly line: number;
  readonly column: number | undefined;
  readonly reason: string;

  constructor(source: string, line: number, column: number | undefined, message: string) {
    super(
      `${source}:${line}:${column !== undefined ? `${column}:` : ''} ${message}`,
      errorDiagnostic(message, { location: { source, line, column: column ?? 1 } }),
    );
    this.name = 'FeedError';
    this.source = source;
    this.line = line;
    this.column = column;
    this.reason = message;
  }
}

/** Maps string offsets (UTF-16 indexes) of a text to 1-based line and byte column. */
export class Positions {
  private readonly starts: number[] = [0];
  constructor(private readonly text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  at(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    const start = this.starts[lo];
    return { line: lo + 1, column: Buffer.byteLength(this.text.slice(start, offset)) + 1 };
  }
}

/** Builds an indicator of `type` from a raw value, or the message saying why not. */
export function makeIndicator(
  type: IndicatorType,
  raw: string,
  context: Record<string, string>,
  field?: string,
): Indicator | string {
  if (type === 'string' && (field === undefined || field === ''))
    return 'a string indicator needs a field to compare with';
  // Feeds that say "ip" list networks too (MISP ip-dst, STIX ipv4-addr, an `ip` column).
  if (type === 'ip' && raw.indexOf('/') >= 0) type = 'subnet';
  const c = canonicalIndicator(type, raw);
  if ('error' in c) return c.error;
  return type === 'string' ? { type, value: c.value, field, context } : { type, value: c.value, context };
}

/** Classifies a value of unknown type, or says why it is none of them. */
export function classifyOrExplain(raw: string): { type: IndicatorType; value: string } | string {
  const v = raw.trim();
  if (v.length > MAX_INDICATOR_LENGTH)
    return `value of ${v.length} characters is longer than the limit of ${MAX_INDICATOR_LENGTH}`;
  if (v.length === 0) return 'empty value';
  return classifyIndicator(v) ?? `${quoteValue(v)} is not an ip, subnet, domain, url or hash`;
}

/** An ISO 8601 time as `Date#toISOString` prints it (UTC, milliseconds), or undefined when it is not one. */
export function isoTime(raw: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw)) return undefined;
  // JS dates parse at most milliseconds; MISP writes microseconds (`.000000+00:00`).
  const ms = Date.parse(raw.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** A value for a message, in double quotes (STIX patterns contain single quotes), cut when huge. */
export function quoteText(raw: string): string {
  return raw.length > 200 ? `"${raw.slice(0, 160)}…" (${raw.length} characters)` : `"${raw}"`;
}
