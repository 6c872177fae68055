/**
 * CSV output (RFC 4180). One column per leaf field, named by its dotted path
 * (`id.orig_h`). A header line starts every layout; when the layout changes
 * (another schema, see `layoutKey`), an empty line separates the blocks and a
 * new header follows.
 *
 * Cells use the `csv` style of `types/print-value.ts`: null is an empty cell,
 * an empty string is `""` (so the two stay apart, as DuckDB reads them),
 * bools `true`/`false`, times ISO 8601, durations exact with a unit
 * (`1.63ms`), ips and subnets as text. Lists are `[a, b]` (VAST's list syntax;
 * elements unquoted, null elements empty), maps `{k -> v}`. A cell is quoted
 * when it holds a comma, a double quote, CR or LF; quotes inside are doubled.
 */
import type * as A from 'apache-arrow';
import { batchType } from '../../types/arrow.js';
import { layoutKey } from '../../types/layout.js';
import { CHUNK_ROWS, printColumn } from '../../types/print-value.js';
import type { RecordType, VastType } from '../../types/type.js';
import { isValid } from '../../types/values.js';
import type { Writer } from '../format.js';

/** A non-record column of a batch, with the records above it (their nulls null it too). */
interface LeafColumn {
  readonly path: string;
  readonly type: VastType;
  readonly data: A.Data;
  /** Records above the leaf that have nulls (row r of the batch is row r of every level). */
  readonly ancestors: readonly A.Data[];
}

function leafColumns(data: A.Data, t: RecordType): LeafColumn[] {
  const out: LeafColumn[] = [];
  const walk = (d: A.Data, rt: RecordType, prefix: string, ancestors: LeafColumn['ancestors']) => {
    rt.fields.forEach((f, k) => {
      const child = d.children[k];
      const path = prefix + f.name;
      if (f.type.kind === 'record') {
        walk(child, f.type, `${path}.`, child.nullCount === 0 ? ancestors : [...ancestors, child]);
      } else out.push({ path, type: f.type, data: child, ancestors });
    });
  };
  walk(data, t, '', []);
  return out;
}

const NEEDS_QUOTES = /[",\r\n]/;

/** RFC 4180 quoting; an empty string is quoted so that it differs from null. */
export function csvCell(text: string): string {
  if (text === '') return '""';
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Kinds whose text may contain commas, quotes or line breaks, or be empty. */
const QUOTABLE = new Set<VastType['kind']>(['string', 'enum', 'list', 'map', 'record']);

export const writeCsv: Writer = async function* (batches) {
  let layout: string | undefined;
  for await (const batch of batches) {
    if (batch.numRows === 0) continue;
    const leaves = leafColumns(batch.data, batchType(batch));
    let header = '';
    const key = layoutKey(batch.schema);
    if (key !== layout) {
      if (layout !== undefined) header += '\n';
      layout = key;
      header += `${leaves.map((l) => csvCell(l.path)).join(',')}\n`;
    }
    for (let start = 0; start < batch.numRows; start += CHUNK_ROWS) {
      const end = Math.min(batch.numRows, start + CHUNK_ROWS);
      yield header + printRows(leaves, start, end);
      header = '';
    }
  }
};

function printRows(leaves: readonly LeafColumn[], start: number, end: number): string {
  const n = end - start;
  const columns = leaves.map((leaf) => {
    const col = printColumn(leaf.data, leaf.type, 'csv', start, end);
    for (const a of leaf.ancestors) {
      for (let r = 0; r < n; r++) if (!isValid(a, start + r)) col[r] = undefined;
    }
    if (QUOTABLE.has(leaf.type.kind)) {
      for (let r = 0; r < n; r++) {
        const v = col[r];
        if (v !== undefined) col[r] = csvCell(v);
      }
    }
    return col;
  });
  // Joining arrays beats `+=` (no ropes to flatten); `join` prints undefined (null) as empty.
  const cells: (string | undefined)[] = new Array(columns.length);
  const lines: string[] = new Array(n);
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < columns.length; k++) cells[k] = columns[k][r];
    lines[r] = cells.join(',');
  }
  return `${lines.join('\n')}\n`;
}
