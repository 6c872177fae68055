/**
 * Scanning pipeline text: splitting at top-level separators while skipping
 * quoted strings, bracketed groups and regex literals. `parse.ts` splits a
 * pipeline at `|` with it, and operators split their arguments at `,` or
 * blanks, so that `"a|b"`, `/a|b/` and `round(ts, 1h)` stay whole.
 *
 * Every piece carries its offset in the whole pipeline text, so errors point
 * at the right column however deep in an operator's arguments they occur.
 */
import { OperatorError, type ParseContext } from './operator.js';

/** A slice of the pipeline text: `text` starts at `offset` in the whole text. */
export interface Piece {
  readonly text: string;
  readonly offset: number;
}

const OPEN = '([{';
const CLOSE = ')]}';
/** After these characters a `/` starts a regex (`x == /a|b/`); after others it is a subnet (`10.0.0.0/8`). */
const BEFORE_REGEX = '=!([{,|&~<>';
const WORDS_BEFORE_REGEX = new Set(['in', 'ni', 'not', 'and', 'or', 'where', 'matches']);

function startsRegex(text: string, from: number, at: number): boolean {
  let i = at - 1;
  while (i >= from && /\s/.test(text[i])) i--;
  if (i < from) return true;
  if (BEFORE_REGEX.includes(text[i])) return true;
  let j = i;
  while (j >= from && /[A-Za-z]/.test(text[j])) j--;
  return j < i && WORDS_BEFORE_REGEX.has(text.slice(j + 1, i + 1));
}

/**
 * Splits `text[start, end)` at top-level characters for which `isSep` holds.
 * Returns the raw pieces between separators (untrimmed, possibly empty).
 * Throws `OperatorError` for an unterminated string or unbalanced brackets.
 */
export function splitTopLevel(
  text: string,
  start: number,
  end: number,
  isSep: (c: string) => boolean,
): Piece[] {
  const pieces: Piece[] = [];
  const stack: number[] = [];
  let from = start;
  let i = start;
  while (i < end) {
    const c = text[i];
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < end && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      if (j >= end) throw new OperatorError('unterminated string', text, i, 1);
      i = j + 1;
      continue;
    }
    if (c === '/' && startsRegex(text, start, i)) {
      let j = i + 1;
      while (j < end && text[j] !== '/' && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      // An unterminated "regex" was a plain slash after all; scan on.
      if (j < end && text[j] === '/') {
        i = j + 1;
        continue;
      }
    }
    if (c === '|' && text[i + 1] === '|') {
      // `||` is the expression language's "or", never two pipes.
      i += 2;
      continue;
    }
    if (OPEN.includes(c)) stack.push(i);
    else if (CLOSE.includes(c)) {
      const open = stack.pop();
      if (open === undefined || OPEN.indexOf(text[open]) !== CLOSE.indexOf(c))
        throw new OperatorError(`unexpected '${c}'`, text, i, 1);
    } else if (stack.length === 0 && isSep(c)) {
      pieces.push({ text: text.slice(from, i), offset: from });
      from = i + 1;
    }
    i++;
  }
  if (stack.length > 0) {
    const open = stack[stack.length - 1];
    throw new OperatorError(`unclosed '${text[open]}'`, text, open, 1);
  }
  pieces.push({ text: text.slice(from, end), offset: from });
  return pieces;
}

/** The piece without surrounding blanks, its offset moved accordingly. */
export function trim(p: Piece): Piece {
  const lead = p.text.length - p.text.trimStart().length;
  return { text: p.text.trim(), offset: p.offset + lead };
}

/** The argument text of an operator as one piece in the whole pipeline text. */
export function argsPiece(args: string, ctx: ParseContext): Piece {
  return { text: args, offset: ctx.offset };
}

/** Pieces of `p` between top-level commas, trimmed; an empty one is an error (`a,,b`). */
export function commaList(p: Piece, ctx: ParseContext, what: string): Piece[] {
  const parts = splitTopLevel(ctx.text, p.offset, p.offset + p.text.length, (c) => c === ',').map(trim);
  for (const part of parts)
    if (part.text === '') throw new OperatorError(`expected ${what}`, ctx.text, part.offset, 1);
  return parts;
}

/** Top-level words of `p` (split at blanks), without empty ones. */
export function words(p: Piece, ctx: ParseContext): Piece[] {
  return splitTopLevel(ctx.text, p.offset, p.offset + p.text.length, (c) => /\s/.test(c))
    .map(trim)
    .filter((w) => w.text !== '');
}

/** A sub-piece of `p` from character `from` (relative) to `to`. */
export function sub(p: Piece, from: number, to = p.text.length): Piece {
  return { text: p.text.slice(from, to), offset: p.offset + from };
}

const FIELD_RE = /^[A-Za-z_][\w.-]*$/;

/** Checks that `p` is a field name (`id.orig_h`), as select/drop/sort/... take them. */
export function fieldName(p: Piece, ctx: ParseContext): string {
  if (!FIELD_RE.test(p.text) || p.text.endsWith('.') || p.text.includes('..'))
    throw new OperatorError(`expected a field name, got '${p.text}'`, ctx.text, p.offset, p.text.length || 1);
  return p.text;
}

/** `name=rest`: splits at the first top-level `=` that is not part of `==`; undefined if there is none. */
export function assignment(p: Piece): { name: Piece; value: Piece } | undefined {
  const m = /^([^=\s()"'[\]]+)\s*=(?!=)/.exec(p.text);
  if (!m) return undefined;
  return { name: sub(p, 0, m[1].length), value: trim(sub(p, m[0].length)) };
}

/** A non-negative integer argument (`head 5`). */
export function count(p: Piece, ctx: ParseContext): number {
  if (!/^\d+$/.test(p.text) || !Number.isSafeInteger(Number(p.text)))
    throw new OperatorError(
      `expected a non-negative integer, got '${p.text}'`,
      ctx.text,
      p.offset,
      p.text.length || 1,
    );
  return Number(p.text);
}

/** Fails if any words are left over. */
export function noMore(rest: readonly Piece[], ctx: ParseContext): void {
  if (rest.length > 0)
    throw new OperatorError(
      `unexpected argument '${rest[0].text}'`,
      ctx.text,
      rest[0].offset,
      rest[0].text.length,
    );
}

/** The closest of `names` to `name`, for "did you mean" notes. */
export { suggest } from '../diagnostics/suggest.js';
