/**
 * Sigma values and value modifiers (Sigma specification, appendix
 * "Modifiers"): what a `field|mod|mod: value` means before it meets a field.
 * Strings keep their wildcards as tokens so that escapes (`\*`, `\?`, `\\`)
 * and the transformations (`base64`, `windash`, ...) never confuse a literal
 * `*` with a wildcard.
 */

/** A Sigma string: literal text and the wildcards `*` (any run) and `?` (one character). */
export type SigmaString = readonly (string | '*any' | '?one')[];

/** One value after the modifiers, ready to meet a field. */
export type SigmaValue =
  | { readonly kind: 'string'; readonly parts: SigmaString; readonly cased: boolean }
  | { readonly kind: 'regex'; readonly source: string; readonly flags: string }
  | { readonly kind: 'cidr'; readonly text: string }
  | { readonly kind: 'number'; readonly text: string; readonly op: '==' | '<' | '<=' | '>' | '>=' }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'null' }
  | { readonly kind: 'exists'; readonly value: boolean }
  | { readonly kind: 'fieldref'; readonly field: string };

/** Every modifier Sigma defines, and whether vast supports it. */
const KNOWN = new Set([
  'contains',
  'startswith',
  'endswith',
  'all',
  'base64',
  'base64offset',
  'utf16le',
  'utf16be',
  'utf16',
  'wide',
  'windash',
  're',
  'i',
  'm',
  's',
  'cidr',
  'exists',
  'lt',
  'lte',
  'gt',
  'gte',
  'fieldref',
  'cased',
  'expand',
]);

/** A modifier problem; `index` is the modifier's position in the key (0 = first after the field). */
export class ModifierError extends Error {
  constructor(
    message: string,
    readonly modifier?: string,
  ) {
    super(message);
  }
}

const MSG = {
  unknown: (m: string) => `unknown Sigma modifier '${m}'`,
  unsupported: (m: string, why: string) => `the Sigma modifier '${m}' is not supported: ${why}`,
  needsString: (m: string) => `the modifier '${m}' applies to strings`,
  wildcardEncode: (m: string) => `the modifier '${m}' cannot encode a value with wildcards (* or ?)`,
  reSub: (m: string) => `the modifier '${m}' is a sub-modifier of 're'`,
  multiline: "the 're' sub-modifier 'm' (multi-line) is not supported: vast patterns have no multi-line mode",
  number: (m: string) => `the modifier '${m}' needs a number`,
  bool: (m: string) => `the modifier '${m}' needs true or false`,
  alone: (m: string) => `the modifier '${m}' cannot be combined with other value modifiers`,
  utf16Bare: (m: string) => `the modifier '${m}' must be followed by 'base64' or 'base64offset'`,
};

/** Parses Sigma's string syntax: `*`, `?` are wildcards; `\*`, `\?`, `\\` escape; other backslashes are literal. */
export function sigmaString(raw: string): SigmaString {
  const out: (string | '*any' | '?one')[] = [];
  let lit = '';
  const flush = () => {
    if (lit) out.push(lit);
    lit = '';
  };
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\' && (raw[i + 1] === '*' || raw[i + 1] === '?' || raw[i + 1] === '\\')) {
      lit += raw[++i];
    } else if (c === '*' || c === '?') {
      flush();
      out.push(c === '*' ? '*any' : '?one');
    } else lit += c;
  }
  flush();
  return out;
}

const hasWildcards = (s: SigmaString) => s.some((p) => p === '*any' || p === '?one');
const plain = (s: SigmaString) => s.join('');

/** A value between modifiers: a Sigma string, or bytes from an encoding modifier. */
type Work = { parts: SigmaString } | { bytes: Uint8Array };

const encoder = new TextEncoder();

function bytesOf(w: Work, m: string): Uint8Array {
  if ('bytes' in w) return w.bytes;
  if (hasWildcards(w.parts)) throw new ModifierError(MSG.wildcardEncode(m), m);
  return encoder.encode(plain(w.parts));
}

