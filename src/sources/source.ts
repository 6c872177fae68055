/**
 * The contract of sources that run inside a node (`vast spawn source <name>`),
 * after Vector's component spec: a source is transport + framing + format; it
 * reuses the readers in src/formats and owns only the transport (a socket, a
 * child process, a growing file). One file per source plus one line in
 * `index.ts`.
 */
import type { RecordBatch } from 'apache-arrow';
import type { Diagnostic } from '../diagnostics.js';
import type { OptionDefs, OptionValues } from '../formats/options.js';
import type { SchemaRegistry } from '../schemas/registry.js';
import type { SourcePolicy } from './policy.js';

/** A source's option values by long name (declared with `option.*` from formats/options.ts). */
export type SourceOptions = OptionValues;

export interface SourceContext {
  /** The source's id, as `vast spawn` printed it. */
  readonly id: string;
  readonly schemas: SchemaRegistry;
  /**
   * Hands a batch to the node. The promise resolves once the node has taken
   * the batch (durably, in its write-ahead log); a source awaits it before
   * reading more, which is how a slow disk applies backpressure.
   */
  emit(batch: RecordBatch): Promise<void>;
  /** Reports a problem with the input (a malformed packet or line); the source goes on. */
  report(d: Diagnostic): void;
  /** Aborted when the source is killed or the node stops. */
  readonly signal: AbortSignal;
  /** What the operator allows: files to read, addresses to bind, the capture program. */
  readonly policy: SourcePolicy;
}

export interface SourceStatus {
  readonly events: number;
  readonly bytes: number;
  readonly errors: number;
  /** Human-readable endpoint or file, e.g. `udp://127.0.0.1:2055`. */
  readonly endpoint?: string;
}

export interface RunningSource {
  status(): SourceStatus;
  /** Stops reading, flushes what was parsed, and resolves when the source is done. */
  stop(): Promise<void>;
  /** Resolves when the source ends by itself (end of a file) or fails. */
  readonly done: Promise<void>;
}

export interface SourceDef {
  /** The word after `vast spawn source`: `pcap`, `netflow`, `syslog`, `file`. */
  readonly name: string;
  readonly description: string;
  /** Declared once: `vast spawn source` arguments, HTTP spawn arguments and help come from here. */
  readonly options: OptionDefs;
  start(options: SourceOptions, ctx: SourceContext): Promise<RunningSource>;
}
