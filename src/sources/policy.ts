/**
 * What the operator lets sources spawned inside a node do: which program
 * captures packets, which directories sources may read files from, which
 * addresses listeners may bind. These come from the node's configuration,
 * never from a request: a tenant's arguments can only choose among what the
 * operator allowed. Sources get the policy through their context.
 */
import { realpath } from 'node:fs/promises';
import { isIPv6 } from 'node:net';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { VastError } from '../diagnostics.js';

/** A request the policy refuses; `status` is the HTTP status the node answers with. */
export class SourceRefusal extends VastError {
  constructor(
    readonly status: 403 | 429,
    message: string,
  ) {
    super(message);
  }
}

export interface SourcePolicySettings {
  /** The packet capture program (`capture-program`), run by the pcap source. */
  readonly captureProgram: string;
  /** Directories whose files sources may read (`source-paths`); none means no file may be read. */
  readonly readDirs: readonly string[];
  /** Directories never readable, even inside `readDirs`: the database (every tenant's data). */
  readonly denyDirs: readonly string[];
  /** Addresses listeners may bind (`source-bind-addresses`). */
  readonly bindAddresses: readonly string[];
}

/** Whether the real path `real` lies strictly inside the real directory `dir`. */
export function isInside(dir: string, real: string): boolean {
  const rel = relative(dir, real);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** An address in one spelling (`::1`, `0:0::1` and `[::1]` are one address). */
export function canonicalAddress(host: string): string {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (!isIPv6(h)) return h;
  try {
    return new URL(`http://[${h}]`).hostname.slice(1, -1);
  } catch {
    return h; // a zone id (fe80::1%eth0): kept as written
  }
}

/** The real paths of the directories that exist; the others are skipped (they hold nothing). */
async function realDirs(dirs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const d of dirs) {
    const real = await realpath(resolve(d)).catch(() => undefined);
    if (real !== undefined) out.push(real);
  }
  return out;
}

export class SourcePolicy {
  private readonly bind: Set<string>;

  constructor(private readonly s: SourcePolicySettings) {
    this.bind = new Set(s.bindAddresses.map(canonicalAddress));
  }

  get captureProgram(): string {
    return this.s.captureProgram;
  }

  /**
   * The real path of a file `source` may read. Symlinks and `..` are resolved
   * before the containment check, so neither leads out of an allowed
   * directory. A missing file and a forbidden one give the same error, so
   * the answer does not tell whether a path exists outside the allowed
   * directories.
   */
  async readable(source: string, path: string): Promise<string> {
    if (this.s.readDirs.length === 0)
      throw new SourceRefusal(
        403,
        `${source}: may not read '${path}': reading files through spawned sources is disabled (the operator allows directories with the node's source-paths setting)`,
      );
    const refused = new SourceRefusal(
      403,
      `${source}: may not read '${path}': not an existing file in a directory allowed by the node's source-paths setting`,
    );
    const real = await realpath(resolve(path)).catch(() => undefined);
    if (real === undefined) throw refused;
    const [allowed, denied] = await Promise.all([realDirs(this.s.readDirs), realDirs(this.s.denyDirs)]);
    const inDenied = denied.some((d) => d === real || isInside(d, real));
    if (inDenied || !allowed.some((d) => isInside(d, real))) throw refused;
    return real;
  }

  /** Throws unless listeners may bind `host` (compared as an address, not resolved as a name). */
  checkBind(source: string, host: string): void {
    if (this.bind.has(canonicalAddress(host))) return;
    throw new SourceRefusal(
      403,
      `${source}: may not listen on '${host}': the node's source-bind-addresses setting allows only ${[...this.s.bindAddresses].join(', ') || 'none'}`,
    );
  }
}
