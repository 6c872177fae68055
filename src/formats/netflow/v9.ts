/**
 * NetFlow v9 (RFC 3954): a 20-byte header, then flowsets: templates (ID 0),
 * options templates (ID 1) and data (ID >= 256, the template ID). A v9
 * message has no length field, so it can only be framed by its datagram.
 */
import { decodeDataSet, defineTemplate, type RecordContext, u16, u32, walkSets } from './sets.js';
import type { Session, TemplateField } from './templates.js';

const V9_HEADER = 20;

/** Decodes one v9 packet; false (after `s.fail`) when it is broken. */
export function decodeV9(s: Session, b: Uint8Array): boolean {
  if (b.length < V9_HEADER)
    return s.fail(`truncated NetFlow v9 header (${b.length} of ${V9_HEADER} bytes)`, 0);
  const ctx: RecordContext = {
    version: 9,
    sysUptime: u32(b, 4),
    exportSecs: u32(b, 8),
    sequence: u32(b, 12),
    domain: u32(b, 16),
  };
  return walkSets(s, b, V9_HEADER, b.length, (id, body, end) => {
    if (id === 0) return templates(s, ctx.domain, b, body, end);
    if (id === 1) return optionsTemplates(s, ctx.domain, b, body, end);
    if (id >= 256) return decodeDataSet(s, ctx, id, b, body, end);
    return true; // IDs 2..255 are reserved: skip the flowset
  });
}

function templates(s: Session, domain: number, b: Uint8Array, p: number, end: number): boolean {
  while (end - p >= 4) {
    const id = u16(b, p);
    const count = u16(b, p + 2);
    if (id < 256) {
      if (id === 0 && count === 0) return true; // padding
      return s.fail(`invalid template ID ${id} (data templates start at 256)`, p);
    }
    if (count === 0) return s.fail(`template ${id} has no fields`, p);
    if (p + 4 + count * 4 > end)
      return s.fail(`template ${id} (${count} fields) runs past the end of its flowset`, p);
    const fields: TemplateField[] = [];
    for (let i = 0, q = p + 4; i < count; i++, q += 4)
      fields.push({ id: u16(b, q), length: u16(b, q + 2), enterprise: 0 });
    if (!defineTemplate(s, 9, domain, id, fields, false, p)) return false;
    p += 4 + count * 4;
  }
  return true;
}

function optionsTemplates(s: Session, domain: number, b: Uint8Array, p: number, end: number): boolean {
  while (end - p >= 6) {
    const id = u16(b, p);
    const scopeLength = u16(b, p + 2);
    const optionLength = u16(b, p + 4);
    if (id < 256) {
      if (id === 0 && scopeLength === 0 && optionLength === 0) return true; // padding
      return s.fail(`invalid options template ID ${id} (templates start at 256)`, p);
    }
    if (scopeLength % 4 !== 0 || optionLength % 4 !== 0)
      return s.fail(
        `options template ${id}: scope length ${scopeLength} and option length ${optionLength} must be multiples of 4`,
        p,
      );
    if (scopeLength + optionLength === 0) return s.fail(`options template ${id} has no fields`, p);
    const fieldsEnd = p + 6 + scopeLength + optionLength;
    if (fieldsEnd > end) return s.fail(`options template ${id} runs past the end of its flowset`, p);
    // Scope fields (system, interface, ...) have their own numbering; only options fields are elements.
    const fields: TemplateField[] = [];
    for (let q = p + 6; q < fieldsEnd; q += 4)
      fields.push({ id: q < p + 6 + scopeLength ? 0 : u16(b, q), length: u16(b, q + 2), enterprise: 0 });
    if (!defineTemplate(s, 9, domain, id, fields, true, p)) return false;
    p = fieldsEnd;
  }
  return true;
}
