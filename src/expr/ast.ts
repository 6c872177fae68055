/**
 * The AST of VAST's expression language, as produced by `parser.ts`, printed
 * by `print.ts`, resolved against schemas by `resolve.ts` and compiled to
 * batch kernels by the compiler.
 *
 * Conventions:
 * - Every `Expr` and `Operand` node carries a `span`: 0-based UTF-16 offsets
 *   `[start, end)` into the parsed text (errors map them to line:column).
 *   `Literal`s are plain values without spans; their operand has the span.
 * - A lone `true` is the match-all expression `{kind: 'true'}` (so that
 *   `vast export json true` means every event); a lone `false` parses as
 *   `{kind: 'not', expr: {kind: 'true'}}`, which prints back as `false`.
 *   `x == true` is an ordinary predicate with a bool literal.
 * - Plain digits are `uint64` (VAST's `count`), a sign makes `int64`:
 *   `5` is uint64, `+5` and `-5` are int64.
 * - Relative times (`now - 1h`, `3h ago`, `in 2 days`) are evaluated once at
 *   parse time against the parser's clock; the literal keeps the original text
 *   (whitespace collapsed) in `text` so printing reproduces it.
 *
 * SAFETY: patterns come from users and run on untrusted data. The parser
 * guarantees that `source` compiles as `new RegExp(source, 'u')` and that it
 * uses no backreference and no lookaround (RE2 semantics), but it does not
 * bound the cost of matching: JavaScript's backtracking engine is exponential
 * on patterns such as `(a+)+$`. The compiler must evaluate patterns with a
 * linear-time engine, or bound their cost, never hand them to `RegExp` as is.
 */

/** 0-based offsets `[start, end)` into the expression text. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export type RelOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | '!in' | 'ni' | '!ni';

/** Names of meta extractors after normalisation (`#type` is `schema`). */
export type MetaName = 'schema' | 'import_time' | 'field';

/** Transport protocols a port literal may name (`443/tcp`); `80/?` has none. */
export const PORT_PROTOCOLS = ['tcp', 'udp', 'icmp', 'icmp6', 'sctp'] as const;

/** A constant value. Integers and times are bigint, never rounded. */
export type Literal =
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'int64'; readonly value: bigint }
  | { readonly type: 'uint64'; readonly value: bigint }
  | { readonly type: 'double'; readonly value: number }
  /** Nanoseconds. */
  | { readonly type: 'duration'; readonly ns: bigint }
  /** Nanoseconds since the Unix epoch, UTC; `text` is set for relative forms (`now - 1h`). */
  | { readonly type: 'time'; readonly ns: bigint; readonly text?: string }
  /** 16 bytes, network order, IPv4 v4-mapped (see `types/ip.ts`). */
  | { readonly type: 'ip'; readonly bytes: Uint8Array }
  /** Masked 16-byte network and a prefix length on the 128-bit scale (`10.0.0.0/8` has 104). */
  | { readonly type: 'subnet'; readonly bytes: Uint8Array; readonly length: number }
  /** `proto` is undefined for the unknown protocol `?`. */
  | { readonly type: 'port'; readonly port: number; readonly proto?: string }
  | { readonly type: 'string'; readonly value: string }
  /**
   * `source` is the text between the slashes, verbatim (`\/` stays escaped).
   * VAST semantics: `x == /re/` matches the whole string, `x in /re/` searches
   * for a match anywhere. See the SAFETY note above.
   */
  | { readonly type: 'pattern'; readonly source: string; readonly caseInsensitive: boolean }
  | { readonly type: 'list'; readonly items: readonly Literal[] }
  /**
   * A record (tuple) literal `<192.168.1.1, _, 10.0.0.1, _, _>`: compared with
   * a record field position by position over its leaves; `undefined` is the
   * wildcard `_`, which matches anything.
   */
  | { readonly type: 'record'; readonly items: readonly (Literal | undefined)[] }
  /** `null`, or VAST 2's `nil`: `x == nil` matches nulls, `x != nil` non-nulls. */
  | { readonly type: 'null' };

