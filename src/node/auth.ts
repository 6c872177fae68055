/**
 * Bearer tokens. A token belongs to a tenant; the admin token (created on the
 * first start and printed once) may also create tokens. Only SHA-256 hashes
 * are stored, in `<db>/tokens.json`, written atomically.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/fs-util.js';

export const DEFAULT_TENANT = 'default';

export interface Principal {
  readonly tenant: string;
  readonly admin: boolean;
}

interface TokenRecord {
  hash: string;
  tenant: string;
  admin: boolean;
  created: string;
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

/** Tenant names become directory names: keep them boring. */
export const TENANT_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export class TokenStore {
  private records: TokenRecord[];
  private constructor(private readonly path: string) {
    this.records = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as TokenRecord[]) : [];
  }

  static open(db: string): TokenStore {
    return new TokenStore(join(db, 'tokens.json'));
  }

  /** Creates the admin token if there is none yet; returns it (the only time it is known in clear). */
  ensureAdmin(): string | undefined {
    if (this.records.some((r) => r.admin)) return undefined;
    return this.create(DEFAULT_TENANT, true);
  }

  create(tenant: string, admin = false): string {
    if (!TENANT_RE.test(tenant))
      throw new Error(`invalid tenant name '${tenant}' (lowercase letters, digits, - and _)`);
    const token = `vast_${randomBytes(24).toString('base64url')}`;
    this.records.push({ hash: hash(token), tenant, admin, created: new Date().toISOString() });
    writeFileAtomic(this.path, JSON.stringify(this.records, null, 2));
    return token;
  }

  /** The principal of a token, or undefined for an unknown token (compared in constant time). */
  verify(token: string): Principal | undefined {
    const h = Buffer.from(hash(token), 'hex');
    for (const r of this.records) {
      if (timingSafeEqual(h, Buffer.from(r.hash, 'hex'))) return { tenant: r.tenant, admin: r.admin };
    }
    return undefined;
  }
}
