// Certificates made by openssl for TLS tests: a private CA and a server certificate for 127.0.0.1
// signed by it; and a TLS-only redis-server started with them.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { freePort } from './ports.js';
import { redisCli, startRedis, type RedisServerHandle } from './redis.js';

const execFileAsync = promisify(execFile);

export interface TestCertificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  remove(): void;
}

/** A CA and a server certificate (SAN IP:127.0.0.1, DNS:localhost), valid for two days. */
export async function makeCertificates(): Promise<TestCertificates> {
  const dir = mkdtempSync(join(tmpdir(), 'sharq-tls-'));
  const file = (name: string): string => join(dir, name);
  const openssl = (...args: string[]) => execFileAsync('openssl', args, { cwd: dir, timeout: 30_000 });
  await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2', '-subj', '/CN=sharq test CA');
  await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(file('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('server.crt'), '-days', '2', '-extfile', file('ext.cnf'));
  return {
    dir,
    caCert: file('ca.crt'),
    serverCert: file('server.crt'),
    serverKey: file('server.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface TlsRedisHandle {
  redis: RedisServerHandle;
  tlsPort: number;
  /** redis-cli over TLS, verifying against the test CA. */
  cli(...args: string[]): Promise<string>;
}

/**
 * A redis-server that accepts only TLS: started with a plain port too (the harness waits on it),
 * which is then closed with CONFIG SET port 0.
 */
export async function startTlsOnlyRedis(certs: TestCertificates): Promise<TlsRedisHandle> {
  const tlsPort = await freePort();
  const redis = await startRedis({
    extraArgs: [
      '--tls-port', String(tlsPort),
      '--tls-cert-file', certs.serverCert,
      '--tls-key-file', certs.serverKey,
      '--tls-ca-cert-file', certs.caCert,
      '--tls-auth-clients', 'no',
    ],
  });
  await redisCli(redis.port, 'config', 'set', 'port', '0');
  return {
    redis,
    tlsPort,
    async cli(...args: string[]) {
      const { stdout } = await execFileAsync(
        'redis-cli',
        ['--tls', '--cacert', certs.caCert, '-h', '127.0.0.1', '-p', String(tlsPort), ...args],
        { timeout: 5000 },
      );
      return stdout.trim();
    },
  };
}
