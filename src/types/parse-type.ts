import {
  aliasNames,
  BASIC_KINDS,
  type BasicKind,
  basic,
  type RecordField,
  record,
  unflatten,
  type VastType,
} from './type.js';

/**
 * Parses VAST type syntax: `ip`, `list<string>`, `map<string, int64>`,
 * `record{a: ip, b: list<port>}`, with `count` as an alias of `uint64` and
 * `int` of `int64` as in VAST. `aliases` resolves user-defined type names.
 */
export function parseType(text: string, aliases: ReadonlyMap<string, VastType> = new Map()): VastType {
  const p = new TypeParser(text, aliases);
  const t = p.type();
  p.end();
  return t;
}

const SYNONYMS: Record<string, BasicKind> = {
  count: 'uint64',
  int: 'int64',
  real: 'double',
  addr: 'ip',
  interval: 'duration',
};

class TypeParser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly aliases: ReadonlyMap<string, VastType>,
  ) {}
  private ws(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }
  private ident(): string {
    this.ws();
    const m = /^[A-Za-z_][\w.]*/.exec(this.text.slice(this.pos));
    if (!m) this.fail('expected a type name');
    this.pos += m![0].length;
    return m![0];
  }
  private expect(c: string): void {
    this.ws();
    if (this.text[this.pos] !== c) this.fail(`expected '${c}'`);
    this.pos++;
  }
  private peek(c: string): boolean {
    this.ws();
    return this.text[this.pos] === c;
  }
  fail(msg: string): never {
    throw new Error(`invalid type '${this.text}': ${msg} at column ${this.pos + 1}`);
  }
  end(): void {
    this.ws();
    if (this.pos !== this.text.length) this.fail('unexpected trailing text');
  }
  type(): VastType {
    const name = this.ident();
    if (name === 'list') {
      this.expect('<');
      const element = this.type();
      this.expect('>');
      return { kind: 'list', element };
    }
    if (name === 'map') {
      this.expect('<');
      const key = this.type();
      this.expect(',');
      const value = this.type();
      this.expect('>');
      return { kind: 'map', key, value };
    }
    if (name === 'record') {
      this.expect('{');
      const fields: RecordField[] = [];
      while (!this.peek('}')) {
        const fname = this.ident();
        this.expect(':');
        fields.push({ name: fname, type: this.type() });
        if (!this.peek('}')) this.expect(',');
      }
      this.expect('}');
      return unflatten(fields);
    }
    if (name === 'enum') return { kind: 'enum' };
    const kind = SYNONYMS[name] ?? name;
    if ((BASIC_KINDS as readonly string[]).includes(kind)) return basic(kind as BasicKind);
    const alias = this.aliases.get(name);
    // The type keeps the chain of names it aliases, so `:timestamp` finds fields of an alias of `timestamp`.
    if (alias) return named(alias, name);
    return this.fail(`unknown type '${name}'`);
  }
}

/**
 * Builds a record from a YAML/JSON field map. Keys may be dotted (`id.orig_h`)
 * or nested maps; values are type strings.
 */
export function recordFromFieldMap(
  fields: Record<string, unknown>,
  aliases: ReadonlyMap<string, VastType>,
): VastType {
  const flat: RecordField[] = [];
  const walk = (obj: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(obj)) {
      const name = prefix ? `${prefix}.${k}` : k;
      if (typeof v === 'string') flat.push({ name, type: parseType(v, aliases) });
      else if (v && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>, name);
      else throw new Error(`field '${name}': expected a type string or a nested map`);
    }
  };
  walk(fields, '');
  return flat.length === 0 ? record([]) : unflatten(flat);
}

/** `t` under the name `name`, remembering the names `t` already had (none: no `aliasOf`, so unnamed and recovered types compare equal). */
function named(t: VastType, name: string): VastType {
  const { aliasOf: _, ...rest } = t;
  const inner = aliasNames(t);
  return inner.length > 0 ? { ...rest, alias: name, aliasOf: inner } : { ...rest, alias: name };
}