export type Operand =
  /** A dotted field name as written; suffix matching happens in `resolve.ts`. */
  | { readonly kind: 'field'; readonly name: string; readonly span: Span }
  /**
   * A type extractor `:ip`. Built-in synonyms are normalised (`count` is
   * `uint64`, `int` is `int64`, `addr` is `ip`, ...); other names (`list`,
   * `record`, `enum`, user aliases such as `community_id`) are kept as written.
   * Parameterised containers carry their canonical type text: `:list<count>`
   * has the name `list<uint64>`, `:map<string,ip>` the name `map<string, ip>`.
   */
  | { readonly kind: 'type'; readonly name: string; readonly span: Span }
  | { readonly kind: 'meta'; readonly name: MetaName; readonly span: Span }
  | { readonly kind: 'literal'; readonly value: Literal; readonly span: Span };

export type Expr =
  | { readonly kind: 'and' | 'or'; readonly left: Expr; readonly right: Expr; readonly span: Span }
  | { readonly kind: 'not'; readonly expr: Expr; readonly span: Span }
  | {
      readonly kind: 'predicate';
      readonly lhs: Operand;
      readonly op: RelOp;
      readonly rhs: Operand;
      readonly span: Span;
    }
  /** A lone value: matches events where any field of the value's type matches it. */
  | { readonly kind: 'value_predicate'; readonly value: Literal; readonly span: Span }
  /** Matches every event. */
  | { readonly kind: 'true'; readonly span: Span };

/** The operator that gives the same predicate with its operands swapped (`<` ↔ `>`, `in` ↔ `ni`). */
export function flipOp(op: RelOp): RelOp {
  switch (op) {
    case '<':
      return '>';
    case '<=':
      return '>=';
    case '>':
      return '<';
    case '>=':
      return '<=';
    case 'in':
      return 'ni';
    case '!in':
      return '!ni';
    case 'ni':
      return 'in';
    case '!ni':
      return '!in';
    default:
      return op;
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Value equality of literals. Times compare by instant only (a relative
 * `now - 1h` equals the absolute time it evaluated to); doubles by `Object.is`.
 */
function literalEquals(a: Literal, b: Literal): boolean {
  switch (a.type) {
    case 'bool':
    case 'int64':
    case 'uint64':
    case 'string':
      return b.type === a.type && b.value === a.value;
    case 'double':
      return b.type === 'double' && Object.is(a.value, b.value);
    case 'duration':
    case 'time':
      return b.type === a.type && b.ns === a.ns;
    case 'ip':
      return b.type === 'ip' && bytesEqual(a.bytes, b.bytes);
    case 'subnet':
      return b.type === 'subnet' && a.length === b.length && bytesEqual(a.bytes, b.bytes);
    case 'port':
      return b.type === 'port' && a.port === b.port && a.proto === b.proto;
    case 'pattern':
      return b.type === 'pattern' && a.source === b.source && a.caseInsensitive === b.caseInsensitive;
    case 'list':
      return (
        b.type === 'list' &&
        a.items.length === b.items.length &&
        a.items.every((x, i) => literalEquals(x, b.items[i]))
      );
    case 'record':
      return (
        b.type === 'record' &&
        a.items.length === b.items.length &&
        a.items.every((x, i) => {
          const y = b.items[i];
          return x === undefined || y === undefined ? x === y : literalEquals(x, y);
        })
      );
    case 'null':
      return b.type === 'null';
  }
}

function operandEquals(a: Operand, b: Operand): boolean {
  if (a.kind === 'literal') return b.kind === 'literal' && literalEquals(a.value, b.value);
  return a.kind === b.kind && a.name === (b as typeof a).name;
}

/** Structural equality of expressions, ignoring spans. */
export function exprEquals(a: Expr, b: Expr): boolean {
  switch (a.kind) {
    case 'and':
    case 'or':
      return b.kind === a.kind && exprEquals(a.left, b.left) && exprEquals(a.right, b.right);
    case 'not':
      return b.kind === 'not' && exprEquals(a.expr, b.expr);
    case 'predicate':
      return (
        b.kind === 'predicate' && a.op === b.op && operandEquals(a.lhs, b.lhs) && operandEquals(a.rhs, b.rhs)
      );
    case 'value_predicate':
      return b.kind === 'value_predicate' && literalEquals(a.value, b.value);
    case 'true':
      return b.kind === 'true';
  }
}
