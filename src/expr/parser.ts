/**
 * Recursive-descent parser of VAST's expression language:
 *
 * ```text
 * expr      := and (('||' | 'or') and)*
 * and       := unary (('&&' | 'and') unary)*
 * unary     := ('!' | 'not') unary | '(' expr ')' | predicate
 * predicate := operand relop operand | literal          (a lone literal is a value predicate)
 * relop     := '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | '!in' | 'not in' | 'ni' | '!ni' | 'not ni'
 *            | '~' | '!~'                               (VAST 2: `==` / `!=` with a pattern)
 * operand   := field | ':' type | '#' meta | literal
 * literal   := value | 'true' | 'false' | 'null' | 'nil' | '[' (literal (',' literal)*)? ']'
 *            | '<' (literal | '_') (',' (literal | '_'))* '>'   (a record; `_` is a wildcard)
 *            | 'now' (('+' | '-') duration)* | duration 'ago' | 'in' duration
 * ```
 *
 * Precedence is `!` > `&&` > `||`; both connectives associate to the left.
 * Reserved words (never field names): `true false null nil now ago in ni and or not`.
 * Field names are `[A-Za-z_][A-Za-z0-9_]*` segments joined by `.`.
 *
 * After a syntax error the parser skips to the next connective (or the `)`
 * of the enclosing group) and goes on, so one call reports every problem.
 */
import type { Diagnostic } from '../diagnostics.js';
import { type Expr, flipOp, type Literal, type Operand, type RelOp, type Span } from './ast.js';
import {
  EXPECTED_COMMA_OR_RANGLE,
  EXPECTED_COMMA_OR_RBRACKET,
  EXPECTED_DURATION_AFTER,
  EXPECTED_EXPRESSION,
  EXPECTED_EXPRESSION_AFTER,
  EXPECTED_LIST_ITEM,
  EXPECTED_OPERATOR,
  EXPECTED_RBRACKET,
  EXPECTED_RECORD_ITEM,
  EXPECTED_RPAREN,
  EXPECTED_VALUE_AFTER,
  ExpressionError,
  MATCH_NEEDS_PATTERN,
  MAX_PROBLEMS,
  NOTE_END_OF_INPUT,
  NOTE_MISSING_CONNECTIVE,
  NOTE_OPENED_AT,
  NOTE_QUOTE_STRING,
  NOTE_USE_EQ,
  PATTERN_OPERATOR,
  type Problem,
  settle,
  TOO_DEEP,
  TOO_MANY_CONNECTIVES,
  toDiagnostic,
  UNEXPECTED,
  UNKNOWN_OPERATOR,
  where,
} from './errors.js';
import { type Token, tokenize } from './lexer.js';

export interface ParseOptions {
  /** The clock for relative times (`now - 1h`), in nanoseconds since the epoch; defaults to the current time. */
  readonly now?: bigint;
}

/** Never both: an expression, or at least one error diagnostic (severity 'error', 1-based line:column). */
export type ParseResult = { ok: true; expr: Expr } | { ok: false; diagnostics: Diagnostic[] };

/**
 * Parses an expression. Never throws on bad input: problems come back as
 * diagnostics, sorted by position (render them with `renderDiagnostics`).
 *
 * @example
 * const text = 'id.orig_h in 10.0.0.0/8 && :time > now - 1h';
 * const r = parseExpression(text);
 * if (!r.ok) console.error(renderDiagnostics(r.diagnostics));
 */
export function parseExpression(text: string, opts: ParseOptions = {}): ParseResult {
  const lexed = tokenize(text);
  return parseTokens(text, lexed.tokens, lexed.problems, opts);
}

/**
 * Parses an expression from `tokens` of `text` (a slice of a whole query's
 * tokens, ending in an `eof` token); spans and diagnostics count in `text`.
 * `problems` are the lexer's problems within the slice.
 */
export function parseTokens(
  text: string,
  tokens: readonly Token[],
  problems: readonly Problem[],
  opts: ParseOptions = {},
): ParseResult {
  const now = opts.now ?? BigInt(Date.now()) * 1_000_000n;
  const parser = new Parser(text, tokens, now);
  const expr = parser.parse();
  const all = settle([...problems, ...parser.problems]);
  if (all.length > 0) return { ok: false, diagnostics: all.map((p) => toDiagnostic(text, p)) };
  return { ok: true, expr };
}

/**
 * One literal from `tokens` of `text` (ending in an `eof` token), for
 * operator arguments that take values (`extend f=VALUE`): the literal
 * syntax is the expression language's. No literal and no problem when the
 * tokens do not start with one; problems for a bad one or for tokens after it.
 */
