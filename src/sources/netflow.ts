/**
 * `netflow`: a NetFlow v5/v9/IPFIX collector. Binds a UDP socket
 * (`--listen 127.0.0.1:2055`, IPv6 as `[::1]:2055`), decodes every datagram
 * as one export packet with the `netflow` format's decoder and emits
 * `netflow.flow` batches.
 *
 * Batches go out when they reach `--batch-size` flows and at least every
 * `--flush-interval` milliseconds. While the node takes a batch (`ctx.emit`
 * pending), datagrams wait in a queue of at most `--max-pending`; beyond that
 * they are dropped and counted (`status().dropped`): UDP has no backpressure,
 * so memory stays bounded instead. A larger `--receive-buffer` lets the
 * kernel absorb bursts meanwhile. Diagnostics (broken packets, unknown
 * templates) are rate-limited to 20 per 10 seconds, with a count of the rest.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { errorDiagnostic, UsageError, VastError } from '../diagnostics.js';
import { NetflowDecoder } from '../formats/netflow/index.js';
import { option } from '../formats/options.js';
import { parseHostPort } from '../util/host-port.js';
import { BatchPump, rateLimited } from './lifecycle.js';
import type { RunningSource, SourceContext, SourceDef, SourceOptions, SourceStatus } from './source.js';

/** What `status()` reports beyond the common fields. */
export interface NetflowSourceStatus extends SourceStatus {
  /** Datagrams received. */
  readonly packets: number;
  /** Datagrams dropped because the queue was full while a batch was being handed over. */
  readonly dropped: number;
  /** Data sets dropped because their template had not arrived. */
  readonly missingTemplate: number;
}

interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** `host:port`, `[v6]:port` or `:port`, with an optional `udp://` or `/udp`. */
export function parseUdpEndpoint(text: string, defaultPort: number): Endpoint {
  const { host, port, transport } = parseHostPort(text, {
    schemes: ['udp'],
    transportSuffix: true,
    defaultPort,
    defaultHost: '0.0.0.0',
    what: 'listen address',
    expected: 'host:port or [ipv6]:port',
  });
  if (transport === 'tcp')
    throw new UsageError(`invalid listen address '${text}': NetFlow comes over UDP only`);
  return { host, port };
}

export const netflowSource: SourceDef = {
  name: 'netflow',
  description: 'NetFlow v5/v9 and IPFIX collector on a UDP socket',
  options: {
    listen: option.string('UDP address to bind: host:port or [ipv6]:port', {
      short: 'l',
      default: '127.0.0.1:2055',
    }),
    'batch-size': option.integer('flows per batch', { default: 65_536, min: 1, max: 1_048_576 }),
    // Below 50 ms the flush timer would keep the node busy.
    'flush-interval': option.integer('milliseconds after which a partial batch is emitted', {
      default: 1000,
      min: 50,
      max: 3_600_000,
    }),
    'max-pending': option.integer('datagrams queued while a batch is handed over; more are dropped', {
      default: 10_000,
      min: 0,
      max: 1_000_000,
    }),
    'receive-buffer': option.integer('socket receive buffer in bytes (capped by the OS)', {
      default: 4 * 1024 * 1024,
      min: 0,
      max: 256 * 1024 * 1024,
    }),
  },
  start: startNetflow,
};

async function startNetflow(options: SourceOptions, ctx: SourceContext): Promise<RunningSource> {
  const { host, port } = parseUdpEndpoint(String(options.listen ?? '127.0.0.1:2055'), 2055);
  // Only addresses the operator allows (source-bind-addresses): by default, loopback.
  ctx.policy.checkBind('netflow', host);
  const batchSize = Number(options['batch-size'] ?? 65_536);
  const flushInterval = Number(options['flush-interval'] ?? 1000);
  const maxPending = Number(options['max-pending'] ?? 10_000);
  const report = rateLimited((d) => ctx.report(d));
  const decoder = new NetflowDecoder({ batchSize, report, schemas: ctx.schemas });

  const socket: Socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (e) =>
      reject(new VastError(`netflow: cannot listen on udp://${host}:${port}: ${e.message}`)),
    );
    socket.bind(port, host, () => resolve());
  });
  try {
    socket.setRecvBufferSize(Number(options['receive-buffer'] ?? 4 * 1024 * 1024));
  } catch {
    // The OS refused the size; its default stays.
  }
  const bound = socket.address();
  const endpoint =
    bound.family === 'IPv6'
      ? `udp://[${bound.address}]:${bound.port}`
      : `udp://${bound.address}:${bound.port}`;

  let bytes = 0;
  let dropped = 0;
  // Datagrams that arrived while a batch was being handed over; `head` is the next to decode.
  const queue: { payload: Buffer; exporter: string }[] = [];
  let head = 0;

  const drain = () => {
    for (; head < queue.length; head++) decoder.decode(queue[head].payload, queue[head].exporter);
    queue.length = 0;
    head = 0;
  };

  // Hands batches to the node one at a time; datagrams queue up meanwhile.
  const pump = new BatchPump({
    signal: ctx.signal,
    flushInterval,
    drain,
    takeFull: () => decoder.takeFull(),
    flush: () => decoder.flush(),
    emit: (b) => ctx.emit(b),
    close: () => new Promise<void>((r) => socket.close(() => r())),
  });

  socket.on('message', (msg, rinfo) => {
    if (pump.stopped) return;
    bytes += msg.length;
    const exporter =
      rinfo.family === 'IPv6' ? `[${rinfo.address}]:${rinfo.port}` : `${rinfo.address}:${rinfo.port}`;
    if (pump.busy) {
      if (queue.length - head >= maxPending) dropped++;
      else queue.push({ payload: msg, exporter });
      return;
    }
    decoder.decode(msg, exporter);
    if (decoder.rows >= batchSize) void pump.pump();
  });
  socket.on('error', (e) =>
    report(errorDiagnostic(`netflow: socket error on ${endpoint}: ${e.message}`, { recoverable: true })),
  );

  pump.start();

  return {
    done: pump.done,
    stop: () => pump.stop(),
    status(): NetflowSourceStatus {
      return {
        events: decoder.stats.flows,
        bytes,
        errors: decoder.stats.errors,
        endpoint,
        packets: decoder.stats.packets + (queue.length - head) + dropped,
        dropped,
        missingTemplate: decoder.stats.missingTemplate,
      };
    },
  };
}
