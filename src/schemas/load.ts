import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadRegistry, type SchemaRegistry } from './registry.js';

/** The user's configuration directory ($XDG_CONFIG_HOME/vast or ~/.config/vast). */
export function userConfigDir(): string {
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'vast');
}

/** Shipped schemas, then the user's (`~/.config/vast/schemas`), then the database's own (`<db>/schemas`). */
export function schemaRegistry(db: string): SchemaRegistry {
  return loadRegistry([join(userConfigDir(), 'schemas'), join(db, 'schemas')]);
}
