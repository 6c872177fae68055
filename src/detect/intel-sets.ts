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
import type { Indicator } from './indicator.js';
import { IndicatorTable, type IndicatorTableJson } from './indicator-table.js';

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
  indicators: IndicatorTable;
}

/** A set without its indicators, with counts by type. */
export interface IntelSetSummary extends IntelSetOptions {
  name: string;
  revision: number;
  updated: string;
  indicators: number;
  types: Record<string, number>;
}

/**
 * The most indicators one set holds: about 700 MiB of kernels and indicators in
 * every process that matches, which is what a node on a small box can spare.
 */
const MAX_SET_INDICATORS = 10_000_000;

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function checkSetName(name: string): string {
  if (!NAME_RE.test(name))
    throw new UsageError(
      `invalid intel set name '${name}': 1-64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit`,
    );
  return name;
}

export function summarize(set: IntelSet): IntelSetSummary {
  const { indicators, ...rest } = set;
  return { ...rest, indicators: indicators.length, types: indicators.typeCounts() };
}

/** What identifies an indicator in a set: its type, the field of a plain string, and its value. */
const kindOf = (type: string, field: string | undefined) => (field === undefined ? type : `${type}:${field}`);

/** The values seen so far per kind. */
class Seen {
  private readonly byKind = new Map<string, Set<string>>();
  /** Adds the indicator; false when it was there. */
  add(type: string, field: string | undefined, value: string): boolean {
    const kind = kindOf(type, field);
    let values = this.byKind.get(kind);
    if (!values) {
      values = new Set();
      this.byKind.set(kind, values);
    }
    if (values.has(value)) return false;
    values.add(value);
    return true;
  }
}

/** The indicators of `next` that `previous` did not have (all of them for a new set). */
export function newIndicators(previous: IntelSet | undefined, next: IntelSet): IndicatorTable {
  if (!previous) return next.indicators;
  const old = new Seen();
  const p = previous.indicators;
  for (let k = 0; k < p.length; k++) old.add(p.type(k), p.field(k), p.value(k));
  const n = next.indicators;
  const fresh: Indicator[] = [];
  for (let k = 0; k < n.length; k++) if (old.add(n.type(k), n.field(k), n.value(k))) fresh.push(n.get(k));
  return IndicatorTable.from(fresh);
}

/**
 * One indicator per key: a feed listing a value twice keeps the first (with its context).
 * Values are kept per type and field, so that a million addresses need no key strings.
 */
function unique(indicators: readonly Indicator[]): Indicator[] {
  const seen = new Seen();
  return indicators.filter((i) => seen.add(i.type, i.field, i.value));
}

/** A set as its file stores it: the indicators column by column. */
type IntelSetFile = Omit<IntelSet, 'indicators'> & { indicators: IndicatorTableJson };

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
          const file = JSON.parse(readFileSync(path, 'utf8')) as IntelSetFile;
          set = { ...file, indicators: IndicatorTable.fromJson(file.indicators) };
        } catch (e) {
          throw new Error(`${path}: not an intel set (${(e as Error).message})`);
        }
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
    if (indicators.length > MAX_SET_INDICATORS)
      throw new UsageError(
        `intel set '${name}': ${indicators.length.toLocaleString('en-US')} indicators, more than the limit of ` +
          `${MAX_SET_INDICATORS.toLocaleString('en-US')} a set may hold; split the feed into several sets`,
      );
    const previous = this.sets.get(name);
    const set: IntelSet = {
      name,
      revision: (previous?.revision ?? 0) + 1,
      updated: new Date().toISOString(),
      subdomains: opts.subdomains,
      actions: opts.actions,
      indicators: IndicatorTable.from(unique(indicators)),
    };
    ensureDir(this.dir);
    writeFileAtomic(join(this.dir, `${name}.json`), JSON.stringify(set));
    this.sets.set(name, set);
    return { set, previous };
  }

  remove(name: string): boolean {
    if (!this.sets.delete(name)) return false;
    rmSync(join(this.dir, `${name}.json`), { force: true });
    return true;
  }
}
