/** TLS options of the node's HTTP server, read from the config. */
import { readFileSync } from 'node:fs';
import { VastError } from '../diagnostics.js';
import type { NodeConfig } from './config.js';

/** TLS options for the server from the config, or undefined for plain HTTP; unreadable files are clear errors. */
export function tlsOptions(config: NodeConfig) {
  const { certfile, keyfile } = config;
  const clientCa = config['client-ca'];
  if (!certfile && !keyfile) {
    if (clientCa) throw new VastError("'client-ca' needs TLS: give 'certfile' and 'keyfile' too");
    return undefined;
  }
  if (!certfile || !keyfile) throw new VastError("TLS needs both 'certfile' and 'keyfile'");
  const read = (key: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new VastError(
        `cannot read ${key} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  };
  return {
    cert: read('certfile', certfile),
    key: read('keyfile', keyfile),
    ...(clientCa ? { ca: read('client-ca', clientCa), requestCert: true, rejectUnauthorized: true } : {}),
    // A client that connects and never completes the handshake holds a socket like an idle one.
    handshakeTimeout: config['headers-timeout'] * 1000,
  };
}
