/**
 * Packets to `pcap.packet` rows: each frame is decoded (`packet.ts`) and its
 * fields go straight from the input bytes into the column builders, no object
 * per packet. Packets that are not IP (ARP, LLDP, ...) are rows too, with null
 * addresses, ports, proto and community_id, so that the event count equals the
 * packet count tcpdump reports; `--cutoff` is the only reason a packet is
 * dropped.
 */
import type * as A from 'apache-arrow';
import type { SchemaRegistry } from '../../schemas/registry.js';
import { BatchBuilder } from '../../types/batch-builder.js';
import type {
  ColumnBuilder,
  Int64ColumnBuilder,
  IpColumnBuilder,
  PortColumnBuilder,
  StringColumnBuilder,
} from '../../types/builder.js';
import { fixedSchema } from '../fixed-schema.js';
import { base64Into, COMMUNITY_ID_BYTES, communityId, digest } from './community-id.js';
import { FlowTable } from './flows.js';
import { Packet } from './packet.js';
import { type NsWords, nsWords } from './pcap-file.js';

/** The columns the decoder fills, in order: the layout of `pcap.packet` in schemas/pcap.yaml. */
const PCAP_COLUMNS = [
  'time: time',
  'src: ip',
  'dst: ip',
  'sport: port',
  'dport: port',
  'proto: enum',
  'vlan.outer: uint64',
  'vlan.inner: uint64',
  'community_id: string',
  'length: uint64',
  'payload: string',
];

/** Options of the reader (and the live source); see `index.ts` for the command-line names. */
export interface PcapOptions {
  /** Transport-payload bytes per bidirectional flow after which its packets are dropped; undefined: keep all. */
  readonly cutoff?: number;
  /** Most flows the cutoff tracks at once (VAST's default: 2^20). */
  readonly maxFlows?: number;
  /** Seconds of inactivity after which a flow is forgotten (default 60). */
  readonly maxFlowAge?: number;
  /** Seconds between sweeps for inactive flows (default 10). */
  readonly flowExpiry?: number;
  /** Store the captured frame, base64-encoded, in `payload` (off by default: it is the bulk of the data). */
  readonly payload?: boolean;
}

const PROTO_NAMES: string[] = Array.from({ length: 256 }, (_, i) => String(i));
PROTO_NAMES[1] = 'icmp';
PROTO_NAMES[6] = 'tcp';
PROTO_NAMES[17] = 'udp';
PROTO_NAMES[58] = 'icmp6';
PROTO_NAMES[132] = 'sctp';

/** Builds `pcap.packet` batches, one row per `append`. */
export class PacketRows {
  /** Completed batches; the reader or source takes (splices) them. */
  readonly out: A.RecordBatch[] = [];
  /** Packets seen, and dropped by the cutoff. */
  packets = 0;
  dropped = 0;
  /** The time of the next packet: `ts` if `hasTime` (pcapng Simple Packet Blocks have none). */
  readonly ts: NsWords = { lo: 0, hi: 0 };
  hasTime = false;
  /** Packet time in seconds, for flow aging; packets without a time reuse the last one. */
  seconds = 0;
  readonly flows: FlowTable | undefined;

  private readonly builder: BatchBuilder;
  private readonly time: Int64ColumnBuilder;
  private readonly src: IpColumnBuilder;
  private readonly dst: IpColumnBuilder;
  private readonly sport: PortColumnBuilder;
  private readonly dport: PortColumnBuilder;
  private readonly proto: ColumnBuilder;
  private readonly vlanOuter: Int64ColumnBuilder;
  private readonly vlanInner: Int64ColumnBuilder;
  private readonly communityId: StringColumnBuilder;
  private readonly length: Int64ColumnBuilder;
  private readonly payload: StringColumnBuilder;
  private readonly packet = new Packet();
  private readonly cid = new Uint8Array(COMMUNITY_ID_BYTES);
  private scratch = new Uint8Array(4096);
  private readonly payloads: boolean;

