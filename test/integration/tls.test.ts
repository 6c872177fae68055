/**
 * TLS between the CLI and a node (issue 9, hardening): certificates made by
 * the real `openssl` CLI in a temporary directory; the CLI verifies the node
 * with --cacert, proves itself with --cert/--key when the node asks; a node
 * does not serve plain HTTP on a non-loopback endpoint.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATA } from '../helpers/datasets.js';
import { dataLines, tempDb, vast } from './cli.js';
import { freePort, type RunningNode, startNode } from './node-helpers.js';

const CONN = join(TEST_DATA, 'zeek', 'conn.log');
const DATA = dataLines(readFileSync(CONN, 'utf8'));

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
function makeCertificates(dir: string) {
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=vast test CA',
  );
  const sign = (name: string, cn: string, ext: string) => {
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    writeFileSync(f(`${name}.ext`), ext);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    );
  };
  sign('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  sign('client', 'vast client', 'extendedKeyUsage=clientAuth\n');
  return {
    ca: f('ca.pem'),
    cert: f('server.pem'),
    key: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
  };
}

describe('a node serving TLS', () => {
  const t = tempDb();
  let certs: ReturnType<typeof makeCertificates>;
  let node: RunningNode;
  let https: string;
  beforeAll(async () => {
    certs = makeCertificates(t.dir);
    node = await startNode(t.db, ['--certfile', certs.cert, '--keyfile', certs.key]);
    https = `https://${node.endpoint}`;
  });
  afterAll(async () => {
    await node?.stop();
    t.cleanup();
  });

  it('answers the CLI that trusts its CA (--cacert or VAST_CACERT): import, count, export', () => {
    const env = { VAST_TOKEN: node.token!, VAST_ENDPOINT: https };
    const imp = vast(['import', 'zeek', '-r', CONN, '--cacert', certs.ca], { env });
    expect(imp.status, imp.stderr).toBe(0);
    const count = vast(['count', '--cacert', certs.ca], { env });
    expect(count.stdout.trim()).toBe(String(DATA.length));
    const exp = vast(['export', 'zeek'], { env: { ...env, VAST_CACERT: certs.ca } });
    expect(dataLines(exp.stdout)).toEqual(DATA);
    const status = JSON.parse(vast(['status', '--json'], { env: { ...env, VAST_CACERT: certs.ca } }).stdout);
    // Flushed or still buffered, depending on whether the periodic flush ran meanwhile.
    expect(status.tenant).toBe('default');
    expect(status.events + status.buffered).toBe(DATA.length);
  });

  it('fails clearly without the CA: the certificate is not trusted', () => {
    const r = vast(['status', '--node'], { env: { VAST_TOKEN: node.token!, VAST_ENDPOINT: https } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`cannot reach the node at ${https}: its TLS certificate is not trusted \\(\\w+`),
    );
    expect(r.stderr).toMatch(/--cacert or VAST_CACERT/);
  });

  it('fails clearly when the client speaks plain HTTP to it', () => {
    const r = vast(['status', '--node'], { env: { VAST_TOKEN: node.token!, VAST_ENDPOINT: node.endpoint } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the node and the client disagree on TLS/);
  });
});

describe('a node requiring client certificates', () => {
  const t = tempDb();
  let certs: ReturnType<typeof makeCertificates>;
  let node: RunningNode;
  beforeAll(async () => {
    certs = makeCertificates(t.dir);
    node = await startNode(t.db, ['--certfile', certs.cert, '--keyfile', certs.key, '--client-ca', certs.ca]);
  });
  afterAll(async () => {
    await node?.stop();
    t.cleanup();
  });

  it('answers a client with a certificate from its client CA, refuses one without', () => {
    const env = { VAST_TOKEN: node.token!, VAST_ENDPOINT: `https://${node.endpoint}`, VAST_CACERT: certs.ca };
    const without = vast(['status', '--json', '--node'], { env });
    expect(without.status).toBe(1);
    expect(without.stderr).toMatch(new RegExp(`cannot reach the node at https://${node.endpoint}: `));
    const withCert = vast(['status', '--json', '--cert', certs.clientCert, '--key', certs.clientKey], {
      env,
    });
    expect(withCert.status, withCert.stderr).toBe(0);
    expect(JSON.parse(withCert.stdout).tenant).toBe('default');
    const half = vast(['status', '--cert', certs.clientCert], { env });
    expect(half.status).toBe(1);
    expect(half.stderr).toMatch(/--cert and --key go together/);
  });
});

describe('plain HTTP beyond loopback', () => {
  it('is refused before anything is opened, unless --insecure', async () => {
    const t = tempDb();
    const port = await freePort();
    const r = vast(['start', '-d', t.db, '--endpoint', `0.0.0.0:${port}`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      `refusing to serve plain HTTP on the non-loopback endpoint 0.0.0.0:${port}: tokens and events would cross the network in clear; give --certfile and --keyfile for TLS (or --insecure to accept this)`,
    );
    expect(existsSync(t.db)).toBe(false);
    const half = vast(['start', '-d', t.db, '--endpoint', `127.0.0.1:${port}`, '--certfile', CONN]);
    expect(half.status).toBe(1);
    expect(half.stderr).toMatch("TLS needs both 'certfile' and 'keyfile'");
    t.cleanup();
  });
});
