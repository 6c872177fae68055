/**
 * Intel sets as they persist beside a store: `intel/sets/NAME.json`, one file
 * per set, written atomically. Adding a set under an existing name replaces its
 * indicators (the feed is the set's new state): the indicators new in that
 * revision are what a retro hunt looks for, the ones gone stop matching.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../diagnostics.js';
import { ensureDir, writeFileAtomic } from '../store/fs-util.js';
import { type Indicator, indicatorKey, NO_CONTEXT } from './indicator.js';

/** How a set matches, beside its indicators. */
export interface IntelSetOptions {
  /** Domain indicators also match their subdomains. */
  subdomains: boolean;
  /** Actions run for each sighting (`webhook=URL`, `exec=CMD`, `syslog=HOST:PORT`). */
  actions: string[];
}

export interface IntelSet extends IntelSetOptions {
  name: string;
  /** 1 for a new set, +1 with every update. */
  revision: number;
  /** When the revision was made (ISO 8601). */
  updated: string;
  indicators: Indicator[];
}

/** A set without its indicators, with counts by type. */
export interface IntelSetSummary extends IntelSetOptions {
  name: string;
  revision: number;
  updated: string;
  indicators: number;
  types: Record<string, number>;
}

/** The file leaves empty contexts out (a million `"context":{}` of a plain list); loading puts `NO_CONTEXT` back. */
function withoutEmptyContext(key: string, value: unknown): unknown {
  return key === 'context' && value !== null && typeof value === 'object' && Object.keys(value).length === 0
    ? undefined
    : value;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function checkSetName(name: string): string {
  if (!NAME_RE.test(name))
    throw new UsageError(
      `invalid intel set name '${name}': 1-64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit`,
    );
  return name;
}

export function summarize(set: IntelSet): IntelSetSummary {
  const types: Record<string, number> = {};
  for (const i of set.indicators) types[i.type] = (types[i.type] ?? 0) + 1;
  const { indicators, ...rest } = set;
  return { ...rest, indicators: indicators.length, types };
}

/** The indicators of `next` that `previous` did not have (all of them for a new set). */
export function newIndicators(previous: IntelSet | undefined, next: IntelSet): Indicator[] {
  if (!previous) return next.indicators;
  const old = new Set(previous.indicators.map(indicatorKey));
  return next.indicators.filter((i) => !old.has(indicatorKey(i)));
}

/**
 * One indicator per key: a feed listing a value twice keeps the first (with its context).
 * Values are kept per type and field, so that a million addresses need no key strings.
 */
function unique(indicators: readonly Indicator[]): Indicator[] {
  const seen = new Map<string, Set<string>>();
  const out: Indicator[] = [];
  for (const i of indicators) {
    const kind = i.field === undefined ? i.type : `${i.type}:${i.field}`;
    let values = seen.get(kind);
    if (!values) {
      values = new Set();
      seen.set(kind, values);
    }
    if (values.has(i.value)) continue;
    values.add(i.value);
    out.push(i);
  }
  return out;
}

export class IntelSets {
  private readonly sets = new Map<string, IntelSet>();

  private constructor(private readonly dir: string) {}

  /** The sets kept in `storeDir/intel/sets` (none yet is fine). */
  static open(storeDir: string): IntelSets {
    const s = new IntelSets(join(storeDir, 'intel', 'sets'));
    if (existsSync(s.dir))
      for (const f of readdirSync(s.dir).sort()) {
        if (!f.endsWith('.json')) continue;
        const path = join(s.dir, f);
        let set: IntelSet;
        try {
          set = JSON.parse(readFileSync(path, 'utf8')) as IntelSet;
        } catch (e) {
          throw new Error(`${path}: not an intel set (${(e as Error).message})`);
        }
        for (const i of set.indicators) i.context ??= NO_CONTEXT;
        s.sets.set(set.name, set);
      }
    return s;
  }

  list(): IntelSet[] {
    return [...this.sets.values()];
  }

  get(name: string): IntelSet | undefined {
    return this.sets.get(name);
  }

  get size(): number {
    return this.sets.size;
  }

  /** Stores the set's next revision; returns it with the previous one. */
  put(
    name: string,
    indicators: readonly Indicator[],
    opts: IntelSetOptions,
  ): { set: IntelSet; previous: IntelSet | undefined } {
    checkSetName(name);
    const previous = this.sets.get(name);
    const set: IntelSet = {
      name,
      revision: (previous?.revision ?? 0) + 1,
      updated: new Date().toISOString(),
      subdomains: opts.subdomains,
      actions: opts.actions,
      indicators: unique(indicators),
    };
    ensureDir(this.dir);
    writeFileAtomic(join(this.dir, `${name}.json`), JSON.stringify(set, withoutEmptyContext));
    this.sets.set(name, set);
    return { set, previous };
  }

  remove(name: string): boolean {
    if (!this.sets.delete(name)) return false;
    rmSync(join(this.dir, `${name}.json`), { force: true });
    return true;
  }
}
