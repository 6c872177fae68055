/**
 * `syslog=udp://HOST:PORT` / `tcp://HOST:PORT`: one RFC 5424 message per record,
 *
 *     <12>1 2026-12-05T21:50:16.123Z myhost vast 4242 sighting - {"kind":"sighting",...}
 *
 * facility user (1), severity warning (4); APP-NAME `vast`; PROCID the pid;
 * MSGID the record's `kind` when it is a string (else `vast`); no structured
 * data; MSG the record's JSON with non-ASCII characters escaped as `\uXXXX`,
 * so MSG is plain ASCII and needs no BOM (RFC 5424 section 6.4).
 *
 * - UDP (RFC 5426): one datagram per message; delivered once the kernel took
 *   it (UDP has no acknowledgement). A message too big for a datagram is a
 *   permanent failure: the record is dropped rather than retried forever.
 * - TCP (RFC 6587 octet counting, `LEN SP MSG`): one connection kept open and
 *   reopened after an error; delivered once the write is handed to the kernel.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, isIPv6, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { DELIVERY_TIMEOUT_MS, type Deliverer, DeliveryError } from './deliverer.js';

/** `<PRI>`: facility user (1) * 8 + severity warning (4). */
const PRI = 12;

/** PRINTUSASCII without spaces, at most `max` characters, `-` when nothing is left (RFC 5424 section 6). */
function header(text: string, max: number): string {
  const s = text.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return s === '' ? '-' : s;
}

const HOSTNAME = header(hostname(), 255);

/** The RFC 5424 message for a record given as JSON text. */
function syslogMessage(json: string, now = new Date()): string {
  let kind: unknown;
  try {
    kind = (JSON.parse(json) as { kind?: unknown } | null)?.kind;
  } catch {
    kind = undefined;
  }
  const msgid = typeof kind === 'string' ? header(kind, 32) : 'vast';
  const msg = json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `<${PRI}>1 ${now.toISOString()} ${HOSTNAME} vast ${process.pid} ${msgid} - ${msg}`;
}

export function syslogDeliverer(host: string, port: number, protocol: 'udp' | 'tcp'): Deliverer {
  return protocol === 'udp' ? udpDeliverer(host, port) : tcpDeliverer(host, port);
}

function udpDeliverer(host: string, port: number): Deliverer {
  let socket: UdpSocket | undefined;
  return {
    deliver(json) {
      if (!socket) {
        const created = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
        created.on('error', () => {
          if (socket === created) socket = undefined;
          try {
            created.close();
          } catch {
            // already closed
          }
        });
        created.unref();
        socket = created;
      }
      const s = socket;
      return new Promise<void>((resolve, reject) => {
        s.send(syslogMessage(json), port, host, (err) => {
          if (!err) return resolve();
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ERR_SOCKET_DGRAM_NOT_RUNNING' && socket === s) socket = undefined;
          reject(new DeliveryError(`syslog udp://${host}:${port}: ${err.message}`, code === 'EMSGSIZE'));
        });
      });
    },
    close() {
      try {
        socket?.close();
      } catch {
        // already closed after an error
      }
      socket = undefined;
    },
  };
}

function tcpDeliverer(host: string, port: number): Deliverer {
  let socket: Socket | undefined;
  let connected: Promise<Socket> | undefined;
  const where = `syslog tcp://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const drop = (s: Socket) => {
    s.destroy();
    if (socket === s) {
      socket = undefined;
      connected = undefined;
    }
  };
  const open = (): Promise<Socket> => {
    connected ??= new Promise<Socket>((resolve, reject) => {
      const s = connect({ host, port });
      socket = s;
      s.setNoDelay(true);
      s.setTimeout(DELIVERY_TIMEOUT_MS);
      s.on('timeout', () => s.destroy(new Error(`no connection within ${DELIVERY_TIMEOUT_MS} ms`)));
      s.once('connect', () => {
        s.setTimeout(0);
        resolve(s);
      });
      s.on('error', (e) => {
        drop(s);
        reject(new DeliveryError(`${where}: ${e.message}`));
      });
      s.on('close', () => drop(s));
      // The receiver sends nothing; reading keeps a half-closed peer from going unnoticed.
      s.resume();
    });
    return connected;
  };
  return {
    async deliver(json, signal) {
      const s = await open();
      if (signal.aborted) throw new DeliveryError('aborted');
      const msg = Buffer.from(syslogMessage(json));
      await new Promise<void>((resolve, reject) => {
        s.write(Buffer.concat([Buffer.from(`${msg.length} `), msg]), (err) => {
          if (!err) return resolve();
          drop(s);
          reject(new DeliveryError(`${where}: ${err.message}`));
        });
      });
    },
    close() {
      if (socket) drop(socket);
    },
  };
}
