/**
 * STIX 2.1 (https://docs.oasis-open.org/cti/stix/v2.1/stix-v2.1.html): a
 * bundle, a single indicator object, or an array of objects. Indicators with
 * `pattern_type: stix` become one indicator per comparison of their pattern;
 * other object types (malware, relationship, identity, ...) describe context we
 * do not match on and are ignored.
 */
import type { Indicator, IndicatorType } from '../indicator.js';
import { ipOrSubnet } from '../indicator.js';
import {
  type FeedDef,
  FeedError,
  type FeedOptions,
  type FeedProblem,
  isoTime,
  makeIndicator,
  type ParsedFeed,
  quoteText,
} from './feed.js';
import { isObject, type Json, parseJsonLocated, scalarString } from './json.js';
import { parseStixPattern, type StixComparison, StixPatternError } from './stix-pattern.js';

const NOT_A_BUNDLE = 'expected a STIX bundle, a STIX object or an array of STIX objects';

/** Hash names as STIX writes them (`'SHA-256'`, `SHA256`, `MD5`), folded: uppercase without '-'. */
const HASHES: Record<string, IndicatorType> = { MD5: 'md5', SHA1: 'sha1', SHA256: 'sha256' };

/**
 * The indicator type (and field, for strings) of a comparison's object path,
 * or undefined when we have no way to match it. `email-addr:value` becomes a
 * string indicator on the field `email`, the name MISP's email attributes use too.
 */
function typeOf(c: StixComparison): { type: IndicatorType; field?: string } | undefined {
  const p = c.path.join('.');
  switch (c.objectType) {
    case 'ipv4-addr':
    case 'ipv6-addr':
      return p === 'value' ? { type: ipOrSubnet(c.value) } : undefined;
    case 'domain-name':
      return p === 'value' ? { type: 'domain' } : undefined;
    case 'url':
      return p === 'value' ? { type: 'url' } : undefined;
    case 'email-addr':
      return p === 'value' ? { type: 'string', field: 'email' } : undefined;
    case 'file': {
      if (c.path.length !== 2 || c.path[0] !== 'hashes') return undefined;
      const t = HASHES[c.path[1].toUpperCase().replace(/-/g, '')];
      return t ? { type: t } : undefined;
    }
    default:
      return undefined;
  }
}

function contextOf(o: { [key: string]: Json }): Record<string, string> {
  const ctx: Record<string, string> = {};
  for (const k of ['id', 'name', 'description', 'labels', 'indicator_types', 'confidence', 'created']) {
    const v = o[k];
    const s = Array.isArray(v)
      ? v
          .map(scalarString)
          .filter((x) => x !== undefined)
          .join(',')
      : scalarString(v);
    if (s !== undefined && s !== '') ctx[k] = s;
  }
  return ctx;
}

function parseStix(text: string, opts: FeedOptions): ParsedFeed {
  const doc = parseJsonLocated(text, opts.source);
  const where = (node: object) => doc.positions.at(doc.offsetOf(node) ?? 0);
  let objects: Json[];
  if (Array.isArray(doc.value)) objects = doc.value;
  else if (isObject(doc.value) && doc.value.type === 'bundle') {
    const o = doc.value.objects ?? [];
    if (!Array.isArray(o)) {
      const p = isObject(o) || Array.isArray(o) ? where(o) : where(doc.value);
      throw new FeedError(opts.source, p.line, p.column, "a STIX bundle's 'objects' must be an array");
    }
    objects = o;
  } else if (isObject(doc.value) && typeof doc.value.type === 'string') objects = [doc.value];
  else {
    const p = isObject(doc.value) ? where(doc.value) : { line: 1, column: 1 };
    throw new FeedError(opts.source, p.line, p.column, NOT_A_BUNDLE);
  }

  const indicators: Indicator[] = [];
  const problems: FeedProblem[] = [];
  for (const [n, o] of objects.entries()) {
    if (!isObject(o)) {
      const p = doc.positions.at(doc.elementOffset(objects, n) ?? 0);
      throw new FeedError(
        opts.source,
        p.line,
        p.column,
        `STIX object ${n + 1} is ${describeJson(o)}, not an object`,
      );
    }
    if (o.type !== 'indicator') continue;
    const { line, column } = where(o);
    const name = typeof o.id === 'string' ? `STIX indicator ${o.id}` : `STIX indicator ${n + 1}`;
    const problem = (message: string) => problems.push({ line, column, message: `${name}: ${message}` });
    const patternType = o.pattern_type ?? 'stix';
    if (patternType !== 'stix') {
      problem(
        `pattern_type ${JSON.stringify(patternType)} cannot be evaluated (only 'stix' patterns are supported)`,
      );
      continue;
    }
    if (typeof o.pattern !== 'string') {
      problem("has no 'pattern' string");
      continue;
    }
    const validity: { validFrom?: string; validUntil?: string } = {};
    let badTime = false;
    for (const [key, prop] of [
      ['valid_from', 'validFrom'],
      ['valid_until', 'validUntil'],
    ] as const) {
      const v = o[key];
      if (v === undefined || v === null) continue;
      const t = typeof v === 'string' ? isoTime(v) : undefined;
      if (t === undefined) {
        problem(`${key} ${JSON.stringify(v)} is not an ISO 8601 time`);
        badTime = true;
      } else validity[prop] = t;
    }
    if (badTime) continue;
    let comparisons: StixComparison[];
    try {
      comparisons = parseStixPattern(o.pattern);
    } catch (e) {
      if (!(e instanceof StixPatternError)) throw e;
      problem(`pattern ${quoteText(o.pattern)}: ${e.message}`);
      continue;
    }
    // All or nothing per object: an indicator whose pattern we can only half match would match too little.
    const made: Indicator[] = [];
    const errors: string[] = [];
    for (const c of comparisons) {
      const t = typeOf(c);
      const path = `${c.objectType}:${c.path.join('.')}`;
      if (!t) {
        errors.push(`object path ${path} cannot be evaluated`);
        continue;
      }
      const i = makeIndicator(t.type, c.value, contextOf(o), t.field);
      if (typeof i === 'string') errors.push(`${path}: ${i}`);
      else made.push(i);
    }
    if (errors.length > 0) {
      problem(`pattern ${quoteText(o.pattern)}: ${errors.join('; ')}`);
      continue;
    }
    for (const i of made) indicators.push({ ...i, ...validity });
  }
  return { indicators, problems };
}

function describeJson(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

export const stix: FeedDef = { name: 'stix', parse: parseStix };
