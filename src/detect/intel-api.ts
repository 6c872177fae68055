/**
 * What `vast intel add` asks and answers, the same in embedded mode and
 * through a node's API: the feed's bytes and how to read them, and the set's
 * new revision with what changed, the feed's problems and the retro hunt.
 */

import type { SetUpdate } from './detection.js';
import { decodeFeed, detectFeedFormat, type FeedFormat, type FeedProblem, parseFeed } from './feeds/index.js';
import { type HuntReport, type HuntRun, huntReport } from './hunt-report.js';
import type { Indicator, IndicatorType } from './indicator.js';
import { type IntelSetSummary, summarize } from './intel-sets.js';

export interface IntelAddOptions {
  /** The feed's format (default: guessed from its text). */
  format?: FeedFormat;
  /** Every indicator's type (list and CSV feeds). */
  type?: IndicatorType;
  /** The field plain-string indicators match. */
  field?: string;
  /** Domain indicators also match subdomains. */
  subdomains?: boolean;
  /** MISP: also attributes not flagged for detection (`to_ids: false`). */
  includeNonIds?: boolean;
  /** `webhook=URL`, `exec=CMD`, `syslog=HOST:PORT`. */
  actions?: string[];
  /** Names the feed in problems (a file path, `<stdin>`). */
  source?: string;
}

/** The problems an answer lists; the rest are counted. */
export const MAX_PROBLEMS = 20;

export interface IntelAddResult {
  set: IntelSetSummary;
  /** Indicators new in this revision (the retro hunt looks for these). */
  added: number;
  /** Indicators the previous revision had and this one has not. */
  removed: number;
  /** Invalid indicators, skipped (the first MAX_PROBLEMS). */
  problems: FeedProblem[];
  problemCount: number;
  /** The retro hunt this revision started (none when nothing new, or nothing stored). */
  hunt?: HuntReport;
}

/** The indicators of a feed (bad ones in `problems`); a malformed document throws FeedError. */
export function readFeed(
  bytes: Uint8Array,
  opts: IntelAddOptions,
): { indicators: Indicator[]; problems: FeedProblem[] } {
  const source = opts.source ?? '<feed>';
  const text = decodeFeed(bytes, source);
  const format = opts.format ?? detectFeedFormat(text);
  return parseFeed(text, format, {
    source,
    type: opts.type,
    field: opts.field,
    includeNonIds: opts.includeNonIds,
  });
}

/** The answer for a set update (the hunt as it stands when the answer is made). */
export function addResult(u: SetUpdate, problems: readonly FeedProblem[], run?: HuntRun): IntelAddResult {
  return {
    set: summarize(u.set),
    added: u.added,
    removed: u.removed,
    problems: problems.slice(0, MAX_PROBLEMS),
    problemCount: problems.length,
    ...(u.hunt ? { hunt: huntReport(u.hunt, run) } : {}),
  };
}
