/**
 * The node's registry of running sources (`vast spawn source ...`,
 * `vast kill <id>`, the sources part of `vast status`).
 *
 * Spawned sources survive a restart: each running one is recorded in
 * `<db>/sources.json` (id, tenant, source, arguments) and spawned again with
 * the same id when the node starts (`resume`). A source leaves the file when
 * it is killed or ends by itself (a `-r FILE` read to its end), not when the
 * node stops.
 *
 * A source that reads a file from its start (`-r FILE`; `file` without
 * `--from-start=false`) reads the same events again when resumed, so the
 * file also records how many events of its input the node took (`taken`,
 * counted before the filter, once the node has them in its write-ahead log)
 * and the resumed source skips that many: after a clean stop nothing is
 * stored twice. The count is written at most every second while the source
 * runs, so after a crash at most the events of that last second come again.
 * Live inputs (sockets, interfaces) never replay and skip nothing.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as A from 'apache-arrow';
import type { Logger } from 'pino';
import { z } from 'zod';
import { renderDiagnostic, UsageError, VastError } from '../diagnostics.js';
import { parseOptionArgs } from '../formats/options.js';
import { sliceRows } from '../pipeline/batch-ops.js';
import { batchSelector, prepareQuery } from '../query/run.js';
import type { SchemaRegistry } from '../schemas/registry.js';
import { findSource, sources } from '../sources/index.js';
import { SourcePolicy, SourceRefusal } from '../sources/policy.js';
import type { RunningSource, SourceDef, SourceOptions } from '../sources/source.js';
import { writeFileAtomic } from '../store/fs-util.js';
import type { NodeConfig } from './config.js';
import type { Tenant } from './tenant.js';

export interface SourceInfo {
  id: string;
  source: string;
  tenant: string;
  args: string[];
  expression?: string;
  started: string;
  state: 'running' | 'done' | 'failed';
  error?: string;
  events: number;
  bytes: number;
  errors: number;
  eventsPerSecond: number;
  endpoint?: string;
}

/** A spawned source as `sources.json` records it. */
const PersistedSource = z.object({
  id: z.string(),
  tenant: z.string(),
  source: z.string(),
  args: z.array(z.string()),
  /** Events of the input the node took, before the filter; a resumed replaying source skips them. */
  taken: z.number().int().nonnegative().default(0),
});
type PersistedSource = z.infer<typeof PersistedSource>;
const SOURCES_FILE = 'sources.json';
/** How often, at most, a running source's `taken` count is written to sources.json. */
const SAVE_INTERVAL_MS = 1000;

/** Whether the source reads a file from its start, so a restart would read the same events again. */
const replays = (options: SourceOptions) => options.read !== undefined && options['from-start'] !== false;

interface Entry {
  /** Whether it is in sources.json (sources of start commands are not: the command spawns them again). */
  persist: boolean;
  info: Omit<SourceInfo, 'events' | 'bytes' | 'errors' | 'eventsPerSecond' | 'endpoint'>;
  running: RunningSource;
  abort: AbortController;
  /** Events of the input the node took (see `taken` in sources.json). */
  taken: number;
  startedAt: number;
}

/** Parses `-i lo --cutoff 100 'expr'` against a source's declared options. */
export function parseSourceArgs(
  def: SourceDef,
  args: readonly string[],
): { options: SourceOptions; expression?: string } {
  const { values, rest } = parseOptionArgs(`source '${def.name}'`, def.options, args);
  if (rest.length > 1)
    throw new UsageError(`unexpected arguments for source '${def.name}': ${rest.join(' ')}`);
  return { options: values, expression: rest[0] };
}

/** The operator's settings for sources, from the node's configuration. */
export function sourcePolicy(config: NodeConfig): SourcePolicy {
  return new SourcePolicy({
    captureProgram: config['capture-program'],
    readDirs: config['source-paths'],
    denyDirs: [config.db],
    bindAddresses: config['source-bind-addresses'],
  });
}

