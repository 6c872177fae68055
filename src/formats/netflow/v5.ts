/**
 * NetFlow v5: a 24-byte header and up to 30 fixed 48-byte records
 * (https://www.cisco.com/c/en/us/td/docs/net_mgmt/netflow_collection_engine/3-6/user/guide/format.html).
 * Flow times are milliseconds of the exporter's uptime; the header's
 * unix_secs/unix_nsecs say what time it was at `sys_uptime`.
 */
import { C, type FlowRow } from './fields.js';
import type { Session } from './templates.js';

const V5_HEADER = 24;
const V5_RECORD = 48;

const u16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];
const u32 = (b: Uint8Array, o: number) =>
  ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

/** The length of the v5 message starting at `b[0]`, from its record count; 0 if the header is short. */
export function v5Length(b: Uint8Array): number {
  return b.length < 4 ? 0 : V5_HEADER + u16(b, 2) * V5_RECORD;
}

/** Decodes one v5 packet; false (after `s.fail`) when it is truncated. */
export function decodeV5(s: Session, b: Uint8Array): boolean {
  if (b.length < V5_HEADER)
    return s.fail(`truncated NetFlow v5 header (${b.length} of ${V5_HEADER} bytes)`, 0);
  const count = u16(b, 2);
  const need = V5_HEADER + count * V5_RECORD;
  if (b.length < need)
    return s.fail(
      `truncated NetFlow v5 packet: ${count} records need ${need} bytes, the packet has ${b.length}`,
      b.length,
    );
  const uptime = u32(b, 4);
  const secs = u32(b, 8);
  const nsecs = u32(b, 12);
  const sequence = u32(b, 16);
  const row = s.row;
  for (let i = 0; i < count; i++) {
    const o = V5_HEADER + i * V5_RECORD;
    header(row, sequence, b);
    row.setIp4(C.srcAddr, b, o);
    row.setIp4(C.dstAddr, b, o + 4);
    row.setIp4(C.nextHop, b, o + 8);
    row.setNumber(C.inputIf, u16(b, o + 12));
    row.setNumber(C.outputIf, u16(b, o + 14));
    row.setNumber(C.packets, u32(b, o + 16));
    row.setNumber(C.octets, u32(b, o + 20));
    // Uptime differences as signed 32-bit: right across the 49.7-day wrap of sys_uptime.
    row.setTime(C.flowStart, secs, nsecs - ((uptime - u32(b, o + 24)) | 0) * 1e6);
    row.setTime(C.flowEnd, secs, nsecs - ((uptime - u32(b, o + 28)) | 0) * 1e6);
    const srcPort = u16(b, o + 32);
    const dstPort = u16(b, o + 34);
    row.setNumber(C.srcPort, srcPort);
    row.setNumber(C.dstPort, dstPort);
    row.setNumber(C.tcpFlags, b[o + 37]);
    const protocol = b[o + 38];
    row.setNumber(C.protocol, protocol);
    row.setNumber(C.tos, b[o + 39]);
    row.setNumber(C.srcAs, u16(b, o + 40));
    row.setNumber(C.dstAs, u16(b, o + 42));
    row.setNumber(C.srcMask, b[o + 44]);
    row.setNumber(C.dstMask, b[o + 45]);
    // Cisco's v5 carries ICMP type and code in the destination port.
    if (protocol === 1 || protocol === 58) {
      row.setNumber(C.icmpType, dstPort >> 8);
      row.setNumber(C.icmpCode, dstPort & 0xff);
    }
    s.commitFlow();
  }
  return true;
}

function header(row: FlowRow, sequence: number, b: Uint8Array): void {
  row.setNumber(C.version, 5);
  row.setNumber(C.sequence, sequence);
  row.setNumber(C.engineType, b[20]);
  row.setNumber(C.engineId, b[21]);
  // The top two bits are the sampling mode.
  row.setNumber(C.samplingInterval, u16(b, 22) & 0x3fff);
}
