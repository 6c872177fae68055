/**
 * Reading an operator's arguments from the query's tokens. The whole query
 * is lexed once by the expression lexer (`parse.ts`), so strings, patterns,
 * values and brackets mean the same in operator arguments as in
 * expressions; operators only group tokens (at commas, `by`, `=`) and check
 * what each group is. Every token keeps its offset in the whole query, so
 * errors point at the right column however deep in the arguments they occur.
 */
import type { Token } from '../expr/lexer.js';
import { OperatorError, type ParseContext } from './operator.js';

export type Tokens = readonly Token[];

/** Throws an `OperatorError` underlining `at` (a token, a run of tokens, or an offset). */
export function fail(
  ctx: ParseContext,
  message: string,
  at: Token | Tokens | number,
  notes?: readonly string[],
): never {
  if (typeof at === 'number') throw new OperatorError(message, ctx.text, at, 1, notes);
  const [first, last] = 'kind' in at ? [at, at] : [at[0], at[at.length - 1]];
  if (!first) throw new OperatorError(message, ctx.text, ctx.end, 1, notes);
  throw new OperatorError(message, ctx.text, first.start, Math.max(1, last.end - first.start), notes);
}

/** The source text of a run of tokens, as written. */
export function sourceOf(tokens: Tokens, ctx: ParseContext): string {
  return tokens.length === 0 ? '' : ctx.text.slice(tokens[0].start, tokens[tokens.length - 1].end);
}

const OPENS = new Set(['lparen', 'lbracket']);
const CLOSES = new Set(['rparen', 'rbracket']);

/** Splits `tokens` at top-level separators (not inside `(...)` or `[...]`); pieces may be empty. */
function split(tokens: Tokens, isSep: (t: Token) => boolean): Token[][] {
  const pieces: Token[][] = [[]];
  let depth = 0;
  for (const t of tokens) {
    if (OPENS.has(t.kind)) depth++;
    else if (CLOSES.has(t.kind)) depth = Math.max(0, depth - 1);
    else if (depth === 0 && isSep(t)) {
      pieces.push([]);
      continue;
    }
    pieces[pieces.length - 1].push(t);
  }
  return pieces;
}

/** Pieces of `tokens` between top-level commas; an empty one is an error (`a,,b`). */
export function commaList(tokens: Tokens, ctx: ParseContext, what: string): Token[][] {
  const parts = split(tokens, (t) => t.kind === 'comma');
  const commas = tokens.filter((t) => t.kind === 'comma');
  parts.forEach((part, k) => {
    // An empty piece is reported at the comma that ends it, or where the arguments end.
    if (part.length === 0) fail(ctx, `expected ${what}`, commas[k] ?? ctx.end);
  });
  return parts;
}

/** Whether `t` is the bare word `w` (`by`, `desc`, `_`). */
export const isWord = (t: Token | undefined, w: string): boolean => t?.kind === 'word' && t.name === w;

/** Checks that `tokens` are one field name (`id.orig_h`), as select/drop/sort/... take them. */
export function fieldName(tokens: Token | Tokens, ctx: ParseContext): string {
  const all = 'kind' in tokens ? [tokens] : tokens;
  if (all.length !== 1 || all[0].kind !== 'word')
    fail(ctx, `expected a field name, got '${sourceOf(all, ctx)}'`, all.length > 0 ? all : ctx.end);
  return all[0].name!;
}

/** `name=rest` (`n=count()`, `src=id.orig_h`); undefined if the piece has no top-level `=`. */
export function assignment(tokens: Tokens): { name: Token[]; value: Token[] } | undefined {
  const at = tokens.findIndex((t) => t.kind === 'assign');
  if (at < 0) return undefined;
  return { name: tokens.slice(0, at), value: tokens.slice(at + 1) };
}

/** A non-negative integer argument (`head 5`). */
export function count(t: Token, ctx: ParseContext): number {
  const v = t.kind === 'value' && t.literal?.type === 'uint64' ? t.literal.value : undefined;
  if (v === undefined || v > BigInt(Number.MAX_SAFE_INTEGER))
    fail(ctx, `expected a non-negative integer, got '${t.text}'`, t);
  return Number(v);
}

/** A stage's tokens closed by an `eof` token, for the expression parser. */
export function withEof(tokens: Tokens, end: number): Token[] {
  return [...tokens, { kind: 'eof', start: end, end, text: '' }];
}

/** Fails if any tokens are left over. */
export function noMore(rest: Tokens, ctx: ParseContext): void {
  if (rest.length > 0) fail(ctx, `unexpected argument '${rest[0].text}'`, rest[0]);
}

/** The closest of `names` to `name`, for "did you mean" notes. */
export { suggest } from '../diagnostics/suggest.js';
