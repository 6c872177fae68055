/**
 * The push-style core of the pcap reader, its framing: chunks of a classic
 * pcap or pcapng stream go in (`push`), `pcap.packet` batches come out (`out`,
 * built by `rows.ts`). Records may straddle chunks; at most one incomplete
 * record is kept between pushes, and its length is checked before it is
 * buffered, so memory stays bounded by the largest legal record (256 KiB, or
 * 16 MiB for a pcapng block).
 *
 * Both the `pcap` format's reader (a pull loop over an input) and the live
 * source (which also flushes on a timer) drive this class.
 */
import type * as A from 'apache-arrow';
import { type Diagnostic, errorDiagnostic } from '../../diagnostics.js';
import type { SchemaRegistry } from '../../schemas/registry.js';
import { isSupportedLinktype, linktypeName } from './packet.js';
import {
  isPcapHeader,
  isPcapMagic,
  MAX_CAPLEN,
  PCAP_HEADER_BYTES,
  PCAPNG_SHB,
  type PcapHeader,
  parsePcapHeader,
  u16,
  u32,
} from './pcap-file.js';
import {
  BLOCK,
  BLOCK_OVERHEAD,
  type Interface,
  MAX_BLOCK_BYTES,
  parseInterface,
  sectionByteOrder,
} from './pcapng.js';
import { PacketRows, type PcapOptions } from './rows.js';

export interface DecoderConfig {
  /** The input's name, for messages. */
  readonly file: string;
  readonly schemas?: SchemaRegistry;
  readonly batchSize: number;
  readonly options: PcapOptions;
  /** Receives recoverable problems (a packet of an unknown interface, an unsupported pcapng interface). */
  readonly report: (d: Diagnostic) => void;
}

const EMPTY = new Uint8Array(0);
/** The first bytes of every capture we read, to tell a cut-off file header from other short input. */
const MAGICS = ['d4c3b2a1', 'a1b2c3d4', '4d3cb2a1', 'a1b23c4d', '34cdb2a1', 'a1b2cd34', '0a0d0d0a'].map((h) =>
  Buffer.from(h, 'hex'),
);

type State = 'start' | 'pcap' | 'pcapng';

export class PcapDecoder {
  /**
   * The problem that ended decoding (framing is lost: a truncated record, a
   * corrupt length, not a capture at all). The driver reports it after taking
   * `out`, so that the packets before it are kept even when reporting throws.
   */
  fatal: Diagnostic | undefined;

  private state: State = 'start';
  private pending: Uint8Array = EMPTY;
  /** Byte offset in the input of the next byte to decode (`pending[0]` between pushes). */
  private offset = 0;
  private header: PcapHeader | undefined;
  private maxCaplen = MAX_CAPLEN;
  private le = true;
  private interfaces: Interface[] = [];
  private readonly packetRows: PacketRows;

  constructor(private readonly config: DecoderConfig) {
    this.packetRows = new PacketRows(config.schemas, config.batchSize, config.options);
  }

  /** Batches completed so far; the driver takes (splices) them. */
  get out(): A.RecordBatch[] {
    return this.packetRows.out;
  }

  /** Rows built but not yet in a batch. */
  get rows(): number {
    return this.packetRows.rows;
  }

  /** Packets seen so far, and how many of them the cutoff dropped. */
  get packets(): number {
    return this.packetRows.packets;
  }
  get dropped(): number {
    return this.packetRows.dropped;
  }

  /** Decodes every complete record in `chunk` (plus what was left over from earlier chunks). */
  push(chunk: Uint8Array): void {
    if (this.fatal !== undefined || chunk.length === 0) return;
    let start = 0;
    if (this.pending.length > 0) {
      // Complete the record that straddles the chunks on a small joined buffer, then go on in the chunk itself.
      let take = Math.min(chunk.length, 65_536);
      for (;;) {
        const held = this.pending.length;
        const joined = new Uint8Array(held + take);
        joined.set(this.pending);
        joined.set(chunk.subarray(0, take), held);
        const pos = this.run(joined, 0);
        if (this.fatal !== undefined) {
          this.pending = EMPTY;
          return;
        }
        if (pos >= held) {
          start = pos - held;
          break;
        }
        if (take === chunk.length) {
          this.pending = joined.slice(pos);
          return;
        }
        this.pending = joined.slice(pos, held);
        take = Math.min(chunk.length, take * 4);
      }
    }
    const pos = this.run(chunk, start);
    // Copy the incomplete tail: keeping a view would pin the whole chunk.
    this.pending = this.fatal === undefined && pos < chunk.length ? chunk.slice(pos) : EMPTY;
  }

