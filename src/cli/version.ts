/** vast's version, from package.json (read once, when first asked). */
import { readFileSync } from 'node:fs';

let version: string | undefined;

export function vastVersion(): string {
  version ??= (
    JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  return version;
}
