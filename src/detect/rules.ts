/**
 * Rules as they persist beside a store: `rules/defs/ID.json`, one file per
 * rule (a Sigma detection or correlation rule), written atomically. A rule's
 * Sigma text is kept as given and compiled again when the store opens, so
 * that a fix of the compiler or of the mappings applies to every rule.
 *
 * Adding a rule under an existing id makes its next revision only when what
 * it means changed (the compiled expression, the correlation, the metadata an
 * alert carries); loading the same directory twice hunts nothing twice.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, writeFileAtomic } from '../store/fs-util.js';
import type { HuntProgress } from './detection.js';
import { parseSigma, type SigmaMappings } from './sigma/index.js';
import type { SigmaCorrelation, SigmaDocument } from './sigma/types.js';

/** How a rule raises alerts, beside what it matches. */
export interface RuleOptions {
  /** Suppression window (ns): one alert per rule and key within it; the others are counted. */
  suppressNs?: bigint;
  /** Fields whose values make the suppression key (default: the rule's own key fields). */
  suppressBy?: readonly string[];
  /** Correlations: how long (ns) live windows wait for late events (see correlations.ts). */
  latenessNs?: bigint;
  /** Actions run for each alert (`webhook=URL`, `exec=CMD`, `syslog=HOST:PORT`). */
  actions: readonly string[];
}

interface StoredRule {
  id: string;
  /** 1 when added, +1 with every change of meaning. */
  revision: number;
  /** When the revision was made (ISO 8601). */
  updated: string;
  /** The Sigma text of the file the rule came from (one file may hold several documents). */
  source: string;
  /** The file it was loaded from, as the user named it. */
  file?: string;
  options: RuleOptions;
}

/** A stored rule with its compiled document, or why it no longer compiles. */
export interface Rule extends StoredRule {
  doc?: SigmaDocument;
  error?: string;
}

/** What `vast rule list` shows of a rule. */
export interface RuleSummary {
  id: string;
  kind: 'rule' | 'correlation';
  title: string;
  level: string;
  revision: number;
  updated: string;
  file?: string;
  schemas: string[];
  suppress?: string;
  actions: string[];
  error?: string;
}

/** `vast rule show`: a rule, what it compiled to, its Sigma text, its hunts under way. */
export interface RuleShow {
  rule: RuleSummary;
  /** The VAST expression of a detection rule; a correlation's window, group and condition. */
  compiled: string;
  source: string;
  hunts: HuntProgress[];
}

/** A correlation as one line: what it counts, by what, in which window, when it fires. */
export function correlationText(c: SigmaCorrelation): string {
  const by = c.groupBy.length > 0 ? ` by ${c.groupBy.join(', ')}` : '';
  const what =
    c.type === 'value_count'
      ? `distinct ${c.condition.field}`
      : c.type === 'event_count'
        ? 'events'
        : 'rules seen';
  return `${c.type} of ${c.rules.join(', ')}: ${what}${by} per ${Number(c.timespanNs / 1_000_000_000n)}s window ${c.condition.op} ${c.condition.count}`;
}

/** A document's meaning: what an alert of it says and what it matches (not where it was written). */
function fingerprint(doc: SigmaDocument): string {
  const { origin: _, ...meaning } = doc;
  return JSON.stringify(meaning, (k, v) =>
    typeof v === 'bigint' ? v.toString() : k === 'expr' ? undefined : v,
  );
}

/**
 * The stored rules compiled: the document of each rule's id in its Sigma
 * text, each text parsed once (a file may hold a correlation and its rules).
 */
function compileStored(stored: readonly StoredRule[], mappings: SigmaMappings): Rule[] {
  const texts = new Map<string, SigmaDocument[] | Error>();
  return stored.map((r) => {
    const key = `${r.file ?? ''}\u0000${r.source}`;
    let docs = texts.get(key);
    if (!docs) {
      try {
        docs = parseSigma(r.source, { file: r.file, mappings });
      } catch (e) {
        docs = e as Error;
      }
      texts.set(key, docs);
    }
    if (docs instanceof Error) return { ...r, error: docs.message };
    const doc = docs.find((d) => d.id === r.id);
    return doc ? { ...r, doc } : { ...r, error: `rule ${r.id} is no longer in its source` };
  });
}

/** A rule id as a file name: ids are UUIDs or names, but nothing guarantees it. */
export const contentFileName = (id: string) => `${encodeURIComponent(id).replace(/\./g, '%2E')}.json`;

