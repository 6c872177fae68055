/**
 * `syslog`: a syslog receiver (`--listen udp://127.0.0.1:5514` or
 * `tcp://...`; IPv6 as `udp://[::1]:5514`). Messages are parsed by the
 * `syslog` format's parser into `syslog.rfc5424`, `syslog.rfc3164` or
 * `syslog.unknown` events. The default port is 5514, as 514 needs root.
 *
 * - UDP (RFC 5426): one datagram is one message.
 * - TCP (RFC 6587): octet counting (`LEN SP MSG`) and newline framing
 *   (`MSG LF`), chosen per message by its first character (a digit means a
 *   length: syslog messages start with `<`). Many connections at once, at most
 *   `--max-connections`.
 *
 * A message longer than `--max-message-size` bytes is dropped with a
 * diagnostic and the connection goes on: an octet-counted one is skipped by
 * its length, a newline-framed one up to its newline. So each connection
 * buffers at most one message.
 *
 * Batches go out at `--batch-size` events and at least every
 * `--flush-interval` milliseconds. While the node takes a batch, TCP
 * connections are paused (the senders feel TCP backpressure) and UDP
 * datagrams wait in a queue of at most `--max-pending`, beyond which they are
 * dropped and counted. The sender's address is not recorded (the events carry
 * the message's own hostname). No TLS.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import { errorDiagnostic, UsageError, VastError, warningDiagnostic } from '../diagnostics.js';
import { option } from '../formats/options.js';
import { SyslogParser } from '../formats/syslog/index.js';
import { formatHostPort, parseHostPort } from '../util/host-port.js';
import { BatchPump, rateLimited } from './lifecycle.js';
import type { RunningSource, SourceContext, SourceDef, SourceOptions, SourceStatus } from './source.js';

/** What `status()` reports beyond the common fields. */
export interface SyslogSourceStatus extends SourceStatus {
  /** Messages dropped: over-long, or UDP while the queue was full. */
  readonly dropped: number;
  /** Messages that were neither RFC 5424 nor RFC 3164 (kept as `syslog.unknown`). */
  readonly unknown: number;
  /** Open TCP connections. */
  readonly connections: number;
}

interface Listen {
  readonly transport: 'udp' | 'tcp';
  readonly host: string;
  readonly port: number;
}

/** `udp://host:port`, `tcp://[v6]:port`, `host:port/tcp` (VAST's spelling) or `host:port` (UDP). */
export function parseListen(text: string): Listen {
  const { host, port, scheme, transport } = parseHostPort(text, {
    schemes: ['udp', 'tcp'],
    transportSuffix: true,
    defaultPort: 5514,
    defaultHost: '0.0.0.0',
    what: 'listen address',
    expected: 'udp://host:port, tcp://host:port or host:port/tcp',
  });
  if (scheme !== undefined && transport !== undefined && scheme !== transport)
    throw new UsageError(`invalid listen address '${text}': ${scheme}:// and /${transport} disagree`);
  return { transport: (scheme as 'udp' | 'tcp' | undefined) ?? transport ?? 'udp', host, port };
}

const NL = 10;
const CR = 13;
const SP = 32;
const EMPTY = Buffer.alloc(0);

/**
 * RFC 6587 framing of one TCP connection. Calls `onFrame` for every message
 * (without its terminator) and `onTooLong` for every message it drops; keeps
 * at most one partial message of at most `max` bytes between pushes.
 */
export class TcpFramer {
  private buf: Buffer = EMPTY;
  /** Bytes still to drop of an over-long octet-counted message. */
  private discard = 0;
  /** Whether an over-long newline-framed message is being dropped up to its newline. */
  private skipLine = false;

  constructor(
    private readonly max: number,
    private readonly onFrame: (b: Uint8Array, s: number, e: number) => void,
    /** `atLeast`: the message's end has not arrived, `bytes` is what came so far. */
    private readonly onTooLong: (bytes: number, atLeast: boolean) => void,
  ) {}

