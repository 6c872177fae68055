/**
 * Any import format as a source inside the node, as VAST's
 * `vast spawn source zeek -r conn.log` and `vast spawn source suricata
 * -r eve.json` did: `-r FILE` reads a file once (the source is done at its
 * end), `--listen HOST:PORT` accepts TCP connections (one reader per
 * connection, so each stream keeps its own headers) and `HOST:PORT/udp`
 * takes datagrams (one reader over all of them; a datagram is one or more
 * whole lines). Formats with a dedicated source (pcap, netflow, syslog) are
 * spawned through that one instead (sources/index.ts).
 *
 * The file must lie in a directory the operator allows (`source-paths`) and a
 * listener may bind only the operator's `source-bind-addresses`.
 */
import { createSocket } from 'node:dgram';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer, isIPv6, type Socket } from 'node:net';
import type * as A from 'apache-arrow';
import { UsageError, VastError } from '../diagnostics.js';
import type { FormatDef } from '../formats/format.js';
import { type OptionValues, option } from '../formats/options.js';
import { readBatches } from '../formats/read.js';
import { formatHostPort, parseHostPort } from '../util/host-port.js';
import { ByteChannel } from './channel.js';
import { rateLimited } from './lifecycle.js';
import type { RunningSource, SourceContext, SourceDef } from './source.js';

/** Milliseconds without input after which a listener's reader hands out the rows it has. */
const IDLE_FLUSH_MS = 1000;
/** TCP connections a format source serves at once; more are refused. */
const MAX_CONNECTIONS = 64;
/** UDP datagrams queued while a batch is handed over; more are dropped and counted. */
const MAX_PENDING_DATAGRAMS = 10_000;
const NL = 10;

/** Options every format source has, before the format's own. */
const commonOptions = {
  read: option.path('read this file once (the source is done at its end)', { short: 'r' }),
  listen: option.string('accept TCP connections on HOST:PORT, or datagrams on HOST:PORT/udp', { short: 'l' }),
  schema: option.string('type events with this schema (json, csv)'),
  selector: option.string('pick the schema by a field, e.g. event_type:suricata (json)'),
};

/** The source that reads `format` from a file or a socket. */
export function formatSource(format: FormatDef): SourceDef {
  return {
    name: format.name,
    description: `${format.description}, from a file (-r) or a socket (--listen)`,
    options: { ...commonOptions, ...format.options },
    start: (options, ctx) => startFormatSource(format, options, ctx),
  };
}

/** Counters a format source reports in `status()`. */
interface Counts {
  events: number;
  bytes: number;
  errors: number;
  dropped: number;
}

async function startFormatSource(
  format: FormatDef,
  options: OptionValues,
  ctx: SourceContext,
): Promise<RunningSource> {
  const { read, listen } = options;
  if ((read === undefined) === (listen === undefined))
    throw new UsageError(
      `source '${format.name}' reads either a file (-r FILE) or a socket (--listen HOST:PORT[/udp]), so give exactly one of them`,
    );
  const extra = Object.fromEntries(Object.keys(format.options ?? {}).map((n) => [n, options[n]]));
  const counts: Counts = { events: 0, bytes: 0, errors: 0, dropped: 0 };
  const report = rateLimited((d) => ctx.report(d));
  /** Reads one input stream to its end, handing each batch to the node before reading on. */
  const pump = async (input: AsyncIterable<Uint8Array>, file: string, signal: AbortSignal) => {
    const batches: AsyncIterable<A.RecordBatch> = readBatches(format, counted(input, counts, signal), {
      file,
      schemas: ctx.schemas,
      onError: 'skip',
      schema: options.schema as string | undefined,
      selector: options.selector as string | undefined,
      extra,
      onDiagnostic: (d) => {
        counts.errors++;
        report(d);
      },
    });
    for await (const b of batches) {
      counts.events += b.numRows;
      await ctx.emit(b);
    }
  };
  const stop = new AbortController();
  const signal = AbortSignal.any([stop.signal, ctx.signal]);
  const running =
    read !== undefined
      ? await readFile(format.name, String(read), ctx, (s) => pump(s, String(read), signal))
      : await listenOn(format.name, String(listen), ctx, counts, pump, signal);
  return {
    status: () => ({ ...counts, endpoint: running.endpoint }),
    async stop() {
      stop.abort();
      await running.close();
      await running.done.catch(() => {});
    },
    done: running.done,
  };
}

interface Transport {
  readonly endpoint: string;
  readonly done: Promise<void>;
  close(): Promise<void>;
}

/** Counts the bytes of a stream, and ends it when the source stops. */
async function* counted(
  input: AsyncIterable<Uint8Array>,
  counts: Counts,
  signal: AbortSignal,
): AsyncIterable<Uint8Array> {
  for await (const chunk of input) {
    if (signal.aborted) return;
    counts.bytes += chunk.length;
    yield chunk;
  }
}

