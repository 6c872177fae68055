/**
 * The one `HOST:PORT` parser: node endpoints (`vast start -e`), client
 * endpoints (`https://host:port`), listen addresses of sources
 * (`udp://[::1]:5514`, `127.0.0.1:2055/udp`) and NetFlow exporter names all
 * go through it, so IPv6 brackets, port bounds and the error text are the
 * same everywhere.
 */
import { UsageError } from '../diagnostics.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
  /** The scheme written before `://` (`udp`, `https`), lower-cased; undefined when none was written. */
  readonly scheme?: string;
  /** The transport written after the port as VAST spelled it (`/udp`, `/tcp`); undefined when none. */
  readonly transport?: 'udp' | 'tcp';
}

export interface HostPortRules {
  /** Schemes accepted before `://`; none means a scheme is an error. */
  readonly schemes?: readonly string[];
  /** The port when none is written; without it the port is required. */
  readonly defaultPort?: number;
  /** The host when none is written (`:2055`, `udp://:514`); without it the host is required. */
  readonly defaultHost?: string;
  /** Whether `/udp` or `/tcp` may follow the port (VAST's `--listen` syntax). */
  readonly transportSuffix?: boolean;
  /** What the caller expects, for the error: `HOST:PORT`, `udp://host:port`. */
  readonly expected?: string;
  /** What is being parsed, for the error: `endpoint`, `listen address`. */
  readonly what?: string;
}

const SYNTAX =
  /^(?:([a-z][a-z0-9+.-]*):\/\/)?(?:\[([0-9a-fA-F:.]+(?:%[\w.-]+)?)\]|([^:[\]/\s]*))(?::(\d{1,5}))?(?:\/(udp|tcp))?\/?$/i;

/** Splits `[scheme://]HOST[:PORT][/udp|/tcp]` by the caller's rules; a `UsageError` names what was expected. */
export function parseHostPort(text: string, rules: HostPortRules = {}): HostPort {
  const m = SYNTAX.exec(text.trim());
  const fail = (why: string) =>
    new UsageError(
      `invalid ${rules.what ?? 'endpoint'} '${text}': ${why} (expected ${rules.expected ?? 'HOST:PORT'})`,
    );
  if (!m) throw fail('not HOST:PORT');
  const [, scheme, v6, name, portText, transport] = m;
  if (scheme !== undefined && !rules.schemes?.includes(scheme.toLowerCase()))
    throw fail(
      rules.schemes?.length
        ? `unknown scheme '${scheme}' (${rules.schemes.join(', ')})`
        : 'no scheme allowed',
    );
  if (transport !== undefined && !rules.transportSuffix) throw fail(`no '/${transport}' allowed`);
  const host = v6 ?? (name || rules.defaultHost);
  if (host === undefined || host === '') throw fail('missing host');
  if (portText === undefined && rules.defaultPort === undefined) throw fail('missing port');
  const port = portText === undefined ? (rules.defaultPort as number) : Number(portText);
  if (port > 65535) throw fail(`port ${port} is above 65535`);
  return {
    host,
    port,
    ...(scheme !== undefined ? { scheme: scheme.toLowerCase() } : {}),
    ...(transport !== undefined ? { transport: transport.toLowerCase() as 'udp' | 'tcp' } : {}),
  };
}

/** `host:port` with IPv6 hosts in brackets, the inverse of `parseHostPort`. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
