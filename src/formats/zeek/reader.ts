/**
 * The Zeek TSV reader: bytes → record batches, parsed column-wise from the
 * input buffer without a string or an object per line or field.
 *
 * A stream may hold many logs one after another (`gzcat *.log.gz | vast
 * import zeek`); every header block may change the separators and the
 * schema. Batches are flushed at `ctx.batchSize` rows, when the schema
 * changes, at `#close`, and at the end of the input.
 */
import type * as A from 'apache-arrow';
import { errorDiagnostic } from '../../diagnostics.js';
import type {
  BoolColumnBuilder,
  ColumnBuilder,
  Int64ColumnBuilder,
  IpColumnBuilder,
  ListBuilder,
  PortColumnBuilder,
  StringColumnBuilder,
} from '../../types/builder.js';
import type { ReaderContext } from '../format.js';
import { invalidUtf8Column, type LineChunk, lineChunks } from '../framing/lines.js';
import { Unescaper } from './escape.js';
import {
  type DirectiveName,
  defaultSeparators,
  directiveAt,
  equalsAt,
  type FieldsAndTypes,
  type Separators,
  schemaOfHeader,
  splitTokens,
  unescapeHeaderValue,
} from './header.js';
import {
  type EnumCache,
  Layout,
  P_ADDR,
  P_BOOL,
  P_COUNT,
  P_DOUBLE,
  P_ENUM,
  P_INT,
  P_LIST,
  P_PORT,
  P_SECONDS,
  P_STRING,
  P_SUBNET,
} from './layout.js';
import { appendExponentSeconds, appendSeconds, smallCount } from './numbers.js';

const NL = 10;
const BACKSLASH = 92;
const utf8 = new TextDecoder();

/** Reads Zeek TSV logs (see the file comment). Never throws for bad input; `ctx.report` decides. */
export async function* readZeek(
  input: AsyncIterable<Uint8Array>,
  ctx: ReaderContext,
): AsyncIterable<A.RecordBatch> {
  const parser = new ZeekParser(ctx);
  const chunks = lineChunks(input, {
    maxLineBytes: ctx.maxLineBytes,
    onTooLong: (line, bytes) => parser.tooLong(line, bytes),
  });
  for await (const chunk of chunks) {
    // An empty chunk means the input is idle (a followed file): hand out the rows we have.
    if (chunk.bytes.length === 0) parser.idle();
    else parser.chunk(chunk);
    if (parser.out.length > 0) yield* parser.out.splice(0);
  }
  parser.end();
  yield* parser.out.splice(0);
}

const emptyHeader = (): FieldsAndTypes => ({
  path: undefined,
  fields: undefined,
  fieldColumns: [],
  fieldsLine: 0,
  types: undefined,
  typeColumns: [],
  typesLine: 0,
});

/** The reader's state between chunks; `out` collects finished batches for the generator to yield. */
class ZeekParser {
  readonly out: A.RecordBatch[] = [];
  private seps: Separators = defaultSeparators();
  private header = emptyHeader();
  /** Whether a directive changed the header since the layout was chosen. */
  private dirty = true;
  /** Whether data lines followed the last directive (so the next directive starts a new log). */
  private inData = false;
  private layout: Layout | undefined;
  /** Layouts by schema, kept so that batches of one schema share enum dictionaries. */
  private readonly layouts = new Map<string, Layout>();
  /** Data lines skipped for want of a valid header, reported once per block. */
  private skipped = 0;
  private skippedLast = 0;
  private skipReason = '';

  // Field boundaries of the current line, and the row in which a field last held a backslash.
  private starts = new Int32Array(64);
  private ends = new Int32Array(64);
  private escapeRow = new Float64Array(64);
  private row = 0;
  private readonly unescaper = new Unescaper();

  constructor(private readonly ctx: ReaderContext) {}

