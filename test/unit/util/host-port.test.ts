import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/node/config.js';
import { parseClientEndpoint, parseEndpoint } from '../../../src/node/endpoint.js';
import { parseUdpEndpoint } from '../../../src/sources/netflow.js';
import { parseListen } from '../../../src/sources/syslog.js';
import { formatHostPort, parseHostPort } from '../../../src/util/host-port.js';

describe('parseHostPort', () => {
  it('splits host and port, IPv6 in brackets', () => {
    expect(parseHostPort('127.0.0.1:42000')).toEqual({ host: '127.0.0.1', port: 42000 });
    expect(parseHostPort('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
    expect(parseHostPort('localhost:1')).toEqual({ host: 'localhost', port: 1 });
  });

  it('takes a scheme and a /udp or /tcp suffix only where the caller allows them', () => {
    expect(parseHostPort('udp://0.0.0.0:514', { schemes: ['udp'] })).toEqual({
      host: '0.0.0.0',
      port: 514,
      scheme: 'udp',
    });
    expect(parseHostPort('127.0.0.1:5514/tcp', { transportSuffix: true })).toEqual({
      host: '127.0.0.1',
      port: 5514,
      transport: 'tcp',
    });
    expect(() => parseHostPort('udp://h:1')).toThrow("invalid endpoint 'udp://h:1': no scheme allowed");
    expect(() => parseHostPort('h:1/udp')).toThrow("no '/udp' allowed");
  });

  it('fills in a default host and port when the caller has them, else says what is missing', () => {
    expect(parseHostPort(':2055', { defaultHost: '0.0.0.0' })).toEqual({ host: '0.0.0.0', port: 2055 });
    expect(parseHostPort('[::1]', { defaultPort: 5514 })).toEqual({ host: '::1', port: 5514 });
    expect(() => parseHostPort(':2055')).toThrow('missing host');
    expect(() => parseHostPort('example.org')).toThrow('missing port');
  });

  it('refuses malformed input with what was expected', () => {
    expect(() => parseHostPort('1.2.3.4:70000')).toThrow(
      "invalid endpoint '1.2.3.4:70000': port 70000 is above 65535 (expected HOST:PORT)",
    );
    expect(() => parseHostPort('a b:1')).toThrow('not HOST:PORT');
    expect(() => parseHostPort('::1:80')).toThrow('not HOST:PORT');
    expect(() => parseHostPort('x:1', { what: 'listen address', expected: 'udp://host:port' })).not.toThrow();
    expect(() => parseHostPort('tls://x:1', { schemes: ['udp', 'tcp'], what: 'listen address' })).toThrow(
      "invalid listen address 'tls://x:1': unknown scheme 'tls' (udp, tcp)",
    );
  });

  it('formats what it parses back', () => {
    for (const t of ['10.0.0.1:2055', '[2001:db8::1]:2055']) {
      const { host, port } = parseHostPort(t);
      expect(formatHostPort(host, port)).toBe(t);
    }
  });
});

describe('every host:port in the code base goes through it', () => {
  it('node endpoints', () => {
    expect(parseEndpoint('[::1]:42000')).toEqual({ host: '::1', port: 42000 });
    expect(() => parseEndpoint('127.0.0.1')).toThrow("invalid endpoint '127.0.0.1': missing port");
    expect(parseClientEndpoint('https://127.0.0.1:42000/')).toEqual({
      host: '127.0.0.1',
      port: 42000,
      tls: true,
    });
    expect(parseClientEndpoint('127.0.0.1:42000').tls).toBeUndefined();
    expect(() => parseClientEndpoint('ftp://x:1')).toThrow("unknown scheme 'ftp'");
  });

  it('the node configuration', () => {
    expect(loadConfig({ endpoint: '[::1]:42001' }, { env: {} }).endpoint).toBe('[::1]:42001');
    expect(() => loadConfig({ endpoint: '127.0.0.1:99999' }, { env: {} })).toThrow(
      "invalid configuration: 'endpoint' (from command line): expected HOST:PORT, e.g. 127.0.0.1:42000",
    );
  });

  it('source listen addresses, with VAST-style /udp and /tcp', () => {
    expect(parseListen('127.0.0.1:5514/tcp')).toEqual({ transport: 'tcp', host: '127.0.0.1', port: 5514 });
    expect(() => parseListen('udp://127.0.0.1:5514/tcp')).toThrow('disagree');
    expect(parseUdpEndpoint('[::1]:9995/udp', 2055)).toEqual({ host: '::1', port: 9995 });
    expect(parseUdpEndpoint(':9995', 2055)).toEqual({ host: '0.0.0.0', port: 9995 });
    expect(() => parseUdpEndpoint('127.0.0.1:2055/tcp', 2055)).toThrow('UDP only');
  });
});