  push(chunk: Buffer): void {
    const b = this.buf.length > 0 ? Buffer.concat([this.buf, chunk]) : chunk;
    let p = 0;
    for (;;) {
      if (this.discard > 0) {
        const n = Math.min(this.discard, b.length - p);
        p += n;
        this.discard -= n;
        if (this.discard > 0) break;
        continue;
      }
      if (this.skipLine) {
        const nl = b.indexOf(NL, p);
        if (nl < 0) {
          p = b.length;
          break;
        }
        p = nl + 1;
        this.skipLine = false;
        continue;
      }
      // Stray terminators between messages.
      while (p < b.length && (b[p] === NL || b[p] === CR || b[p] === 0)) p++;
      if (p >= b.length) break;
      if (b[p] >= 48 && b[p] <= 57) {
        // Octet counting: `LEN SP MSG`, LEN up to 9 digits.
        let q = p;
        let len = 0;
        while (q < b.length && q - p < 10 && b[q] >= 48 && b[q] <= 57) len = len * 10 + b[q++] - 48;
        if (q >= b.length && q - p < 10) break; // the length is not complete yet
        if (b[q] === SP && q - p <= 9) {
          const start = q + 1;
          if (len > this.max) {
            this.onTooLong(len, false);
            this.discard = len;
            p = start;
            continue;
          }
          if (b.length - start < len) break;
          this.onFrame(b, start, start + len);
          p = start + len;
          continue;
        }
        // Digits without a space: a newline-framed message that starts with a digit.
      }
      const nl = b.indexOf(NL, p);
      if (nl < 0) {
        if (b.length - p > this.max) {
          this.onTooLong(b.length - p, true);
          this.skipLine = true;
          p = b.length;
        }
        break;
      }
      if (nl - p > this.max) this.onTooLong(nl - p, false);
      else this.onFrame(b, p, nl);
      p = nl + 1;
    }
    // Copy the remainder so that a large chunk is not kept alive by a small tail.
    this.buf = p < b.length ? Buffer.from(b.subarray(p)) : EMPTY;
  }

  /**
   * The connection ended: a last newline-framed message without its newline
   * still counts. Returns the bytes of an octet-counted message cut short (0
   * when there is none), which are lost.
   */
  end(): number {
    const rest = this.buf;
    this.buf = EMPTY;
    if (this.discard > 0 || this.skipLine || rest.length === 0) return 0;
    if (/^\d{1,9}(?: |$)/.test(rest.subarray(0, 10).toString('latin1'))) return rest.length;
    this.onFrame(rest, 0, rest.length);
    return 0;
  }
}

export const syslogSource: SourceDef = {
  name: 'syslog',
  description: 'syslog receiver (RFC 5424 and RFC 3164) over UDP or TCP',
  options: {
    listen: option.string('udp://host:port or tcp://host:port', {
      short: 'l',
      default: 'udp://127.0.0.1:5514',
    }),
    'batch-size': option.integer('events per batch', { default: 65_536, min: 1, max: 1_048_576 }),
    // Below 50 ms the flush timer would keep the node busy.
    'flush-interval': option.integer('milliseconds after which a partial batch is emitted', {
      default: 1000,
      min: 50,
      max: 3_600_000,
    }),
    'max-message-size': option.integer('longest message in bytes; longer ones are dropped', {
      default: 65_536,
      min: 1,
      max: 16_777_216,
    }),
    'max-connections': option.integer('most TCP connections at once', { default: 256, min: 1, max: 65_535 }),
    'max-pending': option.integer('UDP datagrams queued while a batch is handed over', {
      default: 10_000,
      min: 0,
      max: 1_000_000,
    }),
  },
  start: startSyslog,
};