  chunk(c: LineChunk): void {
    const b = c.bytes;
    const len = b.length;
    let pos = 0;
    let line = c.firstLine;
    while (pos < len) {
      let nl: number;
      if (!c.validUtf8 || b[pos] === 35 /* # */) {
        nl = b.indexOf(NL, pos);
        if (nl < 0) nl = len;
        const end = nl > pos && b[nl - 1] === 13 ? nl - 1 : nl;
        const bad = c.validUtf8 ? 0 : invalidUtf8Column(b, pos, end);
        const name = bad === 0 ? directiveAt(b, pos, end, this.seps.separator[0]) : undefined;
        if (bad > 0) this.invalidUtf8(b, pos, line, bad);
        else if (name) this.directive(name, b, pos, end, line);
        else if (end > pos) this.dataLine(b, pos, len, line);
      } else if (b[pos] === NL || (b[pos] === 13 && b[pos + 1] === NL)) {
        nl = b.indexOf(NL, pos); // an empty line: nothing to read
      } else nl = this.dataLine(b, pos, len, line);
      pos = nl + 1;
      line++;
    }
  }

  /** End of input: report what was skipped and flush (a log need not end in `#close`). */
  end(): void {
    this.endSkipping();
    this.flush();
  }

  tooLong(line: number, bytes: number): void {
    this.error(`line too long (${bytes} bytes, limit ${this.ctx.maxLineBytes})`, line, 1);
  }

  private error(message: string, line: number, column: number): void {
    this.ctx.report(
      errorDiagnostic(message, { location: { source: this.ctx.file, line, column }, recoverable: true }),
    );
  }

  /** The input is idle: emit the rows parsed so far as a batch. */
  idle(): void {
    this.flush();
  }

  private flush(): void {
    const l = this.layout;
    if (l && l.builder.rows > 0) this.out.push(l.builder.finish());
  }

  private invalidUtf8(b: Uint8Array, s: number, line: number, column: number): void {
    const at = s + column - 1;
    let field = '';
    if (this.layout && !this.dirty && b[s] !== 35) {
      let k = 0;
      for (let i = s; i < at; i++) if (b[i] === this.seps.separator[0]) k++;
      if (k < this.layout.width) field = ` in field '${this.layout.columns[k].name}'`;
    }
    const hex = b[at].toString(16).padStart(2, '0');
    this.error(`invalid UTF-8 (byte 0x${hex})${field}`, line, column);
  }

  // ---- header directives ----

  private directive(name: DirectiveName, b: Uint8Array, s: number, e: number, line: number): void {
    if (this.inData) {
      // A directive after data lines starts the next log: its header replaces the old one.
      this.inData = false;
      this.endSkipping();
      this.header = emptyHeader();
      this.dirty = true;
    }
    const sep = this.seps.separator;
    let v = s + 1 + name.length;
    // `#separator \x09` is followed by a space (the separator is not known yet); the rest by the separator.
    if (v < e && b[v] === 32) v++;
    else if (v < e && equalsAt(b, v, sep)) v += sep.length;
    switch (name) {
      case 'separator': {
        const value = unescapeHeaderValue(b, v, e);
        if (value.length === 0) this.error('empty #separator', line, 1);
        else this.seps.separator = value;
        return;
      }
      case 'set_separator': {
        const value = unescapeHeaderValue(b, v, e);
        if (value.length === 0) this.error('empty #set_separator', line, 1);
        else this.seps.setSeparator = value;
        return;
      }
      case 'empty_field':
        this.seps.emptyField = unescapeHeaderValue(b, v, e);
        return;
      case 'unset_field':
        this.seps.unsetField = unescapeHeaderValue(b, v, e);
        return;
      case 'path':
        this.header.path = utf8.decode(b.subarray(v, e));
        this.dirty = true;
        return;
      case 'fields':
      case 'types': {
        const { tokens, columns } = splitTokens(b, s, v, e, sep);
        if (name === 'fields') {
          this.header.fields = tokens;
          this.header.fieldColumns = columns;
          this.header.fieldsLine = line;
        } else {
          this.header.types = tokens;
          this.header.typeColumns = columns;
          this.header.typesLine = line;
        }
        this.dirty = true;
        return;
      }
      case 'close':
        // The log is complete: hand its rows on now rather than waiting for more input.
        this.flush();
        this.inData = true;
        return;
      case 'open':
        return;
    }
  }