  /** Consumes records from `b[p]` on while they are complete; returns where it stopped. */
  private run(b: Uint8Array, p: number): number {
    while (this.fatal === undefined) {
      const n = this.step(b, p, this.offset);
      if (n === 0) break;
      p += n;
      this.offset += n;
    }
    return p;
  }

  /** Moves the rows so far into `out` as a batch (live sources call this on a timer). */
  flush(): void {
    this.packetRows.flush();
  }

  /** The input ended: flushes, and sets `fatal` if it ended inside a record. */
  end(): void {
    this.flush();
    if (this.fatal !== undefined) return;
    if (this.pending.length > 0) {
      if (
        this.state === 'start' &&
        !MAGICS.some((m) => this.pending.subarray(0, 4).every((x, i) => x === m[i]))
      )
        return void this.fail('not a pcap or pcapng file', [`only ${this.pending.length} bytes of input`]);
      const what = this.state === 'start' ? 'file header' : this.state === 'pcapng' ? 'block' : 'record';
      this.fail(`truncated ${what} at byte ${this.offset}`, [
        `the input ends ${this.pending.length} bytes into it; the packets before it were read`,
      ]);
      this.pending = EMPTY;
    }
  }

  private fail(message: string, notes: string[] = []): 0 {
    this.fatal = errorDiagnostic(`pcap: ${message}`, { notes: [...notes, `in ${this.config.file}`] });
    return 0;
  }

  /** Consumes one header, record or block at `b[p]`; returns its length, or 0 if more input is needed (or on `fatal`). */
  private step(b: Uint8Array, p: number, at: number): number {
    const avail = b.length - p;
    if (this.state === 'pcap') return this.pcapRecord(b, p, at, avail);
    if (this.state === 'pcapng') return this.pcapngBlock(b, p, at, avail);
    if (avail < 4) return 0;
    if (u32(b, p, true) === PCAPNG_SHB) {
      this.state = 'pcapng';
      return this.pcapngBlock(b, p, at, avail);
    }
    if (!isPcapMagic(b, p)) {
      const head = Buffer.from(b.subarray(p, p + 4)).toString('hex');
      return this.fail('not a pcap or pcapng file', [
        `byte ${at} starts with 0x${head}, not a pcap or pcapng magic number`,
      ]);
    }
    if (avail < PCAP_HEADER_BYTES) return 0;
    const h = parsePcapHeader(b, p);
    if (!isSupportedLinktype(h.linktype))
      return this.fail(`unsupported linktype ${linktypeName(h.linktype)}`);
    this.header = h;
    this.le = h.littleEndian;
    this.maxCaplen = h.snaplen > 0 && h.snaplen < MAX_CAPLEN ? h.snaplen : MAX_CAPLEN;
    this.state = 'pcap';
    return PCAP_HEADER_BYTES;
  }

  private pcapRecord(b: Uint8Array, p: number, at: number, avail: number): number {
    const h = this.header!;
    const hdr = h.recordHeaderBytes;
    if (avail < hdr) return 0;
    const le = this.le;
    // A second capture appended to the first (`cat a.pcap b.pcap`) starts with its own file header.
    if (b[p] === 0xa1 || b[p + 3] === 0xa1 || b[p] === 0x0a) {
      if (
        isPcapHeader(b, p) ||
        (u32(b, p, true) === PCAPNG_SHB && avail >= 12 && sectionByteOrder(b, p) !== undefined)
      ) {
        this.state = 'start';
        return this.step(b, p, at);
      }
    }
    const caplen = u32(b, p + 8, le);
    if (caplen > this.maxCaplen) {
      const limit =
        this.maxCaplen === MAX_CAPLEN ? `the maximum of ${MAX_CAPLEN}` : `the file's snaplen ${h.snaplen}`;
      return this.fail(`record at byte ${at} claims ${caplen} captured bytes, more than ${limit}`, [
        'the file is corrupt from here on',
      ]);
    }
    if (avail < hdr + caplen) return 0;
    this.packetRows.setTime(u32(b, p, le), u32(b, p + 4, le) * h.subsecondNs);
    this.packetRows.append(b, p + hdr, caplen, u32(b, p + 12, le), h.linktype);
    return hdr + caplen;
  }

