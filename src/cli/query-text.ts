/** The query of export/count: the argument, else (as VAST did) standard input when it is not a terminal. */
import { fstatSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import { isSigma } from '../detect/sigma/is-sigma.js';
import { schemaRegistry } from '../schemas/load.js';

/**
 * The query text; a Sigma rule (on stdin or as the argument) becomes its VAST
 * expression here, the one place where the CLI's query text is decided, so
 * that export and count, local or against a node, run it alike. `db` is the
 * database directory whose schema files may extend the Sigma mappings.
 */
export async function queryText(arg: string | undefined, db: string): Promise<string | undefined> {
  const q = arg ?? (await stdinText());
  if (q === undefined || !isSigma(q)) return arg ?? q?.trim();
  const { loadSigmaMappings, sigmaQueryText } = await import('../detect/sigma/index.js');
  return sigmaQueryText(q, {
    file: arg === undefined ? '<stdin>' : 'query',
    mappings: loadSigmaMappings(schemaRegistry(db)),
  });
}

async function stdinText(): Promise<string | undefined> {
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
  // Untrimmed: a Sigma rule's errors count lines from the file's first.
  const q = await text(process.stdin);
  return q.trim() === '' ? undefined : q;
}
