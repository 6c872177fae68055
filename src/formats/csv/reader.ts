/**
 * The `csv` reader: a header line, then records (RFC 4180: quoted fields may
 * hold commas, doubled quotes and newlines). Unquoted cells are trimmed of
 * spaces and tabs (Argus pads its columns); an empty cell is null.
 *
 * Column types are inferred from the cells (`json/infer.ts`, `inferCell`):
 * int64, double, bool, time (ISO 8601, also Argus' `2009-11-18+09:00:03`),
 * ip, else string. Inference needs to see values before typing them, so a
 * batch's cells are kept as text until the batch is full, and a column's type
 * only widens from batch to batch (int64 → double; anything mixed → string).
 * A column of addresses with one MAC address in it is a string column.
 *
 * The schema is named `csv`, or `--schema NAME`; when the registry knows
 * NAME, columns named like its fields (dotted for nested records) take the
 * field's type and the batch has the schema's layout, other columns are
 * inferred and appended.
 */

import { isUtf8 } from 'node:buffer';
import type * as A from 'apache-arrow';
import { type Diagnostic, errorDiagnostic, warningDiagnostic } from '../../diagnostics.js';
import { BatchBuilder } from '../../types/batch-builder.js';
import type { ColumnBuilder, Int64ColumnBuilder } from '../../types/builder.js';
import {
  basic,
  leaves,
  type RecordField,
  type RecordType,
  record,
  type Schema,
  type VastType,
} from '../../types/type.js';
import type { Reader, ReaderContext } from '../format.js';
import { invalidUtf8Column } from '../framing/lines.js';
import { type InferredKind, inferCell, parseCellTime, unifyCells } from '../json/infer.js';

/** One parsed record: cells as text (null for empty unquoted cells) and where each started. */
interface CsvRecord {
  readonly cells: (string | null)[];
  readonly columns: number[];
  readonly line: number;
  /** Column just past the last byte of the record, for "missing fields" messages. */
  readonly endColumn: number;
}

const QUOTE = 34;
const COMMA = 44;
const NL = 10;
const CR = 13;

/**
 * Splits bytes into CSV records, across chunk boundaries. Reports broken
 * records (over-long, unterminated quote, invalid UTF-8, stray text after a
 * closing quote) through `onError` and does not emit them.
 */
class CsvParser {
  private field = new Uint8Array(256);
  private fieldLength = 0;
  private cells: (string | null)[] = [];
  private columns: number[] = [];
  private quoted = false;
  private inQuotes = false;
  private afterQuote = false;
  /** Only spaces/tabs so far in an unquoted field (they are dropped when a quote follows). */
  private blank = true;
  private line = 1;
  private column = 1;
  private recordLine = 1;
  private fieldLine = 1;
  private fieldColumn = 1;
  private recordBytes = 0;
  private bad: { line: number; column: number; message: string } | undefined;
  private first = true;
  /** A quote ended the last chunk inside a quoted field: closing, or the first of `""`? */
  private pendingQuote = false;

  constructor(
    private readonly maxRecordBytes: number,
    private readonly onRecord: (r: CsvRecord) => void,
    private readonly onError: (line: number, column: number, message: string) => void,
  ) {}

  push(b: Uint8Array): void {
    let i = 0;
    if (this.first && b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) i = 3;
    this.first = false;
    for (; i < b.length; i++) {
      const c = b[i];
      this.recordBytes++;
      if (this.inQuotes) {
        if (c === QUOTE) {
          if (i + 1 < b.length ? b[i + 1] === QUOTE : false) {
            this.add(QUOTE);
            i++;
            this.recordBytes++;
            this.column += 2;
            continue;
          }
          if (i + 1 >= b.length) {
            // A quote at the chunk end: whether it is doubled shows in the next chunk.
            this.pendingQuote = true;
            this.inQuotes = false;
            this.column++;
            continue;
          }
          this.inQuotes = false;
          this.afterQuote = true;
          this.column++;
          continue;
        }
        this.add(c);
        if (c === NL) {
          this.line++;
          this.column = 1;
        } else this.column++;
        continue;
      }
      if (this.pendingQuote) {
        this.pendingQuote = false;
        if (c === QUOTE) {
          this.inQuotes = true;
          this.add(QUOTE);
          this.column++;
          continue;
        }
        this.afterQuote = true;
      }
      if (c === COMMA) {
        this.endField();
        this.column++;
        this.startField();
        continue;
      }
      if (c === NL) {
        this.endField();
        this.endRecord();
        this.line++;
        this.column = 1;
        this.startField();
        this.recordLine = this.line;
        continue;
      }
      if (this.afterQuote) {
        if (c !== 32 && c !== 9 && c !== CR && !this.bad)
          this.bad = {
            line: this.line,
            column: this.column,
            message: 'unexpected text after a closing quote',
          };
        this.column++;
        continue;
      }
      if (c === QUOTE && this.blank && !this.quoted) {
        this.quoted = true;
        this.inQuotes = true;
        this.fieldLength = 0;
        this.fieldLine = this.line;
        this.fieldColumn = this.column;
        this.column++;
        continue;
      }
      if (c !== 32 && c !== 9 && c !== CR) this.blank = false;
      this.add(c);
      this.column++;
    }
  }

