/**
 * What the CLI (and an embedding program) asks of vast, whether the data is
 * in a local database or behind a node: every command calls only this, so a
 * flag cannot work in one mode and silently vanish in the other. Two
 * implementations: `LocalBackend` (a store opened in this process) and
 * `RemoteBackend` (a node's HTTP API).
 */
import type { RecordBatch } from 'apache-arrow';
import type { IntelShow } from '../detect/detection.js';
import type { IntelAddOptions, IntelAddResult } from '../detect/intel-api.js';
import type { IntelSetSummary } from '../detect/intel-sets.js';
import type { RuleAddOptions, RuleAddResult, RuleFile } from '../detect/rule-api.js';
import type { RuleShow, RuleSummary } from '../detect/rules.js';
import type { StoreStatus } from '../store/store.js';
import type { Schema } from '../types/type.js';

export interface QueryOptions {
  /** Stop after this many events. */
  maxEvents?: number;
  /** Only new events, until cancelled (a node only). */
  continuous?: boolean;
  /** Historical events, then new ones (a node only). */
  unified?: boolean;
  /** Cancels the query (Ctrl-C). */
  signal?: AbortSignal;
}

export interface CountOptions {
  /** An upper bound from the catalog alone, without scanning. */
  estimate?: boolean;
}

/** A count and, when asked for, the plan and what the run did. */
export interface CountResult {
  count: number;
  explain?: string;
}

export interface ImportOptions {
  /** Keep nothing if the import fails (local: one transaction; node: acknowledged batches stay). */
  atomic?: boolean;
  /** Events per partition (local database only; a node has its own setting). */
  partitionSize?: number;
  /** Return from `commit` only when the events are in partitions, queryable from the catalog. */
  blocking?: boolean;
}

export interface ImportSummary {
  events: number;
  schemas: Record<string, number>;
}

/** An import in progress: add batches, then commit (or abort). */
export interface BatchSink {
  add(batch: RecordBatch): Promise<void>;
  commit(): Promise<ImportSummary>;
  abort(): Promise<void>;
}

/** What `status` reports in both modes; a node adds its own keys. */
export interface Status extends StoreStatus {
  /** `database: DIR` or `node: HOST:PORT (tenant T, N events buffered)`. */
  where: string;
  /** Per-partition lines (`--detailed`). */
  partitionList?: { id: string; schema: string; events: number; bytes: number }[];
  [key: string]: unknown;
}

export interface Backend {
  /** `database DIR` or `node HOST:PORT`, for messages. */
  readonly description: string;
  /** Matching events, through the pipeline. */
  query(text: string | undefined, opts?: QueryOptions): AsyncIterable<RecordBatch>;
  /** The number of matching events (or an upper bound with `estimate`), with the plan if `explain`. */
  count(text: string | undefined, opts?: CountOptions & { explain?: boolean }): Promise<CountResult>;
  /**
   * The plan of a query and what its last `query` run did (local), or the
   * plan and counters of a count run on the node (remote).
   */
  explain(text: string | undefined): Promise<string>;
  /** Events by id, their position in stored order, as `export` prints them (`vast get`); unknown ids are left out. */
  get(ids: readonly number[]): AsyncIterable<RecordBatch>;
  importer(opts?: ImportOptions): Promise<BatchSink>;
  status(opts?: { detailed?: boolean }): Promise<Status>;
  /**
   * Loads a feed into an intel set (a new set, or the next revision of one) and
   * starts the retro hunt for its new indicators. Embedded, the hunt runs before
   * this returns; a node hunts in the background (`status` shows progress).
   */
  intelAdd(name: string, feed: Uint8Array, opts: IntelAddOptions): Promise<IntelAddResult>;
  intelList(): Promise<IntelSetSummary[]>;
  /** One set: its summary, the memory its kernels take, its hunts and its first indicators. */
  intelShow(name: string): Promise<IntelShow>;
  /** Whether there was such a set. */
  intelRemove(name: string): Promise<boolean>;
  /**
   * Loads Sigma rules (new ones, and next revisions of changed ones) and starts
   * the retro hunt of those; as `intelAdd`, embedded the hunt runs before this returns.
   */
  ruleAdd(files: readonly RuleFile[], opts: RuleAddOptions): Promise<RuleAddResult>;
  ruleList(): Promise<RuleSummary[]>;
  /** One rule: its summary, what it compiled to, its Sigma text, its hunts. */
  ruleShow(id: string): Promise<RuleShow>;
  /** Whether there was such a rule. */
  ruleRemove(id: string): Promise<boolean>;
  /** The schemas of the stored events, with their time fields (pivot and explore look them up). */
  schemas(): Promise<readonly Schema[]>;
  /** Releases what the backend holds (nothing to close for a store opened read-only). */
  close(): Promise<void>;
}
