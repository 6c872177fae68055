/** Node endpoints (`HOST:PORT`) and the media type clients and nodes exchange; kept free of heavy imports for the CLI. */
import { VastError } from '../diagnostics.js';

export const DEFAULT_ENDPOINT = '127.0.0.1:42000';

/** The media type of Arrow IPC streams on the wire. */
export const ARROW_STREAM = 'application/vnd.apache.arrow.stream';
/** Schema metadata key of the Arrow message that ends a failed export stream with its error. */
export const STREAM_ERROR_KEY = 'vast.error';

/** Splits `HOST:PORT` (IPv6 hosts in brackets). */
export function parseEndpoint(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text);
  if (!m || Number(m[3]) > 65535) throw new VastError(`invalid endpoint '${text}' (expected HOST:PORT)`);
  return { host: m[1] ?? m[2], port: Number(m[3]) };
}