  /** Picks the layout for the header just read, flushing the rows of the previous one if it differs. */
  private activate(line: number): void {
    this.dirty = false;
    if (this.header.fields === undefined && this.header.types === undefined) {
      // No header at all: skipLine() says so.
      this.flush();
      this.layout = undefined;
      return;
    }
    const result = schemaOfHeader(this.header, this.ctx.options.schema);
    if ('problem' in result) {
      this.flush();
      this.layout = undefined;
      const p = result.problem;
      this.skipReason = p.line > 0 ? `because of the header error at line ${p.line}` : '';
      this.error(p.message, p.line || line, p.column);
      return;
    }
    const { schema, columns } = result;
    const key = `${schema.name}\n${columns.map((c) => `${c.name}:${c.zeekType}`).join('\t')}`;
    let next = this.layouts.get(key);
    if (!next) {
      next = new Layout(schema, columns);
      this.layouts.set(key, next);
    }
    if (next !== this.layout) this.flush();
    this.layout = next;
    const n = next.width + 1;
    if (this.starts.length < n) {
      this.starts = new Int32Array(n);
      this.ends = new Int32Array(n);
      this.escapeRow = new Float64Array(n);
    }
  }

  private skipLine(line: number): void {
    if (this.skipped === 0) {
      if (this.header.fields === undefined && this.header.types === undefined) {
        this.skipReason = 'before any #fields/#types header';
        this.error('data line before any #fields/#types header', line, 1);
      }
    }
    this.skipped++;
    this.skippedLast = line;
  }

  /** Reports, once, how many data lines a missing or invalid header cost beyond the first. */
  private endSkipping(): void {
    if (this.skipped > 1) {
      this.error(`skipped ${this.skipped} data lines ${this.skipReason}`.trimEnd(), this.skippedLast, 1);
    }
    this.skipped = 0;
  }

  // ---- data lines ----

