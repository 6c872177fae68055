/** Number flags of the bench scripts (`--kills 100`, `--minutes 0.5`), with `_` allowed as in `10_000`. */

/** The flag's number, or `fallback` when absent; throws with the usage text when it is out of range. */
export function numberFlag(
  value: string | undefined,
  flag: string,
  fallback: number,
  usage: string,
  rule: { integer?: boolean; min?: number } = {},
): number {
  if (value === undefined) return fallback;
  const n = Number(value.replaceAll('_', ''));
  const { integer = false, min } = rule;
  const ok = integer
    ? Number.isInteger(n) && n >= (min ?? 1)
    : Number.isFinite(n) && (min === undefined ? n > 0 : n >= min);
  if (!ok) {
    const want = integer
      ? `an integer >= ${min ?? 1}`
      : min === undefined
        ? 'a positive number'
        : `a number >= ${min}`;
    throw new Error(`${flag} wants ${want}, got '${value}'\n${usage}`);
  }
  return n;
}
