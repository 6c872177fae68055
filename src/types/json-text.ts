/**
 * JSON text of a decoded JSON value that may hold exact `bigint` integers
 * (the JSON readers' values beyond 2^53), which `JSON.stringify` refuses.
 */
export function jsonText(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (!hasBigInt(v)) return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(jsonText).join(',')}]`;
  const parts: string[] = [];
  for (const [k, x] of Object.entries(v))
    if (x !== undefined) parts.push(`${JSON.stringify(k)}:${jsonText(x)}`);
  return `{${parts.join(',')}}`;
}

function hasBigInt(v: object): boolean {
  for (const x of Object.values(v)) {
    if (typeof x === 'bigint') return true;
    if (x !== null && typeof x === 'object' && hasBigInt(x)) return true;
  }
  return false;
}