  /**
   * Parses the data line starting at `ls` (ending at the next newline before
   * `limit`) into one row; returns the position of its newline (or `limit`).
   */
  private dataLine(b: Uint8Array, ls: number, limit: number, line: number): number {
    this.inData = true;
    if (this.dirty) this.activate(line);
    const layout = this.layout;
    const sepBytes = this.seps.separator;
    if (!layout) {
      this.skipLine(line);
      const nl = b.indexOf(NL, ls);
      return nl < 0 ? limit : nl;
    }
    const n = layout.width;
    const starts = this.starts;
    const ends = this.ends;
    const escapeRow = this.escapeRow;
    const row = ++this.row;
    let k = 0;
    let s = ls;
    let i = ls;
    // This loop touches every byte of the input. The field arrays hold n + 1 entries; fields
    // past that (a line with too many) fall off the end: typed arrays ignore such writes, which
    // is cheaper than checking k on every byte.
    if (sepBytes.length === 1 && sepBytes[0] < BACKSLASH) {
      // inline the following for performance: with the separator (a tab) and the newline both
      // below every other byte the loop stops at, most bytes take one comparison and a backslash check.
      const sep = sepBytes[0];
      const low = Math.max(sep, NL);
      for (; i < limit; i++) {
        const c = b[i];
        if (c <= low) {
          if (c === sep) {
            starts[k] = s;
            ends[k] = i;
            k++;
            s = i + 1;
          } else if (c === NL) break;
        } else if (c === BACKSLASH) escapeRow[k] = row;
      }
    } else if (sepBytes.length === 1) {
      const sep = sepBytes[0];
      for (; i < limit; i++) {
        const c = b[i];
        if (c === sep) {
          starts[k] = s;
          ends[k] = i;
          k++;
          s = i + 1;
        } else if (c === NL) break;
        else if (c === BACKSLASH) escapeRow[k] = row;
      }
    } else {
      for (; i < limit; i++) {
        const c = b[i];
        if (c === sepBytes[0] && equalsAt(b, i, sepBytes)) {
          starts[k] = s;
          ends[k] = i;
          k++;
          i += sepBytes.length - 1;
          s = i + 1;
        } else if (c === NL) break;
        else if (c === BACKSLASH) escapeRow[k] = row;
      }
    }
    const nl = i;
    const le = nl > s && b[nl - 1] === 13 ? nl - 1 : nl;
    starts[k] = s;
    ends[k] = le;
    k++;
    if (k !== n) {
      this.fieldCount(layout, b, ls, le, k, line);
      return nl;
    }
    const cols = layout.cols;
    const codes = layout.codes;
    const unset = this.seps.unsetField;
    const u0 = unset[0];
    const uLen = unset.length;
    for (let f = 0; f < n; f++) {
      const fs = starts[f];
      const fe = ends[f];
      const col = cols[f];
      if (fe - fs === uLen && b[fs] === u0 && (uLen === 1 || equalsAt(b, fs, unset))) {
        col.appendNull();
        continue;
      }
      // inline the common cases for performance; value() handles the rest (and container elements).
      let ok: boolean;
      switch (codes[f]) {
        case P_SECONDS: {
          ok =
            appendSeconds(col as Int64ColumnBuilder, b, fs, fe) ||
            this.value(col, P_SECONDS, undefined, b, fs, fe, false);
          break;
        }
        case P_COUNT: {
          const v = smallCount(b, fs, fe);
          ok =
            v >= 0
              ? (col as Int64ColumnBuilder).appendNumber(v)
              : this.value(col, P_COUNT, undefined, b, fs, fe, false);
          break;
        }
        case P_ADDR:
          ok = (col as IpColumnBuilder).appendBytes(b, fs, fe);
          break;
        case P_PORT:
          ok = (col as PortColumnBuilder).appendBytes(b, fs, fe);
          break;
        case P_STRING:
          if (escapeRow[f] === row || this.isEmptyField(b, fs, fe))
            ok = this.value(col, P_STRING, undefined, b, fs, fe, escapeRow[f] === row);
          else ok = (col as StringColumnBuilder).appendBytes(b, fs, fe);
          break;
        case P_BOOL:
          ok = (col as BoolColumnBuilder).appendBytes(b, fs, fe);
          break;
        case P_ENUM:
          if (escapeRow[f] === row || this.isEmptyField(b, fs, fe))
            ok = this.value(col, P_ENUM, undefined, b, fs, fe, escapeRow[f] === row);
          else ok = col.appendText(layout.enums[f]!.get(b, fs, fe));
          break;
        case P_LIST:
          ok = this.list(layout, f, b, fs, fe, escapeRow[f] === row);
          break;
        default:
          ok = this.value(col, codes[f], layout.enums[f], b, fs, fe, escapeRow[f] === row);
      }
      if (!ok) {
        layout.builder.rollback();
        this.badValue(layout, f, b, ls, fs, fe, line);
        return nl;
      }
    }
    layout.builder.commitRow();
    if (layout.builder.rows >= this.ctx.batchSize) this.out.push(layout.builder.finish());
    return nl;
  }

