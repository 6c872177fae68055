/**
 * What a Sigma document compiles to: detection rules (one VAST expression
 * each) and correlation rules (windows over the matches of other rules).
 * The compiler (`compile.ts`) produces these; the correlator (`../correlate.ts`)
 * and the rule content of a store (`../rules.ts`) consume them.
 */
import type { Expr } from '../../expr/ast.js';

/** Sigma's levels, lowest first. */
export const SIGMA_LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type SigmaLevel = (typeof SIGMA_LEVELS)[number];

/** Where a rule was written: for errors and for `vast rule show`. */
export interface SigmaOrigin {
  readonly file?: string;
  /** 1-based line of the document's first line in the file. */
  readonly line: number;
}

/** What a rule or correlation says about itself (the metadata an alert carries). */
export interface SigmaMeta {
  /** The `id` (a UUID in SigmaHQ), else the `name`, else derived from the title. */
  readonly id: string;
  /** The `name`, by which correlations may reference a rule. */
  readonly name?: string;
  readonly title: string;
  readonly level: SigmaLevel;
  readonly status?: string;
  readonly description?: string;
  readonly author?: string;
  /** `tags`, as written (`attack.t1071.004`, `attack.command-and-control`). */
  readonly tags: readonly string[];
  readonly falsepositives: readonly string[];
  readonly origin: SigmaOrigin;
}

export interface SigmaLogsource {
  readonly product?: string;
  readonly service?: string;
  readonly category?: string;
}

/** A detection rule: events that match `expr` are alerts. */
export interface SigmaRule extends SigmaMeta {
  readonly kind: 'rule';
  readonly logsource: SigmaLogsource;
  /** The schemas the logsource maps to (`zeek.dns`), already part of `expr`. */
  readonly schemas: readonly string[];
  /** The whole detection, including the `#schema` restriction of the logsource. */
  readonly expr: Expr;
  /** `expr` printed in the VAST language (what `vast sigma convert` shows). */
  readonly text: string;
  /** The rule's `fields:` after field mapping: the key fields an alert shows. */
  readonly fields: readonly string[];
}

export type CorrelationType = 'event_count' | 'value_count' | 'temporal' | 'temporal_ordered';

export type CountOp = 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq';

/** A correlation rule (Sigma correlation specification, 2.0). */
export interface SigmaCorrelation extends SigmaMeta {
  readonly kind: 'correlation';
  readonly type: CorrelationType;
  /** The rules it correlates, as referenced (ids or names), in order (`temporal_ordered` needs the order). */
  readonly rules: readonly string[];
  /** Fields (after mapping) whose values form the group; empty = one group. */
  readonly groupBy: readonly string[];
  /** `timespan` in nanoseconds. */
  readonly timespanNs: bigint;
  /**
   * The condition on the count (`event_count`, `value_count`; for `value_count`
   * `field` names what is counted). `temporal*` rules default to "all rules
   * seen", i.e. `{op: 'gte', count: rules.length}`.
   */
  readonly condition: { readonly op: CountOp; readonly count: number; readonly field?: string };
  /** Whether the referenced rules also raise their own alerts (`generate: true`). */
  readonly generate: boolean;
}

export type SigmaDocument = SigmaRule | SigmaCorrelation;