/** `-r FILE`: the file by its real path, opened without following a symlink swapped in after the check. */
async function readFile(
  name: string,
  path: string,
  ctx: SourceContext,
  pump: (s: AsyncIterable<Uint8Array>) => Promise<void>,
): Promise<Transport> {
  const real = await ctx.policy.readable(name, path);
  const fh = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
  const stream = fh.createReadStream({ highWaterMark: 1 << 20 });
  const done = pump(stream).finally(() => stream.destroy());
  done.catch(() => {});
  return { endpoint: `file://${real}`, done, close: async () => void stream.destroy() };
}

/** `--listen HOST:PORT` (TCP) or `HOST:PORT/udp`. */
async function listenOn(
  name: string,
  text: string,
  ctx: SourceContext,
  counts: Counts,
  pump: (s: AsyncIterable<Uint8Array>, file: string, signal: AbortSignal) => Promise<void>,
  signal: AbortSignal,
): Promise<Transport> {
  const { host, port, scheme, transport } = parseHostPort(text, {
    schemes: ['tcp', 'udp'],
    transportSuffix: true,
    what: 'listen address',
    expected: 'HOST:PORT for TCP or HOST:PORT/udp',
  });
  const proto = transport ?? (scheme as 'tcp' | 'udp' | undefined) ?? 'tcp';
  // Only addresses the operator allows (source-bind-addresses): by default, loopback.
  ctx.policy.checkBind(name, host);
  const cannot = (e: Error) =>
    new VastError(`${name}: cannot listen on ${proto}://${formatHostPort(host, port)}: ${e.message}`);
  return proto === 'udp'
    ? listenUdp(host, port, counts, pump, signal, cannot)
    : listenTcp(host, port, pump, signal, cannot);
}

async function listenTcp(
  host: string,
  port: number,
  pump: (s: AsyncIterable<Uint8Array>, file: string, signal: AbortSignal) => Promise<void>,
  signal: AbortSignal,
  cannot: (e: Error) => Error,
): Promise<Transport> {
  const connections = new Set<Promise<void>>();
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    if (sockets.size >= MAX_CONNECTIONS) return void sock.destroy();
    sockets.add(sock);
    const channel = new ByteChannel(IDLE_FLUSH_MS, () => sock.resume());
    sock.on('data', (d: Buffer) => {
      if (!channel.push(d)) sock.pause();
    });
    sock.on('end', () => channel.end());
    sock.on('close', () => channel.end());
    sock.on('error', () => channel.end());
    const peer = `tcp://${formatHostPort(sock.remoteAddress ?? '?', sock.remotePort ?? 0)}`;
    const p = pump(channel, peer, signal)
      .catch(() => {})
      .finally(() => {
        sock.destroy();
        sockets.delete(sock);
        connections.delete(p);
      });
    connections.add(p);
  });
  server.maxConnections = MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(cannot(e)));
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as { address: string; port: number };
  let closed: Promise<void> | undefined;
  let finish!: () => void;
  const done = new Promise<void>((r) => {
    finish = r;
  });
  return {
    endpoint: `tcp://${formatHostPort(a.address, a.port)}`,
    done,
    close() {
      closed ??= (async () => {
        await new Promise<void>((r) => server.close(() => r()));
        // Streams end: what each connection's reader parsed goes out before we are done.
        for (const s of sockets) s.end();
        await Promise.all([...connections]);
        finish();
      })();
      return closed;
    },
  };
}

async function listenUdp(
  host: string,
  port: number,
  counts: Counts,
  pump: (s: AsyncIterable<Uint8Array>, file: string, signal: AbortSignal) => Promise<void>,
  signal: AbortSignal,
  cannot: (e: Error) => Error,
): Promise<Transport> {
  const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (e) => reject(cannot(e)));
    socket.bind(port, host, () => resolve());
  });
  const channel = new ByteChannel(IDLE_FLUSH_MS, undefined, MAX_PENDING_DATAGRAMS);
  socket.on('message', (msg: Buffer) => {
    if (channel.pending >= MAX_PENDING_DATAGRAMS) return void counts.dropped++;
    // A datagram holds whole lines: one without its newline must not run into the next.
    channel.push(
      msg.length > 0 && msg[msg.length - 1] !== NL ? Buffer.concat([msg, Buffer.from('\n')]) : msg,
    );
  });
  const a = socket.address();
  const endpoint = `udp://${formatHostPort(a.address, a.port)}`;
  const done = pump(channel, endpoint, signal);
  done.catch(() => {});
  let closed: Promise<void> | undefined;
  return {
    endpoint,
    done,
    close() {
      closed ??= (async () => {
        await new Promise<void>((r) => socket.close(() => r()));
        channel.end();
        await done.catch(() => {});
      })();
      return closed;
    },
  };
}
