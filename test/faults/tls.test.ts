// Redis over TLS, proven on a real TLS-only redis-server with certificates made by openssl: the
// server speaks TLS, verifies the certificate against tls_ca_file, and refuses one it cannot verify.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { isPortFree } from '../helpers/ports.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { request } from '../helpers/fetch.js';
import { makeCertificates, startTlsOnlyRedis, type TestCertificates, type TlsRedisHandle } from '../helpers/tls.js';

describe('Redis over TLS', () => {
  let certs: TestCertificates;
  let tls: TlsRedisHandle;
  let server: ServerHandle;
  before(async () => {
    certs = await makeCertificates();
    tls = await startTlsOnlyRedis(certs);
    server = await startServer({
      redisPort: tls.tlsPort,
      workers: 2,
      config: { redis: { tls: 'true', tls_ca_file: certs.caCert } },
    });
  });
  after(async () => {
    await server?.stop();
    await tls?.redis.stop();
    certs?.remove();
  });

  test('the Redis accepts TLS only', async () => {
    assert.equal(await isPortFree(tls.redis.port), true, 'the plain port was closed');
    assert.equal(await tls.cli('ping'), 'PONG');
  });

  test('enqueue, dequeue, finish and requeue work over TLS', async () => {
    assert.equal((await request(`${server.url}/deepstatus/`)).status, 200);
    const enqueued = await request(`${server.url}/enqueue/tls/q/`, { body: { job_id: 'j1', interval: 0, payload: { secret: 1 } } });
    assert.equal(enqueued.status, 201);
    assert.equal(await tls.cli('hexists', 'sharq_test:{tls}:jobs:q', 'j1'), '1');
    const dequeued = await request(`${server.url}/dequeue/tls/`);
    assert.equal(dequeued.status, 200);
    assert.deepEqual((dequeued.body as { payload: unknown }).payload, { secret: 1 });
    assert.equal((await request(`${server.url}/finish/tls/q/j1/`, { method: 'POST' })).status, 200);
    // The primary's connection (leader lock) is on TLS too.
    assert.match(await tls.cli('get', 'sharq_test:leader'), /:\d+:/);
  });

  test('a certificate the server cannot verify stops start-up with a clear message', async () => {
    // No tls_ca_file: the system CAs do not know the test CA.
    const unverified = await startServer({
      redisPort: tls.tlsPort,
      workers: 1,
      config: { redis: { tls: 'true' }, 'sharq-server': { redis_startup_timeout: '1500' } },
      noWait: true,
    });
    assert.equal(await unverified.exited, 1);
    assert.match(unverified.stderr() + unverified.stdout(), /self[- ]signed certificate|unable to verify|unable to get local issuer/i);
  });

  test('plain TCP to the TLS port is refused at start-up', async () => {
    const plain = await startServer({
      redisPort: tls.tlsPort,
      workers: 1,
      config: { 'sharq-server': { redis_startup_timeout: '1500' } },
      noWait: true,
    });
    assert.equal(await plain.exited, 1);
    assert.match(plain.stderr() + plain.stdout(), /cannot reach Redis/);
  });
});
