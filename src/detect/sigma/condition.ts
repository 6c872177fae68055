/**
 * The grammar of a Sigma `condition` (Sigma specification, "Condition"):
 *
 *   or   := and ('or' and)*
 *   and  := not ('and' not)*
 *   not  := 'not' not | atom
 *   atom := '(' or ')' | ('1' | 'all') 'of' (PATTERN | 'them') | IDENTIFIER
 *
 * Keywords are case-insensitive; a PATTERN is an identifier with `*`
 * wildcards. The deprecated aggregations (`| count() by x > 5`, `| near`)
 * are errors that name them: correlation rules replace them.
 */

export type Condition =
  | { readonly kind: 'and' | 'or'; readonly left: Condition; readonly right: Condition }
  | { readonly kind: 'not'; readonly expr: Condition }
  /** A search identifier; `at` is its offset in the condition text. */
  | { readonly kind: 'ref'; readonly name: string; readonly at: number }
  /** `1 of sel*`, `all of them`: `pattern` is undefined for `them`. */
  | { readonly kind: 'of'; readonly all: boolean; readonly pattern?: string; readonly at: number };

/** A condition syntax error at an offset of the condition text. */
export class ConditionError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

interface Token {
  readonly text: string;
  readonly at: number;
}

const MSG = {
  aggregation: (what: string) =>
    `the aggregation '| ${what}' of Sigma 1 is not supported: write a correlation rule (Sigma 2) instead`,
  unexpected: (t: string) => `unexpected '${t}' in condition`,
  end: 'unexpected end of condition',
  rparen: "expected ')' in condition",
  quantifier: (q: string) => `'${q} of' is not supported: Sigma knows '1 of' and 'all of'`,
  of: "expected 'of' after the quantifier",
  target: "expected a search identifier pattern or 'them' after 'of'",
};

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:([()])|([A-Za-z0-9_*.-]+)|(\|)|(\S))/y;
  re.lastIndex = 0;
  while (re.lastIndex < text.length) {
    const m = re.exec(text);
    if (m === null) break;
    const tok = m[1] ?? m[2] ?? m[3] ?? m[4];
    if (tok === undefined) break;
    const at = m.index + m[0].length - tok.length;
    if (m[3] !== undefined) {
      const rest = text.slice(at + 1).trim();
      throw new ConditionError(MSG.aggregation(rest.split(/\s+/)[0] || 'count()'), at);
    }
    if (m[4] !== undefined) throw new ConditionError(MSG.unexpected(tok), at);
    out.push({ text: tok, at });
  }
  return out;
}

/** Parses a condition; throws `ConditionError` with the offset of the problem. */
export function parseCondition(text: string): Condition {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const word = (t: Token | undefined, w: string) => t !== undefined && t.text.toLowerCase() === w;
  const endAt = text.length;

  const or = (): Condition => {
    let left = and();
    while (word(peek(), 'or')) {
      i++;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };
  const and = (): Condition => {
    let left = not();
    while (word(peek(), 'and')) {
      i++;
      left = { kind: 'and', left, right: not() };
    }
    return left;
  };
  const not = (): Condition => {
    if (word(peek(), 'not')) {
      i++;
      return { kind: 'not', expr: not() };
    }
    return atom();
  };
  const atom = (): Condition => {
    const t = peek();
    if (!t) throw new ConditionError(MSG.end, endAt);
    if (t.text === '(') {
      i++;
      const inner = or();
      if (peek()?.text !== ')') throw new ConditionError(MSG.rparen, peek()?.at ?? endAt);
      i++;
      return inner;
    }
    if (t.text === ')' || ['and', 'or', 'of'].includes(t.text.toLowerCase()))
      throw new ConditionError(MSG.unexpected(t.text), t.at);
    if (word(tokens[i + 1], 'of')) {
      const q = t.text.toLowerCase();
      if (q !== '1' && q !== 'all') throw new ConditionError(MSG.quantifier(t.text), t.at);
      i += 2;
      const target = peek();
      if (!target || target.text === '(' || target.text === ')')
        throw new ConditionError(MSG.target, target?.at ?? endAt);
      i++;
      const them = target.text.toLowerCase() === 'them';
      return { kind: 'of', all: q === 'all', ...(them ? {} : { pattern: target.text }), at: t.at };
    }
    if (/^\d+$/.test(t.text) || t.text.toLowerCase() === 'all')
      throw new ConditionError(MSG.of, tokens[i + 1]?.at ?? endAt);
    i++;
    return { kind: 'ref', name: t.text, at: t.at };
  };

  const c = or();
  const rest = peek();
  if (rest) throw new ConditionError(MSG.unexpected(rest.text), rest.at);
  return c;
}
