/**
 * Options of formats and sources, declared once: each option is a zod schema
 * of its typed value plus how it is spelled on a command line. From one
 * declaration come the `vast import` flags, the HTTP import parameters, the
 * arguments of `vast spawn source` and the help texts, so an option cannot
 * exist in one of them and be missing in another.
 */
import { type Command, Option } from 'commander';
import { z } from 'zod';
import { UsageError } from '../diagnostics.js';

/**
 * `string`, `integer` and `path` options take a value; `boolean` ones are
 * flags. A `path` is a file the component reads: the CLI makes it absolute
 * before a node sees it, and a node checks it against the operator's
 * `source-paths` before the component starts.
 */
type OptionKind = 'string' | 'integer' | 'path' | 'boolean';

export interface OptionDef {
  readonly kind: OptionKind;
  readonly description: string;
  /** One-letter alias without the dash: `r` for `-r`. */
  readonly short?: string;
  readonly default?: string | number | boolean;
  readonly required?: boolean;
  /** Bounds of an `integer` option: they keep a tenant's values from busy loops and huge buffers. */
  readonly min?: number;
  readonly max?: number;
  /** The typed value's schema (bounds included); what every spelling is validated against. */
  readonly schema: z.ZodType;
}

/** Options by their long name without dashes (`max-flows`), in help order. */
export type OptionDefs = Readonly<Record<string, OptionDef>>;

/** Option values by long name; absent options that have a default carry it. */
export type OptionValues = Readonly<Record<string, string | number | boolean | undefined>>;

type Common = { short?: string; required?: boolean };

/** Constructors of option declarations: `option.integer('flows per batch', { min: 1, default: 65536 })`. */
export const option = {
  string: (description: string, o: Common & { default?: string } = {}): OptionDef => ({
    kind: 'string',
    description,
    ...o,
    schema: z.string(),
  }),
  path: (description: string, o: Common = {}): OptionDef => ({
    kind: 'path',
    description,
    ...o,
    schema: z.string().min(1),
  }),
  integer: (
    description: string,
    o: Common & { default?: number; min?: number; max?: number } = {},
  ): OptionDef => ({
    kind: 'integer',
    description,
    ...o,
    schema: z
      .number()
      .int()
      .min(o.min ?? Number.MIN_SAFE_INTEGER)
      .max(o.max ?? Number.MAX_SAFE_INTEGER),
  }),
  boolean: (description: string, o: { short?: string; default?: boolean } = {}): OptionDef => ({
    kind: 'boolean',
    description,
    ...o,
    schema: z.boolean(),
  }),
};

/** The flag as users type it: `-r, --read FILE`. */
function optionSpelling(name: string, def: OptionDef): string {
  const value =
    def.kind === 'boolean' ? '' : def.kind === 'path' ? ' FILE' : def.kind === 'integer' ? ' N' : ' VALUE';
  return `${def.short ? `-${def.short}, ` : ''}--${name}${value}`;
}

/** "from 50 to 60000", "of at least 1", or nothing. */
function rangeText(def: OptionDef): string {
  if (def.min !== undefined && def.max !== undefined) return ` from ${def.min} to ${def.max}`;
  if (def.min !== undefined) return ` of at least ${def.min}`;
  if (def.max !== undefined) return ` of at most ${def.max}`;
  return '';
}

/**
 * The typed value of an option written as text (a flag's argument, a query
 * parameter) or as a JSON value; a `UsageError` naming the flag, its owner
 * (`source 'file'`) and what it expects otherwise.
 */
function optionValue(owner: string, flag: string, def: OptionDef, raw: unknown): string | number | boolean {
  let v = raw;
  if (def.kind === 'integer' && typeof raw === 'string') v = raw.trim() === '' ? Number.NaN : Number(raw);
  if (def.kind === 'boolean' && typeof raw === 'string')
    v = raw === '' || raw === 'true' ? true : raw === 'false' ? false : raw;
  const r = def.schema.safeParse(v);
  if (r.success) return r.data as string | number | boolean;
  const expects =
    def.kind === 'integer'
      ? `an integer${rangeText(def)} (${def.description})`
      : def.kind === 'boolean'
        ? 'true or false'
        : `a ${def.kind === 'path' ? 'file name' : 'text value'}`;
  throw new UsageError(`option '${flag}' of ${owner} expects ${expects}, got '${String(raw)}'`);
}

/** The declared defaults. */
function optionDefaults(defs: OptionDefs): Record<string, string | number | boolean | undefined> {
  const out: Record<string, string | number | boolean | undefined> = {};
  for (const [name, d] of Object.entries(defs)) if (d.default !== undefined) out[name] = d.default;
  return out;
}

