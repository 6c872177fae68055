/**
 * Whether a query text is a Sigma document: a YAML map with a top-level
 * `detection:` or `correlation:` key. Cheap (no YAML parsing, so the query
 * path does not load the YAML parser for VAST expressions), never throws.
 * No VAST expression has a line that starts with `detection:`.
 */
export function isSigma(text: string): boolean {
  return /^(?:detection|correlation)[ \t]*:/m.test(text);
}
