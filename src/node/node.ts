/**
 * The vast node (`vast start`): tenants (store + WAL + live queries), the
 * sources running inside it, tokens, and the periodic flush. The HTTP API in
 * server.ts is a thin layer over this class.
 */
import { mkdirSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { schemaRegistry } from '../cli/schemas.js';
import type { SchemaRegistry } from '../types/registry.js';
import { AUDIT_SCHEMA, type AuditFields, AuditLog } from './audit.js';
import { DEFAULT_TENANT, type Principal, TENANT_RE, TokenStore } from './auth.js';
import { Components } from './components.js';
import type { NodeConfig } from './config.js';
import { Tenant } from './tenant.js';

export class VastNode {
  readonly tokens: TokenStore;
  readonly registry: SchemaRegistry;
  readonly components: Components;
  readonly auditLog: AuditLog;
  readonly started = Date.now();
  private readonly tenants = new Map<string, Promise<Tenant>>();
  private flushTimer: NodeJS.Timeout | undefined;
  /** The admin token, when this start created it (printed once by `vast start`). */
  readonly newAdminToken: string | undefined;

  constructor(
    readonly config: NodeConfig,
    readonly log: Logger = pino({ level: config['log-level'] }),
  ) {
    mkdirSync(config.db, { recursive: true });
    this.tokens = TokenStore.open(config.db);
    this.newAdminToken = this.tokens.ensureAdmin();
    this.registry = schemaRegistry(config.db);
    this.components = new Components(this.registry, log);
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

  /** Opens the default tenant (replaying its WAL) and starts the flush timer. */
  async start(): Promise<void> {
    await this.tenant(DEFAULT_TENANT);
    this.flushTimer = setInterval(() => {
      this.flushAll().catch((e: Error) => this.log.error({ err: e.message }, 'periodic flush failed'));
    }, this.config['flush-interval'] * 1000);
    this.flushTimer.unref();
  }

  /** A tenant's data, opened (and its WAL replayed) on first use. */
  tenant(name: string): Promise<Tenant> {
    if (!TENANT_RE.test(name)) throw new Error(`invalid tenant name '${name}'`);
    let t = this.tenants.get(name);
    if (!t) {
      t = Tenant.open(this.config.db, name, {
        maxPartitionSize: this.config['max-partition-size'],
        log: this.log,
      });
      this.tenants.set(name, t);
    }
    return t;
  }

  async flushAll(): Promise<void> {
    for (const t of this.tenants.values()) await (await t).flush();
  }

  /** Ends every live query (their HTTP streams finish). */
  async endLiveQueries(): Promise<void> {
    for (const t of this.tenants.values()) for (const s of (await t).subscribers) s.close();
  }

  /** Stops sources, flushes every tenant and closes the WALs. */
  async stop(): Promise<void> {
    if (this.flushTimer) clearInterval(this.flushTimer);
    await this.components.stopAll();
    await this.auditLog.close();
    for (const t of this.tenants.values()) await (await t).close();
  }
}
