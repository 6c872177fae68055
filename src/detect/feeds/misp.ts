/**
 * MISP event JSON (https://www.misp-project.org/datamodels/): `{"Event": {...}}`
 * as exported per event, `{"response": [{"Event": ...}]}` (event search) or
 * `{"response": {"Attribute": [...]}}` (attribute search) from the REST API,
 * a list of events, or a bare `{"Attribute": [...]}`. Attributes of the event
 * and of its objects become indicators by their MISP type.
 *
 * Choices: `email-src`/`email-dst`/`email` become string indicators on the
 * field `email` (the same field STIX `email-addr:value` uses). An attribute's
 * `timestamp` is when it was last edited, not when it became valid, so it
 * goes into the context (ISO 8601) and not into `validFrom`; `first_seen` and
 * `last_seen` are the validity. Deleted attributes are skipped like `to_ids: false`.
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
} from './feed.js';
import { isObject, type Json, parseJsonLocated, scalarString } from './json.js';

type JsonObject = { [key: string]: Json };

const NOT_MISP =
  "expected a MISP event: an object with 'Event', 'response' or 'Attribute', or a list of events";

/**
 * What one MISP attribute type yields: for each part of a composite value
 * (`domain|ip` → 2 parts), the indicator type of that part, or null to drop
 * the part (the port of `ip-dst|port`, the file name of `filename|md5`).
 */
function partsOf(
  mispType: string,
  value: string,
): Array<{ type: IndicatorType; raw: string; field?: string }> | undefined {
  const bar = value.indexOf('|');
  const left = bar >= 0 ? value.slice(0, bar) : value;
  const right = bar >= 0 ? value.slice(bar + 1) : '';
  switch (mispType) {
    case 'ip-src':
    case 'ip-dst':
      return [{ type: ipOrSubnet(value), raw: value }];
    case 'ip-src|port':
    case 'ip-dst|port':
      return [{ type: ipOrSubnet(left), raw: left }];
    case 'domain':
    case 'hostname':
      return [{ type: 'domain', raw: value }];
    case 'hostname|port':
      return [{ type: 'domain', raw: left }];
    case 'domain|ip':
      return [
        { type: 'domain', raw: left },
        { type: ipOrSubnet(right), raw: right },
      ];
    case 'url':
    case 'uri':
    case 'link':
      return [{ type: 'url', raw: value }];
    case 'md5':
    case 'sha1':
    case 'sha256':
      return [{ type: mispType, raw: value }];
    case 'filename|md5':
    case 'malware-sample': // `name.exe|<md5>`
      return [{ type: 'md5', raw: right }];
    case 'filename|sha1':
      return [{ type: 'sha1', raw: right }];
    case 'filename|sha256':
      return [{ type: 'sha256', raw: right }];
    case 'email':
    case 'email-src':
    case 'email-dst':
      return [{ type: 'string', raw: value, field: 'email' }];
    default:
      return undefined;
  }
}

function tagNames(...holders: JsonObject[]): string | undefined {
  const names = new Set<string>();
  for (const h of holders) {
    const tags = h.Tag;
    if (Array.isArray(tags))
      for (const t of tags) if (isObject(t) && typeof t.name === 'string') names.add(t.name);
  }
  return names.size > 0 ? [...names].join(',') : undefined;
}

/** MISP writes booleans as `true`, `"1"`, `1` depending on version. */
function isFalse(v: Json | undefined): boolean {
  return v === false || v === 0 || v === '0' || v === 'false';
}
function isTrue(v: Json | undefined): boolean {
  return v === true || v === 1 || v === '1' || v === 'true';
}

