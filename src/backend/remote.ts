/** The backend over a node's HTTP API (client mode). */
import type { RecordBatch } from 'apache-arrow';
import type { IntelShow } from '../detect/detection.js';
import type { IntelAddOptions, IntelAddResult } from '../detect/intel-api.js';
import type { IntelSetSummary } from '../detect/intel-sets.js';
import type { RuleAddOptions, RuleAddResult, RuleFile } from '../detect/rule-api.js';
import type { RuleShow, RuleSummary } from '../detect/rules.js';
import { UsageError } from '../diagnostics.js';
import { type NodeClient, NodeRequestError } from '../node/client.js';
import type { SchemaRegistry } from '../schemas/registry.js';
import type { StoreStatus } from '../store/store.js';
import { schemaName } from '../types/arrow.js';
import type { Schema } from '../types/type.js';
import { AsyncQueue } from '../util/async-queue.js';
import type {
  Backend,
  BatchSink,
  CountOptions,
  CountResult,
  ImportOptions,
  QueryOptions,
  Status,
} from './backend.js';

const intelPath = (name: string) => `/api/v0/intel/${encodeURIComponent(name)}`;
const rulePath = (id: string) => `/api/v0/rules/${encodeURIComponent(id)}`;

export class RemoteBackend implements Backend {
  readonly description: string;

  /** `registry` defines the schemas the node names (their layouts and time fields). */
  constructor(
    readonly client: NodeClient,
    private readonly registry: SchemaRegistry,
  ) {
    this.description = `node ${client.endpoint}`;
  }

  query(text: string | undefined, opts: QueryOptions = {}): AsyncIterable<RecordBatch> {
    return this.client.export(text, {
      maxEvents: opts.maxEvents,
      continuous: opts.continuous,
      unified: opts.unified,
      signal: opts.signal,
    });
  }

  count(text: string | undefined, opts: CountOptions & { explain?: boolean } = {}): Promise<CountResult> {
    return this.client.json<CountResult>('POST', '/api/v0/count', {
      // In the query string: there a flag that is not given stays absent (a body's would be overridden).
      query: { expression: text, estimate: opts.estimate, explain: opts.explain },
    });
  }

  /** The node keeps no record of an export's run: the plan comes from counting the query there. */
  async explain(text: string | undefined): Promise<string> {
    const r = await this.count(text, { explain: true });
    return `${r.explain ?? ''}\n(plan and counters of a count of this query on the node)`;
  }

  get(ids: readonly number[]): AsyncIterable<RecordBatch> {
    return this.client.get(ids);
  }

  /** Batches go to the node, each acknowledged once durable there; `blocking` flushes at the end. */
  async importer(opts: ImportOptions = {}): Promise<BatchSink> {
    if (opts.partitionSize !== undefined)
      throw new UsageError(
        `--max-partition-size applies to a local database; the node at ${this.client.endpoint} cuts partitions by its own setting (vast --max-partition-size=N start)`,
      );
    const client = this.client;
    const queue = new AsyncQueue<RecordBatch>();
    const acked = { events: 0, schemas: {} as Record<string, number> };
    const sending = client.importBatches(queue, (b) => {
      acked.events += b.numRows;
      const name = schemaName(b);
      acked.schemas[name] = (acked.schemas[name] ?? 0) + b.numRows;
    });
    sending.catch(() => queue.close());
    return {
      add: (b) => queue.push(b),
      commit: async () => {
        queue.close();
        await sending;
        // Acknowledged events are durable and already queryable from the node's buffer;
        // blocking means they are in partitions, as after an embedded import.
        if (opts.blocking) await client.json('POST', '/api/v0/flush');
        return acked;
      },
      abort: async () => {
        queue.close();
        await sending.catch(() => {});
      },
    };
  }

  /** The node parses the feed (its problems come back in the answer) and hunts in the background. */
  intelAdd(name: string, feed: Uint8Array, opts: IntelAddOptions): Promise<IntelAddResult> {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries({
      format: opts.format,
      type: opts.type,
      field: opts.field,
      subdomains: opts.subdomains ? 'true' : undefined,
      include_non_ids: opts.includeNonIds ? 'true' : undefined,
      name: opts.source,
    }))
      if (v !== undefined) query.append(k, v);
    for (const a of opts.actions ?? []) query.append('action', a);
    return this.client.json<IntelAddResult>('POST', `${intelPath(name)}?${query}`, {
      body: feed,
      headers: { 'content-type': 'application/octet-stream' },
    });
  }

  async intelList(): Promise<IntelSetSummary[]> {
    return (await this.client.json<{ sets: IntelSetSummary[] }>('GET', '/api/v0/intel')).sets;
  }

  intelShow(name: string): Promise<IntelShow> {
    return this.client.json<IntelShow>('GET', intelPath(name));
  }

  async intelRemove(name: string): Promise<boolean> {
    return this.removed(intelPath(name));
  }

  /** DELETE of a piece of content: false when the node has no such thing. */
  private async removed(path: string): Promise<boolean> {
    try {
      await this.client.json('DELETE', path);
      return true;
    } catch (e) {
      if (e instanceof NodeRequestError && e.status === 404) return false;
      throw e;
    }
  }

  /** The node compiles the rules (their problems come back in the answer) and hunts in the background. */
  ruleAdd(files: readonly RuleFile[], opts: RuleAddOptions): Promise<RuleAddResult> {
    return this.client.json<RuleAddResult>('POST', '/api/v0/rules', {
      body: JSON.stringify({
        files,
        suppress: opts.suppress,
        suppress_by: opts.suppressBy,
        lateness: opts.lateness,
        action: opts.actions,
      }),
      headers: { 'content-type': 'application/json' },
    });
  }

  async ruleList(): Promise<RuleSummary[]> {
    return (await this.client.json<{ rules: RuleSummary[] }>('GET', '/api/v0/rules')).rules;
  }

  ruleShow(id: string): Promise<RuleShow> {
    return this.client.json<RuleShow>('GET', rulePath(id));
  }

  async ruleRemove(id: string): Promise<boolean> {
    return this.removed(rulePath(id));
  }

  async schemas(): Promise<readonly Schema[]> {
    const s = await this.client.json<StoreStatus>('GET', '/api/v0/status');
    return s.schemas.flatMap((x) => this.registry.get(x.name) ?? []);
  }

  async status(opts: { detailed?: boolean } = {}): Promise<Status> {
    const s = await this.client.json<Status & { tenant: string; buffered: number }>('GET', '/api/v0/status', {
      query: { detailed: opts.detailed },
    });
    return {
      ...s,
      where: `node: ${this.client.endpoint} (tenant ${s.tenant}, ${s.buffered} events buffered)`,
    };
  }

  async close(): Promise<void> {}
}