export function parseLiteralTokens(
  text: string,
  tokens: readonly Token[],
  opts: ParseOptions = {},
): { literal?: Literal; problems: Problem[] } {
  const now = opts.now ?? BigInt(Date.now()) * 1_000_000n;
  const parser = new Parser(text, tokens, now);
  const lit = parser.literalOnly();
  return { literal: parser.problems.length === 0 ? lit : undefined, problems: parser.problems };
}

/** Like `parseExpression`, but throws an `ExpressionError` whose message is the rendered diagnostics. */
export function mustParseExpression(text: string, opts: ParseOptions = {}): Expr {
  const r = parseExpression(text, opts);
  if (!r.ok) throw new ExpressionError(text, r.diagnostics);
  return r.expr;
}

const PLACEHOLDER: Literal = { type: 'null' };
/**
 * Most nested groups and negations: the parser and every pass over the tree
 * recurse, and a query of 10 000 `(` overflowed the stack (a RangeError
 * instead of a diagnostic). Real queries nest a handful of levels.
 */
export const MAX_NESTING = 256;
/** Most `&&`/`||` in one expression: a chain is a tree as deep as it is long. */
export const MAX_CONNECTIVES = 1000;
const RESERVED = new Set(['true', 'false', 'null', 'nil', 'now', 'ago', 'in', 'ni', 'and', 'or', 'not']);
/** Reserved words that start a literal. */
const LITERAL_WORDS = ['true', 'false', 'null', 'nil', 'now'];

const isWord = (t: Token, w: string) => t.kind === 'word' && t.name === w;
const isAnd = (t: Token) => t.kind === 'and' || isWord(t, 'and');
const isOr = (t: Token) => t.kind === 'or' || isWord(t, 'or');
const isNot = (t: Token) => t.kind === 'bang' || isWord(t, 'not');
const isDuration = (t: Token) => t.kind === 'value' && t.literal?.type === 'duration';
const durationOf = (t: Token) => (t.literal as Extract<Literal, { type: 'duration' }>).ns;
const span = (start: number, end: number): Span => ({ start, end });
/** A `<` where an operand is due opens a record literal; its `>` closes it. */
const isRecordOpen = (t: Token) => t.kind === 'relop' && t.text === '<';
const isRecordClose = (t: Token) => t.kind === 'relop' && t.text === '>';

class Parser {
  private i = 0;
  /** Open parentheses around the current position (recovery must not skip their `)`). */
  private depth = 0;
  /** Groups and negations the parser is inside (bounded by MAX_NESTING). */
  private nesting = 0;
  private connectives = 0;
  readonly problems: Problem[] = [];

  constructor(
    private readonly text: string,
    private readonly tokens: readonly Token[],
    private readonly now: bigint,
  ) {}

  private peek(k = 0): Token {
    return this.tokens[Math.min(this.i + k, this.tokens.length - 1)];
  }

  private advance(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }

  private previous(): Token | undefined {
    return this.i > 0 ? this.tokens[this.i - 1] : undefined;
  }

  /** Records a problem at `t`, unless `t` is a bad token the lexer has already reported. */
  private error(t: Token, message: string, notes?: string[]): void {
    if (t.kind === 'error' || this.problems.length >= MAX_PROBLEMS) return;
    const all = t.kind === 'eof' ? [...(notes ?? []), NOTE_END_OF_INPUT] : notes;
    this.problems.push(all ? { offset: t.start, message, notes: all } : { offset: t.start, message });
  }

