/**
 * The part of the STIX 2.1 patterning language that intel matching can
 * evaluate: equality comparisons joined by OR, within one observation
 * (`[a = 'x' OR b = 'y']`) or across observations (`[a = 'x'] OR [b = 'y']`).
 * Everything else (AND, FOLLOWEDBY, NOT, other operators, qualifiers) parses
 * but is rejected by name, so a feed never loses an indicator silently.
 * Spec: https://docs.oasis-open.org/cti/stix/v2.1/os/stix-v2.1-os.html#_e8slinrhxcc9
 */

/** One `object-type:property.path = 'value'` comparison. */
export interface StixComparison {
  /** The object type, e.g. `ipv4-addr`, `file`. */
  objectType: string;
  /** The property path components, e.g. `['hashes', 'SHA-256']`. */
  path: string[];
  value: string;
}

/** A pattern we can read but not evaluate, or one that is not valid STIX patterning. */
export class StixPatternError extends Error {}

type TokenKind = 'ident' | 'string' | 'number' | 'literal' | 'punct' | 'op';
interface Token {
  kind: TokenKind;
  text: string;
  /** Decoded value of a string literal. */
  value?: string;
  at: number;
}

const KEYWORD_OPS = new Set(['MATCHES', 'LIKE', 'IN', 'ISSUBSET', 'ISSUPERSET', 'EXISTS', 'NOT']);
const QUALIFIERS = new Set(['WITHIN', 'START', 'STOP', 'REPEATS']);

