/** Node endpoints (`HOST:PORT`) and the media type clients and nodes exchange; kept free of heavy imports for the CLI. */
import { connect } from 'node:net';
import { VastError } from '../diagnostics.js';
import { parseHostPort } from '../util/host-port.js';

export const DEFAULT_ENDPOINT = '127.0.0.1:42000';

/** The media type of Arrow IPC streams on the wire. */
export const ARROW_STREAM = 'application/vnd.apache.arrow.stream';

/** Splits a node's `HOST:PORT` (IPv6 hosts in brackets). */
export function parseEndpoint(text: string): { host: string; port: number } {
  const { host, port } = parseHostPort(text);
  return { host, port };
}

/** Whether a listen/connect host is this machine only (127.0.0.0/8, ::1, localhost). */
function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * A node reachable from other machines must not send tokens and events in
 * clear: refuses a non-loopback endpoint without TLS unless the operator said `insecure`.
 */
export function checkTransportSecurity(endpoint: string, tls: boolean, insecure: boolean): void {
  const { host } = parseEndpoint(endpoint);
  if (tls || insecure || isLoopbackHost(host)) return;
  throw new VastError(
    `refusing to serve plain HTTP on the non-loopback endpoint ${endpoint}: tokens and events would cross the network in clear; ` +
      'give --certfile and --keyfile for TLS (or --insecure to accept this)',
  );
}

/**
 * A client's endpoint: `HOST:PORT`, `http://HOST:PORT` or `https://HOST:PORT`;
 * `tls` is undefined when no scheme was written.
 */
export function parseClientEndpoint(text: string): { host: string; port: number; tls: boolean | undefined } {
  const { host, port, scheme } = parseHostPort(text, { schemes: ['http', 'https'] });
  return { host, port, tls: scheme === undefined ? undefined : scheme === 'https' };
}

/**
 * Whether something accepts TCP connections at `endpoint` (a quick probe, no
 * HTTP). A closed port refuses at once: no node, so the CLI may use the local
 * database. No answer within the timeout is an error, not "no node": a busy
 * machine may run the timer before it delivers an already completed connect,
 * and falling back to the local database then would write beside the node.
 */
export function probe(endpoint: string, timeoutMs = 5_000): Promise<boolean> {
  const { host, port } = parseClientEndpoint(endpoint);
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    s.setTimeout(timeoutMs, () => {
      s.destroy();
      reject(
        new VastError(
          `the node at ${endpoint} did not answer within ${timeoutMs / 1000} s (is it overloaded?)`,
        ),
      );
    });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      s.destroy();
      resolve(false);
    });
  });
}
