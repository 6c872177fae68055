/**
 * Bearer tokens. A token belongs to a tenant and has a role: `read` (queries,
 * status), `write` (also import and flush) or `admin` (also tokens, stop,
 * sources, every tenant). The admin token is created on the first start and
 * printed once. Only SHA-256 hashes are stored, in `<db>/tokens.json`
 * (mode 0600), written atomically.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/fs-util.js';

export const DEFAULT_TENANT = 'default';

export const ROLES = ['read', 'write', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Whether a token of role `have` may do what needs role `need` (each role implies the ones before it). */
export const roleAllows = (have: Role, need: Role): boolean => ROLES.indexOf(have) >= ROLES.indexOf(need);

export interface Principal {
  readonly tenant: string;
  readonly role: Role;
  /** True iff the role is admin (kept as a field: many checks only ask this). */
  readonly admin: boolean;
  readonly tokenId: string;
}

/** What `vast token list` shows: never the token or its hash. */
export interface TokenInfo {
  id: string;
  tenant: string;
  role: Role;
  created: string;
  /** ISO time, or null for a token that does not expire. */
  expires: string | null;
}

interface TokenRecord extends TokenInfo {
  hash: string;
}

/** Records written before roles existed: `{hash, tenant, admin, created}`. */
interface LegacyRecord {
  hash: string;
  tenant: string;
  admin?: boolean;
  created: string;
  id?: string;
  role?: Role;
  expires?: string | null;
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex');
const newId = () => `tok_${randomBytes(6).toString('hex')}`;

/** Tenant names become directory names: keep them boring. */
export const TENANT_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Why a token was refused, for the 401 message. */
export type Refusal = 'invalid token' | 'token expired';

export class TokenStore {
  private records: TokenRecord[];
  private constructor(private readonly path: string) {
    const raw = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as LegacyRecord[]) : [];
    let migrated = false;
    this.records = raw.map((r) => {
      if (r.id && r.role) return { ...r, id: r.id, role: r.role, expires: r.expires ?? null };
      migrated = true;
      // Before roles: the admin flag meant everything, every other token could import and query.
      return {
        id: newId(),
        hash: r.hash,
        tenant: r.tenant,
        role: r.admin ? 'admin' : 'write',
        created: r.created,
        expires: null,
      };
    });
    if (migrated) this.save();
    // Files from older versions were written 0644: other local users could read the hashes.
    else if (existsSync(path)) chmodSync(path, 0o600);
  }

  static open(db: string): TokenStore {
    return new TokenStore(join(db, 'tokens.json'));
  }

  private save(): void {
    writeFileAtomic(this.path, JSON.stringify(this.records, null, 2));
  }

  /** Creates the admin token if there is none yet; returns it (the only time it is known in clear). */
  ensureAdmin(): string | undefined {
    if (this.records.some((r) => r.role === 'admin')) return undefined;
    return this.create(DEFAULT_TENANT, 'admin').token;
  }

  /**
   * Creates a token; the clear text is returned only here. The default tenant
   * is the admin's data: only admin tokens belong to it, and admin tokens only to it.
   */
  create(tenant: string, role: Role = 'write', expires: Date | null = null): { id: string; token: string } {
    if (!TENANT_RE.test(tenant))
      throw new Error(`invalid tenant name '${tenant}' (lowercase letters, digits, - and _)`);
    if (role !== 'admin' && tenant === DEFAULT_TENANT)
      throw new Error(
        `tenant '${DEFAULT_TENANT}' holds the admin's data (and the audit log): only admin tokens may use it`,
      );
    if (role === 'admin' && tenant !== DEFAULT_TENANT)
      throw new Error(`admin tokens belong to tenant '${DEFAULT_TENANT}' (they may act on every tenant)`);
    const token = `vast_${randomBytes(24).toString('base64url')}`;
    const id = newId();
    this.records.push({
      id,
      hash: hash(token),
      tenant,
      role,
      created: new Date().toISOString(),
      expires: expires ? expires.toISOString() : null,
    });
    this.save();
    return { id, token };
  }

  list(): TokenInfo[] {
    return this.records.map(({ id, tenant, role, created, expires }) => ({
      id,
      tenant,
      role,
      created,
      expires,
    }));
  }

  /**
   * Revokes a token by id; returns what was revoked, or undefined for an
   * unknown id. The last admin token cannot be revoked: nobody could manage the node.
   */
  revoke(id: string): TokenInfo | undefined {
    const i = this.records.findIndex((r) => r.id === id);
    if (i < 0) return undefined;
    const r = this.records[i];
    if (r.role === 'admin' && this.records.filter((x) => x.role === 'admin').length === 1)
      throw new Error(`cannot revoke ${id}: it is the last admin token (create another admin token first)`);
    this.records.splice(i, 1);
    this.save();
    return { id: r.id, tenant: r.tenant, role: r.role, created: r.created, expires: r.expires };
  }

  /** The principal of a token, or why it is refused (hashes compared in constant time). */
  verify(token: string, now = Date.now()): Principal | Refusal {
    const h = Buffer.from(hash(token), 'hex');
    for (const r of this.records) {
      if (!timingSafeEqual(h, Buffer.from(r.hash, 'hex'))) continue;
      if (r.expires !== null && Date.parse(r.expires) <= now) return 'token expired';
      return { tenant: r.tenant, role: r.role, admin: r.role === 'admin', tokenId: r.id };
    }
    return 'invalid token';
  }
}
