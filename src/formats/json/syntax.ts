/**
 * JSON parsing in JS for what `JSON.parse` cannot do: integer literals beyond
 * 2^53 kept exact (as `bigint`), and syntax errors with positions and
 * messages that do not depend on the V8 version (whose messages differ and do
 * not always carry a position). Only the slow path uses it: `JSON.parse`
 * stays the parser for events without long integers.
 */

class Fail {
  constructor(
    readonly index: number,
    readonly message: string,
  ) {}
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** One parse of one text; the position is a field so that the recursive descent shares it. */
class ExactParser {
  i = 0;
  constructor(private readonly text: string) {}

  parse(): unknown {
    const v = this.value();
    this.ws();
    if (this.i < this.text.length) this.fail(`unexpected text after the JSON value: '${this.text[this.i]}'`);
    return v;
  }

  private ws(): void {
    const t = this.text;
    while (this.i < t.length) {
      const c = t.charCodeAt(this.i);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.i++;
      else break;
    }
  }

  private fail(message: string): never {
    throw new Fail(this.i, this.i >= this.text.length ? 'unexpected end of input' : message);
  }

  private value(): unknown {
    this.ws();
    const t = this.text;
    if (this.i >= t.length) this.fail('');
    const c = t[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    for (const [lit, v] of LITERALS) {
      if (t.startsWith(lit, this.i)) {
        this.i += lit.length;
        return v;
      }
    }
    return this.number();
  }

  private object(): Record<string, unknown> {
    const t = this.text;
    const out: Record<string, unknown> = {};
    this.i++;
    this.ws();
    if (t[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (t[this.i] !== '"') this.fail(`expected a double-quoted property name, got '${t[this.i]}'`);
      const k = this.string();
      this.ws();
      if (t[this.i] !== ':') this.fail(`expected ':' after property name, got '${t[this.i]}'`);
      this.i++;
      const v = this.value();
      // As JSON.parse does: an own property, also for `__proto__`.
      if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true });
      else out[k] = v;
      if (!this.more('}', 'property value')) return out;
    }
  }

  private array(): unknown[] {
    const t = this.text;
    const out: unknown[] = [];
    this.i++;
    this.ws();
    if (t[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      if (!this.more(']', 'array element')) return out;
    }
  }

  /** After a member of an object or array: true at ',' (another follows), false at `close`; either is consumed. */
  private more(close: '}' | ']', after: string): boolean {
    this.ws();
    const c = this.text[this.i];
    if (c !== ',' && c !== close) this.fail(`expected ',' or '${close}' after ${after}, got '${c}'`);
    this.i++;
    return c === ',';
  }

  private string(): string {
    const t = this.text;
    const start = this.i;
    let escaped = false;
    this.i++;
    for (;;) {
      if (this.i >= t.length) this.fail('unterminated string');
      const c = t.charCodeAt(this.i);
      if (c === 34) {
        this.i++;
        // Escapes are checked above; decoding them is JSON.parse's job.
        return escaped ? JSON.parse(t.slice(start, this.i)) : t.slice(start + 1, this.i - 1);
      }
      if (c < 32) this.fail('bad control character in string');
      if (c === 92) {
        escaped = true;
        const e = t[this.i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(t.slice(this.i + 2, this.i + 6))) {
            this.i++;
            this.fail('bad \\u escape in string');
          }
          this.i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) {
          this.i++;
          this.fail('bad escape in string');
        }
        this.i += 2;
        continue;
      }
      this.i++;
    }
  }

  /** A number: a double, except integer literals beyond ±(2^53 - 1), which are exact bigints. */
  private number(): number | bigint {
    const m = NUMBER.exec(this.text.slice(this.i, this.i + 400));
    if (!m) this.fail(`unexpected character '${this.text[this.i]}'`);
    const lit = m![0];
    this.i += lit.length;
    if (m![2] !== undefined || m![3] !== undefined || lit.length < 16) return Number(lit);
    const v = BigInt(lit);
    return v > MAX_SAFE || v < -MAX_SAFE ? v : Number(v);
  }
}

const LITERALS: readonly [string, unknown][] = [
  ['true', true],
  ['false', false],
  ['null', null],
];
const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/;

/**
 * `JSON.parse`, except that integer literals (no fraction, no exponent)
 * beyond ±(2^53 - 1) become exact `bigint`s; literals with a fraction or an
 * exponent are doubles. Throws a `SyntaxError` on invalid text.
 */
export function parseJsonExact(text: string): unknown {
  try {
    return new ExactParser(text).parse();
  } catch (e) {
    if (e instanceof Fail) throw new SyntaxError(`${e.message} at ${e.index}`);
    // Nesting deeper than our recursion goes (JSON.parse's goes further): valid JSON still
    // parses, with its integers beyond 2^53 rounded.
    if (e instanceof RangeError) return JSON.parse(text);
    throw e;
  }
}

/**
 * Whether the bytes hold a run of 16 or more digits: the only way to spell an
 * integer that `JSON.parse` may round (2^53 has 16 digits). Digit runs inside
 * strings count too; they only cost the slower exact parse.
 */
export function hasLongDigitRun(b: Uint8Array, start: number, end: number): boolean {
  let run = 0;
  for (let p = start; p < end; p++) {
    const d = b[p] - 48;
    if (d >= 0 && d <= 9) {
      if (++run >= 16) return true;
    } else run = 0;
  }
  return false;
}

/**
 * Finds the first syntax error in JSON text (the slow path after JSON.parse
 * failed). Returns the UTF-16 index of the error and a message, or undefined
 * when the text is valid.
 */
export function jsonSyntaxError(text: string): { index: number; message: string } | undefined {
  try {
    new ExactParser(text).parse();
    return undefined;
  } catch (e) {
    if (e instanceof Fail) return { index: e.index, message: e.message };
    if (e instanceof RangeError) return { index: 0, message: 'nesting too deep' };
    throw e;
  }
}