  /** End of input: the last record may lack its newline; an open quote is an error. */
  end(): void {
    if (this.pendingQuote) {
      this.pendingQuote = false;
      this.inQuotes = false;
      this.afterQuote = true;
    }
    if (this.inQuotes) {
      this.onError(this.fieldLine, this.fieldColumn, 'unterminated quoted field at end of input');
      return;
    }
    if (this.cells.length > 0 || this.fieldLength > 0 || this.quoted) {
      this.endField();
      this.endRecord();
    }
  }

  private add(c: number): void {
    if (this.recordBytes > this.maxRecordBytes) return;
    if (this.fieldLength === this.field.length) {
      const next = new Uint8Array(this.field.length * 2);
      next.set(this.field);
      this.field = next;
    }
    this.field[this.fieldLength++] = c;
  }

  private startField(): void {
    this.fieldLength = 0;
    this.quoted = false;
    this.afterQuote = false;
    this.blank = true;
    this.fieldLine = this.line;
    this.fieldColumn = this.column;
  }

  private endField(): void {
    let s = 0;
    let e = this.fieldLength;
    const f = this.field;
    if (!this.quoted) {
      // Trim padding (and the CR of CRLF line ends).
      while (s < e && (f[s] === 32 || f[s] === 9)) s++;
      while (e > s && (f[e - 1] === 32 || f[e - 1] === 9 || f[e - 1] === CR)) e--;
    }
    let text: string | null;
    if (!this.quoted && s === e) text = null;
    else {
      const bytes = f.subarray(s, e);
      if (!isUtf8(bytes) && !this.bad) {
        const col = invalidUtf8Column(f, s, e);
        this.bad = { line: this.fieldLine, column: this.fieldColumn + s + col - 1, message: 'invalid UTF-8' };
      }
      text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
    }
    this.cells.push(text);
    this.columns.push(this.fieldColumn);
  }

  private endRecord(): void {
    const cells = this.cells;
    const columns = this.columns;
    this.cells = [];
    this.columns = [];
    const bytes = this.recordBytes;
    this.recordBytes = 0;
    const bad = this.bad;
    this.bad = undefined;
    if (bytes > this.maxRecordBytes) {
      this.onError(this.recordLine, 1, `record too long: ${bytes} bytes (limit ${this.maxRecordBytes})`);
      return;
    }
    if (bad) {
      this.onError(bad.line, bad.column, bad.message);
      return;
    }
    // A blank line is no record.
    if (cells.length === 1 && cells[0] === null) return;
    this.onRecord({ cells, columns, line: this.recordLine, endColumn: this.column });
  }
}

/** Where a column's values go: a leaf builder of the batch, and how to parse them. */
interface ColumnPlan {
  readonly name: string;
  kind: InferredKind | 'null';
  /** Fixed by the registry schema. */
  readonly typed: VastType | undefined;
}

class CsvBatcher {
  readonly out: A.RecordBatch[] = [];
  private header: string[] | undefined;
  private plans: ColumnPlan[] = [];
  private rows: CsvRecord[] = [];
  private readonly schemaName: string;
  private readonly known: Schema | undefined;

  constructor(private readonly ctx: ReaderContext) {
    this.schemaName = ctx.options.schema ?? 'csv';
    this.known = ctx.options.schema ? ctx.schemas.get(ctx.options.schema) : undefined;
  }

  record(r: CsvRecord): void {
    if (!this.header) {
      this.setHeader(r);
      return;
    }
    const n = this.header.length;
    if (r.cells.length !== n) {
      const column = r.cells.length > n ? r.columns[n] : r.endColumn;
      this.error(r.line, column, `expected ${n} fields, got ${r.cells.length}`);
      return;
    }
    this.rows.push(r);
    if (this.rows.length >= this.ctx.batchSize) this.flush();
  }

