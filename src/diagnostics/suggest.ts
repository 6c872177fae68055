/** "Did you mean ...?" hints: the known name closest to a misspelt one. */

/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}

/** The closest of `names` to `name`, if close enough to suggest (at most a third of it differs, or 2 edits). */
export function suggest(names: Iterable<string>, name: string): string | undefined {
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const n of names) {
    const d = editDistance(name, n);
    if (d < bestScore) {
      bestScore = d;
      best = n;
    }
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}
