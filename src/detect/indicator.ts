/**
 * Indicators of compromise: one typed, canonical value each, as intel feeds
 * (src/detect/feeds/) produce them and intel sets hold them. Canonical values
 * print the way vast prints values of that type, so an indicator compares equal
 * to the value a query prints for a matching event.
 */
import { formatIP, parseIP } from '../types/ip.js';
import { formatSubnet, parseSubnet, subnetContains } from '../types/subnet.js';

export type IndicatorType = 'ip' | 'subnet' | 'domain' | 'url' | 'md5' | 'sha1' | 'sha256' | 'string';

export interface Indicator {
  type: IndicatorType;
  /**
   * Canonical value: ip as printed by vast (IPv4 dotted quad, IPv4-mapped IPv6
   * as IPv4, IPv6 RFC 5952 lowercase compressed), subnet as CIDR of the network
   * address (host bits cleared), domain lowercase without trailing dot, url
   * trimmed as given, hashes lowercase hex, string as given.
   */
  value: string;
  /** Only for type 'string': the field (name or dotted path) whose value must equal `value`. */
  field?: string;
  /** Context from the feed (other CSV columns, STIX id/name/labels, MISP category/comment/...), as strings. */
  context: Record<string, string>;
  /** ISO-8601 start of validity; absent: valid since always. */
  validFrom?: string;
  /** ISO-8601 end of validity; absent: valid for ever. */
  validUntil?: string;
}

/**
 * The context of indicators without any, shared: most feeds (plain lists)
 * have none, and a million empty objects cost a million allocations.
 */
export const NO_CONTEXT: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * Longest value we accept (characters). Real indicators are far shorter; a
 * megabyte "URL" is a broken feed, and we say so instead of carrying it.
 */
export const MAX_INDICATOR_LENGTH = 8192;

const HASH_LENGTHS = { md5: 32, sha1: 40, sha256: 64 } as const;
const HEX = /^[0-9a-fA-F]+$/;
const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/\S+$/;
// IDNs are kept as given (lowercased), so a label is Unicode letters, digits,
// hyphens and, for service names like `_dmarc`, underscores; never hyphen-bounded.
const LABEL = /^(?!-)[\p{L}\p{N}\p{M}_-]{1,63}(?<!-)$/u;
const STRICT_LABEL = /^(?!-)[\p{L}\p{N}\p{M}-]{1,63}(?<!-)$/u;

/** Lowercase, without one trailing dot; undefined when not a host name. */
function domainOf(raw: string, strict: boolean): string | undefined {
  const d = (raw.endsWith('.') ? raw.slice(0, -1) : raw).toLowerCase();
  if (d.length === 0 || d.length > 253) return undefined;
  const labels = d.split('.');
  const label = strict ? STRICT_LABEL : LABEL;
  if (!labels.every((l) => label.test(l))) return undefined;
  // A name with an all-digit last label is an IP address (or a typo of one), not a domain.
  if (/^\d+$/.test(labels[labels.length - 1])) return undefined;
  if (strict && labels.length < 2) return undefined;
  return d;
}

/** A short rendering of a value for messages: huge values are cut. */
export function quoteValue(raw: string): string {
  return raw.length > 80 ? `'${raw.slice(0, 60)}…' (${raw.length} characters)` : `'${raw}'`;
}

/**
 * Classifies a bare value: ip, subnet (CIDR), md5/sha1/sha256 (32/40/64 hex
 * digits), url (has `scheme://`), domain (a host name with a dot whose last
 * label is not all digits); undefined otherwise. Returns the canonical value.
 */
export function classifyIndicator(raw: string): { type: IndicatorType; value: string } | undefined {
  const v = raw.trim();
  if (v.length === 0 || v.length > MAX_INDICATOR_LENGTH) return undefined;
  if (URL_SCHEME.test(v)) return { type: 'url', value: v };
  if (v.indexOf('/') >= 0) {
    const net = parseSubnet(v);
    return net ? { type: 'subnet', value: formatSubnet(net.address, net.length) } : undefined;
  }
  const ip = parseIP(v);
  if (ip) return { type: 'ip', value: formatIP(ip) };
  if (HEX.test(v)) {
    for (const [type, n] of Object.entries(HASH_LENGTHS))
      if (v.length === n) return { type: type as IndicatorType, value: v.toLowerCase() };
  }
  const d = domainOf(v, true);
  return d !== undefined ? { type: 'domain', value: d } : undefined;
}

/** Canonicalizes a value of a given type, or says why it is not one. */
export function canonicalIndicator(type: IndicatorType, raw: string): { value: string } | { error: string } {
  const v = type === 'string' ? raw : raw.trim();
  if (v.length > MAX_INDICATOR_LENGTH)
    return {
      error: `${type} value of ${v.length} characters is longer than the limit of ${MAX_INDICATOR_LENGTH}`,
    };
  if (v.length === 0) return { error: `empty ${type} value` };
  const bad = { error: `${quoteValue(v)} is not a valid ${type}` };
  switch (type) {
    case 'ip': {
      const ip = parseIP(v);
      return ip ? { value: formatIP(ip) } : bad;
    }
    case 'subnet': {
      const net = parseSubnet(v);
      return net ? { value: formatSubnet(net.address, net.length) } : bad;
    }
    case 'domain': {
      const d = domainOf(v, false);
      return d !== undefined ? { value: d } : bad;
    }
    case 'url':
      return URL_SCHEME.test(v) ? { value: v } : bad;
    case 'md5':
    case 'sha1':
    case 'sha256':
      return v.length === HASH_LENGTHS[type] && HEX.test(v) ? { value: v.toLowerCase() } : bad;
    case 'string':
      return { value: v };
    default: {
      const never: never = type;
      return { error: `unknown indicator type ${String(never)}` };
    }
  }
}

/** The key that identifies an indicator within a set: `${type}:${field ?? ''}:${value}`. */
export function indicatorKey(i: Indicator): string {
  return `${i.type}:${i.field ?? ''}:${i.value}`;
}

/** 'subnet' for a CIDR value, else 'ip': feeds that say "ip" also list networks (MISP ip-dst, STIX ipv4-addr). */
export function ipOrSubnet(raw: string): 'ip' | 'subnet' {
  return raw.indexOf('/') >= 0 ? 'subnet' : 'ip';
}

/**
 * Whether a printed value is one the indicator matches, as the kernels
 * decide: an address equal or inside the subnet, a domain without case (and
 * its subdomains with `subdomains`), a hash without case, URLs and strings
 * as written. Used off the hot path, to name the element of a list that a
 * sighting is about.
 */
export function indicatorMatchesValue(i: Indicator, value: string, subdomains: boolean): boolean {
  switch (i.type) {
    case 'ip': {
      const ip = parseIP(value);
      return ip !== undefined && formatIP(ip) === i.value;
    }
    case 'subnet': {
      const ip = parseIP(value);
      const net = parseSubnet(i.value);
      return ip !== undefined && net !== undefined && subnetContains(net, ip);
    }
    case 'domain': {
      const v = value.toLowerCase();
      return v === i.value || (subdomains && v.endsWith(`.${i.value}`));
    }
    case 'md5':
    case 'sha1':
    case 'sha256':
      return value.toLowerCase() === i.value;
    default:
      return value === i.value;
  }
}