  /** Skips to the next connective, the `)` of an open group, or the end. */
  private recover(): void {
    let nested = 0;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') return;
      if (nested === 0 && (isAnd(t) || isOr(t))) return;
      if (t.kind === 'lparen') nested++;
      else if (t.kind === 'rparen') {
        if (nested === 0 && this.depth > 0) return;
        nested = Math.max(0, nested - 1);
      }
      this.advance();
    }
  }

  /** A literal that must be all of the input; undefined, with no problem, when none starts here. */
  literalOnly(): Literal | undefined {
    const lit = this.literal();
    if (lit && this.peek().kind !== 'eof') this.error(this.peek(), UNEXPECTED(this.peek().text));
    return lit?.value;
  }

  parse(): Expr {
    const expr = this.or();
    while (this.peek().kind !== 'eof') {
      // Left over after a complete expression: a stray `)` or a missing connective.
      const t = this.peek();
      this.error(t, UNEXPECTED(t.text), this.startsOperand(t) ? [NOTE_MISSING_CONNECTIVE] : undefined);
      this.advance();
      this.recover();
      if (this.peek().kind !== 'eof') {
        this.advance();
        this.or();
      }
    }
    return expr;
  }

  private or(): Expr {
    let left = this.and();
    while (isOr(this.peek())) {
      if (this.tooManyConnectives(this.peek())) return left;
      this.advance();
      const right = this.and();
      left = { kind: 'or', left, right, span: span(left.span.start, right.span.end) };
    }
    return left;
  }

  private and(): Expr {
    let left = this.unary();
    while (isAnd(this.peek())) {
      if (this.tooManyConnectives(this.peek())) return left;
      this.advance();
      const right = this.unary();
      left = { kind: 'and', left, right, span: span(left.span.start, right.span.end) };
    }
    return left;
  }

  private unary(): Expr {
    this.nesting++;
    try {
      return this.unaryAt(this.peek());
    } finally {
      this.nesting--;
    }
  }

  /** Reports a limit and gives up on the rest of the input: going on would recurse as deep. */
  private tooBig(t: Token, message: string): Expr {
    this.error(t, message);
    this.i = this.tokens.length - 1;
    return { kind: 'true', span: span(t.start, t.end) };
  }

  /** Counts a connective at `t`; true when there are too many. */
  private tooManyConnectives(t: Token): boolean {
    if (++this.connectives <= MAX_CONNECTIVES) return false;
    this.tooBig(t, TOO_MANY_CONNECTIVES(MAX_CONNECTIVES));
    return true;
  }

  private unaryAt(t: Token): Expr {
    if (this.nesting > MAX_NESTING && (isNot(t) || t.kind === 'lparen' || t.kind === 'lbracket'))
      return this.tooBig(t, TOO_DEEP(MAX_NESTING));
    // `not in` only continues a predicate; at the start of one, `not` negates.
    if (isNot(t)) {
      this.advance();
      const expr = this.unary();
      return { kind: 'not', expr, span: span(t.start, expr.span.end) };
    }
    if (t.kind === 'lparen') {
      this.advance();
      this.depth++;
      const expr = this.or();
      if (this.peek().kind !== 'rparen') {
        this.error(this.peek(), EXPECTED_RPAREN, [NOTE_OPENED_AT('(', where(this.text, t.start))]);
        this.recover();
      }
      this.depth--;
      if (this.peek().kind === 'rparen') this.advance();
      return expr;
    }
    return this.predicate();
  }

  /** A placeholder after an error; the result is discarded. */
  private failed(start: number): Expr {
    this.recover();
    return { kind: 'true', span: span(start, this.previous()?.end ?? start) };
  }

  private predicate(): Expr {
    const first = this.peek();
    const lhs = this.operand();
    if (!lhs) {
      const prev = this.previous();
      if (prev && (isAnd(prev) || isOr(prev) || isNot(prev) || prev.kind === 'lparen'))
        this.error(first, EXPECTED_EXPRESSION_AFTER(prev.text));
      else this.error(first, first.kind === 'eof' ? EXPECTED_EXPRESSION : UNEXPECTED(first.text));
      return this.failed(first.start);
    }
    const opStart = this.peek();
    const op = this.relop();
    if (!op) {
      if (lhs.kind !== 'literal') {
        this.error(opStart, EXPECTED_OPERATOR(this.text.slice(lhs.span.start, lhs.span.end)));
        return this.failed(first.start);
      }
      const v = lhs.value;
      // A lone `true` matches everything; a lone `false` nothing.
      if (v.type === 'bool') {
        const t: Expr = { kind: 'true', span: lhs.span };
        return v.value ? t : { kind: 'not', expr: t, span: lhs.span };
      }
      return { kind: 'value_predicate', value: v, span: lhs.span };
    }
    const opText = this.text.slice(opStart.start, this.previous()!.end);
    const rhs = this.operand();
    if (!rhs) {
      this.error(this.peek(), EXPECTED_VALUE_AFTER(opText));
      return this.failed(first.start);
    }
    if (opStart.match && !(rhs.kind === 'literal' && rhs.value.type === 'pattern'))
      this.error(opStart, MATCH_NEEDS_PATTERN(opText));
    // VAST: `x == /re/` matches whole strings, `x in /re/` searches; nothing else makes sense.
    const rhsPattern = rhs.kind === 'literal' && rhs.value.type === 'pattern';
    const lhsPattern = lhs.kind === 'literal' && lhs.value.type === 'pattern';
    if (
      (rhsPattern && !['==', '!=', 'in', '!in'].includes(op)) ||
      (lhsPattern && !['==', '!=', 'ni', '!ni'].includes(op))
    )
      this.error(opStart, PATTERN_OPERATOR(opText));
    return { kind: 'predicate', lhs, op, rhs, span: span(lhs.span.start, rhs.span.end) };
  }

  /** Consumes a relational operator if one comes next. */
  private relop(): RelOp | undefined {
    const t = this.peek();
    if (t.kind === 'assign') {
      // Only a query's lexer makes `=` an assignment; in an expression it is a mistyped `==`.
      this.error(t, UNKNOWN_OPERATOR('='), [NOTE_USE_EQ]);
      this.advance();
      return '==';
    }
    if (t.kind === 'relop') {
      this.advance();
      return t.op;
    }
    if (isWord(t, 'in') || isWord(t, 'ni')) {
      this.advance();
      return t.name as RelOp;
    }
    const n = this.peek(1);
    if (isWord(t, 'not') && (isWord(n, 'in') || isWord(n, 'ni'))) {
      this.advance();
      this.advance();
      return `!${n.name}` as RelOp;
    }
    return undefined;
  }

  private startsOperand(t: Token): boolean {
    if (t.kind === 'word') return !RESERVED.has(t.name!) || LITERAL_WORDS.includes(t.name!);
    return (
      t.kind === 'type' ||
      t.kind === 'meta' ||
      t.kind === 'value' ||
      t.kind === 'lbracket' ||
      t.kind === 'error' ||
      isRecordOpen(t)
    );
  }

  /** An operand, or undefined (consuming nothing) when the next token cannot start one. */
  private operand(): Operand | undefined {
    const t = this.peek();
    if (t.kind === 'word' && !RESERVED.has(t.name!)) {
      this.advance();
      return { kind: 'field', name: t.name!, span: span(t.start, t.end) };
    }
    if (t.kind === 'type' || t.kind === 'meta') {
      this.advance();
      return { kind: t.kind, name: t.name!, span: span(t.start, t.end) } as Operand;
    }
    const lit = this.literal();
    return lit && { kind: 'literal', value: lit.value, span: lit.span };
  }

  /** A literal, or undefined (consuming nothing) when the next token cannot start one. */
  private literal(): { value: Literal; span: Span } | undefined {
    const t = this.peek();
    const done = (value: Literal, end = t.end) => ({ value, span: span(t.start, end) });
    switch (t.kind) {
      case 'error':
        this.advance();
        return done(PLACEHOLDER);
      // Lists and records nest (`[[1]]`, `<<1>, 2>`) and recurse like groups do.
      case 'lbracket':
        return this.nested(t, () => this.list());
      case 'relop':
        return isRecordOpen(t) ? this.nested(t, () => this.record()) : undefined;
      case 'value': {
        this.advance();
        if (isDuration(t) && isWord(this.peek(), 'ago')) {
          const ago = this.advance();
          return done(this.relative(t.start, ago.end, this.now - durationOf(t)), ago.end);
        }
        return done(t.literal!);
      }
      case 'word':
        switch (t.name) {
          case 'true':
          case 'false':
            this.advance();
            return done({ type: 'bool', value: t.name === 'true' });
          case 'null':
          case 'nil':
            this.advance();
            return done({ type: 'null' });
          case 'now':
            return this.nowArithmetic();
          case 'in': {
            const d = this.peek(1);
            if (!isDuration(d)) return undefined;
            this.advance();
            this.advance();
            return done(this.relative(t.start, d.end, this.now + durationOf(d)), d.end);
          }
        }
    }
    return undefined;
  }

  /** A nested literal at `t`, within the nesting limit. */
  private nested(t: Token, parse: () => { value: Literal; span: Span }): { value: Literal; span: Span } {
    if (this.nesting > MAX_NESTING) {
      this.tooBig(t, TOO_DEEP(MAX_NESTING));
      return { value: PLACEHOLDER, span: span(t.start, t.end) };
    }
    this.nesting++;
    try {
      return parse();
    } finally {
      this.nesting--;
    }
  }

  /** `now`, `now - 1h`, `now+1d-2h`: evaluated against the parser's clock. */
  private nowArithmetic(): { value: Literal; span: Span } {
    const start = this.advance().start;
    let ns = this.now;
    let end = this.previous()!.end;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'plus' || t.kind === 'minus') {
        this.advance();
        const d = this.peek();
        if (!isDuration(d)) {
          this.error(d, EXPECTED_DURATION_AFTER(t.text));
          // Take the wrong value along, so that it is not reported a second time.
          if (d.kind === 'value') end = this.advance().end;
          break;
        }
        this.advance();
        ns += t.kind === 'plus' ? durationOf(d) : -durationOf(d);
        end = d.end;
      } else if (isDuration(t) && (t.text[0] === '+' || t.text[0] === '-')) {
        // `now -1h` and `now-1h`: the lexer glued the sign to the duration.
        this.advance();
        ns += durationOf(t);
        end = t.end;
      } else break;
    }
    return { value: this.relative(start, end, ns), span: span(start, end) };
  }

  private relative(start: number, end: number, ns: bigint): Literal {
    return { type: 'time', ns, text: this.text.slice(start, end).replace(/\s+/g, ' ') };
  }

  private list(): { value: Literal; span: Span } {
    const open = this.advance();
    const items: Literal[] = [];
    const result = (end: number) => ({
      value: { type: 'list', items } as Literal,
      span: span(open.start, end),
    });
    if (this.peek().kind === 'rbracket') return result(this.advance().end);
    for (;;) {
      const t = this.peek();
      const item = this.literal();
      if (!item) {
        const prev = this.previous()!;
        if (t.kind === 'eof')
          this.error(t, EXPECTED_RBRACKET, [NOTE_OPENED_AT('[', where(this.text, open.start))]);
        else if (prev.kind === 'comma') this.error(t, EXPECTED_VALUE_AFTER(','));
        else this.error(t, EXPECTED_LIST_ITEM(t.text), t.kind === 'word' ? [NOTE_QUOTE_STRING] : undefined);
        return result(this.skipList());
      }
      items.push(item.value);
      const sep = this.peek();
      if (sep.kind === 'comma') {
        this.advance();
        continue;
      }
      if (sep.kind === 'rbracket') return result(this.advance().end);
      const note = [NOTE_OPENED_AT('[', where(this.text, open.start))];
      this.error(sep, sep.kind === 'eof' ? EXPECTED_RBRACKET : EXPECTED_COMMA_OR_RBRACKET, note);
      return result(this.skipList());
    }
  }

  /** `<a, _, b>`: a record literal; `_` is a wildcard (an undefined item). */
  private record(): { value: Literal; span: Span } {
    const open = this.advance();
    const items: (Literal | undefined)[] = [];
    const result = (end: number) => ({
      value: { type: 'record', items } as Literal,
      span: span(open.start, end),
    });
    const note = () => [NOTE_OPENED_AT('<', where(this.text, open.start))];
    for (;;) {
      const t = this.peek();
      if (isWord(t, '_')) {
        this.advance();
        items.push(undefined);
      } else {
        const item = this.literal();
        if (!item) {
          this.error(t, EXPECTED_RECORD_ITEM(t.text), t.kind === 'eof' ? note() : undefined);
          return result(this.skipList(isRecordClose));
        }
        items.push(item.value);
      }
      const sep = this.peek();
      if (sep.kind === 'comma') {
        this.advance();
        continue;
      }
      if (isRecordClose(sep)) return result(this.advance().end);
      this.error(sep, EXPECTED_COMMA_OR_RANGLE, note());
      return result(this.skipList(isRecordClose));
    }
  }

  /** Recovery inside a list: skips to its `]` (consumed) or to a token that cannot be in a list. */
  private skipList(isClose = (t: Token) => t.kind === 'rbracket'): number {
    for (;;) {
      const t = this.peek();
      if (isClose(t)) return this.advance().end;
      if (t.kind === 'eof' || t.kind === 'rparen' || isAnd(t) || isOr(t)) return this.previous()!.end;
      this.advance();
    }
  }
}

/**
 * A canonical form for the compiler and for comparing expressions:
 * extractors go left and literals right (`10.0.0.1 == x` becomes
 * `x == 10.0.0.1`, `"foo" in x` becomes `x ni "foo"`); between two operands
 * of the same class `ni` becomes `in` (`a ni b` becomes `b in a`); double
 * negation goes away. Spans are kept.
 */
export function normalize(expr: Expr): Expr {
  switch (expr.kind) {
    case 'and':
    case 'or':
      return { ...expr, left: normalize(expr.left), right: normalize(expr.right) };
    case 'not':
      return expr.expr.kind === 'not' ? normalize(expr.expr.expr) : { ...expr, expr: normalize(expr.expr) };
    case 'predicate': {
      const { lhs, rhs, op } = expr;
      const lhsLit = lhs.kind === 'literal';
      const rhsLit = rhs.kind === 'literal';
      const swap = (lhsLit && !rhsLit) || (lhsLit === rhsLit && (op === 'ni' || op === '!ni'));
      return swap ? { ...expr, lhs: rhs, op: flipOp(op), rhs: lhs } : expr;
    }
    default:
      return expr;
  }
}
