/**
 * Sigma text as YAML nodes that keep their positions: every error of the
 * Sigma compiler points at the node it is about (FILE:LINE:COLUMN).
 */
import { isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments, type YAMLMap } from 'yaml';
import { errorDiagnostic, spanIn, VastError } from '../../diagnostics.js';

/** A Sigma text being compiled: where errors point. */
export class SigmaSource {
  constructor(
    readonly text: string,
    /** The file name errors show (`rule.yml`, `<stdin>`). */
    readonly file: string,
  ) {}

  /** An error located at `node` (or at `offset` when there is no node). */
  error(message: string, at: Node | number | undefined, hints: readonly string[] = []): VastError {
    const offset = typeof at === 'number' ? at : (at?.range?.[0] ?? 0);
    const length = typeof at === 'number' || !at?.range ? 1 : Math.max(1, at.range[1] - at.range[0]);
    const where = spanIn(this.file, this.text, offset, length);
    return new VastError(`${this.file}: ${message}`, errorDiagnostic(message, { ...where, hints }));
  }

  /** The 1-based line of an offset. */
  line(offset: number): number {
    let line = 1;
    for (let i = 0; i < offset && i < this.text.length; i++) if (this.text.charCodeAt(i) === 10) line++;
    return line;
  }
}

/** One YAML document of the text: its root map and the offset where it starts. */
export interface SigmaYamlDocument {
  readonly root: YAMLMap;
  readonly offset: number;
}

/** The documents of a Sigma text; YAML syntax errors and non-map documents throw located errors. */
export function readDocuments(src: SigmaSource): SigmaYamlDocument[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(src.text, { lineCounter, uniqueKeys: true });
  if (!Array.isArray(docs)) return [];
  const out: SigmaYamlDocument[] = [];
  for (const doc of docs) {
    const [err] = doc.errors;
    if (err) throw src.error(`invalid YAML: ${err.message.split('\n')[0]}`, err.pos[0]);
    const root = doc.contents;
    if (root === null || (isScalar(root) && root.value === null)) continue;
    if (!isMap(root)) throw src.error('a Sigma document is a YAML map', root ?? undefined);
    out.push({ root, offset: doc.range[0] });
  }
  return out;
}

/** The value node of `key` in a map (undefined when absent). */
export function entry(map: YAMLMap, key: string): Node | undefined {
  for (const pair of map.items) {
    if (isScalar(pair.key) && String(pair.key.value) === key) return (pair.value as Node | null) ?? undefined;
  }
  return undefined;
}

/** The key node of `key` in a map, for errors about the key itself. */
export function keyNode(map: YAMLMap, key: string): Node | undefined {
  for (const pair of map.items) if (isScalar(pair.key) && String(pair.key.value) === key) return pair.key;
  return undefined;
}

/** The pairs of a map with scalar keys, in order (a non-scalar key is an error). */
export function pairs(
  src: SigmaSource,
  map: YAMLMap,
): { key: string; keyNode: Node; value: Node | undefined }[] {
  return map.items.map((pair) => {
    if (!isScalar(pair.key)) throw src.error('a key must be a plain string', (pair.key as Node) ?? map);
    return {
      key: String(pair.key.value),
      keyNode: pair.key,
      value: (pair.value as Node | null) ?? undefined,
    };
  });
}

/** A scalar string (numbers are written as they were), or an error naming `what`. */
export function stringOf(src: SigmaSource, node: Node | undefined, what: string, at?: Node): string {
  if (!isScalar(node) || node.value === null || typeof node.value === 'object')
    throw src.error(`'${what}' must be a string`, node ?? at);
  return typeof node.value === 'string' ? node.value : (node.source ?? String(node.value));
}

/** An optional scalar string. */
export function optionalString(src: SigmaSource, map: YAMLMap, key: string): string | undefined {
  const n = entry(map, key);
  return n === undefined || (isScalar(n) && n.value === null) ? undefined : stringOf(src, n, key);
}

/** A string or a list of strings (`tags`, `rules`, `group-by`). */
export function stringList(src: SigmaSource, map: YAMLMap, key: string): { value: string; node: Node }[] {
  const n = entry(map, key);
  if (n === undefined || (isScalar(n) && n.value === null)) return [];
  if (isSeq(n))
    return n.items.map((item) => ({ value: stringOf(src, item as Node, key), node: item as Node }));
  return [{ value: stringOf(src, n, key), node: n }];
}