  private setHeader(r: CsvRecord): void {
    const seen = new Map<string, number>();
    this.header = r.cells.map((c, i) => {
      let name = c ?? '';
      if (name === '') name = `column${i + 1}`;
      const k = seen.get(name) ?? 0;
      seen.set(name, k + 1);
      if (k > 0) {
        this.ctx.report(
          warningDiagnostic(`duplicate column name '${name}', renamed to '${name}_${k + 1}'`, {
            location: { source: this.ctx.file, line: r.line, column: r.columns[i] },
          }),
        );
        name = `${name}_${k + 1}`;
      }
      return name;
    });
    const typedLeaves = new Map((this.known ? leaves(this.known.type) : []).map((l) => [l.path, l.type]));
    this.plans = this.header.map((name) => ({ name, kind: 'null', typed: typedLeaves.get(name) }));
  }

  /** Types the buffered rows and appends them as one batch. */
  flush(): void {
    if (this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    for (let c = 0; c < this.plans.length; c++) {
      const p = this.plans[c];
      if (p.typed) continue;
      let kind = p.kind;
      for (const r of rows) {
        const cell = r.cells[c];
        if (cell !== null) kind = unifyCells(kind, inferCell(cell));
        if (kind === 'string') break;
      }
      p.kind = kind;
    }
    const { schema, leafOf } = this.layout();
    const bb = new BatchBuilder(schema);
    const targets = leafOf.map((i) => bb.leaves[i]);
    const unused = bb.leaves.filter((_, i) => !leafOf.includes(i));
    for (const r of rows) {
      let ok = true;
      for (let c = 0; c < targets.length && ok; c++) {
        const cell = r.cells[c];
        const b = targets[c];
        if (cell === null) b.appendNull();
        else if (!appendCell(b, this.plans[c], cell)) {
          const p = this.plans[c];
          this.error(
            r.line,
            r.columns[c],
            `invalid value for field '${p.name}' (${typeLabel(p)}): '${cell}'`,
          );
          ok = false;
        }
      }
      if (!ok) {
        bb.rollback();
        continue;
      }
      for (const u of unused) u.appendNull();
      bb.commitRow();
    }
    if (bb.rows > 0) this.out.push(bb.finish());
  }

  /** The batch schema and, per column, the index of its leaf in the builder. */
  private layout(): { schema: Schema; leafOf: number[] } {
    const extras: RecordField[] = [];
    const known = this.known;
    for (const p of this.plans) if (!p.typed) extras.push({ name: p.name, type: typeOf(p) });
    const type: RecordType = known ? record([...known.type.fields, ...extras]) : record(extras);
    const paths = leaves(type).map((l) => l.path);
    // Extras are flat fields: their leaf path is their name even when it contains dots.
    const extraStart = paths.length - extras.length;
    const leafOf = this.plans.map((p) =>
      p.typed ? paths.indexOf(p.name) : extraStart + extras.findIndex((e) => e.name === p.name),
    );
    const timestamp = known?.timestamp ?? this.plans.find((p) => !p.typed && p.kind === 'time')?.name;
    return { schema: { name: this.schemaName, type, timestamp }, leafOf };
  }

  private error(line: number, column: number, message: string): void {
    const d: Diagnostic = errorDiagnostic(message, {
      location: { source: this.ctx.file, line, column },
      recoverable: true,
    });
    this.ctx.report(d);
  }
}

function typeOf(p: ColumnPlan): VastType {
  if (p.typed) return p.typed;
  return basic(p.kind === 'null' ? 'string' : p.kind);
}

function typeLabel(p: ColumnPlan): string {
  const t = typeOf(p);
  return t.kind === 'list' ? `list<${t.element.kind}>` : t.kind;
}

function appendCell(b: ColumnBuilder, p: ColumnPlan, cell: string): boolean {
  if (p.typed) return b.appendText(cell);
  switch (p.kind) {
    case 'time': {
      const ns = parseCellTime(cell);
      return ns !== undefined && (b as Int64ColumnBuilder).appendBigInt(ns);
    }
    case 'bool':
      return b.appendText(cell.toLowerCase());
    default:
      return b.appendText(cell);
  }
}

/** Reads CSV with a header line; see the file comment. */
export const readCsv: Reader = async function* (input, ctx) {
  const batcher = new CsvBatcher(ctx);
  const parser = new CsvParser(
    ctx.maxLineBytes,
    (r) => batcher.record(r),
    (line, column, message) =>
      ctx.report(
        errorDiagnostic(message, { location: { source: ctx.file, line, column }, recoverable: true }),
      ),
  );
  for await (const chunk of input) {
    parser.push(chunk);
    // An empty chunk: the input is idle (a followed file), so hand out what we have.
    if (chunk.length === 0) batcher.flush();
    if (batcher.out.length > 0) yield* batcher.out.splice(0);
  }
  parser.end();
  batcher.flush();
  yield* batcher.out.splice(0);
};