function parseMisp(text: string, opts: FeedOptions): ParsedFeed {
  const doc = parseJsonLocated(text, opts.source);
  const where = (node: object) => doc.positions.at(doc.offsetOf(node) ?? 0);
  const broken = (node: Json, fallback: object, message: string): never => {
    const p = isObject(node) || Array.isArray(node) ? where(node) : where(fallback);
    throw new FeedError(opts.source, p.line, p.column, message);
  };
  /** Element `n` of a parsed array is broken: point at it, scalars included. */
  const brokenAt = (array: Json[], n: number, message: string): never => {
    const p = doc.positions.at(doc.elementOffset(array, n) ?? doc.offsetOf(array) ?? 0);
    throw new FeedError(opts.source, p.line, p.column, message);
  };
  const root = doc.value;
  let events: Json[];
  if (Array.isArray(root)) events = root;
  else if (isObject(root) && Array.isArray(root.response)) events = root.response;
  // restSearch on attributes answers `{"response": {"Attribute": [...]}}`.
  else if (isObject(root) && isObject(root.response)) events = [root.response];
  else if (isObject(root) && ('Event' in root || 'Attribute' in root)) events = [root];
  else return broken(root, {}, NOT_MISP);

  const indicators: Indicator[] = [];
  const problems: FeedProblem[] = [];
  const attributes = (list: Json | undefined, holder: JsonObject, event: JsonObject, object?: JsonObject) => {
    if (list === undefined || list === null) return;
    if (!Array.isArray(list)) return broken(list, holder, "'Attribute' must be a list");
    for (const [n, a] of list.entries()) {
      if (!isObject(a)) return brokenAt(list, n, 'a MISP attribute must be an object');
      attribute(a, event, object);
    }
  };
  const attribute = (a: JsonObject, event: JsonObject, object?: JsonObject) => {
    if (isTrue(a.deleted)) return;
    if (isFalse(a.to_ids) && !opts.includeNonIds) return;
    const { line, column } = where(a);
    const problem = (message: string) => problems.push({ line, column, message });
    const mispType = a.type;
    const value = a.value;
    if (typeof mispType !== 'string' || typeof value !== 'string') {
      problem("MISP attribute without a string 'type' and 'value'");
      return;
    }
    const parts = partsOf(mispType, value);
    if (!parts) {
      problem(`MISP attribute type '${mispType}' is not supported`);
      return;
    }
    const ctx: Record<string, string> = {};
    const put = (k: string, v: Json | undefined) => {
      const s = scalarString(v);
      if (s !== undefined && s !== '') ctx[k] = s;
    };
    put('category', a.category);
    put('comment', a.comment);
    put('event_info', event.info);
    put('event_uuid', event.uuid);
    put('attribute_uuid', a.uuid);
    if (object) put('object', object.name);
    put('tags', tagNames(event, a));
    const ts = Number(scalarString(a.timestamp));
    if (a.timestamp !== undefined && Number.isFinite(ts)) put('timestamp', new Date(ts * 1000).toISOString());
    const validity: { validFrom?: string; validUntil?: string } = {};
    for (const [key, prop] of [
      ['first_seen', 'validFrom'],
      ['last_seen', 'validUntil'],
    ] as const) {
      const v = a[key];
      if (v === undefined || v === null || v === '') continue;
      const t = typeof v === 'string' ? isoTime(v) : undefined;
      if (t === undefined) {
        problem(`MISP attribute ${key} ${JSON.stringify(v)} is not an ISO 8601 time`);
        return;
      }
      validity[prop] = t;
    }
    const made: Indicator[] = [];
    for (const p of parts) {
      const i = makeIndicator(p.type, p.raw, ctx, p.field);
      if (typeof i === 'string') {
        problem(`MISP attribute '${mispType}': ${i}`);
        return;
      }
      made.push({ ...i, ...validity });
    }
    // Parts share the context object; give each its own so callers may change one.
    for (const i of made) indicators.push({ ...i, context: { ...i.context } });
  };

  for (const [n, e] of events.entries()) {
    if (!isObject(e)) return brokenAt(events, n, 'a MISP event must be an object');
    if ('Event' in e && !isObject(e.Event)) return broken(e.Event, e, "'Event' must be an object");
    const event = isObject(e.Event) ? e.Event : e;
    attributes(event.Attribute, event, event);
    const objects = event.Object;
    if (objects === undefined || objects === null) continue;
    if (!Array.isArray(objects)) return broken(objects, event, "'Object' must be a list");
    for (const [n, o] of objects.entries()) {
      if (!isObject(o)) return brokenAt(objects, n, 'a MISP object must be an object');
      attributes(o.Attribute, o, event, o);
    }
  }
  return { indicators, problems };
}

export const misp: FeedDef = { name: 'misp', parse: parseMisp };