function tokenize(p: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < p.length) {
    const c = p[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const at = i;
    // Typed literals: t'2020-01-01T00:00:00Z', h'ab12', b'aGk='.
    if ((c === 't' || c === 'h' || c === 'b') && p[i + 1] === "'") {
      const end = p.indexOf("'", i + 2);
      if (end < 0) throw new StixPatternError(`unterminated ${c}'...' literal at offset ${at}`);
      out.push({ kind: 'literal', text: p.slice(i, end + 1), at });
      i = end + 1;
      continue;
    }
    if (c === "'") {
      let v = '';
      i++;
      // Copy runs between escapes in one slice: indicator values can be long.
      for (;;) {
        const q = p.indexOf("'", i);
        const b = p.indexOf('\\', i);
        if (q < 0) throw new StixPatternError(`unterminated string at offset ${at}`);
        if (b < 0 || q < b) {
          v += p.slice(i, q);
          i = q + 1;
          break;
        }
        const e = p[b + 1];
        if (e !== "'" && e !== '\\')
          throw new StixPatternError(`invalid escape '\\${e ?? ''}' at offset ${b}`);
        v += p.slice(i, b) + e;
        i = b + 2;
      }
      out.push({ kind: 'string', text: p.slice(at, i), value: v, at });
      continue;
    }
    const two = p.slice(i, i + 2);
    if (two === '!=' || two === '<>' || two === '<=' || two === '>=') {
      out.push({ kind: 'op', text: two, at });
      i += 2;
      continue;
    }
    if (c === '=' || c === '<' || c === '>') {
      out.push({ kind: 'op', text: c, at });
      i++;
      continue;
    }
    if ('[]():.,*'.includes(c)) {
      out.push({ kind: 'punct', text: c, at });
      i++;
      continue;
    }
    const num = /^-?\d+(?:\.\d+)?/.exec(p.slice(i, i + 40));
    if (num) {
      out.push({ kind: 'number', text: num[0], at });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(p.slice(i, i + 256));
    if (id) {
      out.push({ kind: 'ident', text: id[0], at });
      i += id[0].length;
      continue;
    }
    throw new StixPatternError(`unexpected character '${c}' at offset ${at}`);
  }
  return out;
}

/**
 * Parses a pattern into the comparisons it is the disjunction of. Throws
 * StixPatternError naming the construct we cannot evaluate, or the syntax error.
 */
export function parseStixPattern(pattern: string): StixComparison[] {
  const toks = tokenize(pattern);
  let k = 0;
  const peek = (): Token | undefined => toks[k];
  const isWord = (t: Token | undefined, w: string) => t?.kind === 'ident' && t.text === w;
  const describe = (t: Token | undefined) => (t ? `'${t.text}' at offset ${t.at}` : 'end of pattern');
  const expectPunct = (ch: string) => {
    const t = peek();
    if (t?.kind !== 'punct' || t.text !== ch)
      throw new StixPatternError(`expected '${ch}', found ${describe(t)}`);
    k++;
  };
  const unsupported = (what: string): never => {
    throw new StixPatternError(
      `${what} cannot be evaluated (only '=' comparisons joined by OR are supported)`,
    );
  };

  // observation-expression-or := observation ( OR observation )*; AND and FOLLOWEDBY are rejected.
  const observations = (): StixComparison[] => {
    const out = observation();
    for (;;) {
      const t = peek();
      if (isWord(t, 'OR')) {
        k++;
        out.push(...observation());
      } else if (isWord(t, 'AND') || isWord(t, 'FOLLOWEDBY')) unsupported(`observation operator ${t?.text}`);
      else if (t?.kind === 'ident' && QUALIFIERS.has(t.text)) unsupported(`qualifier ${t.text}`);
      else return out;
    }
  };
  const observation = (): StixComparison[] => {
    const t = peek();
    let out: StixComparison[];
    if (t?.kind === 'punct' && t.text === '(') {
      k++;
      out = observations();
      expectPunct(')');
    } else {
      expectPunct('[');
      out = comparisons();
      expectPunct(']');
    }
    const q = peek();
    if (q?.kind === 'ident' && QUALIFIERS.has(q.text)) unsupported(`qualifier ${q.text}`);
    return out;
  };
  // comparison-expression := comparison ( OR comparison )*, with parentheses; AND is rejected.
  const comparisons = (): StixComparison[] => {
    const out = comparison();
    for (;;) {
      const t = peek();
      if (isWord(t, 'OR')) {
        k++;
        out.push(...comparison());
      } else if (isWord(t, 'AND')) unsupported('comparison operator AND');
      else return out;
    }
  };
  const comparison = (): StixComparison[] => {
    const t = peek();
    if (t?.kind === 'punct' && t.text === '(') {
      k++;
      const out = comparisons();
      expectPunct(')');
      return out;
    }
    const { objectType, path } = objectPath();
    const op = peek();
    if (op?.kind === 'ident' && KEYWORD_OPS.has(op.text)) unsupported(`operator ${op.text}`);
    if (op?.kind !== 'op')
      throw new StixPatternError(`expected a comparison operator, found ${describe(op)}`);
    if (op.text !== '=') unsupported(`operator '${op.text}'`);
    k++;
    const v = peek();
    if (v?.kind !== 'string' || v.value === undefined)
      throw new StixPatternError(`expected a string after '=', found ${describe(v)}`);
    k++;
    return [{ objectType, path, value: v.value }];
  };
  const objectPath = (): { objectType: string; path: string[] } => {
    const t = peek();
    if (t?.kind !== 'ident') throw new StixPatternError(`expected an object path, found ${describe(t)}`);
    k++;
    expectPunct(':');
    const path: string[] = [];
    for (;;) {
      const c = peek();
      if (c?.kind === 'ident' || c?.kind === 'string') {
        path.push(c.kind === 'string' ? (c.value ?? '') : c.text);
        k++;
      } else throw new StixPatternError(`expected a property name, found ${describe(c)}`);
      const n = peek();
      if (
        n?.kind === 'punct' &&
        n.text === '[' &&
        (toks[k + 1]?.kind === 'number' || toks[k + 1]?.text === '*')
      ) {
        path.push(`[${toks[k + 1].text}]`);
        k += 2;
        expectPunct(']');
      }
      const d = peek();
      if (d?.kind === 'punct' && d.text === '.') {
        k++;
        continue;
      }
      return { objectType: t.text, path };
    }
  };

  const out = observations();
  if (k < toks.length) throw new StixPatternError(`unexpected ${describe(peek())}`);
  return out;
}
