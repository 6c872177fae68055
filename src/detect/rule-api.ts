/**
 * What `vast rule add` asks and answers, the same in embedded mode and
 * through a node's API: Sigma files (the client reads them: a directory
 * loads recursively), and which rules are new or changed, which files had
 * problems (a bad rule is reported with file:line and skipped; the others
 * load), and the retro hunt.
 */
import { VastError } from '../diagnostics.js';
import { parseDuration } from '../types/duration.js';
import type { RulesUpdate } from './detection.js';
import { type HuntReport, type HuntRun, huntReport } from './hunt-report.js';
import { type RuleOptions, type RuleSummary, summarizeRule } from './rules.js';
import { parseSigma, type SigmaMappings } from './sigma/index.js';
import type { SigmaDocument } from './sigma/types.js';

/** A Sigma file as the client read it. */
export interface RuleFile {
  /** The path as the user named it (it names the file in problems). */
  name: string;
  text: string;
}

export interface RuleAddOptions {
  /** Suppression window, a duration (`10m`): one alert per rule and key within it. */
  suppress?: string;
  /** Fields whose values make the suppression key (default: the rule's `fields`). */
  suppressBy?: string[];
  /** Correlations: how long live windows wait for late events, a duration (default 1h). */
  lateness?: string;
  /** `webhook=URL`, `exec=CMD`, `syslog=HOST:PORT`. */
  actions?: string[];
}

/** A file (or a document in it) that did not load. */
export interface RuleProblem {
  file: string;
  line?: number;
  column?: number;
  message: string;
}

export interface RuleAddResult {
  /** Rules new or changed: a new revision each. */
  changed: RuleSummary[];
  /** Rules given that were loaded already, unchanged. */
  unchanged: number;
  problems: RuleProblem[];
  hunt?: HuntReport;
}

/** Every document of the files; a file that does not compile is a problem, and the others load. */
export function readRules(
  files: readonly RuleFile[],
  mappings: SigmaMappings,
): {
  docs: { doc: SigmaDocument; source: string; file: string }[];
  problems: RuleProblem[];
} {
  const docs: { doc: SigmaDocument; source: string; file: string }[] = [];
  const problems: RuleProblem[] = [];
  for (const f of files) {
    try {
      for (const doc of parseSigma(f.text, { file: f.name, mappings }))
        docs.push({ doc, source: f.text, file: f.name });
    } catch (e) {
      if (!(e instanceof VastError)) throw e;
      const d = e.diagnostic;
      const at = d?.location;
      problems.push({
        file: f.name,
        ...(at ? { line: at.line, column: at.column } : {}),
        message: d ? [d.message, ...(d.hints ?? [])].join('; ') : e.message,
      });
    }
  }
  return { docs, problems };
}

/** A positive duration option in nanoseconds (undefined when not given); a bad one is an error naming it. */
function durationOption(text: string | undefined, flag: string): bigint | undefined {
  if (text === undefined) return undefined;
  const ns = parseDuration(text);
  if (ns === undefined || ns <= 0n)
    throw new VastError(`${flag} expects a duration such as 10m or 1h, got '${text}'`);
  return ns;
}

/** The options as the store keeps them; a bad duration is an error naming it. */
export function ruleOptions(o: RuleAddOptions): RuleOptions {
  const suppressNs = durationOption(o.suppress, '--suppress');
  const latenessNs = durationOption(o.lateness, '--lateness');
  return {
    ...(suppressNs !== undefined ? { suppressNs } : {}),
    ...(latenessNs !== undefined ? { latenessNs } : {}),
    ...(o.suppressBy && o.suppressBy.length > 0 ? { suppressBy: o.suppressBy } : {}),
    actions: o.actions ?? [],
  };
}

export function ruleAddResult(
  u: RulesUpdate,
  problems: readonly RuleProblem[],
  run?: HuntRun,
): RuleAddResult {
  return {
    changed: u.changed.map(summarizeRule),
    unchanged: u.unchanged,
    problems: [...problems],
    ...(u.hunt ? { hunt: huntReport(u.hunt, run) } : {}),
  };
}