  constructor(
    schemas: SchemaRegistry | undefined,
    private readonly batchSize: number,
    options: PcapOptions,
  ) {
    this.builder = new BatchBuilder(fixedSchema('pcap.packet', PCAP_COLUMNS, schemas));
    const l = this.builder.leaves;
    this.time = l[0] as Int64ColumnBuilder;
    this.src = l[1] as IpColumnBuilder;
    this.dst = l[2] as IpColumnBuilder;
    this.sport = l[3] as PortColumnBuilder;
    this.dport = l[4] as PortColumnBuilder;
    this.proto = l[5];
    this.vlanOuter = l[6] as Int64ColumnBuilder;
    this.vlanInner = l[7] as Int64ColumnBuilder;
    this.communityId = l[8] as StringColumnBuilder;
    this.length = l[9] as Int64ColumnBuilder;
    this.payload = l[10] as StringColumnBuilder;
    this.payloads = options.payload === true;
    if (options.cutoff !== undefined)
      this.flows = new FlowTable({
        cutoff: options.cutoff,
        maxFlows: options.maxFlows ?? 1_048_576,
        maxAge: options.maxFlowAge ?? 60,
        expiry: options.flowExpiry ?? 10,
      });
  }

  /** Rows built but not yet in a batch. */
  get rows(): number {
    return this.builder.rows;
  }

  /** Sets the time of the next packet from seconds and nanoseconds within the second. */
  setTime(sec: number, subNs: number): void {
    this.hasTime = true;
    nsWords(sec, subNs, this.ts);
    this.seconds = sec + subNs / 1e9;
  }

  /** Sets the time of the next packet after the caller filled `ts`. */
  timeSet(): void {
    this.hasTime = true;
    this.seconds = (this.ts.hi * 4_294_967_296 + this.ts.lo) / 1e9;
  }

  /** Moves the rows so far into `out` as a batch. */
  flush(): void {
    if (this.builder.rows > 0) this.out.push(this.builder.finish());
  }

  /** Decodes the frame `b[off, off+caplen)` and appends its row (unless the cutoff drops it). */
  append(b: Uint8Array, off: number, caplen: number, origlen: number, linktype: number): void {
    this.packets++;
    const pk = this.packet;
    pk.decode(b, off, caplen, linktype);
    const ip = pk.ipVersion !== 0;
    if (ip) {
      communityId(pk, 0, this.cid, 0);
      if (this.flows !== undefined) {
        // 53 bits of the hash: exact as a number key.
        const key = (digest[0] >>> 0) * 2_097_152 + (digest[1] >>> 11);
        if (!this.flows.admit(key, pk.payloadBytes, this.seconds)) {
          this.dropped++;
          return;
        }
      }
    }
    if (this.hasTime) this.time.appendWords(this.ts.lo, this.ts.hi);
    else this.time.appendNull();
    if (ip) {
      this.src.appendRaw(pk.src, 0);
      this.dst.appendRaw(pk.dst, 0);
      this.proto.appendText(PROTO_NAMES[pk.proto]);
      this.communityId.appendBytes(this.cid, 0, COMMUNITY_ID_BYTES);
    } else {
      this.src.appendNull();
      this.dst.appendNull();
      this.proto.appendNull();
      this.communityId.appendNull();
    }
    if (pk.hasPorts) {
      this.sport.append(pk.sport);
      this.dport.append(pk.dport);
    } else {
      this.sport.appendNull();
      this.dport.appendNull();
    }
    if (pk.vlans > 0) this.vlanOuter.appendNumber(pk.vlanOuter);
    else this.vlanOuter.appendNull();
    if (pk.vlans > 1) this.vlanInner.appendNumber(pk.vlanInner);
    else this.vlanInner.appendNull();
    this.length.appendNumber(origlen);
    if (this.payloads) {
      const need = Math.ceil(caplen / 3) * 4;
      if (need > this.scratch.length) this.scratch = new Uint8Array(Math.max(need, this.scratch.length * 2));
      this.payload.appendBytes(this.scratch, 0, base64Into(b, off, off + caplen, this.scratch, 0));
    } else this.payload.appendNull();
    this.builder.commitRow();
    if (this.builder.rows >= this.batchSize) this.flush();
  }
}
