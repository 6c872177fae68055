/** Queries scanning right now, per tenant (in `status`: shows that a cancelled query really stopped). */
export class RunningQueries {
  private readonly scanning = new Map<string, number>();

  /** Counts a running query until the returned function is called (at most once counts). */
  track(tenant: string): () => void {
    this.scanning.set(tenant, (this.scanning.get(tenant) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.scanning.set(tenant, (this.scanning.get(tenant) ?? 1) - 1);
    };
  }

  of(tenant: string): number {
    return this.scanning.get(tenant) ?? 0;
  }
}