function utf16(text: string, littleEndian: boolean, bom: boolean): Uint8Array {
  const out = new Uint8Array(text.length * 2 + (bom ? 2 : 0));
  let o = 0;
  if (bom) {
    out[o++] = 0xff;
    out[o++] = 0xfe;
  }
  for (let i = 0; i < text.length; i++) {
    const u = text.charCodeAt(i);
    out[o++] = littleEndian ? u & 0xff : u >> 8;
    out[o++] = littleEndian ? u >> 8 : u & 0xff;
  }
  return out;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/**
 * The three encodings of `bytes` at each offset modulo 3 inside a longer
 * base64 text, with the characters that depend on the neighbours cut off
 * (as pySigma's `base64offset`).
 */
function base64Offsets(bytes: Uint8Array): string[] {
  const starts = [0, 2, 3];
  const ends = [undefined, -3, -2];
  return [0, 1, 2].map((i) => {
    const padded = new Uint8Array(i + bytes.length);
    padded.fill(0x20, 0, i);
    padded.set(bytes, i);
    return b64(padded).slice(starts[i], ends[(bytes.length + i) % 3]);
  });
}

/** The dashes `windash` permutes: `-`, `/`, en dash, em dash, horizontal bar (pySigma's set). */
const DASHES = ['-', '/', '\u2013', '\u2014', '\u2015'];
/** At most this many variants from one value: 5 dashes in a value give 3125. */
const MAX_WINDASH = 3125;

/** Every variant of `parts` with each dash that starts a word (pySigma: `\B[-/]\b`) replaced by each dash. */
function windash(parts: SigmaString): SigmaString[] {
  // Cut the literal text at the dashes to permute; wildcards stay as they are.
  const pieces: (string | '*any' | '?one' | { dash: true })[] = [];
  const flat = parts.flatMap((p) => (p === '*any' || p === '?one' ? [p] : [...p]));
  flat.forEach((c, i) => {
    const word = (x: unknown) => typeof x === 'string' && x.length === 1 && /\w/.test(x);
    const prevWord = i > 0 && word(flat[i - 1]);
    if ((c === '-' || c === '/') && !prevWord && word(flat[i + 1])) pieces.push({ dash: true });
    else pieces.push(c);
  });
  let variants: (string | '*any' | '?one')[][] = [[]];
  for (const p of pieces) {
    if (typeof p === 'object') variants = variants.flatMap((v) => DASHES.map((d) => [...v, d]));
    else for (const v of variants) v.push(p);
    if (variants.length > MAX_WINDASH)
      throw new ModifierError(MSG.unsupported('windash', `more than ${MAX_WINDASH} variants`), 'windash');
  }
  return variants.map(joinLiterals);
}

function joinLiterals(items: readonly (string | '*any' | '?one')[]): SigmaString {
  const out: (string | '*any' | '?one')[] = [];
  for (const x of items) {
    if (x === '*any' || x === '?one') out.push(x);
    else if (out.length > 0 && out[out.length - 1] !== '*any' && out[out.length - 1] !== '?one')
      out[out.length - 1] += x;
    else out.push(x);
  }
  return out;
}

/** A YAML scalar as Sigma sees it. */
export type RawValue = string | number | boolean | null;

/** What a key's modifiers say: how its values combine, and each value's meaning. */
export interface ModifiedValues {
  /** `all`: every value must match (else any). */
  readonly all: boolean;
  readonly values: SigmaValue[];
}

/**
 * Applies `modifiers` (in the order written) to `raw` values. Throws
 * `ModifierError` naming the modifier that cannot apply.
 */
export function applyModifiers(modifiers: readonly string[], raw: readonly RawValue[]): ModifiedValues {
  for (const m of modifiers) if (!KNOWN.has(m)) throw new ModifierError(MSG.unknown(m), m);
  if (modifiers.includes('expand'))
    throw new ModifierError(
      MSG.unsupported('expand', 'placeholders need a pipeline that fills them'),
      'expand',
    );
  const all = modifiers.includes('all');
  const mods = modifiers.filter((m) => m !== 'all');
  const cased = mods.includes('cased');
  const first = mods[0];

  if (mods.includes('re')) {
    const flags = new Set<string>();
    for (const m of mods) {
      if (m === 're') continue;
      if (m === 'm') throw new ModifierError(MSG.multiline, 'm');
      if (m !== 'i' && m !== 's') throw new ModifierError(MSG.alone('re'), m);
      flags.add(m);
    }
    return {
      all,
      values: raw.map((v) => {
        if (typeof v !== 'string') throw new ModifierError(MSG.needsString('re'), 're');
        return { kind: 'regex', source: v, flags: [...flags].join('') };
      }),
    };
  }
  for (const m of ['i', 'm', 's']) if (mods.includes(m)) throw new ModifierError(MSG.reSub(m), m);

  const single = (m: string) => {
    if (mods.length > 1) throw new ModifierError(MSG.alone(m), m);
  };
  if (first === 'exists') {
    single('exists');
    return {
      all,
      values: raw.map((v) => {
        if (typeof v !== 'boolean') throw new ModifierError(MSG.bool('exists'), 'exists');
        return { kind: 'exists', value: v };
      }),
    };
  }
  if (first === 'cidr') {
    single('cidr');
    return {
      all,
      values: raw.map((v) => {
        if (typeof v !== 'string') throw new ModifierError(MSG.needsString('cidr'), 'cidr');
        return { kind: 'cidr', text: v };
      }),
    };
  }
  if (first === 'fieldref') {
    single('fieldref');
    return {
      all,
      values: raw.map((v) => {
        if (typeof v !== 'string') throw new ModifierError(MSG.needsString('fieldref'), 'fieldref');
        return { kind: 'fieldref', field: v };
      }),
    };
  }
  const cmp = { lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;
  if (first !== undefined && first in cmp) {
    single(first);
    const op = cmp[first as keyof typeof cmp];
    return {
      all,
      values: raw.map((v) => {
        const text = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '';
        if (!/^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text))
          throw new ModifierError(MSG.number(first), first);
        return { kind: 'number', text, op };
      }),
    };
  }

  const values: SigmaValue[] = [];
  for (const v of raw) {
    if (v === null) {
      if (mods.length > 0) throw new ModifierError(MSG.needsString(mods[0]), mods[0]);
      values.push({ kind: 'null' });
      continue;
    }
    if (typeof v === 'boolean' && mods.length === 0) {
      values.push({ kind: 'bool', value: v });
      continue;
    }
    if (typeof v === 'number' && mods.length === 0) {
      values.push({ kind: 'number', text: String(v), op: '==' });
      continue;
    }
    let work: Work[] = [{ parts: sigmaString(String(v)) }];
    for (const m of mods) work = work.flatMap((w) => transform(m, w));
    for (const w of work) {
      if ('bytes' in w) {
        if (
          mods.some((m) => m.startsWith('utf16') || m === 'wide') &&
          !mods.some((m) => m.startsWith('base64'))
        )
          throw new ModifierError(
            MSG.utf16Bare(mods.find((m) => m.startsWith('utf16') || m === 'wide')!),
            'utf16',
          );
        values.push({ kind: 'string', parts: [Buffer.from(w.bytes).toString('latin1')], cased });
      } else values.push({ kind: 'string', parts: w.parts, cased });
    }
  }
  return { all, values };
}

/** One string modifier applied to one value (windash and base64offset make several). */
function transform(m: string, w: Work): Work[] {
  const parts = (): SigmaString => {
    if ('parts' in w) return w.parts;
    return [Buffer.from(w.bytes).toString('latin1')];
  };
  switch (m) {
    case 'contains': {
      const p = parts();
      return [
        {
          parts: [
            ...(p[0] === '*any' ? [] : ['*any' as const]),
            ...p,
            ...(p[p.length - 1] === '*any' ? [] : ['*any' as const]),
          ],
        },
      ];
    }
    case 'startswith': {
      const p = parts();
      return [{ parts: p[p.length - 1] === '*any' ? p : [...p, '*any'] }];
    }
    case 'endswith': {
      const p = parts();
      return [{ parts: p[0] === '*any' ? p : ['*any', ...p] }];
    }
    case 'cased':
      return [w];
    case 'windash':
      return windash(parts()).map((p) => ({ parts: p }));
    case 'base64':
      return [{ parts: [b64(bytesOf(w, m))] }];
    case 'base64offset':
      return base64Offsets(bytesOf(w, m)).map((s) => ({ parts: [s] }));
    case 'utf16le':
    case 'wide':
      return [{ bytes: utf16(new TextDecoder().decode(bytesOf(w, m)), true, false) }];
    case 'utf16be':
      return [{ bytes: utf16(new TextDecoder().decode(bytesOf(w, m)), false, false) }];
    case 'utf16':
      return [{ bytes: utf16(new TextDecoder().decode(bytesOf(w, m)), true, true) }];
    default:
      throw new ModifierError(MSG.alone(m), m);
  }
}
