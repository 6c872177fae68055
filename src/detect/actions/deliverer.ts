/**
 * The contract between the dispatcher's delivery loops and the transports
 * (`webhook.ts`, `exec.ts`, `syslog.ts`): one record at a time, resolve when
 * it is delivered, reject with an Error saying why it was not.
 */
import { execDeliverer } from './exec.js';
import type { ActionSpec } from './spec.js';
import { syslogDeliverer } from './syslog.js';
import { webhookDeliverer } from './webhook.js';

/** How long one delivery attempt may take before it counts as failed. */
export const DELIVERY_TIMEOUT_MS = 10_000;

/** Sends records of one action. Calls of `deliver` never overlap (the dispatcher awaits each). */
export interface Deliverer {
  /**
   * Delivers one record, given as its JSON text. Resolves once delivered;
   * rejects with an Error (a `DeliveryError` with `permanent` when retrying
   * cannot help) otherwise, including when `signal` aborts.
   */
  deliver(json: string, signal: AbortSignal): Promise<void>;
  /** Releases connections; no `deliver` follows. */
  close(): void;
}

/** A failed delivery; `permanent` when the same record can never succeed (a UDP datagram too big). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent = false,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** The transport of an action. */
export function createDeliverer(spec: ActionSpec): Deliverer {
  switch (spec.kind) {
    case 'webhook':
      return webhookDeliverer(spec.url);
    case 'exec':
      return execDeliverer(spec.command);
    case 'syslog':
      return syslogDeliverer(spec.host, spec.port, spec.protocol);
    default: {
      const never: never = spec;
      throw new Error(`unknown action ${JSON.stringify(never)}`);
    }
  }
}
