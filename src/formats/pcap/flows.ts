/**
 * The flow table behind `--cutoff`, after VAST's pcap reader (itself after
 * the Time Machine, http://www.icir.org/vern/papers/time-machine-sigcomm08.pdf):
 * keep the first N transport-payload bytes of every connection, both
 * directions together, and drop the packets that follow, the bulk of the
 * heavy-tailed traffic.
 *
 * Flows are keyed by their Community ID hash (53 bits of it), which is already
 * direction-independent; two flows colliding in 53 bits is a ~1e-4 chance per
 * million concurrent flows, and would only merge their byte counts. The table
 * is bounded: at `maxFlows` the least recently active flow is evicted, and
 * flows idle for `maxAge` seconds (by packet time) expire in sweeps every
 * `expiry` seconds. An evicted or expired flow that comes back starts counting
 * from zero again.
 */

interface Flow {
  /** Payload bytes of the packets kept so far. */
  bytes: number;
  /** Packet time (seconds) of the flow's last packet. */
  last: number;
}

export interface FlowLimits {
  /** Payload bytes per flow after which its packets are dropped. */
  readonly cutoff: number;
  /** Most flows tracked at once. */
  readonly maxFlows: number;
  /** Seconds of inactivity after which a flow is forgotten. */
  readonly maxAge: number;
  /** Seconds between expiry sweeps. */
  readonly expiry: number;
}

export class FlowTable {
  // A Map iterates in insertion order; re-inserting a flow on every packet keeps it ordered by last activity.
  private readonly flows = new Map<number, Flow>();
  private nextSweep = Number.NEGATIVE_INFINITY;
  /** Flows dropped to stay within `maxFlows`. */
  evicted = 0;

  constructor(readonly limits: FlowLimits) {}

  get size(): number {
    return this.flows.size;
  }

  /**
   * Accounts a packet of flow `key` with `payload` bytes at time `now`
   * (seconds); returns whether to keep it. A packet is kept while the flow's
   * kept bytes are below the cutoff, so the packet that crosses it is kept whole.
   */
  admit(key: number, payload: number, now: number): boolean {
    const { cutoff, maxFlows, maxAge, expiry } = this.limits;
    if (now >= this.nextSweep) {
      this.sweep(now - maxAge);
      this.nextSweep = now + expiry;
    }
    let flow = this.flows.get(key);
    if (flow === undefined) {
      if (this.flows.size >= maxFlows) {
        const oldest = this.flows.keys().next();
        if (!oldest.done) {
          this.flows.delete(oldest.value);
          this.evicted++;
        }
      }
      flow = { bytes: 0, last: now };
    } else this.flows.delete(key);
    this.flows.set(key, flow);
    flow.last = now;
    if (flow.bytes >= cutoff) return false;
    flow.bytes += payload;
    return true;
  }

  /** Forgets the flows last active before `horizon`; they are at the front, in activity order. */
  private sweep(horizon: number): void {
    for (const [key, flow] of this.flows) {
      if (flow.last >= horizon) break;
      this.flows.delete(key);
    }
  }
}
