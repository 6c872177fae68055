/**
 * What NetFlow v9 and IPFIX share: a header followed by sets (v9 says
 * "flowsets"), each `id(2) length(2) body`; sets of templates, options
 * templates and data records for a template. The set walk is where broken
 * input shows first, so its checks are strict: a length under 4 (a zero-length
 * set would loop forever) or past the message ends the packet.
 */
import { C, WEAK } from './fields.js';
import {
  compileTemplate,
  decodeRecord,
  noTimes,
  type Session,
  type Template,
  TemplateCache,
  type TemplateField,
} from './templates.js';

export const u16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];
export const u32 = (b: Uint8Array, o: number) =>
  ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

function zeros(b: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * Calls `onSet(id, bodyStart, setEnd, setOffset)` for each set in
 * `b[start, end)`; false (after `s.fail`) on a broken set header.
 */
export function walkSets(
  s: Session,
  b: Uint8Array,
  start: number,
  end: number,
  onSet: (id: number, body: number, setEnd: number, offset: number) => boolean,
): boolean {
  let pos = start;
  while (pos < end) {
    if (end - pos < 4) {
      if (zeros(b, pos, end)) return true; // padding after the last set
      return s.fail(`truncated set header (${end - pos} bytes left)`, pos);
    }
    const id = u16(b, pos);
    const len = u16(b, pos + 2);
    if (len < 4 || pos + len > end)
      return s.fail(`invalid set length ${len} (set ID ${id}; the message has ${end} bytes)`, pos);
    if (!onSet(id, pos + 4, pos + len, pos)) return false;
    pos += len;
  }
  return true;
}

/** Stores a compiled template, or fails the packet with what is wrong with it. */
export function defineTemplate(
  s: Session,
  version: number,
  domain: number,
  id: number,
  fields: TemplateField[],
  options: boolean,
  offset: number,
): boolean {
  const t = compileTemplate(id, fields, options);
  if (typeof t === 'string') return s.fail(t, offset);
  s.templates.set(TemplateCache.key(version, s.exporter, domain, id), t);
  return true;
}

/** The packet-wide context of data records. */
export interface RecordContext {
  readonly version: number;
  readonly domain: number;
  readonly sequence: number;
  /** Export time in seconds (v9: unix_secs). */
  readonly exportSecs: number;
  /** v9 only: sys_uptime in ms at `exportSecs`; IPFIX uses systemInitTimeMilliseconds instead. */
  readonly sysUptime: number;
}

/** Decodes a data set; records of unknown templates are dropped (and noted once per template). */
export function decodeDataSet(
  s: Session,
  ctx: RecordContext,
  setId: number,
  b: Uint8Array,
  start: number,
  end: number,
): boolean {
  const key = TemplateCache.key(ctx.version, s.exporter, ctx.domain, setId);
  const t = s.templates.get(key);
  if (!t) {
    s.missingTemplate(key, setId, ctx.domain, start - 4);
    return true;
  }
  let pos = start;
  // The exporter's systemInitTimeMilliseconds, looked up once per set rather than per record.
  const init = ctx.version === 10 && t.usesUptime ? s.sysInit(ctx.domain) : undefined;
  // Fewer bytes than the shortest record are padding (RFC 7011 §3.3.1); minLength > 0 ends the loop.
  while (end - pos >= t.minLength) {
    noTimes(s.times);
    const next = decodeRecord(t, b, pos, end, s.row, s.times);
    if (next < 0) {
      s.row.clear();
      return s.fail(`a record of template ${setId} runs past the end of its set`, pos);
    }
    pos = next;
    if (t.options) {
      if (s.times.sysInit >= 0) s.setSysInit(ctx.domain, s.times.sysInit);
      s.row.clear();
      s.optionsRecord();
      continue;
    }
    resolveTimes(s, ctx, t, init);
    const row = s.row;
    row.setNumber(C.version, ctx.version);
    row.setNumber(C.observationDomain, ctx.domain);
    row.setNumber(C.sequence, ctx.sequence);
    row.setNumber(C.templateId, setId);
    s.commitFlow();
  }
  return true;
}

/** Turns sysUpTime-relative and delta times into absolute ones, unless the record had absolute times. */
function resolveTimes(s: Session, ctx: RecordContext, t: Template, cachedInit: number | undefined): void {
  const tm = s.times;
  const row = s.row;
  if (t.usesUptime) {
    if (ctx.version === 9) {
      // Signed 32-bit differences survive the 49.7-day wrap of sys_uptime.
      const at = ctx.exportSecs * 1000;
      if (tm.upStart >= 0) row.setTimeMs(C.flowStart, at - ((ctx.sysUptime - tm.upStart) | 0), WEAK);
      if (tm.upEnd >= 0) row.setTimeMs(C.flowEnd, at - ((ctx.sysUptime - tm.upEnd) | 0), WEAK);
    } else {
      const init = tm.sysInit >= 0 ? tm.sysInit : cachedInit;
      if (init !== undefined) {
        if (tm.upStart >= 0) row.setTimeMs(C.flowStart, init + tm.upStart, WEAK);
        if (tm.upEnd >= 0) row.setTimeMs(C.flowEnd, init + tm.upEnd, WEAK);
      }
    }
  }
  if (tm.deltaStart >= 0) row.setTime(C.flowStart, ctx.exportSecs, -tm.deltaStart * 1000, WEAK);
  if (tm.deltaEnd >= 0) row.setTime(C.flowEnd, ctx.exportSecs, -tm.deltaEnd * 1000, WEAK);
}