  private pcapngBlock(b: Uint8Array, p: number, at: number, avail: number): number {
    if (avail < BLOCK_OVERHEAD) return 0;
    const type = u32(b, p, this.le);
    if (type === PCAPNG_SHB) {
      const le = sectionByteOrder(b, p);
      if (le === undefined) return this.fail(`section header at byte ${at} has no valid byte-order magic`);
      this.le = le;
    }
    const le = this.le;
    const length = u32(b, p + 4, le);
    if (length < BLOCK_OVERHEAD || length % 4 !== 0 || length > MAX_BLOCK_BYTES)
      return this.fail(`block at byte ${at} has an invalid length ${length}`, [
        'the file is corrupt from here on',
      ]);
    if (avail < length) return 0;
    if (u32(b, p + length - 4, le) !== length)
      return this.fail(
        `block at byte ${at}: trailing length ${u32(b, p + length - 4, le)} differs from ${length}`,
      );
    switch (type) {
      case BLOCK.SHB:
        if (length < 28) return this.fail(`section header at byte ${at} is too short (${length} bytes)`);
        if (u16(b, p + 12, le) !== 1)
          return this.fail(
            `unsupported pcapng version ${u16(b, p + 12, le)}.${u16(b, p + 14, le)} at byte ${at}`,
          );
        this.interfaces = [];
        break;
      case BLOCK.IDB: {
        if (length < 20) return this.fail(`interface block at byte ${at} is too short (${length} bytes)`);
        const iface = parseInterface(b, p, length, le);
        if (!iface.supported)
          this.config.report(
            errorDiagnostic(
              `pcap: unsupported linktype ${linktypeName(iface.linktype)} of interface ${this.interfaces.length}`,
              {
                notes: [
                  `interface block at byte ${at} in ${this.config.file}`,
                  "this interface's packets are skipped",
                ],
                recoverable: true,
              },
            ),
          );
        this.interfaces.push(iface);
        break;
      }
      case BLOCK.EPB:
      case BLOCK.OBSOLETE_PACKET: {
        if (length < 32) return this.fail(`packet block at byte ${at} is too short (${length} bytes)`);
        const id = type === BLOCK.EPB ? u32(b, p + 8, le) : u16(b, p + 8, le);
        const caplen = u32(b, p + 20, le);
        if (caplen > length - 32 || caplen > MAX_CAPLEN)
          return this.fail(
            `packet block at byte ${at} claims ${caplen} captured bytes in a ${length}-byte block`,
          );
        const iface = this.iface(id, at);
        if (iface === undefined) break;
        iface.timestamp(u32(b, p + 12, le), u32(b, p + 16, le), this.packetRows.ts);
        this.packetRows.timeSet();
        this.packetRows.append(b, p + 28, caplen, u32(b, p + 24, le), iface.linktype);
        break;
      }
      case BLOCK.SPB: {
        if (length < 16) return this.fail(`simple packet block at byte ${at} is too short (${length} bytes)`);
        const iface = this.iface(0, at);
        if (iface === undefined) break;
        // No timestamp and no captured length: the frame is the block body, up to the snaplen.
        const origlen = u32(b, p + 8, le);
        let caplen = Math.min(origlen, length - 16);
        if (iface.snaplen > 0) caplen = Math.min(caplen, iface.snaplen);
        this.packetRows.hasTime = false;
        this.packetRows.append(b, p + 12, caplen, origlen, iface.linktype);
        break;
      }
    }
    return length;
  }

  /** The interface a packet block names; undefined (and the packet skipped) if unknown or unsupported. */
  private iface(id: number, at: number): Interface | undefined {
    const iface = this.interfaces[id];
    if (iface === undefined) {
      this.packetRows.packets++;
      this.config.report(
        errorDiagnostic(
          `pcap: packet block at byte ${at} names interface ${id}, but ${this.interfaces.length} are defined`,
          { notes: [`in ${this.config.file}`, 'the packet is skipped'], recoverable: true },
        ),
      );
      return undefined;
    }
    if (!iface.supported) {
      this.packetRows.packets++;
      iface.skipped++;
      return undefined;
    }
    return iface;
  }
}