export function summarizeRule(r: Rule): RuleSummary {
  const d = r.doc;
  return {
    id: r.id,
    kind: d?.kind ?? 'rule',
    title: d?.title ?? '',
    level: d?.level ?? '',
    revision: r.revision,
    updated: r.updated,
    ...(r.file !== undefined ? { file: r.file } : {}),
    schemas: d?.kind === 'rule' ? [...d.schemas] : [],
    ...(r.options.suppressNs !== undefined
      ? {
          suppress: `${Number(r.options.suppressNs / 1_000_000_000n)}s by ${r.options.suppressBy?.join(',') || 'rule'}`,
        }
      : {}),
    actions: [...r.options.actions],
    ...(r.error !== undefined ? { error: r.error } : {}),
  };
}

export class RuleBook {
  /** The rules as stored, until the first use compiles them (commands that count them need not). */
  private stored: StoredRule[] = [];
  private compiled: Map<string, Rule> | undefined;

  private constructor(
    private readonly dir: string,
    private readonly mappings: () => SigmaMappings,
  ) {}

  /** The compiled rules, compiled on first use. */
  private get rules(): Map<string, Rule> {
    if (!this.compiled) {
      const list = this.stored.length > 0 ? compileStored(this.stored, this.mappings()) : [];
      this.compiled = new Map(list.map((r) => [r.id, r]));
      this.stored = [];
    }
    return this.compiled;
  }

  /** The rules kept in `storeDir/rules/defs` (none yet is fine), compiled with `mappings` when first used. */
  static open(storeDir: string, mappings: () => SigmaMappings): RuleBook {
    const book = new RuleBook(join(storeDir, 'rules', 'defs'), mappings);
    if (existsSync(book.dir))
      for (const f of readdirSync(book.dir).sort()) {
        if (!f.endsWith('.json')) continue;
        const path = join(book.dir, f);
        let stored: StoredRule;
        try {
          const raw = JSON.parse(readFileSync(path, 'utf8')) as StoredRule & {
            options: { suppressNs?: string; latenessNs?: string };
          };
          const ns = (v: string | undefined) => (v === undefined ? undefined : BigInt(v));
          stored = {
            ...raw,
            options: {
              ...raw.options,
              suppressNs: ns(raw.options.suppressNs),
              latenessNs: ns(raw.options.latenessNs),
            },
          };
        } catch (e) {
          throw new Error(`${path}: not a rule (${(e as Error).message})`);
        }
        book.stored.push(stored);
      }
    return book;
  }

  list(): Rule[] {
    return [...this.rules.values()];
  }

  get(id: string): Rule | undefined {
    return this.rules.get(id);
  }

  get size(): number {
    return this.compiled?.size ?? this.stored.length;
  }

  /**
   * Stores a compiled document as a rule; returns the rule and whether it is
   * new or changed (a new revision, to be hunted) or the same as before.
   */
  put(
    doc: SigmaDocument,
    source: string,
    file: string | undefined,
    options: RuleOptions,
  ): { rule: Rule; changed: boolean } {
    const previous = this.rules.get(doc.id);
    const same =
      previous?.doc !== undefined &&
      fingerprint(previous.doc) === fingerprint(doc) &&
      JSON.stringify(optionsJson(previous.options)) === JSON.stringify(optionsJson(options));
    if (previous && same) return { rule: previous, changed: false };
    const stored: StoredRule = {
      id: doc.id,
      revision: (previous?.revision ?? 0) + 1,
      updated: new Date().toISOString(),
      source,
      ...(file !== undefined ? { file } : {}),
      options,
    };
    ensureDir(this.dir);
    writeFileAtomic(
      join(this.dir, contentFileName(doc.id)),
      JSON.stringify({ ...stored, options: optionsJson(options) }),
    );
    const rule: Rule = { ...stored, doc };
    this.rules.set(doc.id, rule);
    return { rule, changed: true };
  }

  remove(id: string): boolean {
    if (!this.rules.delete(id)) return false;
    rmSync(join(this.dir, contentFileName(id)), { force: true });
    return true;
  }
}

function optionsJson(o: RuleOptions): Record<string, unknown> {
  return {
    ...(o.suppressNs !== undefined ? { suppressNs: o.suppressNs.toString() } : {}),
    ...(o.suppressBy !== undefined ? { suppressBy: o.suppressBy } : {}),
    ...(o.latenessNs !== undefined ? { latenessNs: o.latenessNs.toString() } : {}),
    actions: o.actions,
  };
}

/** A rule by id or, for a correlation's reference, by name. */
export function findRule<R extends { id: string; doc?: SigmaDocument }>(
  rules: Iterable<R>,
  ref: string,
): R | undefined {
  let byName: R | undefined;
  for (const r of rules) {
    if (r.id === ref) return r;
    if (r.doc?.name === ref) byName = r;
  }
  return byName;
}
