/**
 * `vast spawn source pcap`: packets from a network interface or a capture
 * file, through the `pcap` format's decoder (src/formats/pcap), into the node.
 *
 * Live capture (`-i IFACE`) runs `tcpdump -i IFACE -w - -U [-s SNAPLEN]
 * [-- FILTER]` and decodes its standard output, as VAST relied on libpcap:
 * capturing needs the `cap_net_raw` capability (and `cap_net_admin` for
 * promiscuous mode). Grant it to tcpdump once, as VAST's README told users to
 * do for the vast binary:
 *
 *   sudo setcap cap_net_raw,cap_net_admin=eip $(which tcpdump)
 *
 * or run the node as root. `-r FILE` reads a capture file directly (or
 * through `tcpdump -r FILE` when a BPF filter is given).
 *
 * The program run is the operator's `capture-program` setting (from the
 * source context), never an option: a request must not choose what the node
 * executes. What a request does choose reaches tcpdump only where it cannot
 * become an option: the interface name is checked against a strict pattern,
 * the file is a resolved absolute path, and the filter comes after `--`.
 *
 * Batches go to `ctx.emit` one at a time (awaited: a slow node stalls the
 * pipe, and tcpdump then counts kernel drops, which we report when it exits).
 * A partial batch is flushed every second, so that live packets show up
 * promptly. `stop()` (or the context's abort signal) sends tcpdump SIGTERM
 * and, after a grace period, SIGKILL; the packets decoded so far are emitted.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { Readable } from 'node:stream';
import {
  type Diagnostic,
  errorDiagnostic,
  UsageError,
  VastError,
  warningDiagnostic,
} from '../diagnostics.js';
import { decompress } from '../formats/framing/decompress.js';
import { option } from '../formats/options.js';
import { PcapDecoder, type PcapOptions, pcapOptions, pcapReadOptions } from '../formats/pcap/index.js';
import type { RunningSource, SourceContext, SourceDef, SourceOptions, SourceStatus } from './source.js';

/** How often a partial batch is flushed, in milliseconds. */
const FLUSH_INTERVAL_MS = 1000;
/** How long tcpdump gets to exit after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 2000;
/** How long `start` waits for tcpdump to report that it listens. */
const READY_TIMEOUT_MS = 5000;
const BATCH_SIZE = 65_536;
/** Interface names as Linux allows them in practice (IFNAMSIZ 16), never starting with `-`. */
const INTERFACE_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,14}$/;
/** Longest BPF filter expression accepted. */
const MAX_FILTER = 4096;
/** tcpdump's largest snapshot length. */
const MAX_SNAPLEN = 262_144;
const SETCAP_HINT =
  'grant tcpdump the capture capabilities once: sudo setcap cap_net_raw,cap_net_admin=eip $(which tcpdump)';

export const pcapSource: SourceDef = {
  name: 'pcap',
  description: 'packets captured on a network interface (via tcpdump) or read from a capture file',
  options: {
    interface: option.string('capture live on this interface (runs tcpdump)', { short: 'i' }),
    read: option.path('read this pcap or pcapng file instead', { short: 'r' }),
    filter: option.string('BPF filter expression, applied by tcpdump (e.g. "udp port 53")'),
    snaplen: option.integer('bytes captured per packet (live capture; tcpdump -s)', {
      short: 's',
      min: 1,
      max: MAX_SNAPLEN,
    }),
    // The reader's own options (formats/pcap), with VAST's one-letter names.
    ...pcapReadOptions,
    'max-flows': { ...pcapReadOptions['max-flows'], short: 'm' },
    'max-flow-age': { ...pcapReadOptions['max-flow-age'], short: 'a' },
    'flow-expiry': { ...pcapReadOptions['flow-expiry'], short: 'e' },
  },
  start: startPcap,
};

/**
 * The tcpdump command line for a source: live on `o.interface`, else reading
 * `file` (the resolved real path of `o.read`). Throws a UsageError for an
 * interface, snaplen or filter that could be taken for something else.
 */
