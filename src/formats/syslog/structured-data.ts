/** RFC 5424 STRUCTURED-DATA: `[id k="v" ...]` into a map of maps, escapes undone. */
import { BACKSLASH, EQUALS, isPrint, LBRACKET, QUOTE, RBRACKET, SP } from './bytes.js';

const utf8 = new TextDecoder('utf-8');

/** SD-NAME: 1..32 printable characters other than `=`, space, `]` and `"`. */
function sdName(b: Uint8Array, p: number, e: number): number {
  let q = p;
  while (q < e && isPrint(b[q]) && b[q] !== EQUALS && b[q] !== RBRACKET && b[q] !== QUOTE) q++;
  return q === p || q - p > 32 ? -1 : q;
}

/**
 * Parses `[id k="v" ...][id2 ...]` from `b[p]` (a `[`) into `out`; returns the
 * index after the last `]`, or -1. A repeated SD-ID merges into the first and
 * a repeated PARAM-NAME keeps its last value (both are rare, the first
 * forbidden by the RFC).
 */
export function structuredData(
  b: Uint8Array,
  p: number,
  e: number,
  out: Record<string, Record<string, string>>,
): number {
  let q = p;
  while (q < e && b[q] === LBRACKET) {
    const idEnd = sdName(b, q + 1, e);
    if (idEnd < 0) return -1;
    const id = utf8.decode(b.subarray(q + 1, idEnd));
    const params = out[id] ?? (Object.create(null) as Record<string, string>);
    out[id] = params;
    q = idEnd;
    for (;;) {
      if (q >= e) return -1;
      if (b[q] === RBRACKET) {
        q++;
        break;
      }
      if (b[q] !== SP) return -1;
      const nameEnd = sdName(b, q + 1, e);
      if (nameEnd < 0 || b[nameEnd] !== EQUALS || b[nameEnd + 1] !== QUOTE) return -1;
      const name = utf8.decode(b.subarray(q + 1, nameEnd));
      // PARAM-VALUE up to the closing quote; `\"`, `\\` and `\]` are escapes.
      const vs = nameEnd + 2;
      let v = vs;
      let escaped = false;
      while (v < e && b[v] !== QUOTE) {
        if (b[v] === BACKSLASH && v + 1 < e) {
          escaped = true;
          v++;
        }
        v++;
      }
      if (v >= e) return -1;
      params[name] = escaped ? unescapeParam(b, vs, v) : utf8.decode(b.subarray(vs, v));
      q = v + 1;
    }
  }
  return q;
}

function unescapeParam(b: Uint8Array, s: number, e: number): string {
  const out = new Uint8Array(e - s);
  let n = 0;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (c === BACKSLASH && i + 1 < e) {
      const d = b[i + 1];
      if (d === QUOTE || d === BACKSLASH || d === RBRACKET) {
        out[n++] = d;
        i++;
        continue;
      }
    }
    out[n++] = c;
  }
  return utf8.decode(out.subarray(0, n));
}
