/**
 * The text form of an action (`webhook=URL`, `exec=CMD`, `syslog=[udp|tcp://]HOST:PORT`)
 * and its parsed shape. `formatAction` prints the canonical text, which is
 * also the action's identity in the outbox and in `stats().perAction`.
 */
import { UsageError } from '../../diagnostics.js';
import { formatHostPort, parseHostPort } from '../../util/host-port.js';

/** Where sightings and alerts go. */
export type ActionSpec =
  /** POST application/json, one record per request; 2xx = delivered. */
  | { kind: 'webhook'; url: string }
  /** `sh -c command` with the record's JSON and a newline on stdin; exit 0 = delivered. */
  | { kind: 'exec'; command: string }
  /** One RFC 5424 message per record; TCP uses octet counting (RFC 6587). */
  | { kind: 'syslog'; host: string; port: number; protocol: 'udp' | 'tcp' };

const EXPECTED = 'expected webhook=URL, exec=COMMAND or syslog=[udp://|tcp://]HOST:PORT';
const SYSLOG_EXPECTED = 'HOST:PORT, udp://HOST:PORT or tcp://HOST:PORT';

function invalid(text: string, why: string): UsageError {
  return new UsageError(`invalid action '${text}': ${why} (${EXPECTED})`);
}

/**
 * Parses `webhook=URL` (http/https only), `exec=CMD`, `syslog=HOST:PORT` or
 * `syslog=udp://HOST:PORT` / `tcp://HOST:PORT` (default udp; IPv6 as
 * `[::1]:514`). Throws a `UsageError` saying what is wrong on anything else.
 */
export function parseAction(text: string): ActionSpec {
  const eq = text.indexOf('=');
  if (text.trim() === '') throw invalid(text, 'empty');
  if (eq < 0) throw invalid(text, "missing '='");
  const kind = text.slice(0, eq).trim();
  const value = text.slice(eq + 1).trim();
  switch (kind) {
    case 'webhook': {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        throw invalid(text, `'${value}' is not a URL`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        throw invalid(text, `webhook URLs must be http or https, not '${url.protocol.slice(0, -1)}'`);
      return { kind: 'webhook', url: value };
    }
    case 'exec':
      if (value === '') throw invalid(text, 'empty command');
      return { kind: 'exec', command: value };
    case 'syslog': {
      let hp: ReturnType<typeof parseHostPort>;
      try {
        hp = parseHostPort(value, {
          schemes: ['udp', 'tcp'],
          what: 'syslog address',
          expected: SYSLOG_EXPECTED,
        });
      } catch (e) {
        throw invalid(text, (e as Error).message);
      }
      return { kind: 'syslog', host: hp.host, port: hp.port, protocol: hp.scheme === 'tcp' ? 'tcp' : 'udp' };
    }
    default:
      throw invalid(text, kind === '' ? 'missing action kind' : `unknown action kind '${kind}'`);
  }
}

/** The canonical text of an action; `parseAction(formatAction(a))` equals `a`. */
export function formatAction(a: ActionSpec): string {
  switch (a.kind) {
    case 'webhook':
      return `webhook=${a.url}`;
    case 'exec':
      return `exec=${a.command}`;
    case 'syslog':
      return `syslog=${a.protocol}://${formatHostPort(a.host, a.port)}`;
    default: {
      const never: never = a;
      throw new Error(`unknown action ${JSON.stringify(never)}`);
    }
  }
}