export function tcpdumpArgs(o: SourceOptions, file?: string): string[] {
  const live = o.interface !== undefined && o.interface !== '';
  let args: string[];
  if (live) {
    const iface = String(o.interface);
    if (!INTERFACE_RE.test(iface))
      throw new UsageError(
        `pcap: invalid interface name '${iface}' (letters, digits, '.', '_', ':' and '-', at most 15, not starting with '-')`,
      );
    args = ['-i', iface];
  } else {
    // Absolute, so it cannot start with `-`.
    if (file === undefined || !isAbsolute(file))
      throw new UsageError('pcap: tcpdump reads only a resolved absolute path');
    args = ['-r', file];
  }
  args.push('-w', '-', '-U');
  if (o.snaplen !== undefined && live) args.push('-s', String(snaplen(o.snaplen)));
  const filter = o.filter === undefined ? '' : String(o.filter);
  if (filter.length > MAX_FILTER)
    throw new UsageError(`pcap: --filter is longer than ${MAX_FILTER} characters`);
  // After `--`, tcpdump takes every argument as the filter expression, even one that starts with `-`.
  if (filter.trim() !== '') args.push('--', filter);
  return args;
}

/** A snapshot length: an integer from 1 to tcpdump's maximum. */
function snaplen(v: string | number | boolean): number {
  const n = Number(v);
  if (typeof v === 'boolean' || !Number.isInteger(n) || n < 1 || n > MAX_SNAPLEN)
    throw new UsageError(`pcap: --snaplen expects an integer from 1 to ${MAX_SNAPLEN}, got '${v}'`);
  return n;
}

async function startPcap(options: SourceOptions, ctx: SourceContext): Promise<RunningSource> {
  const live = options.interface !== undefined && options.interface !== '';
  const file = options.read !== undefined && options.read !== '';
  if (live === file) throw new UsageError('pcap: give either --interface (-i) or --read (-r)');
  const pcap = pcapOptions(options);
  // Only a file inside the operator's source-paths, by its real path (no symlink or `..` leads out).
  const path = file ? await ctx.policy.readable('pcap', String(options.read)) : undefined;
  tcpdumpArgs(options, path); // checks the interface, snaplen and filter before anything starts
  const source = new PcapSource(options, pcap, ctx, path);
  await source.begin();
  return source;
}

class PcapSource implements RunningSource {
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private events = 0;
  private bytes = 0;
  private errors = 0;
  private stopping = false;
  private child: ChildProcessByStdio<null, Readable, Readable> | undefined;
  private stderr = '';
  private exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  private readonly decoder: PcapDecoder;
  private readonly endpoint: string;
  /** Emits run one after another on this chain, whether the read loop or the flush timer queued them. */
  private chain: Promise<void> = Promise.resolve();
  private emitFailed = false;
  private terminating = false;
  private readonly live: boolean;