async function startSyslog(options: SourceOptions, ctx: SourceContext): Promise<RunningSource> {
  const { transport, host, port } = parseListen(String(options.listen ?? 'udp://127.0.0.1:5514'));
  // Only addresses the operator allows (source-bind-addresses): by default, loopback.
  ctx.policy.checkBind('syslog', host);
  const batchSize = Number(options['batch-size'] ?? 65_536);
  const flushInterval = Number(options['flush-interval'] ?? 1000);
  const maxMessage = Number(options['max-message-size'] ?? 65_536);
  const maxConnections = Number(options['max-connections'] ?? 256);
  const maxPending = Number(options['max-pending'] ?? 10_000);
  const report = rateLimited((d) => ctx.report(d));
  const parser = new SyslogParser({ batchSize });

  let events = 0;
  let bytes = 0;
  let dropped = 0;
  let errors = 0;
  const queue: Buffer[] = [];
  const connections = new Map<Socket, TcpFramer>();

  const tooLong = (size: number, from: string, atLeast = false) => {
    dropped++;
    errors++;
    report(
      errorDiagnostic(
        `syslog message of ${size} bytes${atLeast ? ' or more' : ''} from ${from} is longer than --max-message-size ${maxMessage}; dropped`,
        { recoverable: true },
      ),
    );
  };
  const message = (b: Uint8Array, s: number, e: number) => {
    while (e > s && (b[e - 1] === NL || b[e - 1] === CR || b[e - 1] === 0)) e--;
    if (e === s) return;
    parser.parse(b, s, e);
    events++;
    if (parser.rows >= batchSize) void pump.pump();
  };

  let endpoint: string;
  let close: () => Promise<void>;
  // Hands batches to the node one at a time; TCP pauses and UDP queues meanwhile.
  const pump = new BatchPump({
    signal: ctx.signal,
    flushInterval,
    drain: () => {
      for (const d of queue.splice(0)) message(d, 0, d.length);
    },
    takeFull: () => parser.takeFull(),
    flush: () => parser.flush(),
    emit: (b) => ctx.emit(b),
    close: () => close(),
    busy: (busy) => {
      for (const sock of connections.keys()) busy ? sock.pause() : sock.resume();
    },
  });

  const listenError = (e: Error) =>
    new VastError(`syslog: cannot listen on ${transport}://${formatHostPort(host, port)}: ${e.message}`);

  if (transport === 'udp') {
    const socket: UdpSocket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (e) => reject(listenError(e)));
      socket.bind(port, host, () => resolve());
    });
    const a = socket.address();
    endpoint = `udp://${formatHostPort(a.address, a.port)}`;
    socket.on('message', (msg, rinfo) => {
      if (pump.stopped) return;
      bytes += msg.length;
      if (msg.length > maxMessage) return tooLong(msg.length, formatHostPort(rinfo.address, rinfo.port));
      if (!pump.busy) return message(msg, 0, msg.length);
      if (queue.length >= maxPending) dropped++;
      else queue.push(msg);
    });
    socket.on('error', (e) =>
      report(errorDiagnostic(`syslog: socket error on ${endpoint}: ${e.message}`, { recoverable: true })),
    );
    close = () => new Promise<void>((r) => socket.close(() => r()));
  } else {
    const server: Server = createServer((sock) => {
      const from = formatHostPort(sock.remoteAddress ?? '?', sock.remotePort ?? 0);
      const framer = new TcpFramer(maxMessage, message, (n, atLeast) => tooLong(n, from, atLeast));
      connections.set(sock, framer);
      if (pump.busy) sock.pause();
      sock.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        framer.push(chunk);
      });
      sock.on('end', () => {
        const lost = framer.end();
        if (lost > 0) {
          errors++;
          report(
            warningDiagnostic(
              `syslog: connection from ${from} closed in the middle of an octet-counted message; ${lost} bytes lost`,
            ),
          );
        }
      });
      sock.on('close', () => connections.delete(sock));
      sock.on('error', () => {}); // resets and the like: the connection just ends
    });
    server.maxConnections = maxConnections;
    server.on('drop', (d) =>
      report(
        warningDiagnostic(
          `syslog: refused a connection from ${d?.remoteAddress ?? '?'}: --max-connections ${maxConnections} reached`,
        ),
      ),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(listenError(e)));
      server.listen(port, host, () => resolve());
    });
    const a = server.address() as { address: string; port: number };
    endpoint = `tcp://${formatHostPort(a.address, a.port)}`;
    close = () =>
      new Promise<void>((r) => {
        for (const [sock, framer] of connections) {
          framer.end();
          sock.destroy();
        }
        server.close(() => r());
      });
  }

  pump.start();

  return {
    done: pump.done,
    stop: () => pump.stop(),
    status(): SyslogSourceStatus {
      return {
        events,
        bytes,
        errors,
        endpoint,
        dropped,
        unknown: parser.unknown,
        connections: connections.size,
      };
    },
  };
}
