/**
 * `webhook=URL`: one HTTP POST per record, body = the record's JSON,
 * `content-type: application/json`. A 2xx answer is delivery; any other
 * status, a network error or no answer within the timeout is a failure to retry.
 */
import { DELIVERY_TIMEOUT_MS, type Deliverer, DeliveryError } from './deliverer.js';

export function webhookDeliverer(url: string): Deliverer {
  return {
    async deliver(json, signal) {
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'vast' },
          body: json,
          signal: AbortSignal.any([signal, AbortSignal.timeout(DELIVERY_TIMEOUT_MS)]),
        });
      } catch (e) {
        const err = e as Error & { cause?: { code?: string; message?: string } };
        const why = err.name === 'TimeoutError' ? `no answer within ${DELIVERY_TIMEOUT_MS} ms` : err.message;
        const cause = err.cause?.code ?? err.cause?.message;
        throw new DeliveryError(`POST ${url}: ${why}${cause ? ` (${cause})` : ''}`);
      }
      // Read the body so the connection goes back to the pool.
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status > 299) throw new DeliveryError(`POST ${url}: HTTP ${res.status}`);
    },
    close() {},
  };
}
