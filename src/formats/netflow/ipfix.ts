/**
 * IPFIX (RFC 7011): a 16-byte message header with the message length, then
 * sets: templates (ID 2), options templates (ID 3) and data (ID >= 256).
 * Template fields may carry an enterprise number (bit 15 of the element ID)
 * and a variable length (65535). A template record with no fields withdraws
 * a template (RFC 7011 §8.1); with its own set's ID, all of them.
 */
import { decodeDataSet, defineTemplate, type RecordContext, u16, u32, walkSets } from './sets.js';
import { type Session, TemplateCache, type TemplateField } from './templates.js';

const IPFIX_HEADER = 16;

/** The length of the IPFIX message at `b[0]`, from its header; 0 if the header is short. */
export function ipfixLength(b: Uint8Array): number {
  return b.length < 4 ? 0 : u16(b, 2);
}

/** Decodes one IPFIX message; false (after `s.fail`) when it is broken. */
export function decodeIpfix(s: Session, b: Uint8Array): boolean {
  if (b.length < IPFIX_HEADER)
    return s.fail(`truncated IPFIX header (${b.length} of ${IPFIX_HEADER} bytes)`, 0);
  const length = u16(b, 2);
  if (length < IPFIX_HEADER) return s.fail(`invalid IPFIX message length ${length}`, 2);
  if (length > b.length)
    return s.fail(
      `truncated IPFIX message: the header says ${length} bytes, the packet has ${b.length}`,
      b.length,
    );
  const ctx: RecordContext = {
    version: 10,
    exportSecs: u32(b, 4),
    sequence: u32(b, 8),
    domain: u32(b, 12),
    sysUptime: 0,
  };
  return walkSets(s, b, IPFIX_HEADER, length, (id, body, end) => {
    if (id === 2 || id === 3) return templates(s, ctx.domain, id, b, body, end);
    if (id >= 256) return decodeDataSet(s, ctx, id, b, body, end);
    return true; // 0, 1 (NetFlow v9's IDs) and 4..255 are not used in IPFIX: skip
  });
}

function templates(
  s: Session,
  domain: number,
  setId: number,
  b: Uint8Array,
  p: number,
  end: number,
): boolean {
  const options = setId === 3;
  while (end - p >= 4) {
    const id = u16(b, p);
    const count = u16(b, p + 2);
    if (id < 256) {
      if (id === setId && count === 0) {
        s.templates.deleteAll(10, s.exporter, domain, options);
        p += 4;
        continue;
      }
      if (id === 0 && count === 0) return true; // padding
      return s.fail(`invalid template ID ${id} (templates start at 256)`, p);
    }
    if (count === 0) {
      s.templates.delete(TemplateCache.key(10, s.exporter, domain, id));
      p += 4;
      continue;
    }
    let q = p + 4;
    if (options) {
      if (q + 2 > end) return s.fail(`options template ${id} runs past the end of its set`, p);
      const scopeCount = u16(b, q);
      if (scopeCount === 0 || scopeCount > count)
        return s.fail(
          `options template ${id}: invalid scope field count ${scopeCount} of ${count} fields`,
          p,
        );
      q += 2;
    }
    const fields: TemplateField[] = [];
    for (let i = 0; i < count; i++) {
      if (q + 4 > end) return s.fail(`template ${id} (${count} fields) runs past the end of its set`, p);
      const raw = u16(b, q);
      const length = u16(b, q + 2);
      let enterprise = 0;
      if (raw & 0x8000) {
        if (q + 8 > end) return s.fail(`template ${id} (${count} fields) runs past the end of its set`, p);
        enterprise = u32(b, q + 4);
        q += 8;
      } else q += 4;
      fields.push({ id: raw & 0x7fff, length, enterprise });
    }
    if (!defineTemplate(s, 10, domain, id, fields, options, p)) return false;
    p = q;
  }
  return true;
}
