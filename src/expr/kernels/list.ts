/** Lists: an element kernel over the child column, reduced per row by the offsets (`any element matches`). */
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