  constructor(
    private readonly options: SourceOptions,
    pcap: PcapOptions,
    private readonly ctx: SourceContext,
    /** The real path of the file to read; undefined for live capture. */
    private readonly path: string | undefined,
  ) {
    this.live = path === undefined;
    this.endpoint = this.live ? `pcap://${options.interface}` : String(options.read);
    this.decoder = new PcapDecoder({
      file: this.endpoint,
      schemas: ctx.schemas,
      batchSize: BATCH_SIZE,
      options: pcap,
      report: (d) => this.report(d),
    });
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  status(): SourceStatus {
    return { events: this.events, bytes: this.bytes, errors: this.errors, endpoint: this.endpoint };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.terminate();
    await this.done;
  }

  /** Starts the transport; for live capture, resolves once tcpdump listens (rejects if it fails to start). */
  async begin(): Promise<void> {
    const filtered = this.options.filter !== undefined && String(this.options.filter).trim() !== '';
    const input =
      this.path !== undefined && !filtered
        ? decompress(createReadStream(this.path, { highWaterMark: 1 << 20 }), this.endpoint)
        : await this.spawnTcpdump();
    if (this.ctx.signal.aborted) this.stopping = true;
    this.ctx.signal.addEventListener('abort', () => void this.stop(), { once: true });
    void this.loop(input);
  }

  private async spawnTcpdump(): Promise<AsyncIterable<Uint8Array>> {
    const program = this.ctx.policy.captureProgram;
    const child = spawn(program, tcpdumpArgs(this.options, this.path), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exit = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    const spawned = new Promise<Error | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', (e) => resolve(e));
    });
    let ready: () => void = () => {};
    const listening = new Promise<void>((resolve) => {
      ready = resolve;
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      // Keep the tail only: tcpdump's messages are short, a misbehaving one must not grow memory.
      this.stderr = (this.stderr + text).slice(-16_384);
      if (this.stderr.includes('listening on')) ready();
    });
    // Reading a file, tcpdump writes the pcap header once the filter compiled; nothing is consumed here.
    if (!this.live) {
      const onReadable = () => {
        // 'readable' also signals the end of the stream (a failed tcpdump): only bytes mean it started.
        if (child.stdout.readableLength > 0) {
          child.stdout.off('readable', onReadable);
          ready();
        }
      };
      child.stdout.on('readable', onReadable);
    }
    const error = await spawned;
    if (error !== undefined) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new VastError(
        code === 'ENOENT'
          ? `pcap: '${program}' not found: install tcpdump (e.g. apt-get install tcpdump) or set the node's capture-program setting`
          : `pcap: cannot run '${program}': ${error.message}`,
        undefined,
        { cause: error },
      );
    }
    // tcpdump says "listening on IFACE" once the capture is set up; an early exit means it failed.
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      listening.then(() => 'ready' as const),
      this.exit.then(() => 'exited' as const),
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), READY_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (outcome === 'exited') {
      const { code } = await this.exit;
      if (code !== 0) {
        const d = this.tcpdumpFailure(code);
        throw new VastError(d.message, d);
      }
    }
    return child.stdout;
  }

  /** The diagnostic for tcpdump exiting with an error. */
  private tcpdumpFailure(code: number | null): Diagnostic {
    const lines = this.stderr
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !/^(listening on|\d+ packets? )/.test(l));
    const denied = /permission|not permitted|cap_net_raw/i.test(this.stderr);
    const what = this.live ? `capture on ${this.options.interface}` : `read ${this.options.read}`;
    return errorDiagnostic(
      denied
        ? `pcap: tcpdump may not ${what}: permission denied`
        : `pcap: tcpdump failed to ${what} (exit code ${code})`,
      {
        notes: [
          ...lines.map((l) => `tcpdump: ${l.replace(/^tcpdump: /, '')}`),
          ...(denied ? [SETCAP_HINT, 'or run the node as root'] : []),
        ],
      },
    );
  }

  private async loop(input: AsyncIterable<Uint8Array>): Promise<void> {
    const timer = setInterval(() => {
      if (this.decoder.rows > 0) {
        this.decoder.flush();
        void this.send();
      }
    }, FLUSH_INTERVAL_MS);
    try {
      for await (const chunk of input) {
        this.bytes += chunk.length;
        this.decoder.push(chunk);
        if (this.decoder.out.length > 0) await this.send();
        if (this.decoder.fatal !== undefined || this.stopping || this.emitFailed) break;
      }
    } catch (e) {
      if (!this.stopping)
        this.report(errorDiagnostic(`pcap: reading ${this.endpoint} failed: ${(e as Error).message}`));
    } finally {
      clearInterval(timer);
    }
    // A stopped capture may end inside a record (SIGKILL): that tail is ours, not the input's fault.
    const fatal = this.decoder.fatal;
    this.decoder.end();
    await this.send();
    if (this.decoder.fatal !== undefined && !(this.stopping && fatal === undefined))
      this.report(this.decoder.fatal);
    this.terminate();
    if (this.exit !== undefined) {
      const { code, signal } = await this.exit;
      if (!this.stopping && signal === null && code !== 0 && this.decoder.fatal === undefined)
        this.report(this.tcpdumpFailure(code));
      const dropped = /(\d+) packets? dropped by kernel/.exec(this.stderr);
      if (dropped && Number(dropped[1]) > 0)
        this.report(
          warningDiagnostic(
            `pcap: the kernel dropped ${dropped[1]} packets on ${this.endpoint} (the node did not keep up)`,
          ),
        );
    }
    await this.chain;
    this.resolveDone();
  }

  /** Queues the decoder's finished batches for emission, in order; resolves when they are emitted. */
  private send(): Promise<void> {
    const batches = this.decoder.out.splice(0);
    if (batches.length === 0) return this.chain;
    this.chain = this.chain.then(async () => {
      for (const b of batches) {
        if (this.emitFailed) return;
        try {
          await this.ctx.emit(b);
          this.events += b.numRows;
        } catch (e) {
          this.emitFailed = true;
          this.report(errorDiagnostic(`pcap: the node refused a batch: ${(e as Error).message}`));
          this.terminate();
        }
      }
    });
    return this.chain;
  }

  private report(d: Diagnostic): void {
    if (d.severity === 'error') this.errors++;
    this.ctx.report(d);
  }

  /** Ends tcpdump: SIGTERM, then SIGKILL if it lingers. */
  private terminate(): void {
    const child = this.child;
    if (child === undefined || this.terminating || child.exitCode !== null || child.signalCode !== null)
      return;
    this.terminating = true;
    child.kill('SIGTERM');
    const kill = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, KILL_GRACE_MS);
    kill.unref();
    child.once('close', () => clearTimeout(kill));
  }
}
