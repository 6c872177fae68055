/*
 * Patterns that are a literal in disguise (`/.*d.*` + `/` is "contains d",
 * `/GET.*` + `/` with `==` is "starts with GET") run as byte kernels on Utf8
 * columns, without decoding a JS string per row. Everything else decodes
 * each value and asks the linear-time matcher (pattern.ts).
 */
import { countSet, validBit } from './bitmap.js';
import { type Kernel, wanted } from './kernel.js';
import { markRowsContaining, stringAffix, stringContains, stringEquals } from './string.js';

/** What a literal pattern tests on the whole value. */
export interface LiteralForm {
  readonly kind: 'contains' | 'prefix' | 'suffix' | 'equals';
  readonly literal: string;
  /**
   * The pattern used `.*`, and `.` does not match line terminators: rows
   * with one are left to the matcher (they are rare in logs).
   */
  readonly dotted: boolean;
}

const META = new Set('^$.|?*+()[]{}');
/** Escapes that stand for the character itself. */
const ESCAPED_LITERAL = new Set('\\^$.|?*+()[]{}/-');

/**
 * The literal form of a case-sensitive pattern, or undefined. `anchored`:
 * the pattern must match the whole value (`==`), otherwise anywhere (`in`).
 * Recognised: `[.*]LIT[.*]` where LIT has no metacharacters (escaped
 * punctuation is literal).
 */
export function literalForm(source: string, anchored: boolean): LiteralForm | undefined {
  // `^LIT`, `LIT$`, `^LIT$` (what Sigma's startswith and endswith compile to): anchors stand for the kinds.
  const start = source.startsWith('^');
  const end = source.endsWith('$') && !escapedAt(source, source.length - 1);
  if (start || end) {
    const body = source.slice(start ? 1 : 0, end ? -1 : undefined);
    // A literal only: no `.*` around it (which the form below would take for "anywhere").
    if (body.startsWith('.*') || (body.endsWith('.*') && !escapedAt(body, body.length - 2))) return undefined;
    const inner = literalForm(body, false);
    if (!inner) return undefined;
    // Under `==` the value must also match as a whole: `^LIT` is then LIT itself.
    const kind = (start && end) || anchored ? 'equals' : start ? 'prefix' : 'suffix';
    return { kind, literal: inner.literal, dotted: false };
  }
  // Tokens: a string for a literal character, null for a metacharacter `.`, `*`, ... (kept as `meta`).
  const lits: (string | null)[] = [];
  const meta: string[] = [];
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const n = source[++i];
      if (n === undefined || !ESCAPED_LITERAL.has(n)) return undefined;
      lits.push(n);
      meta.push('');
    } else if (META.has(c)) {
      lits.push(null);
      meta.push(c);
    } else {
      lits.push(c);
      meta.push('');
    }
  }
  const dotStar = (k: number) => meta[k] === '.' && meta[k + 1] === '*';
  const lead = dotStar(0);
  const trail = lits.length >= 2 && dotStar(lits.length - 2);
  const middle = lits.slice(lead ? 2 : 0, trail ? lits.length - 2 : lits.length);
  if (middle.length === 0 || middle.some((t) => t === null)) return undefined;
  const literal = middle.join('');
  if (!anchored) return { kind: 'contains', literal, dotted: false };
  const kind = lead && trail ? 'contains' : lead ? 'suffix' : trail ? 'prefix' : 'equals';
  return { kind, literal, dotted: lead || trail };
}

/** Whether the character at `i` is escaped (an odd run of backslashes before it). */
function escapedAt(source: string, i: number): boolean {
  let k = 0;
  while (i - 1 - k >= 0 && source[i - 1 - k] === '\\') k++;
  return k % 2 === 1;
}

const encoder = new TextEncoder();
/** Bytes that start a line terminator in UTF-8: \n, \r, and the lead byte of U+2028/U+2029. */
const LINE_BREAKS = [Buffer.of(0x0a), Buffer.of(0x0d), Buffer.of(0xe2)];

/**
 * The kernel of a literal pattern on a Utf8 column; `test` is the pattern's
 * matcher, asked only about rows the byte test cannot decide.
 */
