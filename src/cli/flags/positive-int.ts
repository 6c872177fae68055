/** Flag values that count things (`--batch-size`, `--max-events`, ...); a module of its own so main.ts loads no format. */
export function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} expects a positive integer, got '${v}'`);
  return n;
}
