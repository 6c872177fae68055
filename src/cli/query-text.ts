/** The query of export/count: the argument, else (as VAST did) standard input when it is not a terminal. */
import { fstatSync } from 'node:fs';
import { text } from 'node:stream/consumers';

export async function queryText(arg: string | undefined): Promise<string | undefined> {
  if (arg !== undefined) return arg;
  if (process.stdin.isTTY) return undefined;
  // Only a file or a pipe (`< query.txt`, `echo ... |`) holds a query. Not a socket: programs
  // spawning vast get one for stdin and may never close it (a live export would wait forever).
  let st: ReturnType<typeof fstatSync>;
  try {
    st = fstatSync(0);
  } catch {
    return undefined;
  }
  if (!st.isFIFO() && !st.isFile()) return undefined;
  const q = (await text(process.stdin)).trim();
  return q === '' ? undefined : q;
}
