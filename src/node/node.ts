/**
 * The vast node (`vast start`): tenants (store + WAL + live queries), the
 * sources running inside it, tokens, and the periodic flush. The HTTP API in
 * server.ts is a thin layer over this class.
 *
 * Each tenant has its own flush timer: one tenant's slow or stuck flush never
 * delays another's (a single loop over all tenants would).
 */

import pino, { type Logger } from 'pino';
import { schemaRegistry } from '../schemas/load.js';
import type { SchemaRegistry } from '../schemas/registry.js';
import { ensureDir } from '../store/fs-util.js';
import { claimDatabase } from '../store/holder.js';
import { AUDIT_SCHEMA, type AuditFields, AuditLog } from './audit.js';
import { DEFAULT_TENANT, type Principal, TENANT_RE, TokenStore } from './auth.js';
import { Components } from './components.js';
import type { NodeConfig } from './config.js';
import type { LiveLimits } from './live.js';
import { Tenant } from './tenant.js';

export class VastNode {
  readonly tokens: TokenStore;
  readonly registry: SchemaRegistry;
  readonly components: Components;
  readonly auditLog: AuditLog;
  readonly started = Date.now();
  private readonly tenants = new Map<string, Promise<Tenant>>();
  private readonly flushTimers = new Map<string, NodeJS.Timeout>();
  private stopping = false;
  /** The admin token, when this start created it (printed once by `vast start`). */
  readonly newAdminToken: string | undefined;
  private readonly releaseDatabase: () => void;

  constructor(
    readonly config: NodeConfig,
    readonly log: Logger = pino({ level: config['log-level'] }),
  ) {
    // Everything the node creates is its user's alone (tenants' data, tokens, WAL, sources' files).
    process.umask(0o077);
    ensureDir(config.db);
    this.releaseDatabase = claimDatabase(config.db, config.endpoint);
    // Older databases are tightened by Store.open when start() opens the default tenant (the whole db).
    this.tokens = TokenStore.open(config.db);
    this.newAdminToken = this.tokens.ensureAdmin();
    this.registry = schemaRegistry(config.db);
    this.components = new Components(this.registry, log, config);
    const auditSchema = this.registry.get(AUDIT_SCHEMA);
    if (!auditSchema) throw new Error(`schema ${AUDIT_SCHEMA} is missing (schemas/vast.yaml)`);
    this.auditLog = new AuditLog(
      auditSchema,
      async (batch) => (await this.tenant(DEFAULT_TENANT)).ingest(batch),
      log,
    );
  }

  /** Records a security-relevant action as a `vast.audit` event in the admin's tenant. */
  audit(principal: Principal | undefined, action: string, fields: AuditFields = {}): void {
    this.auditLog.record(principal, action, fields);
  }

  /** Opens the default tenant (replaying its WAL) and resumes spawned sources; every opened tenant flushes periodically. */
  async start(): Promise<void> {
    await this.tenant(DEFAULT_TENANT);
    // Sources spawned before the last stop run again, each in its tenant.
    await this.components.resume((name) => this.tenant(name));
  }

  /** Flushes a tenant `flush-interval` seconds after its previous flush ended, on its own timer. */
  private scheduleFlush(t: Tenant): void {
    if (this.stopping) return;
    const timer = setTimeout(() => {
      t.flush()
        .catch((e: Error) => this.log.error({ tenant: t.name, err: e.message }, 'periodic flush failed'))
        .finally(() => this.scheduleFlush(t));
    }, this.config['flush-interval'] * 1000);
    timer.unref();
    this.flushTimers.set(t.name, timer);
  }

  /** A tenant's data, opened (and its WAL replayed) on first use. */
  tenant(name: string): Promise<Tenant> {
    if (!TENANT_RE.test(name)) throw new Error(`invalid tenant name '${name}'`);
    let t = this.tenants.get(name);
    if (!t) {
      t = Tenant.open(this.config.db, name, {
        maxPartitionSize: this.config['max-partition-size'],
        batchIds: {
          windowMs: this.config['batch-id-window'] * 1000,
          capacity: this.config['batch-id-capacity'],
        },
        log: this.log,
        registry: this.registry,
      });
      this.tenants.set(name, t);
      t.then(
        (opened) => this.scheduleFlush(opened),
        () => this.tenants.delete(name),
      );
    }
    return t;
  }

  /** Flushes every tenant, each independently of the others. */
  async flushAll(): Promise<void> {
    await Promise.all([...this.tenants.values()].map(async (t) => (await t).flush()));
  }

  /** Limits of live queries, from the config. */
  get liveLimits(): LiveLimits {
    return { maxLagBatches: this.config['live-max-lag'], maxLagBytes: this.config['live-max-lag-bytes'] };
  }

  /** Ends every live query (their HTTP streams finish). */
  async endLiveQueries(): Promise<void> {
    for (const t of this.tenants.values()) for (const s of (await t).subscribers) s.close();
  }

  /** Stops sources, flushes every tenant and closes the WALs. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.flushTimers.values()) clearTimeout(timer);
    await this.components.stopAll();
    await this.auditLog.close();
    await Promise.all([...this.tenants.values()].map(async (t) => (await t).close()));
    this.releaseDatabase();
  }
}