  /** Appends one scalar value `b[s, e)` (already known not to be unset); false if it does not parse. */
  private value(
    col: ColumnBuilder,
    code: number,
    enums: EnumCache | undefined,
    b: Uint8Array,
    s: number,
    e: number,
    escaped: boolean,
  ): boolean {
    switch (code) {
      case P_SECONDS:
        return (
          (col as Int64ColumnBuilder).appendDecimalBytes(b, s, e, 9) ||
          appendExponentSeconds(col as Int64ColumnBuilder, b, s, e)
        );
      case P_INT:
      case P_COUNT:
        return (col as Int64ColumnBuilder).appendDecimalBytes(b, s, e, 0);
      case P_ADDR:
        return (col as IpColumnBuilder).appendBytes(b, s, e);
      case P_PORT:
        return (col as PortColumnBuilder).appendBytes(b, s, e);
      case P_BOOL:
        return (col as BoolColumnBuilder).appendBytes(b, s, e);
      case P_STRING: {
        const sb = col as StringColumnBuilder;
        if (escaped) {
          const n = this.unescaper.run(b, s, e);
          return sb.appendBytes(this.unescaper.out, 0, n);
        }
        if (this.isEmptyField(b, s, e)) return sb.appendBytes(b, s, s);
        return sb.appendBytes(b, s, e);
      }
      case P_ENUM: {
        let text: string;
        if (escaped) {
          const n = this.unescaper.run(b, s, e);
          text = utf8.decode(this.unescaper.out.subarray(0, n));
        } else if (this.isEmptyField(b, s, e)) text = '';
        else text = enums!.get(b, s, e);
        return col.appendText(text);
      }
      case P_DOUBLE:
      case P_SUBNET:
        return col.appendBytes(b, s, e);
      default:
        return false;
    }
  }

  private isEmptyField(b: Uint8Array, s: number, e: number): boolean {
    const empty = this.seps.emptyField;
    return e - s === empty.length && equalsAt(b, s, empty);
  }

  /** Appends a container value: `(empty)`, or elements split at the set separator. */
  private list(layout: Layout, f: number, b: Uint8Array, s: number, e: number, escaped: boolean): boolean {
    const lb = layout.cols[f] as ListBuilder;
    if (s === e || this.isEmptyField(b, s, e)) return lb.closeList();
    const child = layout.targets[f];
    const code = layout.elementCodes[f];
    const enums = layout.enums[f];
    const setSep = this.seps.setSeparator;
    const s0 = setSep[0];
    const unset = this.seps.unsetField;
    const start = child.length;
    let a = s;
    for (;;) {
      let z = a;
      while (z < e && !(b[z] === s0 && (setSep.length === 1 || equalsAt(b, z, setSep)))) z++;
      let ok: boolean;
      if (z - a === unset.length && equalsAt(b, a, unset)) {
        child.appendNull();
        ok = true;
      } else ok = this.value(child, code, enums, b, a, z, escaped && b.subarray(a, z).includes(BACKSLASH));
      if (!ok) {
        // The list itself was not closed, so rollback() would not reach these elements.
        child.truncate(start);
        return false;
      }
      if (z >= e) break;
      a = z + setSep.length;
    }
    return lb.closeList();
  }

  private badValue(
    layout: Layout,
    f: number,
    b: Uint8Array,
    ls: number,
    s: number,
    e: number,
    line: number,
  ): void {
    const c = layout.columns[f];
    let text = utf8.decode(b.subarray(s, Math.min(e, s + 80)));
    if (e - s > 80) text += '...';
    this.error(`invalid value for field '${c.name}' (${c.zeekType}): '${text}'`, line, s - ls + 1);
  }

  private fieldCount(
    layout: Layout,
    b: Uint8Array,
    ls: number,
    le: number,
    found: number,
    line: number,
  ): void {
    const n = layout.width;
    // Too many: point at the first extra field; too few: just past the end of the line.
    let column = le - ls + 1;
    if (found > n) {
      const sep = this.seps.separator;
      let k = 0;
      for (let i = ls; i < le; i++) {
        if (equalsAt(b, i, sep) && ++k === n) {
          column = i + sep.length - ls + 1;
          break;
        }
      }
    }
    this.error(`expected ${n} fields but found ${found}`, line, column);
  }
}