export function literalPattern(form: LiteralForm, test: (s: string) => boolean, negate: boolean): Kernel {
  const bytes = encoder.encode(form.literal);
  const base =
    form.kind === 'contains'
      ? stringContains(bytes, false)
      : form.kind === 'equals'
        ? stringEquals(bytes, false)
        : stringAffix(bytes, form.kind === 'suffix', false);
  return (col, rows, out) => {
    const hits = new Uint8Array(out.length);
    base(col, rows, hits);
    if (form.dotted) recheckLineBreaks(col, rows, hits, test);
    for (let r = 0; r < rows; r++) {
      const hit = (hits[r >> 3] & (1 << (r & 7))) !== 0;
      if (hit !== negate && validBit(col.nullBitmap, col.nullCount, col.offset + r))
        out[r >> 3] |= 1 << (r & 7);
    }
  };
}

/** ASCII upper case to lower case; every other byte as it is. */
const foldByte = (b: number) => (b >= 0x41 && b <= 0x5a ? b | 0x20 : b);

/** Whether bytes `[s, e)` are ASCII without a line terminator: the rows a folded byte test decides alone. */
function plainAscii(b: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (c >= 0x80 || c === 0x0a || c === 0x0d) return false;
  }
  return true;
}

/** Whether the ASCII-lowercase `lit` occurs at `at` in `b`, ignoring ASCII case. */
function foldedAt(b: Uint8Array, at: number, lit: Uint8Array): boolean {
  for (let k = 0; k < lit.length; k++) if (foldByte(b[at + k]) !== lit[k]) return false;
  return true;
}

/**
 * The kernel of a case-insensitive literal pattern (`/^s0$/i`, `/\.evil\.com$/i`:
 * what Sigma values compile to) on a Utf8 column, for an ASCII literal: rows
 * that are plain ASCII are decided by comparing bytes with ASCII case folded,
 * without decoding a string. Other rows (non-ASCII text, where Unicode case
 * folding may map `K` to `k`, and line terminators, which `.` does not match)
 * get the matcher's verdict. Undefined when the literal is not ASCII.
 */
export function caseInsensitiveLiteral(
  form: LiteralForm,
  test: (s: string) => boolean,
  negate: boolean,
): Kernel | undefined {
  const lit = encoder.encode(form.literal.toLowerCase());
  if (lit.some((c) => c >= 0x80) || lit.length !== form.literal.length) return undefined;
  const n = lit.length;
  /**
   * The verdict on bytes `[s, e)`, or undefined to ask the matcher. Exact,
   * because a character that folds to an ASCII letter (`K` U+212A, `ſ`) takes
   * 2 or 3 bytes: a row without bytes above 0x7f in the region the literal
   * could lie in matches only as bytes with ASCII case folded; and a row of
   * exactly n bytes holding such a character has fewer than n characters.
   */
  // `ascii`: the whole column is ASCII (known once per column): no row needs a scan for other bytes.
  const decide = (b: Uint8Array, s: number, e: number, ascii: boolean): boolean | undefined => {
    const len = e - s;
    if (len < n) return false;
    // `.*` does not cross line terminators: those rows (and any non-ASCII) are the matcher's.
    if (form.dotted && !plainAscii(b, s, e)) return undefined;
    switch (form.kind) {
      case 'equals':
        if (len === n) return foldedAt(b, s, lit);
        return !ascii && hasHigh(b, s, e) ? undefined : false;
      case 'prefix':
        if (foldedAt(b, s, lit)) return true;
        return !ascii && hasHigh(b, s, Math.min(e, s + 3 * n)) ? undefined : false;
      case 'suffix':
        if (foldedAt(b, e - n, lit)) return true;
        return !ascii && hasHigh(b, Math.max(s, e - 3 * n), e) ? undefined : false;
      case 'contains':
        for (let at = s; at + n <= e; at++) if (foldedAt(b, at, lit)) return true;
        return !ascii && hasHigh(b, s, e) ? undefined : false;
    }
  };
  return (col, rows, out, within) => {
    const o = col.valueOffsets as Int32Array;
    const b = col.values as Uint8Array;
    const ascii = asciiColumn(b, o, rows);
    let buf: Buffer | undefined;
    for (let r = 0; r < rows; r++) {
      if (!wanted(within, r) || !validBit(col.nullBitmap, col.nullCount, col.offset + r)) continue;
      const s = o[r];
      const e = o[r + 1];
      let hit = decide(b, s, e, ascii);
      if (hit === undefined) {
        buf ??= Buffer.from(b.buffer, b.byteOffset, b.byteLength);
        hit = test(buf.toString('utf8', s, e));
      }
      if (hit !== negate) out[r >> 3] |= 1 << (r & 7);
    }
  };
}

/**
 * Whether the values of a Utf8 column (its bytes from the first row's offset
 * to the end of row `rows`) are all ASCII, remembered per values buffer: the
 * rules of a batch that test one column ask once.
 */
