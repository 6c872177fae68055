/** Lists: an element kernel over the child column, reduced per row by the offsets (`any element matches`). */
import * as A from 'apache-arrow';
import { validBit } from './bitmap.js';
import type { Kernel } from './kernel.js';

export function listAny(element: Kernel, negate: boolean): Kernel {
  return (col, rows, out) => {
    const o = col.valueOffsets as Int32Array;
    const child = col.children[0];
    const first = o[0];
    const last = o[rows];
    // The element kernel sees the child rows [first, last) of this slice.
    const n = last - first;
    const hits = new Uint8Array((n + 7) >> 3);
    if (n > 0) element(child.slice(first, n), n, hits);
    for (let r = 0; r < rows; r++) {
      const j = col.offset + r;
      let any = false;
      for (let k = o[r] - first; !any && k < o[r + 1] - first; k++)
        any = (hits[k >> 3] & (1 << (k & 7))) !== 0;
      if (any !== negate && validBit(col.nullBitmap, col.nullCount, j)) out[r >> 3] |= 1 << (r & 7);
    }
  };
}

/**
 * A member of the records of a list<record> column as a list<member> column
 * (`dns.queries.rrname` of `dns.queries`): the list's offsets and validity,
 * the struct child's member column as values. `member` is the index path from
 * the element record down to the member (one index unless records nest). A
 * null element (or null record on the way) makes its member null, whatever
 * the member's own buffers hold there. No values are copied; only when some
 * record is null, a combined validity bitmap is built.
 */
export function listMemberColumn(list: A.Data, member: readonly number[]): A.Data {
  let values: A.Data = list.children[0];
  const records: A.Data[] = [];
  for (const k of member) {
    records.push(values);
    values = values.children[k];
  }
  if (records.some((r) => r.nullCount > 0)) values = withRecordNulls(values, records);
  return A.makeData({
    type: new A.List(new A.Field('item', values.type, true)),
    offset: list.offset,
    length: list.length,
    nullCount: list.nullCount,
    nullBitmap: list.nullBitmap,
    valueOffsets: list.valueOffsets,
    child: values,
  });
}

/** `values` with element j null where it or element j of any of `records` is null (struct children share indices). */
function withRecordNulls(values: A.Data, records: readonly A.Data[]): A.Data {
  const bitmap = new Uint8Array((values.offset + values.length + 7) >> 3);
  let nulls = 0;
  for (let j = 0; j < values.length; j++) {
    let valid = validBit(values.nullBitmap, values.nullCount, values.offset + j);
    for (let i = 0; valid && i < records.length; i++)
      valid = validBit(records[i].nullBitmap, records[i].nullCount, records[i].offset + j);
    const b = values.offset + j;
    if (valid) bitmap[b >> 3] |= 1 << (b & 7);
    else nulls++;
  }
  const buffers = values.buffers;
  buffers[A.BufferType.VALIDITY] = bitmap;
  return values.clone(values.type, values.offset, values.length, nulls, buffers);
}
