/**
 * A small JSON parser that remembers where every object and array starts, so
 * STIX and MISP problems can name the line of the object they are about.
 * `JSON.parse` cannot tell us that, and its error positions are engine-specific.
 */
import { FeedError, Positions } from './feed.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A parsed document and the start offset of each object and array in it. */
export interface LocatedJson {
  value: Json;
  positions: Positions;
  /** Start offset (UTF-16 index into the text) of an object or array of `value`. */
  offsetOf(node: object): number | undefined;
  /** Start offset of element `index` of an array of `value` (scalars included). */
  elementOffset(array: Json[], index: number): number | undefined;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** Parses `text` as one JSON document; throws FeedError at the first syntax error. */
export function parseJsonLocated(text: string, source: string): LocatedJson {
  const positions = new Positions(text);
  const offsets = new WeakMap<object, number>();
  const elements = new WeakMap<Json[], number[]>();
  let i = 0;
  const fail = (at: number, message: string): never => {
    const p = positions.at(at);
    throw new FeedError(source, p.line, p.column, message);
  };
  const found = (at: number) => (at >= text.length ? 'end of input' : `'${text[at]}'`);
  const skip = () => {
    while (i < text.length && WS.has(text.charCodeAt(i))) i++;
  };
  const expect = (ch: string, what: string) => {
    skip();
    if (text[i] !== ch) fail(i, `invalid JSON: expected ${what}, found ${found(i)}`);
    i++;
  };
  const string = (): string => {
    const start = i;
    i++;
    for (;;) {
      const q = text.indexOf('"', i);
      if (q < 0) fail(start, 'invalid JSON: unterminated string');
      let bs = 0;
      for (let k = q - 1; k >= i && text.charCodeAt(k) === 0x5c; k--) bs++;
      // A quote preceded by an odd number of backslashes is escaped.
      if (bs % 2 === 1) {
        i = q + 1;
        continue;
      }
      i = q + 1;
      const raw = text.slice(start, i);
      try {
        return JSON.parse(raw) as string;
      } catch {
        // Find the offending character for the message: a control character or a bad escape.
        for (let k = start + 1; k < q; k++) {
          const c = text.charCodeAt(k);
          if (c < 0x20) fail(k, 'invalid JSON: control character in string');
          if (c === 0x5c) {
            const e = text[k + 1];
            if (e === 'u' ? !/^[0-9a-fA-F]{4}$/.test(text.slice(k + 2, k + 6)) : !'"\\/bfnrt'.includes(e))
              fail(k, 'invalid JSON: bad escape in string');
            k++;
          }
        }
        return fail(start, 'invalid JSON string');
      }
    }
  };
  const value = (depth: number): Json => {
    skip();
    if (depth > 512) fail(i, 'invalid JSON: nested more than 512 levels deep');
    const start = i;
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: { [key: string]: Json } = {};
      offsets.set(obj, start);
      skip();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        skip();
        if (text[i] !== '"') fail(i, `invalid JSON: expected a string key, found ${found(i)}`);
        const key = string();
        expect(':', "':'");
        obj[key] = value(depth + 1);
        skip();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        return fail(i, `invalid JSON: expected ',' or '}', found ${found(i)}`);
      }
    }
    if (c === '[') {
      i++;
      const arr: Json[] = [];
      const starts: number[] = [];
      offsets.set(arr, start);
      elements.set(arr, starts);
      skip();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        skip();
        starts.push(i);
        arr.push(value(depth + 1));
        skip();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        return fail(i, `invalid JSON: expected ',' or ']', found ${found(i)}`);
      }
    }
    if (c === '"') return string();
    const m = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 64));
    if (!m) return fail(i, `invalid JSON: unexpected ${found(i)}`);
    i += m[0].length;
    return JSON.parse(m[0]) as Json;
  };
  const doc = value(0);
  skip();
  if (i < text.length) fail(i, `invalid JSON: unexpected ${found(i)} after the document`);
  return {
    value: doc,
    positions,
    offsetOf: (node) => offsets.get(node),
    elementOffset: (array, index) => elements.get(array)?.[index],
  };
}

/** Whether `v` is a JSON object (not an array, not null). */
export function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A JSON scalar as a context string; objects and arrays are left out. */
export function scalarString(v: Json | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}