const asciiColumns = new WeakMap<Uint8Array, { from: number; to: number; ascii: boolean }>();
function asciiColumn(b: Uint8Array, o: Int32Array, rows: number): boolean {
  const [from, to] = [o[0], o[rows]];
  const known = asciiColumns.get(b);
  if (known && known.from === from && known.to === to) return known.ascii;
  const ascii = !hasHigh(b, from, to);
  asciiColumns.set(b, { from, to, ascii });
  return ascii;
}

/** Whether bytes `[s, e)` hold one above 0x7f (UTF-8 beyond ASCII). */
function hasHigh(b: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i] >= 0x80) return true;
  return false;
}

/** Rows that may hold a line terminator get the matcher's verdict instead of the byte test's. */
function recheckLineBreaks(
  col: Parameters<Kernel>[0],
  rows: number,
  hits: Uint8Array,
  test: (s: string) => boolean,
): void {
  const marks = new Uint8Array(hits.length);
  for (const b of LINE_BREAKS) markRowsContaining(col, rows, b, marks, true);
  if (countSet(marks) === 0) return;
  const o = col.valueOffsets as Int32Array;
  const v = col.values as Uint8Array;
  const buf = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  for (let r = 0; r < rows; r++) {
    if (!(marks[r >> 3] & (1 << (r & 7)))) continue;
    if (test(buf.toString('utf8', o[r], o[r + 1]))) hits[r >> 3] |= 1 << (r & 7);
    else hits[r >> 3] &= ~(1 << (r & 7));
  }
}

/**
 * The longest run of characters every match of a case-sensitive pattern
 * contains, or undefined: a prefilter for patterns that are no literal form.
 * Conservative: no alternation anywhere; groups, classes, `.`, anchors and
 * class escapes end a run; a character under `?`, `*` or `{` leaves it.
 */
export function requiredLiteral(source: string): string | undefined {
  let best = '';
  let run = '';
  const end = () => {
    if (run.length > best.length) best = run;
    run = '';
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '|') return undefined;
    if (c === '\\') {
      const n = source[++i];
      if (n !== undefined && ESCAPED_LITERAL.has(n)) run += n;
      // `\x41`, `\u0041`, `\cJ`, `\p{L}`, `\k<n>` take characters after them: give up rather than parse them.
      else if (n === undefined || 'xucpPk'.includes(n)) return undefined;
      else end();
    } else if (c === '?' || c === '*' || c === '{') {
      run = run.slice(0, -1);
      end();
      // The counts of `{n,m}` are no characters to match.
      if (c === '{') while (i < source.length && source[i] !== '}') i++;
    } else if (c === '+') end();
    else if (c === '[') {
      end();
      i = skipClass(source, i);
    } else if (c === '(') {
      // A group may be optional or repeated: nothing in it counts.
      end();
      let depth = 1;
      for (i++; i < source.length && depth > 0; i++) {
        if (source[i] === '\\') i++;
        else if (source[i] === '[') i = skipClass(source, i);
        else if (source[i] === '(') depth++;
        else if (source[i] === ')') depth--;
      }
      i--;
    } else if (META.has(c)) end();
    else run += c;
  }
  end();
  return best.length > 0 ? best : undefined;
}

/** The index of the `]` that closes the class opening at `i` (`]` first in a class is literal). */
function skipClass(source: string, i: number): number {
  let j = i + 1;
  if (source[j] === '^') j++;
  if (source[j] === ']') j++;
  for (; j < source.length && source[j] !== ']'; j++) if (source[j] === '\\') j++;
  return j;
}

/** A pattern kernel that decodes and tests only the rows holding the pattern's required literal. */
export function prefilteredPattern(literal: string, test: (s: string) => boolean, negate: boolean): Kernel {
  const needle = Buffer.from(encoder.encode(literal));
  return (col, rows, out, within) => {
    const hits = new Uint8Array(out.length);
    markRowsContaining(col, rows, needle, hits);
    const o = col.valueOffsets as Int32Array;
    const v = col.values as Uint8Array;
    const buf = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    for (let r = 0; r < rows; r++) {
      if (!wanted(within, r) || !validBit(col.nullBitmap, col.nullCount, col.offset + r)) continue;
      const hit = (hits[r >> 3] & (1 << (r & 7))) !== 0 && test(buf.toString('utf8', o[r], o[r + 1]));
      if (hit !== negate) out[r >> 3] |= 1 << (r & 7);
    }
  };
}
