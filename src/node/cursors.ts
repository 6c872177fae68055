/**
 * Open paged queries (`query/new`, `query/:id/next`): each holds a running
 * query between pages. Idle cursors expire, so clients that walk away do not
 * hold memory forever.
 */
import { randomUUID } from 'node:crypto';
import type * as A from 'apache-arrow';
import type { QueryBudget } from '../query/run.js';

export interface Cursor {
  iterator: AsyncIterator<A.RecordBatch>;
  budget: QueryBudget;
  abort: AbortController;
  pending: A.RecordBatch | undefined;
  tenant: string;
  touched: number;
  /** A page is being computed: not idle, whatever `touched` says. */
  busy: boolean;
}

export class CursorStore {
  private readonly cursors = new Map<string, Cursor>();
  private readonly sweep: NodeJS.Timeout;

  constructor(ttlMs: number) {
    this.sweep = setInterval(
      () => {
        const now = Date.now();
        for (const [id, c] of this.cursors) if (!c.busy && now - c.touched > ttlMs) this.drop(id);
      },
      Math.min(ttlMs / 4, 60_000),
    );
    this.sweep.unref();
  }

  /** Adds a cursor; returns its id. */
  open(c: Omit<Cursor, 'pending' | 'touched' | 'busy'>): string {
    const id = randomUUID();
    this.cursors.set(id, { ...c, pending: undefined, touched: Date.now(), busy: false });
    return id;
  }

  /** A tenant's cursor by id; undefined for another tenant's (its ids are not this tenant's business). */
  get(id: string, tenant: string): Cursor | undefined {
    const c = this.cursors.get(id);
    return c && c.tenant === tenant ? c : undefined;
  }

  /** How many cursors a tenant has open. */
  openBy(tenant: string): number {
    let n = 0;
    for (const c of this.cursors.values()) if (c.tenant === tenant) n++;
    return n;
  }

  /** Forgets a cursor whose query already ended. */
  forget(id: string): void {
    this.cursors.delete(id);
  }

  /** Cancels a cursor's query and forgets it. */
  drop(id: string): void {
    const c = this.cursors.get(id);
    if (!c) return;
    c.abort.abort();
    c.iterator.return?.().catch(() => {});
    this.cursors.delete(id);
  }

  close(): void {
    clearInterval(this.sweep);
    for (const id of [...this.cursors.keys()]) this.drop(id);
  }
}