/** Throws for a required option without a value. */
function checkRequired(owner: string, defs: OptionDefs, values: OptionValues): void {
  for (const [name, d] of Object.entries(defs))
    if (d.required && values[name] === undefined) throw new UsageError(`${owner} needs --${name}`);
}

/**
 * Parses command-line style arguments (`-i lo --cutoff=100 'expr'`) against
 * declared options, as `vast spawn source` and `vast start --commands` pass
 * them; the arguments that are not options come back in `rest`.
 */
export function parseOptionArgs(
  owner: string,
  defs: OptionDefs,
  args: readonly string[],
): { values: Record<string, string | number | boolean | undefined>; rest: string[] } {
  const values = optionDefaults(defs);
  const rest: string[] = [];
  const entries = Object.entries(defs);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const long = /^--([\w-]+)(?:=(.*))?$/s.exec(a);
    const short = /^-(\w)$/.exec(a);
    if (!long && !short) {
      rest.push(a);
      continue;
    }
    const found = long
      ? entries.find(([n]) => n === long[1])
      : entries.find(([, d]) => d.short === short?.[1]);
    if (!found) {
      const known = entries.map(([n, d]) => `--${n}${d.short ? `/-${d.short}` : ''}`).join(', ');
      throw new UsageError(`unknown option '${a}' for ${owner} (options: ${known})`);
    }
    const [name, def] = found;
    if (def.kind === 'boolean') {
      values[name] = optionValue(owner, a, def, long?.[2] ?? true);
      continue;
    }
    const value = long?.[2] ?? args[++i];
    if (value === undefined) throw new UsageError(`option '${a}' of ${owner} needs a value`);
    values[name] = optionValue(owner, a, def, value);
  }
  checkRequired(owner, defs, values);
  return { values, rest };
}

/** Help lines for declared options, aligned: `  -r, --read FILE   the file to read`. */
export function optionHelp(defs: OptionDefs): string {
  const rows = Object.entries(defs).map(([n, d]) => {
    const extra = d.required ? ' (required)' : d.default !== undefined ? ` (default: ${d.default})` : '';
    return [optionSpelling(n, d), `${d.description}${extra}`];
  });
  const width = Math.max(0, ...rows.map(([s]) => s.length));
  return rows.map(([s, t]) => `  ${s.padEnd(width)}  ${t}`).join('\n');
}

/** Commander's property name of a long option (`max-flows` → `maxFlows`). */
const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Adds declared options as commander flags (`vast import`), each validated
 * as it is parsed. `owner(name)` names who declared the option for its help
 * text and errors. Options without a default stay undefined, so a reader
 * applies its own default.
 */
export function addOptionFlags(cmd: Command, defs: OptionDefs, owner: string, prefix = ''): Command {
  for (const [name, def] of Object.entries(defs)) {
    const flag = `${def.short ? `-${def.short}, ` : ''}--${name}${def.kind === 'boolean' ? '' : ' <value>'}`;
    const o = new Option(flag, `${prefix}${def.description}`);
    if (def.kind !== 'boolean') o.argParser((v: string) => optionValue(owner, `--${name}`, def, v));
    cmd.addOption(o);
  }
  return cmd;
}

/** The values of declared options from commander's parsed flags, by long name. */
export function optionFlagValues(defs: OptionDefs, flags: Readonly<Record<string, unknown>>): OptionValues {
  const out: Record<string, string | number | boolean | undefined> = {};
  for (const name of Object.keys(defs)) {
    const v = flags[camel(name)];
    if (v !== undefined) out[name] = v as string | number | boolean;
  }
  return out;
}

/** Query-string parameters for declared options (always text on the wire; validated by `optionValue`). */
export function optionQuerySchema(defs: OptionDefs): Record<string, z.ZodType> {
  const out: Record<string, z.ZodType> = {};
  for (const [name, d] of Object.entries(defs))
    out[name] = z
      .string()
      .optional()
      .meta({ description: `${d.description} (${d.kind})` });
  return out;
}

/** Values of declared options from named values (query parameters, a JSON object), validated; absent ones are left out. */
export function namedOptionValues(
  owner: string,
  defs: OptionDefs,
  named: Readonly<Record<string, unknown>>,
): OptionValues {
  const out: Record<string, string | number | boolean> = {};
  for (const [name, def] of Object.entries(defs))
    if (named[name] !== undefined) out[name] = optionValue(owner, name, def, named[name]);
  return out;
}
