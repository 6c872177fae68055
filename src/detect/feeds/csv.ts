/**
 * CSV feeds (RFC 4180: quoted fields, `""` escapes, CRLF or LF) with a header
 * row, as exported by OTX, ThreatFox, MISP and spreadsheets. One column holds
 * the indicator, an optional `type` column its type; every other non-empty
 * column becomes context under its header name. Lines starting with `#`
 * outside a quoted field are comments (abuse.ch feeds open with some).
 */
import type { Indicator, IndicatorType } from '../indicator.js';
import { ipOrSubnet } from '../indicator.js';
import {
  classifyOrExplain,
  type FeedDef,
  FeedError,
  type FeedOptions,
  type FeedProblem,
  makeIndicator,
  type ParsedFeed,
  Positions,
} from './feed.js';

/** Header names of the indicator column, case-insensitive; the first such column (left to right) wins. */
const VALUE_COLUMNS = ['indicator', 'value', 'ioc', 'ip', 'domain', 'url', 'hash', 'md5', 'sha1', 'sha256'];

/** One CSV record: its fields and the text offset where each starts. */
interface CsvRecord {
  fields: string[];
  offsets: number[];
  /** Text after a closing quote (`"a"b`): the record is malformed but framing is intact. */
  error?: string;
}

/**
 * Splits `text` into records. Throws FeedError at the opening quote of a
 * quoted field that never closes: everything after it would be misread.
 */
function* records(
  text: string,
  source: string,
  positions: Positions,
): Generator<CsvRecord & { start: number }> {
  let i = 0;
  const n = text.length;
  while (i < n) {
    const start = i;
    const rec: CsvRecord = { fields: [], offsets: [] };
    for (;;) {
      rec.offsets.push(i);
      if (text[i] === '"') {
        const open = i;
        let v = '';
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) {
            const p = positions.at(open);
            throw new FeedError(source, p.line, p.column, 'unterminated quoted field');
          }
          v += text.slice(i, q);
          if (text[q + 1] === '"') {
            v += '"';
            i = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        // RFC 4180 allows nothing between the closing quote and the delimiter; keep framing, flag the row.
        let j = i;
        while (j < n && text[j] !== ',' && text[j] !== '\n') j++;
        if (text.slice(i, j).trim() !== '')
          rec.error = `text after the closing quote of field ${rec.fields.length + 1}`;
        i = j;
        rec.fields.push(v);
      } else {
        let j = i;
        while (j < n && text[j] !== ',' && text[j] !== '\n') j++;
        rec.fields.push(text.slice(i, j).replace(/\r$/, ''));
        i = j;
      }
      if (i >= n) break;
      if (text[i] === ',') {
        i++; // a ',' at the end of the text still opens an (empty) last field
        continue;
      }
      i++; // '\n'
      break;
    }
    yield { ...rec, start };
  }
}

/** The indicator type a name stands for (a `type` cell or a column header), or undefined. */
function typeNamed(name: string, value: string): { type: IndicatorType; field?: string } | undefined {
  switch (name.trim().toLowerCase()) {
    case 'ip':
    case 'ipv4':
    case 'ipv6':
    case 'ip-src':
    case 'ip-dst':
    case 'ipv4-addr':
    case 'ipv6-addr':
    case 'ip_address':
      return { type: ipOrSubnet(value) };
    case 'subnet':
    case 'cidr':
      return { type: 'subnet' };
    case 'domain':
    case 'hostname':
    case 'domain-name':
    case 'fqdn':
      return { type: 'domain' };
    case 'url':
    case 'uri':
    case 'link':
      return { type: 'url' };
    case 'md5':
    case 'filehash-md5':
      return { type: 'md5' };
    case 'sha1':
    case 'sha-1':
    case 'filehash-sha1':
      return { type: 'sha1' };
    case 'sha256':
    case 'sha-256':
    case 'filehash-sha256':
      return { type: 'sha256' };
    case 'email':
    case 'email-src':
    case 'email-dst':
      return { type: 'string', field: 'email' };
    case 'string':
      return { type: 'string' };
    default:
      return undefined;
  }
}

function parseCsv(text: string, opts: FeedOptions): ParsedFeed {
  const positions = new Positions(text);
  const indicators: Indicator[] = [];
  const problems: FeedProblem[] = [];
  let header: string[] | undefined;
  let valueCol = 0;
  let typeCol = -1;
  let fieldCol = -1;
  for (const rec of records(text, opts.source, positions)) {
    const { line, column } = positions.at(rec.start);
    if (rec.fields.length === 1 && rec.fields[0].trim() === '') continue;
    if (text[rec.start] === '#') continue;
    if (!header) {
      header = rec.fields.map((h) => h.trim());
      const lower = header.map((h) => h.toLowerCase());
      const v = lower.findIndex((h) => VALUE_COLUMNS.includes(h));
      valueCol = Math.max(v, 0); // no known name: the first column
      typeCol = lower.indexOf('type');
      if (typeCol === valueCol) typeCol = -1;
      fieldCol = lower.indexOf('field');
      continue;
    }
    if (rec.fields.length !== header.length) {
      problems.push({
        line,
        column,
        message: `row has ${rec.fields.length} fields, the header has ${header.length}`,
      });
      continue;
    }
    if (rec.error) {
      problems.push({ line, column, message: rec.error });
      continue;
    }
    const at = positions.at(rec.offsets[valueCol]);
    const problem = (message: string) => problems.push({ line: at.line, column: at.column, message });
    const context: Record<string, string> = {};
    for (const [k, f] of rec.fields.entries()) {
      const v = f.trim();
      if (k !== valueCol && k !== typeCol && k !== fieldCol && v !== '') context[header[k]] = v;
    }
    const raw = rec.fields[valueCol];
    const typeCell = typeCol >= 0 ? rec.fields[typeCol].trim() : '';
    let t: { type: IndicatorType; field?: string } | undefined;
    if (typeCell !== '') {
      t = typeNamed(typeCell, raw.trim());
      if (!t) {
        problem(`unknown indicator type '${typeCell}' in column '${header[typeCol]}'`);
        continue;
      }
    } else if (opts.type !== undefined) t = { type: opts.type === 'ip' ? ipOrSubnet(raw) : opts.type };
    else
      t = VALUE_COLUMNS.includes(header[valueCol].toLowerCase())
        ? typeNamed(header[valueCol], raw)
        : undefined;
    if (!t) {
      const c = classifyOrExplain(raw);
      if (typeof c === 'string') problem(c);
      else indicators.push({ ...c, context });
      continue;
    }
    const field =
      t.field ??
      (fieldCol >= 0 && rec.fields[fieldCol].trim() !== '' ? rec.fields[fieldCol].trim() : opts.field);
    const i = makeIndicator(t.type, raw, context, field);
    if (typeof i === 'string') problem(i);
    else indicators.push(i);
  }
  return { indicators, problems };
}

export const csv: FeedDef = { name: 'csv', parse: parseCsv };
