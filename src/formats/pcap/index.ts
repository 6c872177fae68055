/**
 * `vast import pcap`: classic libpcap (both byte orders, µs and ns) and pcapng
 * captures, read in pure TypeScript, one `pcap.packet` event per packet:
 *
 *   time, src, dst, sport, dport, proto, vlan{outer, inner}, community_id, length, payload
 *
 * - `proto` is `tcp`, `udp`, `icmp`, `icmp6`, `sctp`, or the IP protocol number.
 * - For ICMP, `sport`/`dport` hold the type and code (as Zeek's conn.log does).
 * - `vlan.outer`/`vlan.inner` are the first two 802.1Q/802.1ad VLAN ids; null without a tag.
 * - `community_id` is Community ID v1 with seed 0, as Zeek, Suricata and tshark compute it.
 * - `length` is the packet's length on the wire (before any snaplen cut).
 * - `payload` is the captured frame from the link-layer header on, base64-encoded (we
 *   have no blob type), and only with `payload: true` (`--payload`); null otherwise.
 * - Non-IP packets (ARP, LLDP, ...) are events too, with null addresses, ports,
 *   proto and community_id.
 *
 * Format options, in `ReaderOptions.extra` by their VAST command-line names
 * (camelCase spellings work too):
 * - `cutoff` (bytes): keep only the first N transport-payload bytes of every
 *   bidirectional flow; later packets of the flow are dropped (see `flows.ts`).
 * - `max-flows` (default 1048576), `max-flow-age` (seconds or a duration such as
 *   `5min`; default 60s), `flow-expiry` (default 10s): the cutoff's flow table.
 * - `payload` (bool): fill `payload`.
 *
 * Linktypes: Ethernet (1, with 802.1Q/802.1ad tags, MPLS and PPPoE inside), raw IP
 * (101, 12, 14, 228, 229), Linux cooked SLL (113) and SLL2 (276, `tcpdump -i any`),
 * BSD loopback (0, 108). Captures concatenated in one stream (`cat a.pcap b.pcapng`)
 * read as one.
 *
 * Errors: input that is not a capture, a truncated record, a record claiming more
 * bytes than the snaplen (or 256 KiB), and an unsupported linktype of a classic pcap
 * end the read with a non-recoverable error giving the byte offset; the packets
 * before it are kept. A pcapng interface of an unsupported linktype is a recoverable
 * error: its packets are skipped.
 *
 * Not decoded: IP fragments are not reassembled (later fragments have no ports);
 * tunnels (GRE, VXLAN, Teredo, IP-in-IP) show their outer header; Ethernet over MPLS
 * pseudowires shows no IP.
 */
import type * as A from 'apache-arrow';
import { UsageError } from '../../diagnostics.js';
import { parseDuration } from '../../types/duration.js';
import type { FormatDef, ReaderContext } from '../format.js';
import { option } from '../options.js';
import { PcapDecoder } from './decoder.js';
import { isPcapMagic, PCAPNG_SHB, u32 } from './pcap-file.js';
import type { PcapOptions } from './rows.js';

export { PcapDecoder } from './decoder.js';
export type { PcapOptions } from './rows.js';

type RawOptions = Readonly<Record<string, string | number | boolean | undefined>> | undefined;

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function raw(o: RawOptions, name: string): string | number | boolean | undefined {
  return o?.[name] ?? o?.[camel(name)];
}

function count(o: RawOptions, name: string): number | undefined {
  const v = raw(o, name);
  if (v === undefined) return undefined;
  const n =
    typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0)
    throw new UsageError(`pcap: --${name} expects a non-negative integer, got '${v}'`);
  return n;
}

/** Seconds from a number (seconds) or a duration literal (`90s`, `5min`). */
function seconds(o: RawOptions, name: string): number | undefined {
  const v = raw(o, name);
  if (v === undefined) return undefined;
  if (typeof v === 'number' && v >= 0) return v;
  if (typeof v === 'string') {
    if (/^\d+(\.\d+)?$/.test(v.trim())) return Number(v);
    const ns = parseDuration(v);
    if (ns !== undefined && ns >= 0n) return Number(ns) / 1e9;
  }
  throw new UsageError(`pcap: --${name} expects seconds or a duration such as 60s, got '${v}'`);
}

/** The pcap options from command-line style values (`ReaderOptions.extra`, source options); throws UsageError. */
export function pcapOptions(o: RawOptions): PcapOptions {
  const payload = raw(o, 'payload');
  return {
    cutoff: count(o, 'cutoff'),
    maxFlows: count(o, 'max-flows'),
    maxFlowAge: seconds(o, 'max-flow-age'),
    flowExpiry: seconds(o, 'flow-expiry'),
    payload: payload === true || payload === 'true',
  };
}

/**
 * Reads a capture into `pcap.packet` batches. Never throws for bad input:
 * problems go to `ctx.report`; the non-recoverable one that ends the read is
 * reported after the batches before it were yielded.
 */
export async function* readPcap(
  input: AsyncIterable<Uint8Array>,
  ctx: ReaderContext,
  options: PcapOptions = pcapOptions(ctx.options.extra),
): AsyncIterable<A.RecordBatch> {
  const decoder = new PcapDecoder({
    file: ctx.file,
    schemas: ctx.schemas,
    batchSize: ctx.batchSize,
    options,
    report: (d) => ctx.report(d),
  });
  for await (const chunk of input) {
    // An empty chunk means the input is idle (the Reader contract): hand out the rows so far.
    if (chunk.length === 0) decoder.flush();
    else decoder.push(chunk);
    if (decoder.out.length > 0) yield* decoder.out.splice(0);
    if (decoder.fatal !== undefined) break;
  }
  decoder.end();
  yield* decoder.out.splice(0);
  if (decoder.fatal !== undefined) ctx.report(decoder.fatal);
}

/** The reader's options, as VAST named them; the pcap source adds its capture options and short names. */
export const pcapReadOptions = {
  cutoff: option.integer(
    'keep only the first N payload bytes of every bidirectional flow; drop later packets',
    {
      short: 'c',
      min: 0,
    },
  ),
  'max-flows': option.integer('most flows the cutoff tracks (default 1048576)', { min: 1, max: 16_777_216 }),
  'max-flow-age': option.string('forget flows idle this long: seconds or a duration (default 60s)'),
  'flow-expiry': option.string('how often idle flows are swept: seconds or a duration (default 10s)'),
  payload: option.boolean('store each captured frame, base64-encoded'),
};

export const pcap: FormatDef = {
  name: 'pcap',
  description: 'libpcap and pcapng packet captures, one pcap.packet event per packet',
  extensions: ['.pcap', '.pcapng', '.cap'],
  detect: (head) => head.length >= 4 && (isPcapMagic(head, 0) || u32(head, 0, true) === PCAPNG_SHB),
  options: pcapReadOptions,
  read: (input, ctx) => readPcap(input, ctx),
};