export class Components {
  private readonly entries = new Map<string, Entry>();
  /** Spawns under way per tenant: they count against the cap before their source is up. */
  private readonly starting = new Map<string, number>();
  private readonly policy: SourcePolicy;
  private readonly maxPerTenant: number;
  private readonly file: string;
  /** Set when the node stops: sources end, but stay in sources.json to be resumed. */
  private stopping = false;
  /** When sources.json was last written (performance.now()), to write `taken` at most every SAVE_INTERVAL_MS. */
  private savedAt = 0;

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly log: Logger,
    config: NodeConfig,
  ) {
    this.policy = sourcePolicy(config);
    this.maxPerTenant = config['max-sources-per-tenant'];
    this.file = join(config.db, SOURCES_FILE);
  }

  /** What sources.json holds; a damaged file is logged and treated as empty (the sources are lost, the node starts). */
  private persisted(): PersistedSource[] {
    if (!existsSync(this.file)) return [];
    try {
      return z.array(PersistedSource).parse(JSON.parse(readFileSync(this.file, 'utf8')));
    } catch (e) {
      this.log.error(
        { file: this.file, err: (e as Error).message },
        'cannot read the spawned sources; none resumed',
      );
      return [];
    }
  }

  /** Rewrites sources.json from the running persisted sources. */
  private save(): void {
    if (this.stopping) return;
    this.write([...this.entries.values()].filter((e) => e.persist && e.info.state === 'running'));
  }

  private write(entries: readonly Entry[]): void {
    const list: PersistedSource[] = entries.map((e) => ({
      id: e.info.id,
      tenant: e.info.tenant,
      source: e.info.source,
      args: e.info.args,
      taken: e.taken,
    }));
    writeFileAtomic(this.file, `${JSON.stringify(list, null, 2)}\n`);
    this.savedAt = performance.now();
  }

  /**
   * Spawns the sources recorded in sources.json again, with their ids; one
   * that cannot start (its file gone, its port taken) is logged and dropped.
   */
  async resume(tenantOf: (name: string) => Promise<Tenant>): Promise<void> {
    const list = this.persisted();
    for (const p of list) {
      try {
        await this.spawn(await tenantOf(p.tenant), p.source, p.args, { id: p.id, skip: p.taken });
        this.log.info({ source: p.id }, 'source resumed');
      } catch (e) {
        this.log.error({ source: p.id, err: (e as Error).message }, 'cannot resume source; dropped');
      }
    }
    if (list.length > 0) this.saveQuietly();
  }

  /** A fresh id: random, so that it neither reveals other tenants' activity nor can be guessed. */
  private newId(name: string): string {
    for (;;) {
      const id = `${name}-${randomBytes(4).toString('hex')}`;
      if (!this.entries.has(id)) return id;
    }
  }

  /**
   * Starts a source for a tenant; returns its id. Throws VastError for bad
   * names or options, SourceRefusal for what the operator does not allow.
   */
  async spawn(
    tenant: Tenant,
    name: string,
    args: readonly string[],
    opts: { persist?: boolean; id?: string; skip?: number } = {},
  ): Promise<string> {
    const def = findSource(name);
    if (!def)
      throw new VastError(
        `unknown source '${name}' (choose one of: ${sources.map((s) => s.name).join(', ')})`,
      );
    const { options, expression } = parseSourceArgs(def, args);
    const select = expression
      ? batchSelector(prepareQuery(expression, [], this.registry))
      : (b: A.RecordBatch) => b;
    const owned =
      [...this.entries.values()].filter((e) => e.info.tenant === tenant.name).length +
      (this.starting.get(tenant.name) ?? 0);
    if (owned >= this.maxPerTenant)
      throw new SourceRefusal(
        429,
        `tenant '${tenant.name}' has ${owned} sources, the most the node allows (max-sources-per-tenant: ${this.maxPerTenant}); kill one first (vast kill ID)`,
      );
    this.starting.set(tenant.name, (this.starting.get(tenant.name) ?? 0) + 1);
    try {
      // Every declared path is checked here, so no source can read a file the operator did not allow.
      for (const [n, o] of Object.entries(def.options))
        if (o.kind === 'path' && options[n] !== undefined)
          await this.policy.readable(def.name, String(options[n]));
      return await this.start(def, tenant, {
        options,
        expression,
        args,
        select,
        persist: opts.persist ?? true,
        id: opts.id,
        skip: replays(options) ? (opts.skip ?? 0) : 0,
      });
    } finally {
      const n = (this.starting.get(tenant.name) ?? 1) - 1;
      if (n > 0) this.starting.set(tenant.name, n);
      else this.starting.delete(tenant.name);
    }
  }

  /** Starts a source whose spawn was checked and counted. */
  private async start(
    def: SourceDef,
    tenant: Tenant,
    spec: {
      options: SourceOptions;
      expression: string | undefined;
      args: readonly string[];
      select: (b: A.RecordBatch) => A.RecordBatch | undefined;
      persist: boolean;
      /** A resumed source keeps its id. */
      id: string | undefined;
      /** Events of the input a resumed source already delivered before the restart. */
      skip: number;
    },
  ): Promise<string> {
    const { options, expression, args, select } = spec;
    const name = def.name;
    const id = spec.id !== undefined && !this.entries.has(spec.id) ? spec.id : this.newId(name);
    const abort = new AbortController();
    const log = this.log.child({ source: id });
    // Declared before the source starts: its first batches may arrive before `start` resolves.
    const counts = { taken: 0, skip: spec.skip };
    let entry: Entry | undefined;
    const running = await def.start(options, {
      id,
      schemas: this.registry,
      policy: this.policy,
      signal: abort.signal,
      emit: async (input) => {
        let batch = input;
        if (counts.skip > 0) {
          const n = Math.min(counts.skip, batch.numRows);
          counts.skip -= n;
          counts.taken += n;
          if (n === batch.numRows) return;
          batch = sliceRows(batch, n, batch.numRows);
        }
        const selected = select(batch);
        if (selected && selected.numRows > 0) await tenant.ingest(selected);
        counts.taken += batch.numRows;
        if (entry) {
          entry.taken = counts.taken;
          if (entry.persist && performance.now() - this.savedAt >= SAVE_INTERVAL_MS) this.saveQuietly();
        }
      },
      report: (d) => log.warn({ diagnostic: renderDiagnostic(d) }, 'bad input'),
    });
    entry = {
      taken: counts.taken,
      persist: spec.persist,
      info: {
        id,
        source: name,
        tenant: tenant.name,
        args: [...args],
        expression,
        started: new Date().toISOString(),
        state: 'running',
      },
      running,
      abort,
      startedAt: performance.now(),
    };
    this.entries.set(id, entry);
    running.done.then(
      () => {
        entry.info.state = 'done';
        log.info('source finished');
        this.saveQuietly();
      },
      (e: Error) => {
        entry.info.state = 'failed';
        entry.info.error = e.message;
        log.error({ err: e.message }, 'source failed');
        this.saveQuietly();
      },
    );
    if (spec.persist) this.saveQuietly();
    log.info({ args }, 'source started');
    return id;
  }

  list(tenant?: string): SourceInfo[] {
    return [...this.entries.values()]
      .filter((e) => tenant === undefined || e.info.tenant === tenant)
      .map((e) => {
        const s = e.running.status();
        const secs = (performance.now() - e.startedAt) / 1000;
        return { ...e.info, ...s, eventsPerSecond: secs > 0 ? Math.round(s.events / secs) : 0 };
      });
  }

  /** Stops a source; false when there is no such id (for this tenant). */
  async kill(id: string, tenant?: string): Promise<boolean> {
    const e = this.entries.get(id);
    if (!e || (tenant !== undefined && e.info.tenant !== tenant)) return false;
    e.abort.abort();
    await e.running.stop();
    this.entries.delete(id);
    this.saveQuietly();
    this.log.info({ source: id }, 'source stopped');
    return true;
  }

  /** `save` where a failure must not fail the caller (a source ending, a kill): logged instead. */
  private saveQuietly(): void {
    try {
      this.save();
    } catch (e) {
      this.log.error({ file: this.file, err: (e as Error).message }, 'cannot record the spawned sources');
    }
  }

  /**
   * Stops every source for the node's stop; they stay recorded, with how many events each
   * delivered, to be resumed at the next start.
   */
  async stopAll(): Promise<void> {
    const resumable = [...this.entries.values()].filter((e) => e.persist && e.info.state === 'running');
    this.stopping = true;
    await Promise.all([...this.entries.keys()].map((id) => this.kill(id)));
    try {
      this.write(resumable);
    } catch (e) {
      this.log.error({ file: this.file, err: (e as Error).message }, 'cannot record the spawned sources');
    }
  }
}
